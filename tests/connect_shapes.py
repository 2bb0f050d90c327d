"""Checks a served answer against botocore's output shape: every member it sends exists.

botocore ignores members it does not know, so a misspelt field would pass
unnoticed through a client; ``strict(client)`` makes such an answer fail the test.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

__all__ = ["strict", "unknown_members"]


def unknown_members(shape: Shape | None, value: Any, path: str = "") -> list[str]:
    """The paths in ``value`` that ``shape`` has no member for."""
    if shape is None:
        return [path or "(body)"] if value not in (None, {}) else []
    if isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            return [f"{path}: not an object"]
        found = []
        for key, item in value.items():
            if key not in shape.members:
                found.append(f"{path}.{key}" if path else key)
            else:
                found += unknown_members(shape.members[key], item, f"{path}.{key}" if path else key)
        return found
    if isinstance(shape, ListShape):
        if not isinstance(value, list):
            return [f"{path}: not a list"]
        return [p for i, item in enumerate(value)
                for p in unknown_members(shape.member, item, f"{path}[{i}]")]
    if isinstance(shape, MapShape):
        if not isinstance(value, dict):
            return [f"{path}: not an object"]
        return [p for k, item in value.items() for p in unknown_members(shape.value, item,
                                                                          f"{path}.{k}")]
    return []


def strict(client: Any) -> Any:
    """``client``, failing on any answer with a member its output shape lacks."""
    def check(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
        if response_dict["status_code"] >= 300 or not response_dict["body"]:
            return
        body = json.loads(response_dict["body"])
        extra = unknown_members(operation_model.output_shape, body)
        assert extra == [], f"{operation_model.name} answered members not in the model: {extra}"

    client.meta.events.register("before-parse.connect.*", check)
    return client

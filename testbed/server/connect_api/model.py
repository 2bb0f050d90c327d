"""Connect's request model (an extract of botocore's, in model.json): routes and validation.

``match(method, path)`` finds the operation a request calls, by the method
and URI template botocore sends it to; ``parse(operation, ...)`` gathers its
input members from the URI, the query string, the headers and the JSON body
and checks each against its shape: required members, types, lengths, value
ranges and enums.  A bad value raises ``ApiError`` (InvalidParameterException)
naming the member by its path, e.g. ``Filters.Queues[0]``.  Timestamps become
float POSIX seconds; everything else stays as JSON gave it.

model.json is written by ``scripts/connect_model.py`` from botocore;
tests/test_connect_api_model.py keeps the two the same.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import unquote

from testbed.server.connect_api.errors import ApiError

__all__ = ["Operation", "error_status", "match", "model", "parse"]


@cache
def model() -> dict[str, Any]:
    """The extract, loaded once."""
    text = resources.files("testbed.server.connect_api").joinpath("model.json").read_text()
    data: dict[str, Any] = json.loads(text)
    return data


@dataclass(frozen=True)
class Operation:
    """One operation: its name, HTTP method and URI template, and its input shape if simulated."""

    name: str
    method: str
    uri: str
    pattern: re.Pattern[str]
    literal: int  # characters of the template outside labels: more is more specific
    input: str | None
    errors: frozenset[str]  # the error shapes the model lists for it (simulated ones only)


def _compile(uri: str) -> tuple[re.Pattern[str], int]:
    path = uri.split("?", 1)[0]
    regex, literal, pos = "", 0, 0
    for label in re.finditer(r"\{(\w+)(\+?)\}", path):
        regex += re.escape(path[pos:label.start()])
        literal += label.start() - pos
        regex += f"(?P<{label.group(1)}>.+)" if label.group(2) else f"(?P<{label.group(1)}>[^/]+)"
        pos = label.end()
    regex += re.escape(path[pos:])
    literal += len(path) - pos
    return re.compile(regex), literal


@cache
def _operations() -> tuple[Operation, ...]:
    data = model()
    ops = []
    for name, (method, uri) in data["operations"].items():
        pattern, literal = _compile(uri)
        ops.append(Operation(name, method, uri, pattern, literal, data["inputs"].get(name),
                             frozenset(data["op_errors"].get(name, ()))))
    return tuple(sorted(ops, key=lambda op: -op.literal))


def match(method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
    """The operation that ``method path`` calls and its URI labels, or None."""
    for op in _operations():
        if op.method == method:
            found = op.pattern.fullmatch(path)
            if found:
                return op, {k: unquote(v) for k, v in found.groupdict().items()}
    return None


def error_status(code: str) -> int:
    """The HTTP status Connect answers ``code`` with (400 for codes outside the model)."""
    status: int = model()["errors"].get(code, {}).get("status", 400)
    return status


def _bad(path: str, problem: str) -> ApiError:
    return ApiError("InvalidParameterException", f"{path or 'request'}: {problem}")


def _timestamp(path: str, value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    if isinstance(value, str):
        try:
            stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            if stamp.tzinfo is not None:
                return stamp.timestamp()
        try:
            return _timestamp(path, float(value))
        except ValueError:
            pass
    raise _bad(path, f"{value!r} is not a timestamp (POSIX seconds or ISO 8601 with a zone)")


def _check(shape_name: str, value: Any, path: str) -> Any:
    shape = model()["shapes"][shape_name]
    kind = shape["type"]
    if kind == "structure":
        if not isinstance(value, dict):
            raise _bad(path, f"expected an object, got {type(value).__name__}")
        return _structure(shape, value, path)
    if kind == "list":
        if not isinstance(value, list):
            raise _bad(path, f"expected a list, got {type(value).__name__}")
        _length(shape, len(value), path, "items")
        return [_check(shape["member"], item, f"{path}[{i}]") for i, item in enumerate(value)]
    if kind == "map":
        if not isinstance(value, dict):
            raise _bad(path, f"expected an object, got {type(value).__name__}")
        _length(shape, len(value), path, "entries")
        return {_check(shape["key"], k, f"{path} key"): _check(shape["value"], v, f"{path}.{k}")
                for k, v in value.items()}
    if kind == "string":
        if not isinstance(value, str):
            raise _bad(path, f"expected a string, got {type(value).__name__}")
        _length(shape, len(value), path, "characters")
        if "enum" in shape and value not in shape["enum"]:
            raise _bad(path, f"{value!r} is not one of {', '.join(shape['enum'])}")
        return value
    if kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            raise _bad(path, f"expected an integer, got {value!r}")
        _range(shape, value, path)
        return value
    if kind in ("double", "float"):
        if (not isinstance(value, (int, float)) or isinstance(value, bool)
                or not math.isfinite(value)):
            raise _bad(path, f"expected a number, got {value!r}")
        _range(shape, value, path)
        return float(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _bad(path, f"expected true or false, got {value!r}")
        return value
    if kind == "timestamp":
        return _timestamp(path, value)
    raise _bad(path, f"shape {shape_name} of type {kind} is not accepted by the testbed")


def _length(shape: dict[str, Any], size: int, path: str, unit: str) -> None:
    if size < shape.get("min", 0):
        raise _bad(path, f"has {size} {unit}, fewer than the minimum {shape['min']}")
    if "max" in shape and size > shape["max"]:
        raise _bad(path, f"has {size} {unit}, more than the maximum {shape['max']}")


def _range(shape: dict[str, Any], value: float, path: str) -> None:
    if value < shape.get("min", -math.inf):
        raise _bad(path, f"{value} is below the minimum {shape['min']}")
    if value > shape.get("max", math.inf):
        raise _bad(path, f"{value} is above the maximum {shape['max']}")


def _structure(shape: dict[str, Any], value: dict[str, Any], path: str) -> dict[str, Any]:
    members = shape["members"]
    prefix = f"{path}." if path else ""
    unknown = sorted(set(value) - set(members))
    if unknown:
        raise _bad(f"{prefix}{unknown[0]}", f"unknown member (expected one of "
                                            f"{', '.join(sorted(members))})")
    out = {name: _check(members[name]["shape"], v, f"{prefix}{name}")
           for name, v in value.items() if v is not None}
    missing = [name for name in shape.get("required", ()) if name not in out]
    if missing:
        raise _bad(f"{prefix}{missing[0]}", "required member missing")
    if shape.get("union") and len(out) != 1:
        raise _bad(path, f"exactly one of {', '.join(sorted(members))} must be set")
    return out


def _scalar(shape_name: str, text: str, path: str) -> Any:
    kind = model()["shapes"][shape_name]["type"]
    if kind in ("integer", "long"):
        try:
            return int(text)
        except ValueError:
            raise _bad(path, f"expected an integer, got {text!r}") from None
    if kind == "boolean":
        if text not in ("true", "false"):
            raise _bad(path, f"expected true or false, got {text!r}")
        return text == "true"
    return text


def parse(op: Operation, labels: dict[str, str], query: Any, headers: Any,
          body: dict[str, Any]) -> dict[str, Any]:
    """The validated input of ``op`` from a request's parts (query/headers: multidicts)."""
    assert op.input is not None
    shape = model()["shapes"][op.input]
    given: dict[str, Any] = {}
    body_members = {}
    for name, member in shape["members"].items():
        where, wire = member.get("location"), member.get("locationName", name)
        member_shape = model()["shapes"][member["shape"]]
        if where == "uri":
            if wire in labels:
                given[name] = labels[wire]
        elif where == "querystring":
            if member_shape["type"] == "list":
                values = query.getall(wire, [])
                if values:
                    given[name] = [_scalar(member_shape["member"], v, name) for v in values]
            elif wire in query:
                given[name] = _scalar(member["shape"], query[wire], name)
        elif where == "header":
            if wire in headers:
                given[name] = _scalar(member["shape"], headers[wire], name)
        else:
            body_members[name] = member
    for name, value in body.items():
        if name not in body_members:
            raise _bad(name, "unknown member (expected one of "
                             f"{', '.join(sorted(body_members)) or 'none in the body'})")
        given[name] = value
    return _structure(shape, given, "")

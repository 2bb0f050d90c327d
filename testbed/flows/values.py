"""Dynamic values in flows: Connect's contact references and text that embeds them.

A parameter of a Connect flow may be a literal, one reference to contact data
(``$.Attributes.tier``, ``$.External.balance``, ``$.Lex.Slots.Amount``), or,
where Connect allows it (prompt text, SSML, attribute values), text with
references inside: ``"Your balance is $.External.balance."``.

Rules:

* A reference is ``$.`` then a name, then ``.name`` or ``.['any text']``
  parts: ``$.Attributes.['account number']``.  A ``.`` not followed by a name
  ends it, so a sentence may end right after one.
* ``resolve`` reads a parameter that is all one reference (the "single JSONPath"
  parameters); anything else is a literal.  ``interpolate`` replaces every
  reference in a text; one with no value becomes the empty string, as in
  Connect.
* What a reference means is up to the host (``lookup``): the switchboard
  answers for a contact (see docs/flows.md for the list).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

__all__ = ["ROOTS", "dig", "interpolate", "is_reference", "name_of", "references", "resolve",
           "split_path", "text_of"]

_PART = r"(?:\.[A-Za-z0-9_\-]+|\.\['[^'\]]*'\])"
_REFERENCE = re.compile(rf"\$\.[A-Za-z][A-Za-z0-9_]*{_PART}*")
_HEAD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_PARTS = re.compile(r"\.([A-Za-z0-9_\-]+)|\.\['([^'\]]*)'\]")

#: The first part of every reference the testbed answers.
ROOTS = frozenset((
    "Attributes", "External", "Lex", "StoredCustomerInput", "Queue", "CustomerEndpoint",
    "SystemEndpoint", "Channel", "ContactId", "InitialContactId", "PreviousContactId",
    "InitiationMethod", "TextToSpeechVoiceId", "LanguageCode", "Name", "Description",
    "FlowAttributes", "CustomerId", "Tags", "Metrics", "InstanceARN", "AwsRegion",
    "LambdaInvocation", "References",
))

Lookup = Callable[[str], str | None]


def is_reference(value: object) -> bool:
    """True if ``value`` is a string that is exactly one reference."""
    return (isinstance(value, str) and value.startswith("$.")
            and _REFERENCE.fullmatch(value) is not None)


def references(text: str) -> Iterator[str]:
    """Every reference in ``text``, in order."""
    return (m.group(0) for m in _REFERENCE.finditer(text))


def split_path(reference: str) -> list[str]:
    """The parts of a reference: ``$.Attributes.['a b']`` -> ``["Attributes", "a b"]``."""
    head = _HEAD.match(reference, 2)
    if head is None:
        raise ValueError(f"{reference!r} is not a reference")
    first = head.group(0)
    tail = reference[2 + len(first):]
    return [first, *(a if a else b for a, b in _PARTS.findall(tail))]


def resolve(value: object, lookup: Lookup) -> str | None:
    """A parameter's value: the referenced value if it is one reference, else itself."""
    if value is None:
        return None
    if is_reference(value):
        return lookup(str(value))
    return value if isinstance(value, str) else text_of(value)


def interpolate(text: str, lookup: Lookup) -> str:
    """``text`` with every reference replaced by its value ("" when it has none)."""
    if "$." not in text:
        return text
    return _REFERENCE.sub(lambda m: lookup(m.group(0)) or "", text)


def name_of(reference: object) -> str:
    """The name a queue, flow, module or hours reference points at: the last segment of
    an ARN or path (``arn:...:instance/abc/queue/Sales`` -> ``Sales``)."""
    return str(reference).rstrip("/").rsplit("/", 1)[-1]


def dig(data: Any, parts: list[str]) -> Any:
    """The value at ``parts`` inside nested mappings and lists (None if absent)."""
    for part in parts:
        if isinstance(data, Mapping):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def text_of(value: Any) -> str | None:
    """A value as flow text: strings as they are, numbers and booleans as JSON writes
    them, objects and lists as JSON."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))

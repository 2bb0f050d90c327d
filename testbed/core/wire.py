"""The wire codec of the messages: JSON at the network edge.

Wire form: one JSON object per message, ``{"v": 1, "type": "dial", ...}``
with the message's fields as keys, and optionally ``"t"``, the testbed time
the sender stamped it with.  ``decode`` validates every field and the size of
the text and raises ProtocolError naming what is wrong.

A field's JSON type follows from its name (``_NUMBERS``, ``_FLAGS``; every
other field is text), and null is allowed where ``__init__``'s default is
None; tests/test_messages.py checks this against the classes' annotations.
"""

from __future__ import annotations

import inspect
import json
import math
from typing import Any

from testbed.core.errors import ProtocolError
from testbed.core.messages import (
    MAX_MESSAGE_BYTES,
    MAX_TEXT_CHARS,
    MUTE_PARTICIPANTS,
    PROTOCOL_VERSION,
    Accept,
    Ack,
    AgentStatus,
    Alarm,
    Answer,
    CallStarted,
    CancelConsult,
    CancelTimer,
    CompleteTransfer,
    Conference,
    Conferenced,
    Connected,
    Consult,
    Consulting,
    Dial,
    Disconnected,
    EndAfterContactWork,
    Error,
    Hangup,
    Held,
    Hold,
    Message,
    Mute,
    Muted,
    Offered,
    Prompt,
    Queued,
    Reject,
    Resume,
    Resumed,
    Ringing,
    Say,
    SendDigits,
    SetStatus,
    SetTimer,
    Transfer,
    Transferred,
    Unmute,
    Unmuted,
)

__all__ = ["MESSAGE_TYPES", "decode", "decode_stamped", "encode", "wire_fields"]

#: Every message class by its wire tag.
MESSAGE_TYPES: dict[str, type[Message]] = {
    cls.type: cls
    for cls in (Dial, SendDigits, Say, Answer, Hangup, SetStatus, Accept, Reject,
                EndAfterContactWork, Hold, Resume, Mute, Unmute, Transfer, Consult,
                CompleteTransfer, Conference, CancelConsult, CallStarted, Prompt,
                Queued, Ringing, Offered, Connected, Disconnected, Held, Resumed, Muted, Unmuted,
                Transferred, Consulting, Conferenced,
                AgentStatus, Error, Ack, SetTimer, CancelTimer, Alarm)
}

#: Fields that are JSON numbers (testbed seconds); ints are taken and made floats.
_NUMBERS = frozenset({"at_s", "duration_s", "timeout_s"})
#: Fields that are JSON true or false.
_FLAGS = frozenset({"collects_input"})

Spec = tuple[str, tuple[type, ...], bool]  # (name, accepted Python types, required)


def wire_fields(cls: type[Message]) -> tuple[Spec, ...]:
    """(name, accepted JSON value types, required) for each field of ``cls``."""
    specs = []
    for name, param in inspect.signature(cls).parameters.items():
        accepted: tuple[type, ...]
        if name in _NUMBERS:
            accepted = (float, int)
        elif name in _FLAGS:
            accepted = (bool,)
        else:
            accepted = (str,)
        if param.default is None:
            accepted = (*accepted, type(None))
        specs.append((name, accepted, param.default is inspect.Parameter.empty))
    return tuple(specs)


#: Text fields that must hold more than white space, by message type.
_NOT_BLANK: dict[str, tuple[str, ...]] = {Say.type: ("text",),
                                          Transfer.type: ("quick_connect",),
                                          Consult.type: ("quick_connect",)}
#: Text fields that must be one of a few values, by message type.
_CHOICES: dict[str, dict[str, tuple[str, ...]]] = {
    cls.type: {"participant": MUTE_PARTICIPANTS} for cls in (Mute, Unmute, Muted, Unmuted)}
_JSON_NAMES = {str: "a string", float: "a number", int: "a number", bool: "true or false",
               type(None): "null"}
_SPECS = {tag: wire_fields(cls) for tag, cls in MESSAGE_TYPES.items()}


def encode(message: Message, t: float | None = None) -> str:
    """The wire JSON of ``message``; ``t``, if given, stamps it with testbed time."""
    body: dict[str, Any] = {"v": PROTOCOL_VERSION, "type": message.type}
    if t is not None:
        body["t"] = round(t, 6)
    for name, _accepted, _required in _SPECS[message.type]:
        body[name] = getattr(message, name)
    return json.dumps(body, separators=(",", ":"), allow_nan=False)


def decode(text: str | bytes) -> Message:
    """Parse and validate one wire message; ProtocolError names what is wrong."""
    return decode_stamped(text)[0]


def decode_stamped(text: str | bytes) -> tuple[Message, float | None]:
    """Like ``decode``, also returning the testbed time ``t`` the sender stamped, if any."""
    if len(text) > MAX_MESSAGE_BYTES:
        raise ProtocolError(
            f"message of {len(text)} bytes is over the limit of {MAX_MESSAGE_BYTES}")
    try:
        body = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"malformed JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ProtocolError(f"a message must be a JSON object, got {type(body).__name__}")
    version = body.get("v", PROTOCOL_VERSION)
    if version != PROTOCOL_VERSION:
        raise ProtocolError(
            f"unsupported protocol version {version!r} (this switchboard speaks "
            f"{PROTOCOL_VERSION})", field="v")
    tag = body.get("type")
    cls = MESSAGE_TYPES.get(tag) if isinstance(tag, str) else None
    if cls is None:
        raise ProtocolError(
            f"unknown message type {tag!r}; known: {', '.join(sorted(MESSAGE_TYPES))}",
            field="type")
    specs = _SPECS[cls.type]
    known = {name for name, _a, _r in specs} | {"v", "type", "t"}
    extra = sorted(set(body) - known)
    if extra:
        raise ProtocolError(f"{cls.type}: unknown field {extra[0]!r}", field=extra[0])
    values: dict[str, Any] = {}
    not_blank = _NOT_BLANK.get(cls.type, ())
    choices = _CHOICES.get(cls.type)
    for name, accepted, required in specs:
        if name not in body:
            if required:
                raise ProtocolError(f"{cls.type}: missing field {name!r}", field=name)
            continue
        value = body[name]
        if isinstance(value, bool) and bool not in accepted:
            accepted_ok = False
        else:
            accepted_ok = isinstance(value, accepted)
        if not accepted_ok:
            names = " or ".join(dict.fromkeys(_JSON_NAMES[a] for a in accepted))
            raise ProtocolError(
                f"{cls.type}: field {name!r} must be {names}, got {value!r}", field=name)
        if isinstance(value, str) and len(value) > MAX_TEXT_CHARS:
            raise ProtocolError(
                f"{cls.type}: field {name!r} is {len(value)} characters, over the limit "
                f"of {MAX_TEXT_CHARS}", field=name)
        if not_blank and name in not_blank and not value.strip():
            raise ProtocolError(
                f"{cls.type}: field {name!r} must not be empty or only white space", field=name)
        if choices is not None and name in choices and value not in choices[name]:
            raise ProtocolError(
                f"{cls.type}: field {name!r} must be one of "
                f"{', '.join(map(repr, choices[name]))}, got {value!r}", field=name)
        if isinstance(value, float) and not math.isfinite(value):
            raise ProtocolError(f"{cls.type}: field {name!r} must be finite", field=name)
        if float in accepted and type(value) is int:
            value = float(value)
        values[name] = value
    stamp = body.get("t")
    if stamp is not None and (isinstance(stamp, bool) or not isinstance(stamp, int | float)
                              or not math.isfinite(stamp)):
        raise ProtocolError(f"{cls.type}: field 't' must be a number, got {stamp!r}", field="t")
    return cls(**values), (None if stamp is None else float(stamp))

"""Messages between endpoints (callers, agents) and the switchboard.

Messages are frozen, slotted dataclasses with a ``type`` tag.  In-process
lines pass them by reference; the JSON codec (``encode`` / ``decode``) is
used only at the network edge, where ``decode`` validates every field and
the size of the text and raises ProtocolError naming what is wrong.

Wire form: one JSON object per message, ``{"v": 1, "type": "dial", ...}``
with the dataclass fields as keys.
"""

from __future__ import annotations

import json
import math
import re
import types
import typing
from dataclasses import MISSING, dataclass, fields
from typing import Any, ClassVar

from testbed.core.errors import ProtocolError
from testbed.core.frozen import quick_init

__all__ = [
    "DEFAULT_ACK_TIMEOUT_S",
    "MAX_MESSAGE_BYTES",
    "PROTOCOL_VERSION",
    "Accept",
    "Ack",
    "AgentStatus",
    "Alarm",
    "Answer",
    "CallStarted",
    "CancelConsult",
    "CancelTimer",
    "CompleteTransfer",
    "Conference",
    "Conferenced",
    "Connected",
    "Consult",
    "Consulting",
    "Dial",
    "Disconnected",
    "EndAfterContactWork",
    "Error",
    "Hangup",
    "Held",
    "Hold",
    "Message",
    "Mute",
    "Muted",
    "Offered",
    "Prompt",
    "Queued",
    "Reject",
    "Resume",
    "Resumed",
    "Ringing",
    "Say",
    "SendDigits",
    "SetStatus",
    "SetTimer",
    "Transfer",
    "Transferred",
    "Unmute",
    "Unmuted",
    "decode",
    "decode_stamped",
    "encode",
    "is_phone_number",
]

PROTOCOL_VERSION = 1
MAX_MESSAGE_BYTES = 64 * 1024
#: Real seconds an endpoint connected with ``ack=1`` has to acknowledge each message.
DEFAULT_ACK_TIMEOUT_S = 30.0
MAX_TEXT_CHARS = 4096
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")


def is_phone_number(text: str) -> bool:
    """True if ``text`` is an E.164 phone number: ``+`` and up to 15 digits, no leading 0."""
    return _E164.fullmatch(text) is not None
#: Who a mute or unmute acts on: the agent's own microphone, or the customer's audio.
MUTE_PARTICIPANTS = ("agent", "customer")


@dataclass(frozen=True, slots=True)
class Message:
    """Base of all messages; ``type`` is the wire tag of the concrete class."""

    type: ClassVar[str] = ""


# -- endpoint -> switchboard ----------------------------------------------
@quick_init
@dataclass(frozen=True, slots=True)
class Dial(Message):
    """A caller dials ``to``; the switchboard answers with CallStarted."""

    type: ClassVar[str] = "dial"
    to: str


@quick_init
@dataclass(frozen=True, slots=True)
class SendDigits(Message):
    """A caller presses DTMF digits on a contact."""

    type: ClassVar[str] = "send_digits"
    contact_id: str
    digits: str


@quick_init
@dataclass(frozen=True, slots=True)
class Say(Message):
    """A caller says ``text`` on a contact (text in place of speech, for a Lex bot).

    On the wire ``text`` must hold more than white space.
    """

    type: ClassVar[str] = "say"
    contact_id: str
    text: str


@quick_init
@dataclass(frozen=True, slots=True)
class Answer(Message):
    """A caller answers a ringing contact (a callback dial-out)."""

    type: ClassVar[str] = "answer"
    contact_id: str


@quick_init
@dataclass(frozen=True, slots=True)
class Hangup(Message):
    """A caller or agent hangs up a contact."""

    type: ClassVar[str] = "hangup"
    contact_id: str


@quick_init
@dataclass(frozen=True, slots=True)
class SetStatus(Message):
    """An agent sets their status: "Available" or "Offline"."""

    type: ClassVar[str] = "set_status"
    status: str


@quick_init
@dataclass(frozen=True, slots=True)
class Accept(Message):
    """An agent accepts the contact offered to them."""

    type: ClassVar[str] = "accept"
    contact_id: str


@quick_init
@dataclass(frozen=True, slots=True)
class Reject(Message):
    """An agent rejects the contact offered to them."""

    type: ClassVar[str] = "reject"
    contact_id: str


@quick_init
@dataclass(frozen=True, slots=True)
class EndAfterContactWork(Message):
    """An agent ends after-contact work and becomes available again."""

    type: ClassVar[str] = "end_after_contact_work"
    contact_id: str


@quick_init
@dataclass(frozen=True, slots=True)
class Hold(Message):
    """An agent puts the customer of their connected contact on hold."""

    type: ClassVar[str] = "hold"
    contact_id: str


@quick_init
@dataclass(frozen=True, slots=True)
class Resume(Message):
    """An agent takes the customer of their contact off hold: they talk again."""

    type: ClassVar[str] = "resume"
    contact_id: str


@quick_init
@dataclass(frozen=True, slots=True)
class Mute(Message):
    """An agent mutes ``participant`` on their connected contact: ``"agent"`` (their own
    microphone, the default) or ``"customer"`` (the customer's audio to the agent)."""

    type: ClassVar[str] = "mute"
    contact_id: str
    participant: str = "agent"


@quick_init
@dataclass(frozen=True, slots=True)
class Unmute(Message):
    """An agent unmutes ``participant`` (``"agent"`` or ``"customer"``) on their contact."""

    type: ClassVar[str] = "unmute"
    contact_id: str
    participant: str = "agent"


@quick_init
@dataclass(frozen=True, slots=True)
class Transfer(Message):
    """An agent transfers their connected contact (cold) with the quick connect named
    ``quick_connect``: to a queue, to an agent, or to an outside number."""

    type: ClassVar[str] = "transfer"
    contact_id: str
    quick_connect: str


@quick_init
@dataclass(frozen=True, slots=True)
class Consult(Message):
    """An agent holds the customer of their connected contact and calls the quick connect
    named ``quick_connect`` on a new leg (a consult: a warm transfer or a conference)."""

    type: ClassVar[str] = "consult"
    contact_id: str
    quick_connect: str


@quick_init
@dataclass(frozen=True, slots=True)
class CompleteTransfer(Message):
    """The consulting agent leaves: customer and second party talk on the consult leg."""

    type: ClassVar[str] = "complete_transfer"
    contact_id: str


@quick_init
@dataclass(frozen=True, slots=True)
class Conference(Message):
    """The consulting agent joins customer, themselves and the second party."""

    type: ClassVar[str] = "conference"
    contact_id: str


@quick_init
@dataclass(frozen=True, slots=True)
class CancelConsult(Message):
    """The consulting agent drops the consult leg and takes the customer off hold."""

    type: ClassVar[str] = "cancel_consult"
    contact_id: str


# -- switchboard -> endpoint ------------------------------------------------
@quick_init
@dataclass(frozen=True, slots=True)
class CallStarted(Message):
    """The switchboard took a Dial: ``contact_id`` names the new contact."""

    type: ClassVar[str] = "call_started"
    contact_id: str
    to: str


@quick_init
@dataclass(frozen=True, slots=True)
class Prompt(Message):
    """A prompt starts playing to this participant for ``duration_s`` seconds.

    ``collects_input`` is true while the flow listens (digits, or words for a
    bot); ``voice`` is the text-to-speech voice a flow chose, if it chose one.
    """

    type: ClassVar[str] = "prompt"
    contact_id: str
    text: str
    duration_s: float
    collects_input: bool = False
    voice: str | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class Queued(Message):
    """The contact waits in ``queue``."""

    type: ClassVar[str] = "queued"
    contact_id: str
    queue: str


@quick_init
@dataclass(frozen=True, slots=True)
class Ringing(Message):
    """An outbound call (a callback) rings this caller; reply with Answer."""

    type: ClassVar[str] = "ringing"
    contact_id: str
    caller_id: str


@quick_init
@dataclass(frozen=True, slots=True)
class Offered(Message):
    """A contact is offered to this agent; reply with Accept or Reject."""

    type: ClassVar[str] = "offered"
    contact_id: str
    queue: str
    initiation_method: str
    timeout_s: float


@quick_init
@dataclass(frozen=True, slots=True)
class Connected(Message):
    """Customer and agent are joined on the contact."""

    type: ClassVar[str] = "connected"
    contact_id: str
    peer: str


@quick_init
@dataclass(frozen=True, slots=True)
class Disconnected(Message):
    """The contact ended for this participant, for ``reason``."""

    type: ClassVar[str] = "disconnected"
    contact_id: str
    reason: str


@quick_init
@dataclass(frozen=True, slots=True)
class AgentStatus(Message):
    """The agent's state changed (Available, Offline, Busy, AfterContactWork, Missed)."""

    type: ClassVar[str] = "agent_status"
    state: str
    contact_id: str | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class Error(Message):
    """A message was refused; ``detail`` says why, ``field`` names the field if any."""

    type: ClassVar[str] = "error"
    code: str
    detail: str
    field: str | None = None
    contact_id: str | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class Held(Message):
    """The customer of the contact is on hold now (sent to the customer and the agent)."""

    type: ClassVar[str] = "held"
    contact_id: str


@quick_init
@dataclass(frozen=True, slots=True)
class Resumed(Message):
    """The hold is over: customer and agent talk again (sent to both)."""

    type: ClassVar[str] = "resumed"
    contact_id: str


@quick_init
@dataclass(frozen=True, slots=True)
class Muted(Message):
    """``participant`` (``"agent"`` or ``"customer"``) is muted now (sent to both)."""

    type: ClassVar[str] = "muted"
    contact_id: str
    participant: str


@quick_init
@dataclass(frozen=True, slots=True)
class Unmuted(Message):
    """``participant`` is heard again (sent to both)."""

    type: ClassVar[str] = "unmuted"
    contact_id: str
    participant: str


@quick_init
@dataclass(frozen=True, slots=True)
class Transferred(Message):
    """The agent transferred the customer's contact to a queue or an agent: the call
    goes on, as the contact ``next_contact_id`` (sent to the customer)."""

    type: ClassVar[str] = "transferred"
    contact_id: str
    next_contact_id: str


@quick_init
@dataclass(frozen=True, slots=True)
class Consulting(Message):
    """The agent's consult of ``contact_id`` goes on as the leg ``next_contact_id``, which
    is offered, queued or rings now (sent to the consulting agent)."""

    type: ClassVar[str] = "consulting"
    contact_id: str
    next_contact_id: str


@quick_init
@dataclass(frozen=True, slots=True)
class Conferenced(Message):
    """Customer, consulting agent and second party of ``contact_id`` and its consult leg
    ``next_contact_id`` are joined (sent to all three)."""

    type: ClassVar[str] = "conferenced"
    contact_id: str
    next_contact_id: str


# -- remote endpoints: acknowledgements and timers on the testbed clock ----------
@quick_init
@dataclass(frozen=True, slots=True)
class Ack(Message):
    """The endpoint has handled one message (and sent what it answers with).

    Endpoints that connect with ``ack=1`` send one Ack per message they get;
    until then a virtual clock does not move, so their answers happen at the
    same testbed instant as the message they answer.
    """

    type: ClassVar[str] = "ack"


@quick_init
@dataclass(frozen=True, slots=True)
class SetTimer(Message):
    """Ask for an Alarm named ``ref`` at testbed time ``at_s`` (seconds since start)."""

    type: ClassVar[str] = "set_timer"
    ref: str
    at_s: float


@quick_init
@dataclass(frozen=True, slots=True)
class CancelTimer(Message):
    """Cancel the alarm named ``ref`` (no error if it already rang)."""

    type: ClassVar[str] = "cancel_timer"
    ref: str


@quick_init
@dataclass(frozen=True, slots=True)
class Alarm(Message):
    """The timer named ``ref`` is due now."""

    type: ClassVar[str] = "alarm"
    ref: str


# -- codec ---------------------------------------------------------------
_MESSAGE_TYPES: dict[str, type[Message]] = {
    cls.type: cls
    for cls in (Dial, SendDigits, Say, Answer, Hangup, SetStatus, Accept, Reject,
                EndAfterContactWork, Hold, Resume, Mute, Unmute, Transfer, Consult,
                CompleteTransfer, Conference, CancelConsult, CallStarted, Prompt,
                Queued, Ringing, Offered, Connected, Disconnected, Held, Resumed, Muted, Unmuted,
                Transferred, Consulting, Conferenced,
                AgentStatus, Error, Ack, SetTimer, CancelTimer, Alarm)
}


def _field_specs(cls: type[Message]) -> tuple[tuple[str, tuple[type, ...], bool], ...]:
    """(name, accepted JSON types, required) for each field of ``cls``."""
    hints = typing.get_type_hints(cls)
    specs = []
    for f in fields(cls):
        hint = hints[f.name]
        args = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        accepted = tuple(a for a in args if a is not type(None))
        if float in accepted:
            accepted = (*accepted, int)
        optional = type(None) in args
        required = f.default is MISSING and f.default_factory is MISSING
        specs.append((f.name, (*accepted, *((type(None),) if optional else ())), required))
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
_SPECS = {tag: _field_specs(cls) for tag, cls in _MESSAGE_TYPES.items()}


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
    cls = _MESSAGE_TYPES.get(tag) if isinstance(tag, str) else None
    if cls is None:
        raise ProtocolError(
            f"unknown message type {tag!r}; known: {', '.join(sorted(_MESSAGE_TYPES))}",
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

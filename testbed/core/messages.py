"""Messages between endpoints (callers, agents) and the switchboard.

Each message is a small class with a ``type`` tag (its wire name) and
read-only fields, set once by ``__init__``.  In-process lines pass them by
reference; the JSON codec (``testbed.core.wire``) is used only at the network
edge.  Two messages are equal when they are of one class with equal fields.

The classes are written out (``__slots__``, ``Final`` fields, a plain
``__init__``) rather than made by ``dataclass``: that form is the fastest to
build in the pure build and compiles to native classes in the compiled one
(see docs/speed.md).  Fields are read-only to mypy in both builds, and the
compiled build also refuses an assignment at run time.
"""

from __future__ import annotations

import inspect
import re
from typing import ClassVar, Final

__all__ = [
    "DEFAULT_ACK_TIMEOUT_S",
    "MAX_MESSAGE_BYTES",
    "MAX_TEXT_CHARS",
    "MUTE_PARTICIPANTS",
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
    "field_names",
    "is_phone_number",
]

PROTOCOL_VERSION: Final = 1
MAX_MESSAGE_BYTES: Final = 64 * 1024
#: Real seconds an endpoint connected with ``ack=1`` has to acknowledge each message.
DEFAULT_ACK_TIMEOUT_S: Final = 30.0
MAX_TEXT_CHARS: Final = 4096
_E164: Final = re.compile(r"\+[1-9][0-9]{1,14}")
#: Who a mute or unmute acts on: the agent's own microphone, or the customer's audio.
MUTE_PARTICIPANTS: Final = ("agent", "customer")


def is_phone_number(text: str) -> bool:
    """True if ``text`` is an E.164 phone number: ``+`` and up to 15 digits, no leading 0."""
    return _E164.fullmatch(text) is not None


_FIELD_NAMES: Final[dict[type, tuple[str, ...]]] = {}


def field_names(cls: type[Message]) -> tuple[str, ...]:
    """The fields of the message class ``cls``, in ``__init__``'s order."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(inspect.signature(cls).parameters)
    return names


class Message:
    """Base of all messages; ``type`` is the wire tag of the concrete class."""

    type: ClassVar[str] = ""
    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self), self._values()))

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in field_names(type(self)))
        return f"{type(self).__name__}({inner})"

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in field_names(type(self)))


# -- endpoint -> switchboard ----------------------------------------------
class Dial(Message):
    """A caller dials ``to``; the switchboard answers with CallStarted."""

    type: ClassVar[str] = "dial"
    __slots__ = ("to",)
    to: Final[str]

    def __init__(self, to: str) -> None:
        self.to = to


class SendDigits(Message):
    """A caller presses DTMF digits on a contact."""

    type: ClassVar[str] = "send_digits"
    __slots__ = ("contact_id", "digits")
    contact_id: Final[str]
    digits: Final[str]

    def __init__(self, contact_id: str, digits: str) -> None:
        self.contact_id = contact_id
        self.digits = digits


class Say(Message):
    """A caller says ``text`` on a contact (text in place of speech, for a Lex bot).

    On the wire ``text`` must hold more than white space.
    """

    type: ClassVar[str] = "say"
    __slots__ = ("contact_id", "text")
    contact_id: Final[str]
    text: Final[str]

    def __init__(self, contact_id: str, text: str) -> None:
        self.contact_id = contact_id
        self.text = text


class Answer(Message):
    """A caller answers a ringing contact (a callback dial-out)."""

    type: ClassVar[str] = "answer"
    __slots__ = ("contact_id",)
    contact_id: Final[str]

    def __init__(self, contact_id: str) -> None:
        self.contact_id = contact_id


class Hangup(Message):
    """A caller or agent hangs up a contact."""

    type: ClassVar[str] = "hangup"
    __slots__ = ("contact_id",)
    contact_id: Final[str]

    def __init__(self, contact_id: str) -> None:
        self.contact_id = contact_id


class SetStatus(Message):
    """An agent sets their status: "Available" or "Offline"."""

    type: ClassVar[str] = "set_status"
    __slots__ = ("status",)
    status: Final[str]

    def __init__(self, status: str) -> None:
        self.status = status


class Accept(Message):
    """An agent accepts the contact offered to them."""

    type: ClassVar[str] = "accept"
    __slots__ = ("contact_id",)
    contact_id: Final[str]

    def __init__(self, contact_id: str) -> None:
        self.contact_id = contact_id


class Reject(Message):
    """An agent rejects the contact offered to them."""

    type: ClassVar[str] = "reject"
    __slots__ = ("contact_id",)
    contact_id: Final[str]

    def __init__(self, contact_id: str) -> None:
        self.contact_id = contact_id


class EndAfterContactWork(Message):
    """An agent ends after-contact work and becomes available again."""

    type: ClassVar[str] = "end_after_contact_work"
    __slots__ = ("contact_id",)
    contact_id: Final[str]

    def __init__(self, contact_id: str) -> None:
        self.contact_id = contact_id


class Hold(Message):
    """An agent puts the customer of their connected contact on hold."""

    type: ClassVar[str] = "hold"
    __slots__ = ("contact_id",)
    contact_id: Final[str]

    def __init__(self, contact_id: str) -> None:
        self.contact_id = contact_id


class Resume(Message):
    """An agent takes the customer of their contact off hold: they talk again."""

    type: ClassVar[str] = "resume"
    __slots__ = ("contact_id",)
    contact_id: Final[str]

    def __init__(self, contact_id: str) -> None:
        self.contact_id = contact_id


class Mute(Message):
    """An agent mutes ``participant`` on their connected contact: ``"agent"`` (their own
    microphone, the default) or ``"customer"`` (the customer's audio to the agent)."""

    type: ClassVar[str] = "mute"
    __slots__ = ("contact_id", "participant")
    contact_id: Final[str]
    participant: Final[str]

    def __init__(self, contact_id: str, participant: str = 'agent') -> None:
        self.contact_id = contact_id
        self.participant = participant


class Unmute(Message):
    """An agent unmutes ``participant`` (``"agent"`` or ``"customer"``) on their contact."""

    type: ClassVar[str] = "unmute"
    __slots__ = ("contact_id", "participant")
    contact_id: Final[str]
    participant: Final[str]

    def __init__(self, contact_id: str, participant: str = 'agent') -> None:
        self.contact_id = contact_id
        self.participant = participant


class Transfer(Message):
    """An agent transfers their connected contact (cold) with the quick connect named
    ``quick_connect``: to a queue, to an agent, or to an outside number."""

    type: ClassVar[str] = "transfer"
    __slots__ = ("contact_id", "quick_connect")
    contact_id: Final[str]
    quick_connect: Final[str]

    def __init__(self, contact_id: str, quick_connect: str) -> None:
        self.contact_id = contact_id
        self.quick_connect = quick_connect


class Consult(Message):
    """An agent holds the customer of their connected contact and calls the quick connect
    named ``quick_connect`` on a new leg (a consult: a warm transfer or a conference)."""

    type: ClassVar[str] = "consult"
    __slots__ = ("contact_id", "quick_connect")
    contact_id: Final[str]
    quick_connect: Final[str]

    def __init__(self, contact_id: str, quick_connect: str) -> None:
        self.contact_id = contact_id
        self.quick_connect = quick_connect


class CompleteTransfer(Message):
    """The consulting agent leaves: customer and second party talk on the consult leg."""

    type: ClassVar[str] = "complete_transfer"
    __slots__ = ("contact_id",)
    contact_id: Final[str]

    def __init__(self, contact_id: str) -> None:
        self.contact_id = contact_id


class Conference(Message):
    """The consulting agent joins customer, themselves and the second party."""

    type: ClassVar[str] = "conference"
    __slots__ = ("contact_id",)
    contact_id: Final[str]

    def __init__(self, contact_id: str) -> None:
        self.contact_id = contact_id


class CancelConsult(Message):
    """The consulting agent drops the consult leg and takes the customer off hold."""

    type: ClassVar[str] = "cancel_consult"
    __slots__ = ("contact_id",)
    contact_id: Final[str]

    def __init__(self, contact_id: str) -> None:
        self.contact_id = contact_id


# -- switchboard -> endpoint ------------------------------------------------
class CallStarted(Message):
    """The switchboard took a Dial: ``contact_id`` names the new contact."""

    type: ClassVar[str] = "call_started"
    __slots__ = ("contact_id", "to")
    contact_id: Final[str]
    to: Final[str]

    def __init__(self, contact_id: str, to: str) -> None:
        self.contact_id = contact_id
        self.to = to


class Prompt(Message):
    """A prompt starts playing to this participant for ``duration_s`` seconds.

    ``collects_input`` is true while the flow listens (digits, or words for a
    bot); ``voice`` is the text-to-speech voice a flow chose, if it chose one.
    """

    type: ClassVar[str] = "prompt"
    __slots__ = ("collects_input", "contact_id", "duration_s", "text", "voice")
    contact_id: Final[str]
    text: Final[str]
    duration_s: Final[float]
    collects_input: Final[bool]
    voice: Final[str | None]

    def __init__(self, contact_id: str, text: str, duration_s: float, collects_input: bool = False,
                 voice: str | None = None) -> None:
        self.contact_id = contact_id
        self.text = text
        self.duration_s = duration_s
        self.collects_input = collects_input
        self.voice = voice


class Queued(Message):
    """The contact waits in ``queue``."""

    type: ClassVar[str] = "queued"
    __slots__ = ("contact_id", "queue")
    contact_id: Final[str]
    queue: Final[str]

    def __init__(self, contact_id: str, queue: str) -> None:
        self.contact_id = contact_id
        self.queue = queue


class Ringing(Message):
    """An outbound call (a callback) rings this caller; reply with Answer."""

    type: ClassVar[str] = "ringing"
    __slots__ = ("caller_id", "contact_id")
    contact_id: Final[str]
    caller_id: Final[str]

    def __init__(self, contact_id: str, caller_id: str) -> None:
        self.contact_id = contact_id
        self.caller_id = caller_id


class Offered(Message):
    """A contact is offered to this agent; reply with Accept or Reject."""

    type: ClassVar[str] = "offered"
    __slots__ = ("contact_id", "initiation_method", "queue", "timeout_s")
    contact_id: Final[str]
    queue: Final[str]
    initiation_method: Final[str]
    timeout_s: Final[float]

    def __init__(self, contact_id: str, queue: str, initiation_method: str,
                 timeout_s: float) -> None:
        self.contact_id = contact_id
        self.queue = queue
        self.initiation_method = initiation_method
        self.timeout_s = timeout_s


class Connected(Message):
    """Customer and agent are joined on the contact."""

    type: ClassVar[str] = "connected"
    __slots__ = ("contact_id", "peer")
    contact_id: Final[str]
    peer: Final[str]

    def __init__(self, contact_id: str, peer: str) -> None:
        self.contact_id = contact_id
        self.peer = peer


class Disconnected(Message):
    """The contact ended for this participant, for ``reason``."""

    type: ClassVar[str] = "disconnected"
    __slots__ = ("contact_id", "reason")
    contact_id: Final[str]
    reason: Final[str]

    def __init__(self, contact_id: str, reason: str) -> None:
        self.contact_id = contact_id
        self.reason = reason


class AgentStatus(Message):
    """The agent's state changed (Available, Offline, Busy, AfterContactWork, Missed)."""

    type: ClassVar[str] = "agent_status"
    __slots__ = ("contact_id", "state")
    state: Final[str]
    contact_id: Final[str | None]

    def __init__(self, state: str, contact_id: str | None = None) -> None:
        self.state = state
        self.contact_id = contact_id


class Error(Message):
    """A message was refused; ``detail`` says why, ``field`` names the field if any."""

    type: ClassVar[str] = "error"
    __slots__ = ("code", "contact_id", "detail", "field")
    code: Final[str]
    detail: Final[str]
    field: Final[str | None]
    contact_id: Final[str | None]

    def __init__(self, code: str, detail: str, field: str | None = None,
                 contact_id: str | None = None) -> None:
        self.code = code
        self.detail = detail
        self.field = field
        self.contact_id = contact_id


class Held(Message):
    """The customer of the contact is on hold now (sent to the customer and the agent)."""

    type: ClassVar[str] = "held"
    __slots__ = ("contact_id",)
    contact_id: Final[str]

    def __init__(self, contact_id: str) -> None:
        self.contact_id = contact_id


class Resumed(Message):
    """The hold is over: customer and agent talk again (sent to both)."""

    type: ClassVar[str] = "resumed"
    __slots__ = ("contact_id",)
    contact_id: Final[str]

    def __init__(self, contact_id: str) -> None:
        self.contact_id = contact_id


class Muted(Message):
    """``participant`` (``"agent"`` or ``"customer"``) is muted now (sent to both)."""

    type: ClassVar[str] = "muted"
    __slots__ = ("contact_id", "participant")
    contact_id: Final[str]
    participant: Final[str]

    def __init__(self, contact_id: str, participant: str) -> None:
        self.contact_id = contact_id
        self.participant = participant


class Unmuted(Message):
    """``participant`` is heard again (sent to both)."""

    type: ClassVar[str] = "unmuted"
    __slots__ = ("contact_id", "participant")
    contact_id: Final[str]
    participant: Final[str]

    def __init__(self, contact_id: str, participant: str) -> None:
        self.contact_id = contact_id
        self.participant = participant


class Transferred(Message):
    """The agent transferred the customer's contact to a queue or an agent: the call
    goes on, as the contact ``next_contact_id`` (sent to the customer)."""

    type: ClassVar[str] = "transferred"
    __slots__ = ("contact_id", "next_contact_id")
    contact_id: Final[str]
    next_contact_id: Final[str]

    def __init__(self, contact_id: str, next_contact_id: str) -> None:
        self.contact_id = contact_id
        self.next_contact_id = next_contact_id


class Consulting(Message):
    """The agent's consult of ``contact_id`` goes on as the leg ``next_contact_id``, which
    is offered, queued or rings now (sent to the consulting agent)."""

    type: ClassVar[str] = "consulting"
    __slots__ = ("contact_id", "next_contact_id")
    contact_id: Final[str]
    next_contact_id: Final[str]

    def __init__(self, contact_id: str, next_contact_id: str) -> None:
        self.contact_id = contact_id
        self.next_contact_id = next_contact_id


class Conferenced(Message):
    """Customer, consulting agent and second party of ``contact_id`` and its consult leg
    ``next_contact_id`` are joined (sent to all three)."""

    type: ClassVar[str] = "conferenced"
    __slots__ = ("contact_id", "next_contact_id")
    contact_id: Final[str]
    next_contact_id: Final[str]

    def __init__(self, contact_id: str, next_contact_id: str) -> None:
        self.contact_id = contact_id
        self.next_contact_id = next_contact_id


# -- remote endpoints: acknowledgements and timers on the testbed clock ----------
class Ack(Message):
    """The endpoint has handled one message (and sent what it answers with).

    Endpoints that connect with ``ack=1`` send one Ack per message they get;
    until then a virtual clock does not move, so their answers happen at the
    same testbed instant as the message they answer.
    """

    type: ClassVar[str] = "ack"
    __slots__ = ()

    def __init__(self) -> None:
        pass  # no fields: one Ack is like another


class SetTimer(Message):
    """Ask for an Alarm named ``ref`` at testbed time ``at_s`` (seconds since start)."""

    type: ClassVar[str] = "set_timer"
    __slots__ = ("at_s", "ref")
    ref: Final[str]
    at_s: Final[float]

    def __init__(self, ref: str, at_s: float) -> None:
        self.ref = ref
        self.at_s = at_s


class CancelTimer(Message):
    """Cancel the alarm named ``ref`` (no error if it already rang)."""

    type: ClassVar[str] = "cancel_timer"
    __slots__ = ("ref",)
    ref: Final[str]

    def __init__(self, ref: str) -> None:
        self.ref = ref


class Alarm(Message):
    """The timer named ``ref`` is due now."""

    type: ClassVar[str] = "alarm"
    __slots__ = ("ref",)
    ref: Final[str]

    def __init__(self, ref: str) -> None:
        self.ref = ref


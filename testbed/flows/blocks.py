"""Flow blocks: the data a flow is made of.

A block has an ``id``, parameters, and transitions: ``next`` (the block that
follows on success, None to end the flow), ``conditions`` on the blocks that
branch, and ``errors`` mapping an error name to a block id.  Error names
follow Amazon Connect's flow language (``InputTimeLimitExceeded``,
``NoMatchingCondition``, ``QueueAtCapacity``, ``NoMatchingError`` as the
catch-all).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = [
    "OPERATORS",
    "Block",
    "CheckQueueStatus",
    "Compare",
    "Condition",
    "CreateCallback",
    "Disconnect",
    "Distribute",
    "EndFlow",
    "EventHook",
    "GetCustomerInput",
    "HandOver",
    "Loop",
    "LoopPrompts",
    "NotSimulated",
    "PlayPrompt",
    "SetAttributes",
    "SetEventHook",
    "SetWorkingQueue",
    "StoreCustomerInput",
    "TransferQueueToQueue",
    "TransferToFlow",
    "TransferToQueue",
    "UpdateContact",
    "Wait",
    "condition_branches",
    "spoken_seconds",
    "strip_markup",
]

MAX_CALLBACK_DELAY_S = 259_200.0
#: Speaking rate for prompts given as text without a duration: 150 words a minute.
WORDS_PER_SECOND = 150 / 60
_BREAK = re.compile(r"<break\s+time\s*=\s*[\"']([\d.]+)\s*(ms|s)[\"']\s*/?>", re.I)
_TAG = re.compile(r"<[^>]+>")


def strip_markup(text: str) -> str:
    """``text`` without SSML tags (what a listener hears)."""
    return _TAG.sub(" ", text).strip()


def spoken_seconds(text: str) -> float:
    """How long ``text`` (plain or SSML) takes to say: words at WORDS_PER_SECOND,
    plus any ``<break time="..."/>``."""
    pauses = sum(float(n) / (1000 if unit.lower() == "ms" else 1)
                 for n, unit in _BREAK.findall(text))
    return round(len(strip_markup(text).split()) / WORDS_PER_SECOND + pauses, 3)


class EventHook(StrEnum):
    """Flows a contact can carry, set by SetEventHook."""

    CUSTOMER_QUEUE = "CustomerQueue"    # runs while the contact waits in queue
    AGENT_WHISPER = "AgentWhisper"      # plays to the agent after they accept
    CUSTOMER_WHISPER = "CustomerWhisper"  # plays to the customer before joining
    CUSTOMER_HOLD = "CustomerHold"      # plays to the customer while an agent holds them
    AGENT_HOLD = "AgentHold"            # plays to that agent while the customer is on hold


@dataclass(frozen=True, slots=True, kw_only=True)
class Block:
    id: str
    next: str | None = None
    errors: Mapping[str, str] = field(default_factory=dict)

    def branches(self) -> Iterator[tuple[str, str]]:
        """Every transition as (label, block id): ``next``, ``=VALUE`` for a
        condition, ``error:NAME`` for an error (what flow coverage counts)."""
        if self.next is not None:
            yield "next", self.next
        for name, target in self.errors.items():
            yield f"error:{name}", target

    def targets(self) -> Iterator[str]:
        """Every block id this block can transition to."""
        return (target for _label, target in self.branches())


@dataclass(frozen=True, slots=True, kw_only=True)
class PlayPrompt(Block):
    """Play ``text`` to the participant for ``duration_s`` seconds, then go on.

    Without ``duration_s`` the prompt lasts as long as the text takes to say
    (``spoken_seconds``: 150 words a minute plus SSML breaks).
    """

    text: str = ""
    duration_s: float | None = None

    def length_s(self) -> float:
        return spoken_seconds(self.text) if self.duration_s is None else self.duration_s


@dataclass(frozen=True, slots=True, kw_only=True)
class GetCustomerInput(Block):
    """Play ``text`` (``duration_s``, or as long as it takes to say), listening for digits
    until ``timeout_s`` after it.

    Digits pressed during the prompt count.  Digits that match a key of
    ``conditions`` go to its block; others take ``NoMatchingCondition``; no
    digits take ``InputTimeLimitExceeded``.
    """

    text: str = ""
    duration_s: float | None = None
    timeout_s: float = 5.0
    conditions: Mapping[str, str] = field(default_factory=dict)

    def length_s(self) -> float:
        return spoken_seconds(self.text) if self.duration_s is None else self.duration_s

    def branches(self) -> Iterator[tuple[str, str]]:
        yield from Block.branches(self)
        for digits, target in self.conditions.items():
            yield f"={digits}", target


@dataclass(frozen=True, slots=True, kw_only=True)
class SetAttributes(Block):
    """Set contact attributes (they appear in the record's Attributes)."""

    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class SetWorkingQueue(Block):
    """Choose the queue that TransferToQueue and CreateCallback use (a name, or a
    reference such as ``$.Attributes.queue``).  With ``agent``, ``queue`` names an
    agent, and the working queue is that agent's own queue (``agent/USERNAME``)."""

    queue: str = ""
    agent: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class HandOver(Block):
    """A block whose flow ends when it succeeds (the contact is queued or moved).

    ``next`` (which Connect's exports fill in) is no branch it can take; it
    stays a target, so it must name a block and keeps that block reachable."""

    def branches(self) -> Iterator[tuple[str, str]]:
        for name, target in self.errors.items():
            yield f"error:{name}", target

    def targets(self) -> Iterator[str]:
        if self.next is not None:
            yield self.next
        yield from self.errors.values()


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferToQueue(HandOver):
    """Put the contact in its working queue; the flow ends and the
    customer-queue flow takes over.  ``QueueAtCapacity`` if it is full."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferQueueToQueue(HandOver):
    """In a customer-queue flow, move the waiting contact to ``queue`` (Connect's
    DequeueContactAndTransferToQueue; ``agent``: the queue names an agent, whose
    own queue ``agent/USERNAME`` it goes to).

    The contact leaves its queue and ends; a new contact (InitiationMethod
    QUEUE_TRANSFER, PreviousContactId the first) waits in ``queue``, and the
    flow is over.  A contact that is not waiting in a queue, or offered to an
    agent now, or an unknown queue or agent: ``NoMatchingError``.
    ``QueueAtCapacity`` never happens (queues are unbounded)."""

    queue: str = ""
    agent: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class SetEventHook(Block):
    """Set the flow that runs for ``hook`` (customer queue, whispers, holds)."""

    hook: str = EventHook.CUSTOMER_QUEUE
    flow: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateCallback(Block):
    """Create a callback contact for this customer in ``queue`` (None: the working queue).

    The callback waits ``initial_delay_s`` (0..259200) as scheduled, then
    queues.  A dial-out nobody answers is tried again after
    ``retry_interval_s``, up to ``max_retries`` more times.
    """

    queue: str | None = None
    initial_delay_s: float = 0.0
    max_retries: int = 0
    retry_interval_s: float = 600.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Disconnect(Block):
    """Hang up the contact (DisconnectReason CONTACT_FLOW_DISCONNECT)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EndFlow(Block):
    """End this flow; what happens next is up to whoever started it."""


#: Condition operators of Amazon Connect's flow language.
OPERATORS = ("Equals", "TextStartsWith", "TextEndsWith", "TextContains", "NumberGreaterThan",
             "NumberGreaterOrEqualTo", "NumberLessThan", "NumberLessOrEqualTo")


@dataclass(frozen=True, slots=True)
class Condition:
    """``value <operator> operand`` goes to ``target``; the first true condition wins."""

    operator: str
    operand: str
    target: str

    def holds(self, value: object) -> bool:
        text = "" if value is None else str(value)
        op = self.operator
        if op == "Equals":
            if text == self.operand:
                return True
            return _number(text) is not None and _number(text) == _number(self.operand)
        if op == "TextStartsWith":
            return text.startswith(self.operand)
        if op == "TextEndsWith":
            return text.endswith(self.operand)
        if op == "TextContains":
            return self.operand in text
        left, right = _number(text), _number(self.operand)
        if left is None or right is None:
            return False
        return {"NumberGreaterThan": left > right, "NumberGreaterOrEqualTo": left >= right,
                "NumberLessThan": left < right, "NumberLessOrEqualTo": left <= right}[op]


def condition_branches(conditions: tuple[Condition, ...]) -> Iterator[tuple[str, str]]:
    """Branch labels of conditions: ``=1``, or ``NumberLessThan 50`` for other operators."""
    for c in conditions:
        label = f"={c.operand}" if c.operator == "Equals" else f"{c.operator} {c.operand}"
        yield label, c.target


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Compare(Block):
    """Branch on a contact value: ``value`` is a path such as ``$.Attributes.tier``,
    ``$.Queue.Name``, ``$.CustomerEndpoint.Address`` or ``$.Channel``.
    No condition true: ``NoMatchingCondition``."""

    value: str = ""
    conditions: tuple[Condition, ...] = ()

    def branches(self) -> Iterator[tuple[str, str]]:
        yield from Block.branches(self)
        yield from condition_branches(self.conditions)


@dataclass(frozen=True, slots=True, kw_only=True)
class Loop(Block):
    """Go to ``loop`` the first ``count`` times through, then to ``next`` (and start over)."""

    count: int = 1
    loop: str | None = None

    def branches(self) -> Iterator[tuple[str, str]]:
        yield from Block.branches(self)
        if self.loop is not None:
            yield "loop", self.loop


@dataclass(frozen=True, slots=True, kw_only=True)
class Wait(Block):
    """Wait ``duration_s`` seconds, then go on."""

    duration_s: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckQueueStatus(Block):
    """Branch on a queue metric (Connect's CheckMetricData).

    ``metric``: NumberOfContactsInQueue, OldestContactInQueueAgeSeconds,
    NumberOfAgentsAvailable, NumberOfAgentsStaffed or NumberOfAgentsOnline,
    of ``queue`` (None: the working queue).  No condition true:
    ``NoMatchingCondition``.
    """

    metric: str = "NumberOfContactsInQueue"
    queue: str | None = None
    conditions: tuple[Condition, ...] = ()

    def branches(self) -> Iterator[tuple[str, str]]:
        yield from Block.branches(self)
        yield from condition_branches(self.conditions)


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferToFlow(Block):
    """Continue in another flow, from its start (``NoMatchingError`` if it is unknown)."""

    flow: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreCustomerInput(Block):
    """Play ``text``, then collect digits into ``$.StoredCustomerInput`` (Connect's
    GetParticipantInput with StoreInput "True").

    Input ends at ``terminator`` (not stored), at ``max_digits`` digits, or
    ``timeout_s`` after the prompt or the last digit; nothing entered stores
    ``Timeout``.  Then ``next``; with ``phone_format`` ("E164" or "Local" with
    ``country_code``) a value that is not such a number takes ``InvalidPhoneNumber``.
    """

    text: str = ""
    duration_s: float | None = None
    timeout_s: float = 5.0
    max_digits: int = 20
    terminator: str = "#"
    phone_format: str | None = None
    country_code: str | None = None

    def length_s(self) -> float:
        return spoken_seconds(self.text) if self.duration_s is None else self.duration_s


@dataclass(frozen=True, slots=True, kw_only=True)
class Distribute(Block):
    """Branch at random (seeded): a whole number from 1 to 100 is drawn and the first
    condition it meets wins (Connect's DistributeByPercentage: ``NumberLessThan``
    on running totals); none: ``NoMatchingCondition``."""

    conditions: tuple[Condition, ...] = ()

    def branches(self) -> Iterator[tuple[str, str]]:
        yield from Block.branches(self)
        yield from condition_branches(self.conditions)


@dataclass(frozen=True, slots=True, kw_only=True)
class LoopPrompts(Block):
    """Play ``prompts`` (text, seconds or None: as long as it takes to say) in a loop;
    with ``interrupt_s``, go to ``interrupted`` every that many seconds (Connect's
    MessageParticipantIteratively and its MessagesInterrupted condition)."""

    prompts: tuple[tuple[str, float | None], ...] = ()
    interrupt_s: float | None = None
    interrupted: str | None = None

    def branches(self) -> Iterator[tuple[str, str]]:
        yield from Block.branches(self)
        if self.interrupted is not None:
            yield "=MessagesInterrupted", self.interrupted


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateContact(Block):
    """Change the contact as Connect's action ``action`` does (its Type, e.g.
    ``TagContact``, ``UpdateContactRecordingBehavior``) with its ``values``
    (references resolved when it runs); see docs/flows.md for each."""

    action: str = ""
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class NotSimulated(Block):
    """An action the testbed recognises but does not simulate (``action`` is its
    Connect Type): it takes its ``NoMatchingError`` branch."""

    action: str = ""

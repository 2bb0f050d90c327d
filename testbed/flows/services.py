"""Flow blocks that reach beyond the flow: Lambda functions, Lex bots, hours of
operation, tasks, outside numbers and flow modules.

Each waits in testbed time where Connect would (a Lambda's latency, a
caller's answer to a bot, a third party's ring) and takes Connect's error
branches when the service fails.  What they call is registered on the
testbed: ``tb.add_lambda``, ``tb.add_bot``, ``tb.add_hours``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from testbed.flows.blocks import Block, Condition, condition_branches, spoken_seconds

__all__ = ["CheckHours", "CreateTask", "EndModule", "GetBotInput", "InvokeLambda",
           "InvokeModule", "TransferToPhone"]


@dataclass(frozen=True, slots=True, kw_only=True)
class InvokeLambda(Block):
    """Call the Lambda stand-in ``function`` (name or ARN) with ``parameters``; its
    answer becomes ``$.External``.

    The flow waits the function's latency (testbed seconds); no answer within
    ``time_limit_s``, a raise or an invalid answer (``response_type``
    STRING_MAP or JSON) take ``NoMatchingError``.  ASYNCHRONOUS goes on at once
    and sets ``$.LambdaInvocation.InvocationId``.
    """

    function: str = ""
    parameters: Mapping[str, str] = field(default_factory=dict)
    time_limit_s: float = 3.0
    response_type: str = "STRING_MAP"
    invocation_type: str = "SYNCHRONOUS"


@dataclass(frozen=True, slots=True, kw_only=True)
class GetBotInput(Block):
    """Play ``text`` and let the Lex stand-in ``bot`` hear the caller's answer (said
    words, or digits); the intent it recognises picks the branch in ``intents``.

    ``$.Lex.*`` is set from the bot's answer.  An intent with no branch takes
    ``NoMatchingCondition``; no answer ``timeout_s`` after the prompt takes
    ``InputTimeLimitExceeded``; an unknown bot ``NoMatchingError``.
    """

    bot: str = ""
    text: str = ""
    duration_s: float | None = None
    timeout_s: float = 5.0
    session_attributes: Mapping[str, str] = field(default_factory=dict)
    intents: Mapping[str, str] = field(default_factory=dict)

    def length_s(self) -> float:
        return spoken_seconds(self.text) if self.duration_s is None else self.duration_s

    def branches(self) -> Iterator[tuple[str, str]]:
        yield from Block.branches(self)
        for intent, target in self.intents.items():
            yield f"={intent}", target


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckHours(Block):
    """Branch on whether ``hours`` (a name, id or ARN; None: the working queue's
    hours) are open now, in testbed time: conditions on ``True`` / ``False``.
    No such hours: ``NoMatchingError``."""

    hours: str | None = None
    conditions: tuple[Condition, ...] = ()

    def branches(self) -> Iterator[tuple[str, str]]:
        yield from Block.branches(self)
        yield from condition_branches(self.conditions)


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateTask(Block):
    """Create a TASK contact that runs ``flow`` (after ``delay_s``), with ``name``,
    ``description`` and ``attributes``; its RelatedContactId is this contact."""

    flow: str = ""
    name: str = ""
    description: str = ""
    attributes: Mapping[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferToPhone(Block):
    """Transfer the customer to the outside ``number`` (Connect's
    TransferParticipantToThirdParty).

    The number rings (a caller connected with that number may answer) for up
    to ``timeout_s``.  Answered: the contact records TransferredToEndpoint and
    TransferCompletedTimestamp, and customer and third party talk; with
    ``continue_flow`` the flow goes on at ``next`` once the third party hangs
    up, else the flow ends there.  Not answered: ``ConnectionTimeLimitExceeded``
    (``CallFailed`` if the number is not a phone number), or with
    ``continue_flow`` false the contact is disconnected.
    """

    number: str = ""
    timeout_s: float = 30.0
    continue_flow: bool = True
    caller_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InvokeModule(Block):
    """Run the flow module ``module`` (a flow ending in EndModule), then go on at
    ``next``.  Unknown module: ``NoMatchingError``."""

    module: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class EndModule(Block):
    """Return from a flow module to the flow that invoked it."""

"""The flow interpreter: runs a Flow against one contact.

A FlowRun executes blocks one after another within the same instant until a
block has to wait (a prompt plays, input is collected); then it holds one
timer handle and no task.  Everything a block does to the contact goes
through the FlowHost (the switchboard), so flows stay data.

A run ends at a block with no ``next``, at EndFlow, TransferToQueue or
Disconnect, or when stopped (the contact left the queue, hung up).  An
error with no transition for it fails the run; the host decides what that
means for the contact (the switchboard disconnects it).

Blocks that call a service the host runs in its own time (a Lambda, an
outside number ringing) leave the run waiting; the host calls ``proceed``
when the service is done.  Text parameters are interpolated with the
contact's values (``$.Attributes.name``) when a block runs.  With a
``coverage`` recorder, every transition taken is counted by its label
(``Block.branches``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, Final, Protocol

from testbed.core.clock import Cancellable
from testbed.flows.blocks import (
    Block,
    CheckQueueStatus,
    Compare,
    Condition,
    CreateCallback,
    Disconnect,
    Distribute,
    EndFlow,
    GetCustomerInput,
    Loop,
    LoopPrompts,
    NotSimulated,
    PlayPrompt,
    SetAttributes,
    SetEventHook,
    SetWorkingQueue,
    StoreCustomerInput,
    TransferQueueToQueue,
    TransferToFlow,
    TransferToQueue,
    UpdateContact,
    Wait,
    spoken_seconds,
)
from testbed.flows.flow import Flow
from testbed.flows.services import (
    CheckHours,
    CreateTask,
    EndModule,
    GetBotInput,
    InvokeLambda,
    InvokeModule,
    TransferToPhone,
)
from testbed.flows.values import interpolate, resolve
from testbed.flows.values import name_of as _last_segment

__all__ = ["Coverage", "FlowHost", "FlowRun", "Participant"]

# Blocks a run may execute in one instant before it is taken to loop forever.
MAX_STEPS_PER_INSTANT: Final = 10_000
# Flow modules invoked within one another, at most.
MAX_MODULE_DEPTH: Final = 10


class Participant(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"


# Members read on the hot path, as Final names: the compiled build reads these
# as constants (an enum class's attribute is a dictionary lookup there).
_PARTY_CUSTOMER: Final = Participant.CUSTOMER


class Coverage(Protocol):
    """Counts what runs: ``entered(flow, block id)`` as a block starts, and
    ``took(flow, block id, label)`` as it leaves by one of its ``branches()``
    (or by a label that is no branch: ``end``, ``queued``, ``disconnect``,
    ``return``)."""

    def entered(self, flow: str, block: str) -> None: ...
    def took(self, flow: str, block: str, label: str) -> None: ...


class FlowHost(Protocol):
    """What a running flow may do to its contact; the switchboard implements it.

    Methods that return ``str | None`` answer with an error name (the branch
    to take) or None for success.
    """

    def call_later(self, delay_s: float, callback: Callable[..., object],
                   *args: Any) -> Cancellable: ...
    def play_prompt(self, run: FlowRun, text: str, duration_s: float,
                    collects_input: bool) -> None: ...
    def set_attributes(self, contact: Any, attributes: dict[str, str]) -> None: ...
    def set_working_queue(self, contact: Any, queue: str) -> str | None: ...
    def transfer_to_queue(self, contact: Any) -> str | None: ...
    def transfer_queue_to_queue(self, contact: Any, queue: str) -> str | None: ...
    def set_event_hook(self, contact: Any, hook: str, flow: str) -> str | None: ...
    def create_callback(self, contact: Any, block: CreateCallback) -> str | None: ...
    def disconnect_from_flow(self, contact: Any) -> None: ...
    def contact_value(self, contact: Any, path: str) -> str | None: ...
    def queue_metric(self, contact: Any, metric: str, queue: str | None) -> float | None: ...
    def flow_named(self, name: str) -> Flow | None: ...
    def flow_ended(self, run: FlowRun) -> None: ...
    def flow_failed(self, run: FlowRun, problem: str) -> None: ...
    # Connect's other actions
    def update_contact(self, run: FlowRun, block: UpdateContact,
                       values: dict[str, Any]) -> str | None: ...
    def store_input(self, contact: Any, value: str) -> None: ...
    def percent(self) -> int: ...
    def hours_open(self, contact: Any, hours: str | None) -> bool | None: ...
    def invoke_lambda(self, run: FlowRun, block: InvokeLambda,
                      parameters: dict[str, str]) -> None: ...
    def recognize(self, run: FlowRun, block: GetBotInput, text: str) -> str | None: ...
    def create_task(self, run: FlowRun, block: CreateTask,
                    values: dict[str, Any]) -> str | None: ...
    def transfer_to_phone(self, run: FlowRun, block: TransferToPhone, number: str) -> None: ...
    def flow_action(self, run: FlowRun, block: Block, detail: Any) -> None: ...


_WAIT: Final = "\0wait"  # a block handler's answer: the run is waiting (or over)
_END: Final = "\0end"    # ... the flow is over without a transition (queued, disconnected)


class FlowRun:
    """One execution of ``flow`` for ``contact``, heard by ``participant``."""

    __slots__ = ("_buffer", "_coverage", "_label", "_loops", "_modules", "_timer", "_turn",
                 "block", "collecting", "contact", "done", "flow", "host", "participant")

    def __init__(self, host: FlowHost, flow: Flow, contact: Any,
                 participant: Participant = _PARTY_CUSTOMER,
                 coverage: Coverage | None = None) -> None:
        self.host = host
        self.flow = flow
        self.contact = contact
        self.participant = participant
        self.block: Block | None = None
        #: The block listening to the caller now (digits or words), if any.
        self.collecting: Block | None = None
        self.done = False
        self._timer: Cancellable | None = None
        self._loops: dict[str, int] | None = None
        self._coverage = coverage
        self._label: str | None = None
        self._buffer = ""  # digits a StoreCustomerInput has so far
        self._turn = 0     # LoopPrompts: which round of prompts is playing
        self._modules: list[tuple[Flow, str | None]] | None = None  # (flow, next) to return to

    def __repr__(self) -> str:
        at = self.block.id if self.block is not None else "-"
        return f"<FlowRun {self.flow.name!r} at {at!r}{' done' if self.done else ''}>"

    def start(self) -> None:
        self._run_from(self.flow.start)

    def stop(self) -> None:
        """End the run where it is, without taking any transition."""
        self.done = True
        self.collecting = None
        self._cancel_timer()

    def value(self, path: str) -> str | None:
        """The contact's value of a reference (``$.Attributes.x``)."""
        return self.host.contact_value(self.contact, path)

    def text(self, text: str) -> str:
        """``text`` with the contact's values in place of its references."""
        return interpolate(text, self.value)

    # -- input from the caller ---------------------------------------------
    def digits(self, digits: str) -> bool:
        """The customer pressed ``digits``; False if nothing is listening."""
        block = self.collecting
        if block is None or self.done:
            return False
        if isinstance(block, StoreCustomerInput):
            self._store_digits(block, digits)
            return True
        if isinstance(block, GetBotInput):
            self._heard(block, digits)
            return True
        assert isinstance(block, GetCustomerInput)
        self._stop_listening()
        target = block.conditions.get(digits)
        if target is None:
            self._jump(block, self._error(block, "NoMatchingCondition"))
        else:
            self._label = f"={digits}"
            self._jump(block, target)
        return True

    def speech(self, text: str) -> bool:
        """The customer said ``text``; False if no bot is listening."""
        block = self.collecting
        if not isinstance(block, GetBotInput) or self.done:
            return False
        self._heard(block, text)
        return True

    def proceed(self, error: str | None = None) -> None:
        """A service the current block waited for is done: go on at ``next``, or at
        the branch for ``error``."""
        if self.done or self.block is None:
            return
        block = self.block
        self._timer = None
        self._jump(block, block.next if error is None else self._error(block, error))

    # -- execution ----------------------------------------------------------
    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _stop_listening(self) -> None:
        self.collecting = None
        self._cancel_timer()

    def _resume(self, block_id: str | None) -> None:
        self._timer = None
        assert self.block is not None
        self._jump(self.block, block_id)

    def _timed_out(self, block: Block) -> None:
        self._timer = None
        self.collecting = None
        self._jump(block, self._error(block, "InputTimeLimitExceeded"))

    def _jump(self, block: Block, target: str | None) -> None:
        """Leave ``block`` (waiting until now) for ``target``."""
        if target is not _WAIT:
            self._went(block, self.flow.name)
        self._run_from(target)

    def _went(self, block: Block, flow: str) -> None:
        """Count the transition ``block`` of ``flow`` takes now (its label, or ``next``)."""
        label, self._label = self._label, None
        if self._coverage is not None:
            self._coverage.took(flow, block.id,
                                label or ("next" if block.next is not None else "end"))

    def _run_from(self, block_id: str | None) -> None:
        steps = 0
        while not self.done:
            if block_id is None:
                self._return_or_finish()
                if self._modules is None or self.done:
                    return
                block_id = self._pop_module()
                continue
            if block_id is _WAIT:
                return
            steps += 1
            if steps > MAX_STEPS_PER_INSTANT:
                self._fail(f"ran {MAX_STEPS_PER_INSTANT} blocks without waiting; "
                           f"it loops forever at block {block_id!r}")
                return
            flow = self.flow
            block = flow.blocks[block_id]
            self.block = block
            if self._coverage is not None:
                self._coverage.entered(flow.name, block_id)
            block_id = _HANDLERS[type(block)](self, block)
            if block_id is _END:
                return
            if block_id is not _WAIT:
                self._went(block, flow.name)

    def _return_or_finish(self) -> None:
        """The flow ran out of blocks: back to the invoking flow, or finished."""
        if not self._modules:
            self._modules = None
            self._finish()

    def _pop_module(self) -> str | None:
        assert self._modules
        flow, after = self._modules.pop()
        self.flow = flow
        self._loops = None
        return after

    def _error(self, block: Block, name: str) -> str:
        target = block.errors.get(name)
        if target is None:
            target = block.errors.get("NoMatchingError")
            name = "NoMatchingError"
        if target is None:
            self._fail(f"block {block.id!r} ({type(block).__name__}) raised {name} "
                       f"and has no transition for it")
            return _WAIT
        self._label = f"error:{name}"
        return target

    def _finish(self) -> None:
        self.done = True
        self.host.flow_ended(self)

    def _fail(self, problem: str) -> None:
        self.done = True
        self.host.flow_failed(self, f"flow {self.flow.name!r}: {problem}")

    def _play(self, text: str, length: float, collects: bool) -> None:
        self.host.play_prompt(self, self.text(text), length, collects)

    # -- block handlers: return the next block id, None to end, or _WAIT ------
    def _play_prompt(self, block: PlayPrompt) -> str | None:
        length = block.length_s()
        self._play(block.text, length, False)
        if length <= 0:
            return block.next
        self._timer = self.host.call_later(length, self._resume, block.next)
        return _WAIT

    def _get_customer_input(self, block: GetCustomerInput) -> str | None:
        self.collecting = block
        length = block.length_s()
        self._play(block.text, length, True)
        self._timer = self.host.call_later(length + block.timeout_s, self._timed_out, block)
        return _WAIT

    def _store_customer_input(self, block: StoreCustomerInput) -> str | None:
        self.collecting = block
        self._buffer = ""
        length = block.length_s()
        self._play(block.text, length, True)
        self._timer = self.host.call_later(length + block.timeout_s, self._input_over, block)
        return _WAIT

    def _store_digits(self, block: StoreCustomerInput, digits: str) -> None:
        self._cancel_timer()
        for digit in digits:
            if block.terminator and (self._buffer + digit).endswith(block.terminator):
                self._buffer = self._buffer[:len(self._buffer) + 1 - len(block.terminator)]
                self._input_over(block)
                return
            self._buffer += digit
            if len(self._buffer) >= block.max_digits:
                self._input_over(block)
                return
        self._timer = self.host.call_later(block.timeout_s, self._input_over, block)

    def _input_over(self, block: StoreCustomerInput) -> None:
        self._timer = None
        self.collecting = None
        value, self._buffer = self._buffer or "Timeout", ""
        self.host.store_input(self.contact, value)
        if block.phone_format is not None and value != "Timeout" \
                and not _phone_number(value, block.phone_format, block.country_code):
            self._jump(block, self._error(block, "InvalidPhoneNumber"))
            return
        self._jump(block, block.next)

    def _get_bot_input(self, block: GetBotInput) -> str | None:
        self.collecting = block
        length = block.length_s()
        self._play(block.text, length, True)
        self._timer = self.host.call_later(length + block.timeout_s, self._timed_out, block)
        return _WAIT

    def _heard(self, block: GetBotInput, text: str) -> None:
        self._stop_listening()
        intent = self.host.recognize(self, block, text)
        if intent is None:
            self._jump(block, self._error(block, "NoMatchingError"))
            return
        target = block.intents.get(intent)
        if target is None:
            self._jump(block, self._error(block, "NoMatchingCondition"))
            return
        self._label = f"={intent}"
        self._jump(block, target)

    def _set_attributes(self, block: SetAttributes) -> str | None:
        self.host.set_attributes(self.contact, {k: self.text(v)
                                                for k, v in block.attributes.items()})
        return block.next

    def _set_working_queue(self, block: SetWorkingQueue) -> str | None:
        queue = _last_segment(resolve(block.queue, self.value) or "")
        if block.agent:
            queue = f"agent/{queue}"
        error = self.host.set_working_queue(self.contact, queue)
        return block.next if error is None else self._error(block, error)

    def _transfer_to_queue(self, block: TransferToQueue) -> str | None:
        error = self.host.transfer_to_queue(self.contact)
        if error is not None:
            return self._error(block, error)
        self._label = "queued"
        self._went(block, self.flow.name)
        self.done = True  # the contact is queued: this flow is over
        self.host.flow_ended(self)
        return _END

    def _transfer_queue_to_queue(self, block: TransferQueueToQueue) -> str | None:
        queue = _last_segment(resolve(block.queue, self.value) or "")
        if block.agent:
            queue = f"agent/{queue}"
        self.done = True  # the contact ends on success; set first so its end stops nothing
        error = self.host.transfer_queue_to_queue(self.contact, queue)
        if error is not None:
            self.done = False
            return self._error(block, error)
        self._label = "queued"
        self._went(block, self.flow.name)
        return _END

    def _set_event_hook(self, block: SetEventHook) -> str | None:
        flow = resolve(block.flow, self.value) or ""
        error = self.host.set_event_hook(self.contact, block.hook, _last_segment(flow))
        return block.next if error is None else self._error(block, error)

    def _create_callback(self, block: CreateCallback) -> str | None:
        error = self.host.create_callback(self.contact, block)
        return block.next if error is None else self._error(block, error)

    def _disconnect(self, block: Disconnect) -> str | None:
        self._label = "disconnect"
        self._went(block, self.flow.name)
        self.done = True
        self.host.disconnect_from_flow(self.contact)
        return _END

    def _end_flow(self, block: EndFlow) -> str | None:
        return None

    def _branch(self, block: Block, conditions: tuple[Condition, ...], value: object) -> str:
        for condition in conditions:
            if condition.holds(value):
                self._label = (f"={condition.operand}" if condition.operator == "Equals"
                               else f"{condition.operator} {condition.operand}")
                return condition.target
        return self._error(block, "NoMatchingCondition")

    def _compare(self, block: Compare) -> str | None:
        return self._branch(block, block.conditions, self.value(block.value))

    def _check_queue_status(self, block: CheckQueueStatus) -> str | None:
        value = self.host.queue_metric(self.contact, block.metric, block.queue)
        if value is None:
            return self._error(block, "NoMatchingError")
        return self._branch(block, block.conditions, f"{value:g}")

    def _loop(self, block: Loop) -> str | None:
        loops = self._loops if self._loops is not None else {}
        self._loops = loops
        done = loops.get(block.id, 0)
        if done < block.count and block.loop is not None:
            loops[block.id] = done + 1
            self._label = "loop"
            return block.loop
        loops[block.id] = 0
        return block.next

    def _wait(self, block: Wait) -> str | None:
        if block.duration_s <= 0:
            return block.next
        self._timer = self.host.call_later(block.duration_s, self._resume, block.next)
        return _WAIT

    def _transfer_to_flow(self, block: TransferToFlow) -> str | None:
        flow = self.host.flow_named(_last_segment(resolve(block.flow, self.value) or ""))
        if flow is None:
            return self._error(block, "NoMatchingError")
        self.flow = flow
        self._loops = None
        self._modules = None
        return flow.start

    def _distribute(self, block: Distribute) -> str | None:
        return self._branch(block, block.conditions, str(self.host.percent()))

    def _loop_prompts(self, block: LoopPrompts) -> str | None:
        if not block.prompts:
            return self._error(block, "NoMatchingError")
        if block.interrupt_s is not None and block.interrupted is not None:
            self._timer = self.host.call_later(block.interrupt_s, self._interrupt, block)
        self._turn += 1
        self._next_prompt(block, 0, self._turn)
        return _WAIT

    def _interrupt(self, block: LoopPrompts) -> None:
        self._timer = None
        self._turn += 1  # the prompts stop
        self._label = "=MessagesInterrupted"
        self._jump(block, block.interrupted)

    def _next_prompt(self, block: LoopPrompts, index: int, turn: int) -> None:
        if self.done or turn != self._turn:
            return
        text, seconds = block.prompts[index % len(block.prompts)]
        length = spoken_seconds(text) if seconds is None else seconds
        self._play(text, length, False)
        # The prompts' own turns run beside the interrupt timer (the run's timer).
        self.host.call_later(max(length, 0.001), self._next_prompt, block, index + 1, turn)

    def _update_contact(self, block: UpdateContact) -> str | None:
        values = {key: self._resolved(value) for key, value in block.values.items()}
        error = self.host.update_contact(self, block, values)
        return block.next if error is None else self._error(block, error)

    def _resolved(self, value: Any) -> Any:
        if isinstance(value, str):
            return resolve(value, self.value) if value.startswith("$.") else self.text(value)
        if isinstance(value, Mapping):
            return {k: self._resolved(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._resolved(v) for v in value]
        return value

    def _not_simulated(self, block: NotSimulated) -> str | None:
        self.host.flow_action(self, block, "not simulated: takes its error branch")
        return self._error(block, "NoMatchingError")

    def _invoke_lambda(self, block: InvokeLambda) -> str | None:
        parameters = {k: self._resolved(v) or "" for k, v in block.parameters.items()}
        self.host.invoke_lambda(self, block, parameters)
        return _WAIT

    def _check_hours(self, block: CheckHours) -> str | None:
        hours = None if block.hours is None else resolve(block.hours, self.value)
        is_open = self.host.hours_open(self.contact, hours)
        if is_open is None:
            return self._error(block, "NoMatchingError")
        return self._branch(block, block.conditions, "True" if is_open else "False")

    def _create_task(self, block: CreateTask) -> str | None:
        values = {"flow": _last_segment(resolve(block.flow, self.value) or ""),
                  "name": self.text(block.name), "description": self.text(block.description),
                  "attributes": {k: self.text(v) for k, v in block.attributes.items()}}
        error = self.host.create_task(self, block, values)
        return block.next if error is None else self._error(block, error)

    def _transfer_to_phone(self, block: TransferToPhone) -> str | None:
        self.host.transfer_to_phone(self, block, resolve(block.number, self.value) or "")
        return _WAIT

    def _invoke_module(self, block: InvokeModule) -> str | None:
        module = self.host.flow_named(_last_segment(resolve(block.module, self.value) or ""))
        if module is None:
            return self._error(block, "NoMatchingError")
        modules = self._modules if self._modules is not None else []
        if len(modules) >= MAX_MODULE_DEPTH:
            return self._error(block, "NoMatchingError")
        modules.append((self.flow, block.next))
        self._modules = modules
        self.flow = module
        self._loops = None
        return module.start

    def _end_module(self, block: EndModule) -> str | None:
        self._label = "return"
        return None


def _phone_number(value: str, number_format: str, country_code: str | None) -> bool:
    """Digits that make a phone number: E.164 (+ optional as keyed: digits only, up
    to 15, with a country code) or a local number (7 to 12 digits)."""
    digits = value.lstrip("+")
    if not digits.isdigit():
        return False
    if number_format.upper() == "E164":
        return 8 <= len(digits) <= 15 and digits[0] != "0"
    return 7 <= len(digits) <= 12


_HANDLERS: Final[dict[type[Block], Callable[[FlowRun, Any], str | None]]] = {
    PlayPrompt: FlowRun._play_prompt,
    GetCustomerInput: FlowRun._get_customer_input,
    StoreCustomerInput: FlowRun._store_customer_input,
    GetBotInput: FlowRun._get_bot_input,
    SetAttributes: FlowRun._set_attributes,
    SetWorkingQueue: FlowRun._set_working_queue,
    TransferToQueue: FlowRun._transfer_to_queue,
    TransferQueueToQueue: FlowRun._transfer_queue_to_queue,
    SetEventHook: FlowRun._set_event_hook,
    CreateCallback: FlowRun._create_callback,
    Disconnect: FlowRun._disconnect,
    EndFlow: FlowRun._end_flow,
    Compare: FlowRun._compare,
    CheckQueueStatus: FlowRun._check_queue_status,
    Loop: FlowRun._loop,
    Wait: FlowRun._wait,
    TransferToFlow: FlowRun._transfer_to_flow,
    Distribute: FlowRun._distribute,
    LoopPrompts: FlowRun._loop_prompts,
    UpdateContact: FlowRun._update_contact,
    NotSimulated: FlowRun._not_simulated,
    InvokeLambda: FlowRun._invoke_lambda,
    CheckHours: FlowRun._check_hours,
    CreateTask: FlowRun._create_task,
    TransferToPhone: FlowRun._transfer_to_phone,
    InvokeModule: FlowRun._invoke_module,
    EndModule: FlowRun._end_module,
}

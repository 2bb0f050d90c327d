"""The flow interpreter: runs a Flow against one contact.

A FlowRun executes blocks one after another within the same instant until a
block has to wait (a prompt plays, input is collected); then it holds one
timer handle and no task.  Everything a block does to the contact goes
through the FlowHost (the switchboard), so flows stay data.

A run ends at a block with no ``next``, at EndFlow, TransferToQueue or
Disconnect, or when stopped (the contact left the queue, hung up).  An
error with no transition for it fails the run; the host decides what that
means for the contact (the switchboard disconnects it).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, Protocol

from testbed.clock import Cancellable
from testbed.flows.blocks import (
    Block,
    CheckQueueStatus,
    Compare,
    Condition,
    CreateCallback,
    Disconnect,
    EndFlow,
    GetCustomerInput,
    Loop,
    PlayPrompt,
    SetAttributes,
    SetEventHook,
    SetWorkingQueue,
    TransferToFlow,
    TransferToQueue,
    Wait,
)
from testbed.flows.flow import Flow

__all__ = ["FlowHost", "FlowRun", "Participant"]

# Blocks a run may execute in one instant before it is taken to loop forever.
MAX_STEPS_PER_INSTANT = 10_000


class Participant(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"


class FlowHost(Protocol):
    """What a running flow may do to its contact; the switchboard implements it."""

    def call_later(self, delay_s: float, callback: Callable[..., object],
                   *args: Any) -> Cancellable: ...
    def play_prompt(self, run: FlowRun, text: str, duration_s: float,
                    collects_input: bool) -> None: ...
    def set_attributes(self, contact: Any, attributes: dict[str, str]) -> None: ...
    def set_working_queue(self, contact: Any, queue: str) -> str | None: ...
    def transfer_to_queue(self, contact: Any) -> str | None: ...
    def set_event_hook(self, contact: Any, hook: str, flow: str) -> str | None: ...
    def create_callback(self, contact: Any, block: CreateCallback) -> str | None: ...
    def disconnect_from_flow(self, contact: Any) -> None: ...
    def contact_value(self, contact: Any, path: str) -> str | None: ...
    def queue_metric(self, contact: Any, metric: str, queue: str | None) -> float | None: ...
    def flow_named(self, name: str) -> Flow | None: ...
    def flow_ended(self, run: FlowRun) -> None: ...
    def flow_failed(self, run: FlowRun, problem: str) -> None: ...


_WAIT = "\0wait"  # a block handler's answer: the run is waiting (or over)


class FlowRun:
    """One execution of ``flow`` for ``contact``, heard by ``participant``."""

    __slots__ = ("_loops", "_timer", "block", "collecting", "contact", "done", "flow", "host",
                 "participant")

    def __init__(self, host: FlowHost, flow: Flow, contact: Any,
                 participant: Participant = Participant.CUSTOMER) -> None:
        self.host = host
        self.flow = flow
        self.contact = contact
        self.participant = participant
        self.block: Block | None = None
        self.collecting: GetCustomerInput | None = None
        self.done = False
        self._timer: Cancellable | None = None
        self._loops: dict[str, int] | None = None

    def __repr__(self) -> str:
        at = self.block.id if self.block is not None else "-"
        return f"<FlowRun {self.flow.name!r} at {at!r}{' done' if self.done else ''}>"

    def start(self) -> None:
        self._run_from(self.flow.start)

    def stop(self) -> None:
        """End the run where it is, without taking any transition."""
        self.done = True
        self.collecting = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def digits(self, digits: str) -> bool:
        """The customer pressed ``digits``; False if nothing is listening."""
        block = self.collecting
        if block is None or self.done:
            return False
        self.collecting = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        target = block.conditions.get(digits)
        self._run_from(target if target is not None else
                       self._error(block, "NoMatchingCondition"))
        return True

    # -- execution ----------------------------------------------------------
    def _resume(self, block_id: str | None) -> None:
        self._timer = None
        self._run_from(block_id)

    def _input_timed_out(self, block: GetCustomerInput) -> None:
        self._timer = None
        self.collecting = None
        self._run_from(self._error(block, "InputTimeLimitExceeded"))

    def _run_from(self, block_id: str | None) -> None:
        steps = 0
        while not self.done:
            if block_id is None:
                self._finish()
                return
            if block_id is _WAIT:
                return
            steps += 1
            if steps > MAX_STEPS_PER_INSTANT:
                self._fail(f"ran {MAX_STEPS_PER_INSTANT} blocks without waiting; "
                           f"it loops forever at block {block_id!r}")
                return
            block = self.flow.blocks[block_id]
            self.block = block
            block_id = _HANDLERS[type(block)](self, block)

    def _error(self, block: Block, name: str) -> str:
        target = block.errors.get(name) or block.errors.get("NoMatchingError")
        if target is None:
            self._fail(f"block {block.id!r} ({type(block).__name__}) raised {name} "
                       f"and has no transition for it")
            return _WAIT
        return target

    def _finish(self) -> None:
        self.done = True
        self.host.flow_ended(self)

    def _fail(self, problem: str) -> None:
        self.done = True
        self.host.flow_failed(self, f"flow {self.flow.name!r}: {problem}")

    # -- block handlers: return the next block id, None to end, or _WAIT ------
    def _play_prompt(self, block: PlayPrompt) -> str | None:
        length = block.length_s()
        self.host.play_prompt(self, block.text, length, False)
        if length <= 0:
            return block.next
        self._timer = self.host.call_later(length, self._resume, block.next)
        return _WAIT

    def _get_customer_input(self, block: GetCustomerInput) -> str | None:
        self.collecting = block
        length = block.length_s()
        self.host.play_prompt(self, block.text, length, True)
        self._timer = self.host.call_later(length + block.timeout_s,
                                           self._input_timed_out, block)
        return _WAIT

    def _set_attributes(self, block: SetAttributes) -> str | None:
        self.host.set_attributes(self.contact, dict(block.attributes))
        return block.next

    def _set_working_queue(self, block: SetWorkingQueue) -> str | None:
        error = self.host.set_working_queue(self.contact, block.queue)
        return block.next if error is None else self._error(block, error)

    def _transfer_to_queue(self, block: TransferToQueue) -> str | None:
        error = self.host.transfer_to_queue(self.contact)
        if error is not None:
            return self._error(block, error)
        return None  # the contact is queued: this flow is over

    def _set_event_hook(self, block: SetEventHook) -> str | None:
        error = self.host.set_event_hook(self.contact, block.hook, block.flow)
        return block.next if error is None else self._error(block, error)

    def _create_callback(self, block: CreateCallback) -> str | None:
        error = self.host.create_callback(self.contact, block)
        return block.next if error is None else self._error(block, error)

    def _disconnect(self, block: Disconnect) -> str | None:
        self.done = True
        self.host.disconnect_from_flow(self.contact)
        return None

    def _end_flow(self, block: EndFlow) -> str | None:
        return None

    def _branch(self, block: Block, conditions: tuple[Condition, ...], value: object) -> str:
        for condition in conditions:
            if condition.holds(value):
                return condition.target
        return self._error(block, "NoMatchingCondition")

    def _compare(self, block: Compare) -> str | None:
        return self._branch(block, block.conditions,
                            self.host.contact_value(self.contact, block.value))

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
            return block.loop
        loops[block.id] = 0
        return block.next

    def _wait(self, block: Wait) -> str | None:
        if block.duration_s <= 0:
            return block.next
        self._timer = self.host.call_later(block.duration_s, self._resume, block.next)
        return _WAIT

    def _transfer_to_flow(self, block: TransferToFlow) -> str | None:
        flow = self.host.flow_named(block.flow)
        if flow is None:
            return self._error(block, "NoMatchingError")
        self.flow = flow
        self._loops = None
        return flow.start


_HANDLERS: dict[type[Block], Callable[[FlowRun, Any], str | None]] = {
    PlayPrompt: FlowRun._play_prompt,
    GetCustomerInput: FlowRun._get_customer_input,
    SetAttributes: FlowRun._set_attributes,
    SetWorkingQueue: FlowRun._set_working_queue,
    TransferToQueue: FlowRun._transfer_to_queue,
    SetEventHook: FlowRun._set_event_hook,
    CreateCallback: FlowRun._create_callback,
    Disconnect: FlowRun._disconnect,
    EndFlow: FlowRun._end_flow,
    Compare: FlowRun._compare,
    CheckQueueStatus: FlowRun._check_queue_status,
    Loop: FlowRun._loop,
    Wait: FlowRun._wait,
    TransferToFlow: FlowRun._transfer_to_flow,
}

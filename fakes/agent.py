"""MockAgent: a scripted agent who goes available, accepts offers, talks and wraps up.

Like MockCaller it reacts to messages with testbed-clock timers and holds no
task.  ``available_at`` / ``offline_at`` are testbed seconds from the start
instant (or ISO instants / datetimes); the other times count from the event
they follow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from functools import partial
from typing import Final

from fakes.transcript import Transcript
from testbed import Cancellable, Line, QueueRouting, Scheduler
from testbed.core.messages import (
    Accept,
    AgentStatus,
    CancelConsult,
    CompleteTransfer,
    Conference,
    Connected,
    Consult,
    Consulting,
    Disconnected,
    EndAfterContactWork,
    Error,
    Hangup,
    Hold,
    Message,
    Mute,
    Offered,
    Reject,
    Resume,
    SetStatus,
    Transfer,
    Unmute,
)
from testbed.core.native import mypyc_attr

__all__ = ["MockAgent"]

#: What a scripted consult does once the second party has joined.
_THEN: Final = ("complete", "conference", "cancel")


@mypyc_attr(allow_interpreted_subclasses=True)
class MockAgent(Transcript):
    """An agent with simple behaviours.

    - ``queues``: the queues served (a list, or ``{queue: priority}``).
    - ``available_at``: when they set Available (None: stay Offline until
      ``go_available()``); ``offline_at``: when they log off.
    - ``accept_after_s``: accepts an offer after this long (None: never,
      so offers time out); ``reject``: rejects offers instead.  This and
      ``acw_s`` may be a function, called for each contact (a distribution).
    - ``talk_s``: hangs up this long after being connected (None: waits for
      the customer to hang up).
    - ``hold``: ``(at_s, for_s)`` pairs: puts the customer on hold ``at_s`` after
      being connected and resumes ``for_s`` later ("hold at 30 s for 45 s":
      ``hold=[(30, 45)]``); ``mute`` likewise mutes their own microphone.
      Steps due after the call ended are dropped.
    - ``transfer``: ``(at_s, quick_connect)`` pairs: transfers the call (cold) with the
      quick connect of that name ``at_s`` after being connected.
    - ``consult``: ``(at_s, quick_connect, then, after_s)`` steps: ``at_s`` after being
      connected, holds the customer and consults the quick connect; ``after_s`` after
      the second party joins (an agent takes the leg, or the number answers), ``then``
      is done: ``"complete"`` (a warm transfer:
      the agent leaves), ``"conference"`` (all three talk; the agent stays until
      its ``talk_s`` or the others leave) or ``"cancel"`` (drop the consult and
      resume; its ``after_s`` counts from the consult itself, so it also drops a
      leg nobody took).
    - ``acw_s``: ends after-contact work after this long (None: leaves it to
      the switchboard's ``acw_timeout_s``).
    - ``on_message``: called with every message heard, after the reaction.
    """

    def __init__(
        self,
        username: str,
        queues: Iterable[str] | Mapping[str, int | tuple[int, float] | QueueRouting],
        *,
        available_at: float | str | datetime | None = 0.0,
        offline_at: float | str | datetime | None = None,
        accept_after_s: float | Callable[[], float] | None = 0.0,
        reject: bool = False,
        talk_s: float | None = None,
        hold: Iterable[tuple[float, float]] = (),
        mute: Iterable[tuple[float, float]] = (),
        transfer: Iterable[tuple[float, str]] = (),
        consult: Iterable[tuple[float, str, str, float]] = (),
        acw_s: float | Callable[[], float] | None = 0.0,
        acw_timeout_s: float = 0.0,
        on_message: Callable[[MockAgent, Message], object] | None = None,
        keep_transcript: bool = True,
    ) -> None:
        super().__init__(keep_transcript)
        self._username = username
        self._queues: list[str] | dict[str, int | tuple[int, float] | QueueRouting] = (
            dict(queues) if isinstance(queues, Mapping) else list(queues))
        self._acw_timeout_s = acw_timeout_s
        self.available_at = available_at
        self.offline_at = offline_at
        self.accept_after_s = accept_after_s
        self.reject = reject
        self.talk_s = talk_s
        self.holds = tuple(hold)
        self.mutes = tuple(mute)
        self.transfers = tuple(transfer)
        self.consults = tuple(consult)
        for _at_s, _name, then, _after_s in self.consults:
            if then not in _THEN:
                raise ValueError(f"MockAgent {username!r}: consult step {then!r} must be one "
                                 f"of {', '.join(map(repr, _THEN))}")
        self.acw_s = acw_s
        self.on_message = on_message
        self.state = "Offline"
        self.handled: list[str] = []
        self.errors: list[Error] = []
        self._timer: Cancellable | None = None
        self._script: list[Cancellable] = []  # hold and mute steps of the call
        #: Consult legs under way: leg id -> (first contact id, then, after_s).
        self._legs: dict[str, tuple[str, str, float]] = {}
        self._pending: list[tuple[str, float]] = []  # (then, after_s) of consults sent
        self._leg_timers: dict[str, Cancellable] = {}

    def __repr__(self) -> str:
        return f"<MockAgent {self._username} {self.state}>"

    @property
    def username(self) -> str:
        return self._username

    @property
    def queues(self) -> list[str] | dict[str, int | tuple[int, float] | QueueRouting]:
        return self._queues

    @property
    def acw_timeout_s(self) -> float:
        return self._acw_timeout_s

    def attach(self, line: Line, clock: Scheduler) -> None:
        """Called by ``Testbed.add_agent``: take the line and start the script."""
        self._line, self._clock = line, clock
        line.on_receive(self._hear)
        if self.available_at is not None:
            clock.call_at(max(clock.seconds(self.available_at), clock.now), self.go_available)
        if self.offline_at is not None:
            clock.call_at(max(clock.seconds(self.offline_at), clock.now), self.go_offline)

    # -- actions --------------------------------------------------------------
    def go_available(self) -> None:
        self._send(SetStatus("Available"))

    def go_offline(self) -> None:
        self._send(SetStatus("Offline"))

    def set_status(self, status: str) -> None:
        """Set any status: Available, Offline or a custom one such as Break."""
        self._send(SetStatus(status))

    def accept(self, contact_id: str) -> None:
        self._send(Accept(contact_id))

    def reject_contact(self, contact_id: str) -> None:
        self._send(Reject(contact_id))

    def hang_up(self, contact_id: str) -> None:
        self._send(Hangup(contact_id))

    def end_after_contact_work(self, contact_id: str) -> None:
        self._send(EndAfterContactWork(contact_id))

    def hold(self, contact_id: str) -> None:
        """Put the customer of ``contact_id`` on hold."""
        self._send(Hold(contact_id))

    def resume(self, contact_id: str) -> None:
        """Take the customer of ``contact_id`` off hold."""
        self._send(Resume(contact_id))

    def mute(self, contact_id: str, participant: str = "agent") -> None:
        """Mute ``participant``: "agent" (their own microphone) or "customer"."""
        self._send(Mute(contact_id, participant))

    def unmute(self, contact_id: str, participant: str = "agent") -> None:
        self._send(Unmute(contact_id, participant))

    def transfer(self, contact_id: str, quick_connect: str) -> None:
        """Transfer ``contact_id`` (cold) with the quick connect named ``quick_connect``."""
        self._send(Transfer(contact_id, quick_connect))

    def consult(self, contact_id: str, quick_connect: str) -> None:
        """Hold the customer of ``contact_id`` and consult the quick connect."""
        self._send(Consult(contact_id, quick_connect))

    def complete_transfer(self, contact_id: str) -> None:
        """Leave the consulted call: the customer goes on with the second party."""
        self._send(CompleteTransfer(contact_id))

    def conference(self, contact_id: str) -> None:
        """Join the customer, themselves and the second party of the consult."""
        self._send(Conference(contact_id))

    def cancel_consult(self, contact_id: str) -> None:
        """Drop the consult leg and take the customer off hold."""
        self._send(CancelConsult(contact_id))

    # -- reacting -------------------------------------------------------------
    def _after(self, delay_s: float | Callable[[], float], action: Callable[[str], object],
               contact_id: str) -> None:
        """Run ``action(contact_id)`` after ``delay_s`` (a number or a function giving one),
        in place of anything the agent meant to do before."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if callable(delay_s):
            delay_s = delay_s()
        self._timer = self._call_after(delay_s, action, (contact_id,))

    def _hear(self, message: Message) -> None:
        if self._keep or self._waiters:
            self._note(message)
        # A plain chain, commonest first: each branch is a direct method call in the
        # compiled build (a table of methods would call through Python there).
        if isinstance(message, AgentStatus):
            self._on_status(message)
        elif isinstance(message, Offered):
            self._on_offered(message)
        elif isinstance(message, Connected):
            self._on_connected(message)
        elif isinstance(message, Disconnected):
            self._on_disconnected(message)
        elif isinstance(message, Consulting):
            self._on_consulting(message)
        elif isinstance(message, Error):
            self._on_error(message)
        if self.on_message is not None:
            self.on_message(self, message)

    def _on_offered(self, message: Offered) -> None:
        if self.reject:
            self._after(0.0, self.reject_contact, message.contact_id)
        elif self.accept_after_s is not None:
            self._after(self.accept_after_s, self.accept, message.contact_id)

    def _on_status(self, message: AgentStatus) -> None:
        state = self.state = message.state
        if state == "AfterContactWork" and message.contact_id is not None \
                and self.acw_s is not None:
            self._after(self.acw_s, self.end_after_contact_work, message.contact_id)

    def _on_connected(self, message: Connected) -> None:
        cid = message.contact_id
        if self._legs:
            leg = self._legs.get(cid)
            if leg is not None:  # the second party of our consult joined
                self._leg_step(cid, leg[0], leg[1], leg[2])
                return
        if self.handled and self.handled[-1] == cid:
            # The customer joins a consult we took (a completed transfer): talk anew.
            if self.talk_s is not None:
                self._after(self.talk_s, self.hang_up, cid)
            return
        self.handled.append(cid)
        if self.talk_s is not None:
            self._after(self.talk_s, self.hang_up, cid)
        if self.holds or self.mutes or self.transfers or self.consults:
            self._start_script(cid)

    def _on_consulting(self, message: Consulting) -> None:
        if not self._pending:
            return  # a consult sent by hand: no script for it
        then, after_s = self._pending.pop(0)
        leg = message.next_contact_id
        self._legs[leg] = (message.contact_id, then, after_s)
        if then == "cancel":  # cancels even if nobody ever joins
            self._leg_step(leg, message.contact_id, then, after_s)

    def _leg_step(self, leg: str, cid: str, then: str, after_s: float) -> None:
        if leg in self._leg_timers:
            return
        action = {"complete": self.complete_transfer, "conference": self.conference,
                  "cancel": self.cancel_consult}[then]
        handle = self._call_after(after_s, action, (cid,))
        if handle is not None:
            self._leg_timers[leg] = handle

    def _start_script(self, cid: str) -> None:
        steps: list[tuple[float, Callable[[str], object]]] = []
        for at_s, for_s in self.holds:
            steps += [(at_s, self.hold), (at_s + for_s, self.resume)]
        for at_s, for_s in self.mutes:
            steps += [(at_s, self.mute), (at_s + for_s, self.unmute)]
        for at_s, quick_connect in self.transfers:
            steps.append((at_s, partial(self._transfer_step, quick_connect)))
        for at_s, quick_connect, then, after_s in self.consults:
            steps.append((at_s, partial(self._consult_step, quick_connect, then, after_s)))
        for at_s, action in steps:
            handle = self._call_after(at_s, action, (cid,))
            if handle is not None:
                self._script.append(handle)

    def _transfer_step(self, quick_connect: str, cid: str) -> None:
        self.transfer(cid, quick_connect)

    def _consult_step(self, quick_connect: str, then: str, after_s: float, cid: str) -> None:
        self._pending.append((then, after_s))
        self.consult(cid, quick_connect)

    def _on_disconnected(self, message: Disconnected) -> None:
        if self._legs:
            leg = self._legs.pop(message.contact_id, None)
            if leg is not None:  # our consult leg ended: the first call goes on
                handle = self._leg_timers.pop(message.contact_id, None)
                if handle is not None:
                    handle.cancel()
                return
        if self._pending:
            self._pending.clear()
        if self._legs:
            self._legs.clear()
            for handle in self._leg_timers.values():
                handle.cancel()
            self._leg_timers.clear()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._script:
            for handle in self._script:
                handle.cancel()
            self._script.clear()

    def _on_error(self, message: Error) -> None:
        self.errors.append(message)


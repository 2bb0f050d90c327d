"""MockCaller: a scripted phone that dials, listens, presses digits, speaks and hangs up.

It reacts to what the switchboard sends, with timers on the testbed clock
and no task of its own, so thousands of them cost little.  Every time in
its script is testbed seconds: ``dial_at`` from the start instant (or an
ISO instant / datetime), the rest from the event they follow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from fakes.transcript import Transcript
from testbed import Cancellable, Line, Scheduler
from testbed.core.messages import (
    Answer,
    CallStarted,
    Connected,
    Dial,
    Disconnected,
    Error,
    Hangup,
    Message,
    Prompt,
    Queued,
    Ringing,
    Say,
    SendDigits,
    Transferred,
)
from testbed.core.native import mypyc_attr

__all__ = ["MockCaller"]


@mypyc_attr(allow_interpreted_subclasses=True)
class MockCaller(Transcript):
    """A caller with simple behaviours.

    - ``dial``: the number it calls at ``dial_at`` (None: not at all; it can
      still answer callbacks).
    - ``callback_after_s``: after this long in the call it takes the callback
      offer, pressing ``callback_digit`` as soon as a prompt collects input
      (at once if one is collecting then).
    - ``press``: ``(after_s, digits)`` pairs pressed that long into the call.
    - ``say``: ``(after_s, text)`` pairs said that long into the call (text in
      place of speech, for a Lex bot), kept as ``speech``.  Like presses, they
      are sent at their time whatever the flow is doing; the switchboard
      refuses those that come when nothing listens.
    - ``patience_s``: hangs up if not connected to an agent by then.
    - ``answer_after_s``: answers a ringing callback after this long
      (None: never answers).
    - ``talk_s``: hangs up this long after being connected to an agent
      (None: waits for the agent to hang up).
    - ``on_message``: called with every message it hears, after its own
      reaction: the hook for custom behaviour.
    """

    def __init__(
        self,
        number: str,
        dial: str | None = None,
        *,
        dial_at: float | str | datetime | None = None,
        callback_after_s: float | None = None,
        callback_digit: str = "1",
        press: Iterable[tuple[float, str]] = (),
        say: Iterable[tuple[float, str]] = (),
        patience_s: float | None = None,
        answer_after_s: float | None = 0.0,
        talk_s: float | None = None,
        on_message: Callable[[MockCaller, Message], object] | None = None,
        keep_transcript: bool = True,
    ) -> None:
        super().__init__(keep_transcript)
        self._number = number
        self.dial_to = dial
        self.dial_at = dial_at
        self.callback_after_s = callback_after_s
        self.callback_digit = callback_digit
        self.press = tuple(press)
        self.speech = tuple(say)  # not ``self.say``: that is the action
        self.patience_s = patience_s
        self.answer_after_s = answer_after_s
        self.talk_s = talk_s
        self.on_message = on_message
        self.contact_ids: list[str] = []
        self.errors: list[Error] = []
        self._timers: dict[str, list[Cancellable]] = {}
        self._collecting: set[str] = set()
        self._wants_callback: set[str] = set()

    def __repr__(self) -> str:
        return f"<MockCaller {self._number}>"

    @property
    def number(self) -> str:
        return self._number

    def attach(self, line: Line, clock: Scheduler) -> None:
        """Called by ``Testbed.add_caller``: take the line and start the script."""
        self._line, self._clock = line, clock
        line.on_receive(self._hear)
        if self.dial_to is not None:
            # Through the clock even when due now: the dial then keeps its place
            # among the other things due at that instant (an agent going Available).
            at = clock.now if self.dial_at is None else clock.seconds(self.dial_at)
            clock.call_at(max(at, clock.now), self.call, self.dial_to)

    # -- actions (usable from hooks too) ------------------------------------
    def call(self, to: str) -> None:
        self._send(Dial(to))

    def send_digits(self, contact_id: str, digits: str) -> None:
        self._send(SendDigits(contact_id, digits))

    def say(self, contact_id: str, text: str) -> None:
        self._send(Say(contact_id, text))

    def answer(self, contact_id: str) -> None:
        self._send(Answer(contact_id))

    def hang_up(self, contact_id: str) -> None:
        self._send(Hangup(contact_id))

    # -- reacting -------------------------------------------------------------
    def _later(self, contact_id: str, delay_s: float, action: Callable[..., object],
               *args: Any) -> None:
        handle = self._call_after(delay_s, action, args)
        if handle is None:
            return
        handles = self._timers.get(contact_id)
        if handles is None:
            self._timers[contact_id] = [handle]
        else:
            handles.append(handle)

    def _hear(self, message: Message) -> None:
        if self._keep or self._waiters:
            self._note(message)
        # A plain chain, commonest first: each branch is a direct method call in the
        # compiled build (a table of methods would call through Python there).
        if isinstance(message, Prompt):
            self._on_prompt(message)
        elif isinstance(message, Connected):
            self._on_connected(message)
        elif isinstance(message, Disconnected):
            self._on_disconnected(message)
        elif isinstance(message, CallStarted):
            self._on_call_started(message)
        elif isinstance(message, Queued):
            self._on_queued(message)
        elif isinstance(message, Ringing):
            self._on_ringing(message)
        elif isinstance(message, Transferred):
            self._on_transferred(message)
        elif isinstance(message, Error):
            self._on_error(message)
        if self.on_message is not None:
            self.on_message(self, message)

    def _on_prompt(self, message: Prompt) -> None:
        cid = message.contact_id
        if message.collects_input:
            self._collecting.add(cid)
            if cid in self._wants_callback:
                self._take_callback(cid)
        elif self._collecting:
            self._collecting.discard(cid)

    def _on_queued(self, message: Queued) -> None:
        if self._collecting:
            self._collecting.discard(message.contact_id)

    def _on_ringing(self, message: Ringing) -> None:
        cid = message.contact_id
        self.contact_ids.append(cid)
        if self.answer_after_s is not None:
            self._later(cid, self.answer_after_s, self.answer, cid)

    def _on_error(self, message: Error) -> None:
        self.errors.append(message)

    def _on_call_started(self, message: CallStarted) -> None:
        cid = message.contact_id
        self.contact_ids.append(cid)
        for after_s, digits in self.press:
            self._later(cid, after_s, self.send_digits, cid, digits)
        for after_s, text in self.speech:
            self._later(cid, after_s, self.say, cid, text)
        if self.callback_after_s is not None:
            self._later(cid, self.callback_after_s, self._want_callback, cid)
        if self.patience_s is not None:
            self._later(cid, self.patience_s, self.hang_up, cid)

    def _want_callback(self, cid: str) -> None:
        self._wants_callback.add(cid)
        if cid in self._collecting:
            self._take_callback(cid)

    def _take_callback(self, cid: str) -> None:
        self._wants_callback.discard(cid)
        self._collecting.discard(cid)
        self.send_digits(cid, self.callback_digit)

    def _on_connected(self, message: Connected) -> None:
        cid = message.contact_id
        self._forget(cid)  # patience and pending presses and speech end with the queue
        if self.talk_s is not None:
            self._later(cid, self.talk_s, self.hang_up, cid)

    def _on_disconnected(self, message: Disconnected) -> None:
        self._forget(message.contact_id)

    def _on_transferred(self, message: Transferred) -> None:
        # The call goes on as a new contact: what was meant for the first one (its
        # talk time) ends with it, and the talk starts over with the next agent.
        self._forget(message.contact_id)
        self.contact_ids.append(message.next_contact_id)

    def _forget(self, cid: str) -> None:
        """Drop what the caller meant to do on ``cid``: its timers, a wanted callback."""
        if self._collecting:
            self._collecting.discard(cid)
        if self._wants_callback:
            self._wants_callback.discard(cid)
        handles = self._timers.pop(cid, None)
        if handles is not None:
            for handle in handles:
                handle.cancel()


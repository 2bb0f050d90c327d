"""Load runs: a Scenario played on a Testbed, callers created as they arrive.

Each caller is a MockCaller made at its arrival instant with behaviour drawn
from the scenario's distributions (one ``random.Random`` per purpose, all
derived from the seed, so the same seed gives the same records).  It dials
at once, on a transient line: once it has no contact left (none live, no
callback to come) its line is hung up, so a long run holds only the callers
still in play.  The run
ends once every arrival has come and every contact is complete, or a day of
testbed time after the last arrival (the result counts what is incomplete).
Arrivals end with ``callers``, with ``duration_s``, or when the arrival
process itself ends (rate 0 for good, the last of explicit times); a run whose
arrivals cannot bring the callers asked for is refused before it starts
(``Scenario.check_arrivals``).

Agents whose group holds or transfers calls act through MockAgent's public
actions, from its ``on_message`` hook (``CallActions``): on each call connected
they draw, from a stream of their own, whether and when to hold and transfer,
so a scenario without holds or transfers draws exactly what it drew before.
A transfer goes through a quick connect named for its queue, which the run
adds with a transfer flow of two blocks (SetWorkingQueue, TransferToQueue).
"""

from __future__ import annotations

import gc
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from fakes import MockAgent, MockCaller
from testbed.centre.facade import Testbed
from testbed.core.clock import VIRTUAL, Cancellable, Scheduler
from testbed.core.messages import Connected, Disconnected, Message
from testbed.flows import (
    CreateCallback,
    Disconnect,
    EventHook,
    Flow,
    GetCustomerInput,
    PlayPrompt,
    SetEventHook,
    SetWorkingQueue,
    TransferToQueue,
)
from testbed.flows.coverage import FlowCoverage
from testbed.load.demos import SERVICE_NUMBER
from testbed.load.distributions import Distribution, Fixed
from testbed.load.report import Report, ReportTally, build_report
from testbed.load.scenario import AgentGroup, Scenario
from testbed.records.contact_record import ContactRecord, Entry

__all__ = ["SERVICE_NUMBER", "CallActions", "LoadResult", "LoadRun", "transfer_flow_name"]

# How often (testbed seconds) the run checks whether everything has finished.
_CHECK_EVERY_S = 30.0
# A run gives up this long after the last arrival if contacts are still open
# (say, callers with no patience waiting for agents whose shifts have ended).
GIVE_UP_AFTER_S = 86_400.0

# A load run writes its store in batches of this many events or more, not at
# the end of every instant: one SQLite transaction per instant cost more than
# the simulation itself.
WRITE_BATCH = 10_000

Progress = Callable[[float, int, int], None]  # (testbed seconds, arrived, finished)


@contextmanager
def fewer_collections(threshold: int = 100_000) -> Iterator[None]:
    """Run the cyclic garbage collector less often while the block runs.

    A load run allocates and keeps many small objects (every event of the
    log); with Python's default threshold (700) the collector walks them
    again and again (measured: a third of a 20,000-caller run).  At 100,000
    net allocations per young collection, a 100,000-caller run in memory
    needs no middle-generation collection at all (each one walked the whole
    log: about 5 % of such a run).  Collections still happen, so reference
    cycles of finished callers are still freed.  The old thresholds come
    back afterwards.
    """
    old = gc.get_threshold()
    gc.set_threshold(threshold, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*old)


@dataclass(frozen=True)
class LoadResult:
    """What a run produced.  A streamed run (``stream=True``) keeps no records or
    events in memory: read them from its store."""

    start: datetime
    records: list[ContactRecord]
    entries: list[Entry]
    report: Report
    callers: int
    incomplete: int


class LoadRun:
    """One run of ``scenario``; ``callers`` / ``seed`` override the scenario's.

    ConfigError if the scenario's arrivals cannot bring the callers asked for.
    With ``flow_coverage``, the run's flows and every block and branch its
    contacts take are counted there (``testbed.flows.coverage``).
    """

    def __init__(self, scenario: Scenario, *, callers: int | None = None,
                 seed: int | None = None, speed: float = VIRTUAL, records: str = "memory:",
                 progress: Progress | None = None, stream: bool = False,
                 flow_coverage: FlowCoverage | None = None) -> None:
        scenario.check_arrivals(callers)
        self.scenario = scenario
        self.limit = callers if callers is not None else scenario.callers
        self.seed = scenario.seed if seed is None else seed
        self.speed = speed
        self.store = records
        self.progress = progress
        self.stream = stream
        self.flow_coverage = flow_coverage
        self.arrived = 0
        self.arrivals_over = False
        self.last_arrival_s = 0.0
        self._rng = random.Random(f"{self.seed}:behaviour")
        # Holds and transfers draw from a stream of their own: adding them to a
        # scenario leaves every other draw as it was.
        self._actions_rng = random.Random(f"{self.seed}:agent-actions")
        self._arrivals: Iterator[float] = iter(())
        self._tb: Testbed | None = None

    async def run(self) -> LoadResult:
        with fewer_collections():
            return await self._run()

    async def _run(self) -> LoadResult:
        s = self.scenario
        async with Testbed(start=s.start, speed=self.speed, seed=self.seed,
                           records=self.store, keep_finished_records=not self.stream,
                           records_batch=WRITE_BATCH, flow_coverage=self.flow_coverage) as tb:
            self._tb = tb
            tally = None
            if self.stream:  # the report is tallied as events happen: no second pass
                tally = ReportTally()
                assert tb.record_service is not None
                tb.record_service.event_log.listeners.append(tally.add)
            self._centre(tb)
            self._agents(tb)
            self._arrivals = s.arrivals.times_from(random.Random(f"{self.seed}:arrivals"))
            self._schedule_next()
            done = tb.clock.loop.create_future()
            tb.clock.call_later(_CHECK_EVERY_S, self._check, done)
            await done
            service = tb.record_service
            assert service is not None
            incomplete = service.initiated - service.completed
            if tally is not None:
                service.flush()
                return LoadResult(s.start, [], [], tally.report(), self.arrived, incomplete)
            entries = list(service.entries())
            records = service.records()
        return LoadResult(s.start, records, entries, build_report(entries), self.arrived,
                          incomplete)

    # -- the contact centre -------------------------------------------------------
    def _centre(self, tb: Testbed) -> None:
        f = self.scenario.flow
        if f.kind == "connect":
            from testbed.flows.connect import flow_references, load_flow_files

            flows = load_flow_files(f.files)
            tb.add_flow(*flows)
            queues = set(self.scenario.queues)
            for flow in flows:
                queues |= flow_references(flow)[0]
            for queue in sorted(queues):
                tb.add_queue(queue, outbound_whisper_flow=f.outbound_whisper.get(queue))
            tb.add_number(SERVICE_NUMBER, f.inbound or "")
            self._quick_connects(tb)
            return
        for queue in self.scenario.queues:
            tb.add_queue(queue)
        self._quick_connects(tb)
        blocks = []
        if f.kind == "callback-offer":
            blocks.append(SetEventHook(id="queue-flow", hook=EventHook.CUSTOMER_QUEUE,
                                       flow="CallbackOffer", next="queue"))
            tb.add_flow(Flow.of("CallbackOffer", [
                PlayPrompt(id="hold", text="(hold music)", duration_s=f.offer_after_s,
                           next="offer"),
                GetCustomerInput(id="offer", text="Press 1 and we will call you back.",
                                 duration_s=5, timeout_s=10, conditions={"1": "callback"},
                                 errors={"NoMatchingError": "hold"}),
                CreateCallback(id="callback", queue=f.callback_queue,
                               initial_delay_s=f.callback_delay_s, next="bye"),
                Disconnect(id="bye"),
            ]))
        tb.add_flow(Flow.of("Inbound", [
            *blocks,
            SetWorkingQueue(id="queue", queue=f.queue, next="transfer"),
            TransferToQueue(id="transfer"),
        ]))
        tb.add_number(SERVICE_NUMBER, "Inbound")

    def _quick_connects(self, tb: Testbed) -> None:
        """A quick connect, named for its queue, for each queue agents transfer to."""
        targets = dict.fromkeys(g.transfer_to for g in self.scenario.agents
                                if g.transfer_probability > 0 and g.transfer_to is not None)
        for queue in targets:
            assert queue is not None
            flow = transfer_flow_name(queue)
            tb.add_flow(Flow.of(flow, [
                SetWorkingQueue(id="queue", queue=queue, next="transfer"),
                TransferToQueue(id="transfer"),
            ]))
            tb.add_quick_connect(queue, queue=queue, flow=flow)

    def _agents(self, tb: Testbed) -> None:
        for group in self.scenario.agents:
            on, off = group.shift
            actions = CallActions(group, self._actions_rng, tb.clock) if group.acts else None
            for name in group.names:
                tb.add_agent(MockAgent(
                    name, dict(group.queues), available_at=on, offline_at=off,
                    accept_after_s=self._sampler(group.accept_delay_s),
                    acw_s=self._sampler(group.acw_s), keep_transcript=False,
                    on_message=actions))

    def _sampler(self, dist: Distribution) -> float | Callable[[], float]:
        if isinstance(dist, Fixed):
            return dist.value
        rng = self._rng
        return lambda: dist.sample(rng)

    # -- arrivals -----------------------------------------------------------------
    def _schedule_next(self) -> None:
        at = None if self.limit is not None and self.arrived >= self.limit \
            else next(self._arrivals, None)
        duration = self.scenario.duration_s
        if at is None or (duration is not None and at > duration):
            self.arrivals_over = True
            return
        assert self._tb is not None
        self._tb.clock.call_at(at, self._arrive)

    def _arrive(self) -> None:
        tb = self._tb
        assert tb is not None
        b, rng = self.scenario.behaviour, self._rng
        talk = b.talk_s.sample(rng)
        patience = b.patience_s.sample(rng) if b.patience_s is not None else None
        takes_callback = rng.random() < b.callback_accept_p
        callback_after = b.callback_after_s.sample(rng) if takes_callback else None
        answers = rng.random() >= b.no_answer_p
        answer_after = b.answer_delay_s.sample(rng) if answers else None
        self.last_arrival_s = tb.now
        caller = MockCaller(
            f"+1{self.arrived:010d}", talk_s=talk, patience_s=patience,
            callback_after_s=callback_after, answer_after_s=answer_after,
            keep_transcript=False)
        tb.add_caller(caller, transient=True)
        caller.call(SERVICE_NUMBER)  # this timer callback is the arrival: dial at once
        self.arrived += 1
        self._schedule_next()

    def _check(self, done: object) -> None:
        tb = self._tb
        assert tb is not None and tb.record_service is not None
        service = tb.record_service
        if self.progress is not None:
            self.progress(tb.now, self.arrived, service.completed)
        if self.arrivals_over and (service.completed >= service.initiated
                                   or tb.now > self.last_arrival_s + GIVE_UP_AFTER_S):
            done.set_result(None)  # type: ignore[attr-defined]
            return
        tb.clock.call_later(_CHECK_EVERY_S, self._check, done)


def transfer_flow_name(queue: str) -> str:
    """The transfer flow a load run adds for transfers to ``queue``."""
    return f"Transfer to {queue}"


class CallActions:
    """What the agents of ``group`` do on their calls, as a MockAgent ``on_message`` hook.

    On each call connected, draws from ``rng`` whether the agent holds it (then
    when, and for how long) and whether they transfer it (then when), in that
    order, and schedules the agent's public ``hold`` / ``resume`` / ``transfer``
    on ``clock``.  What is still due when the agent hears the call end (the
    customer hung up, or the transfer itself) is cancelled.  The transfer uses
    the quick connect named for ``group.transfer_to``.
    """

    __slots__ = ("_clock", "_due", "_group", "_rng")

    def __init__(self, group: AgentGroup, rng: random.Random, clock: Scheduler) -> None:
        self._group = group
        self._rng = rng
        self._clock = clock
        self._due: dict[str, tuple[str, list[Cancellable]]] = {}

    def __call__(self, agent: MockAgent, message: Message) -> None:
        kind = type(message)
        if kind is Connected:
            assert isinstance(message, Connected)
            self._plan(agent, message.contact_id)
        elif kind is Disconnected:
            assert isinstance(message, Disconnected)
            due = self._due.get(agent.username)
            if due is not None and due[0] == message.contact_id:
                del self._due[agent.username]
                for timer in due[1]:
                    timer.cancel()

    def _plan(self, agent: MockAgent, contact_id: str) -> None:
        g, rng, clock = self._group, self._rng, self._clock
        timers: list[Cancellable] = []
        if g.hold_probability > 0 and rng.random() < g.hold_probability:
            at = g.hold_after_s.sample(rng)
            for_s = g.hold_s.sample(rng)
            timers.append(clock.call_later(at, agent.hold, contact_id))
            timers.append(clock.call_later(at + for_s, agent.resume, contact_id))
        if g.transfer_probability > 0 and rng.random() < g.transfer_probability:
            at = g.transfer_after_s.sample(rng)
            timers.append(clock.call_later(at, agent.transfer, contact_id, g.transfer_to))
        if timers:
            self._due[agent.username] = (contact_id, timers)

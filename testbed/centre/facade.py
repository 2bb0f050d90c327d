"""Testbed: the contact centre a test or a demo builds and runs.

    async with Testbed(start="2022-04-08T11:35:00Z") as tb:   # virtual time
        tb.add_queue("Sales")
        ...
        tb.add_agent(MockAgent("alice", queues=["Sales"]))
        tb.add_caller(MockCaller("+15555550100", dial="+18005550100", talk_s=60))
        await tb.run_until_idle()
        print(tb.records)

It must run on the testbed's event loop (``testbed.run(...)``, or the pytest
plugin); entering it sets that loop's pacing, and leaving restores it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from datetime import datetime
from types import TracebackType
from typing import Any, ClassVar, Protocol

from testbed.centre.agent_status import AgentDetail, agent_detail, agent_details
from testbed.centre.agents import DEFAULT_CUSTOM_STATUSES, QueueRouting, RoutingProfile
from testbed.centre.instance import Instance
from testbed.centre.outbound import OUTBOUND_RING_TIMEOUT_S, ContactDetails
from testbed.centre.queues import Queue
from testbed.centre.routing import QuickConnect
from testbed.centre.switchboard import DEFAULT_OFFER_TIMEOUT_S, DEFAULT_RING_TIMEOUT_S, Switchboard
from testbed.core.clock import DEFAULT_START, VIRTUAL, Clock, Scheduler, check_speed
from testbed.core.errors import ConfigError, StateError
from testbed.core.lines import LineEnd
from testbed.flows import Flow
from testbed.flows.coverage import CoverageRecorder, FlowCoverage
from testbed.flows.hours import HoursOfOperation, HoursOverride
from testbed.flows.lambdas import Handler, LambdaFunction
from testbed.flows.lex import Bot
from testbed.flows.values import name_of
from testbed.records.contact_record import ContactEvent, ContactRecord, records_to_json
from testbed.records.service import RecordService, check_batch
from testbed.records.stores import RecordStore, open_store

__all__ = ["AgentEndpoint", "CallerEndpoint", "Testbed"]


class CallerEndpoint(Protocol):
    """A caller the testbed can connect: it has a phone number and takes a line."""

    @property
    def number(self) -> str: ...
    def attach(self, line: LineEnd, clock: Scheduler) -> None: ...


class AgentEndpoint(Protocol):
    """An agent the testbed can connect: a username, the queues served, a line."""

    @property
    def username(self) -> str: ...
    @property
    def queues(self) -> Iterable[str] | Mapping[str, int | tuple[int, float] | QueueRouting]: ...
    @property
    def acw_timeout_s(self) -> float: ...
    def attach(self, line: LineEnd, clock: Scheduler) -> None: ...



def _positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigError(f"{name} must be a number of seconds > 0, got {value!r}")
    return float(value)


class Testbed:
    """A simulated contact centre on the testbed clock.

    ``start`` is the UTC instant of testbed time 0; ``speed`` is testbed
    seconds per real second (``VIRTUAL``, the default, never waits).  The
    same configuration and ``seed`` give byte-identical records at every
    speed.  With ``wall_clock=True``, ``datetime.now()`` and ``time.time()``
    in code under test return testbed time while the testbed is open.

    ``records`` names the record store (``memory:``, ``jsonl:PATH``,
    ``sqlite:PATH``, or a path ending in .jsonl / .sqlite / .db; see
    ``testbed.records.stores``); events are acknowledged at the end of each instant.
    ``offer_timeout_s`` (20) is how long an agent has to accept an offer;
    ``ring_timeout_s`` (30) how long a callback's dial-out rings unanswered
    before it counts as a failed attempt.  ``custom_statuses`` are the
    unavailable statuses agents may set besides Available and Offline
    (default Break, Lunch, Training).
    ``keep_finished_records=False`` drops finished contacts from memory once
    they are written (records are then read back from the store).
    ``records_batch=N`` writes the store once N events or more wait, rather
    than at the end of every instant (fewer, larger writes for long runs).
    A store that holds a run already is refused (ConfigError on entering)
    unless ``overwrite=True``, which deletes that run first.
    ``flow_coverage`` counts the blocks and branches its flows take (see
    ``testbed.flows.coverage``): every flow added is known to it, every flow
    run reports to it; None takes ``Testbed.default_flow_coverage``.
    ``instance`` is the Connect instance it stands in for (``Instance()``: a
    fixed id in us-east-1); flows' ARNs and the Connect API use it.
    """

    __test__ = False  # not a pytest test class
    #: Where testbeds opened without ``flow_coverage`` report (None: nowhere); the
    #: pytest plugin's ``--flow-coverage`` sets it for the session.
    default_flow_coverage: ClassVar[FlowCoverage | None] = None

    def __init__(
        self,
        start: str | datetime = DEFAULT_START,
        speed: float = VIRTUAL,
        *,
        seed: int = 0,
        paused: bool = False,
        wall_clock: bool = False,
        offer_timeout_s: float = DEFAULT_OFFER_TIMEOUT_S,
        ring_timeout_s: float = DEFAULT_RING_TIMEOUT_S,
        custom_statuses: Iterable[str] = DEFAULT_CUSTOM_STATUSES,
        records: str | RecordStore = "memory:",
        keep_finished_records: bool = True,
        records_batch: int = 1,
        fsync: bool = False,
        overwrite: bool = False,
        flow_coverage: FlowCoverage | None = None,
        instance: Instance | None = None,
    ) -> None:
        self._start = start
        self._speed = check_speed(speed)
        self._seed = seed
        self._paused = paused
        self._wall_clock = wall_clock
        self._offer_timeout_s = _positive("offer_timeout_s", offer_timeout_s)
        self._ring_timeout_s = _positive("ring_timeout_s", ring_timeout_s)
        self._custom_statuses = tuple(custom_statuses)
        self._store = records if not isinstance(records, str) else None
        self._store_url = records if isinstance(records, str) else None
        self._keep_finished = keep_finished_records
        self._records_batch = check_batch(records_batch, "records_batch")
        self._fsync = fsync
        self._overwrite = overwrite
        self.flow_coverage = flow_coverage
        #: The Connect instance this testbed stands in for (its id, region, account, ARNs).
        self.instance = instance if instance is not None else Instance()
        self._coverage: CoverageRecorder | None = None
        self._exit = ExitStack()
        self._clock: Clock | None = None
        self._switchboard: Switchboard | None = None
        self.record_service: RecordService | None = None

    async def __aenter__(self) -> Testbed:
        if self._clock is not None:
            raise StateError("this Testbed is open already")
        clock = Clock.current(self._start)
        loop = clock.loop
        saved_speed, saved_paused = loop.speed, loop.paused
        self._exit.callback(self._restore_pacing, clock, saved_speed, saved_paused)
        clock.speed = self._speed
        if self._paused:
            clock.pause()
        else:
            clock.resume()
        try:
            store = self._store if self._store is not None else \
                open_store(self._store_url or "memory:", self._fsync)
            try:
                service = RecordService(clock.start, store, self._keep_finished, clock,
                                        self._records_batch, overwrite=self._overwrite)
            except BaseException:
                if self._store is None:
                    store.close()  # ours, opened just now; a store passed in stays open
                raise
        except BaseException:
            self._exit.close()  # a refused store leaves the loop's pacing as it was
            raise
        self._exit.callback(service.close)
        loop.end_of_instant.append(service.end_of_instant)
        self._exit.callback(loop.end_of_instant.remove, service.end_of_instant)
        self._clock = clock
        self.record_service = service
        self._switchboard = Switchboard(clock, self.record_service, self._seed,
                                        self._offer_timeout_s)
        self._switchboard.custom_statuses = self._custom_statuses
        self._switchboard.instance = self.instance
        self._switchboard.ring_timeout_s = self._ring_timeout_s
        coverage = self.flow_coverage if self.flow_coverage is not None \
            else Testbed.default_flow_coverage
        if coverage is not None:
            self._coverage = self._switchboard.flow_coverage = coverage.recorder()
        if self._wall_clock:
            self._exit.enter_context(clock.wall_clock())
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        jobs = set() if self._switchboard is None else self._switchboard.jobs
        for job in jobs:  # Lambda invocations still under way
            job.cancel()
        await asyncio.gather(*jobs, return_exceptions=True)
        self._exit.close()

    @staticmethod
    def _restore_pacing(clock: Clock, speed: float, paused: bool) -> None:
        clock.speed = speed
        if paused:
            clock.pause()
        else:
            clock.resume()

    # -- parts --------------------------------------------------------------
    @property
    def clock(self) -> Clock:
        if self._clock is None:
            raise StateError("open the Testbed first: async with Testbed(...) as tb")
        return self._clock

    @property
    def switchboard(self) -> Switchboard:
        if self._switchboard is None:
            raise StateError("open the Testbed first: async with Testbed(...) as tb")
        return self._switchboard

    @property
    def now(self) -> float:
        """Testbed seconds since the start instant."""
        return self.clock.now

    def wall(self, t: float | None = None) -> datetime:
        """The UTC datetime of testbed time ``t`` (default: now)."""
        return self.clock.wall(t)

    # -- configuration ----------------------------------------------------
    def add_flow(self, *flows: Flow) -> None:
        for flow in flows:
            self.switchboard.add_flow(flow)
        if self._coverage is not None:
            self._coverage.add_flow(*flows)

    def add_queue(self, name: str, *, outbound_whisper_flow: str | None = None,
                  hours: str | None = None) -> Queue:
        """A queue; ``hours`` names its hours of operation (see ``add_hours``), which
        CheckHoursOfOperation uses when it names none."""
        if outbound_whisper_flow is not None and outbound_whisper_flow not in \
                self.switchboard.flows:
            raise ConfigError(f"queue {name!r}: no flow named {outbound_whisper_flow!r}")
        return self.switchboard.add_queue(name, outbound_whisper_flow, hours)

    def add_hours(self, hours: HoursOfOperation | str, time_zone: str | None = None,
                  weekly: Mapping[str, str | Sequence[str]] | None = None,
                  overrides: Iterable[Mapping[str, Any] | HoursOverride] = ()
                  ) -> HoursOfOperation:
        """Hours of operation flows check (by name, id or ARN): a HoursOfOperation, or
        ``add_hours("Support", "America/New_York", {"MONDAY": "09:00-17:00", ...})``."""
        if isinstance(hours, str):
            if time_zone is None or weekly is None:
                raise ConfigError(f"hours {hours!r}: give a time_zone and the weekly hours")
            hours = HoursOfOperation.of(hours, time_zone, weekly, overrides)
        self.switchboard.add_hours(hours)
        return hours

    def add_lambda(self, name_or_arn: str, handler: Handler | str, *,
                   latency_s: float = 0.0) -> LambdaFunction:
        """A Lambda stand-in that InvokeLambdaFunction calls by name or ARN: a Python
        callable ``handler(event, context)`` (sync or async), a ``"module:function"``
        path (your real handler file), or the URL of an endpoint speaking Lambda's
        Invoke API.  Each call takes ``latency_s`` testbed seconds."""
        return self.switchboard.lambdas.add(name_or_arn, handler, latency_s=latency_s)

    def add_bot(self, name_or_alias_arn: str, bot: Bot | Mapping[str, Sequence[str]], *,
                slots: Mapping[str, Any] | None = None) -> Bot:
        """A Lex stand-in that ConnectParticipantWithLexBot calls: a ``Bot``, or intents
        with sample utterances (``{"CheckBalance": ["check my balance"]}``)."""
        if not isinstance(bot, Bot):
            bot = Bot.of(name_of(name_or_alias_arn), bot, slots or {})
        return self.switchboard.bots.add(name_or_alias_arn, bot)

    def add_quick_connect(self, name: str, *, queue: str | None = None,
                          agent: str | None = None, number: str | None = None,
                          flow: str | None = None) -> QuickConnect:
        """A quick connect agents transfer with (``transfer(contact_id, name)``): to a
        ``queue``, an ``agent`` (their own queue) or an outside ``number``, exactly one.
        Queue and agent quick connects name the transfer ``flow`` the new contact runs
        (its working queue set to the target: a TransferToQueue sends it there); a
        number quick connect runs none.  ConfigError names a bad value."""
        quick = QuickConnect(name, queue, agent, number, flow)
        self.switchboard.add_quick_connect(quick)
        return quick

    def add_number(self, number: str, flow: str) -> None:
        """Calls to ``number`` run the inbound flow named ``flow``."""
        self.switchboard.add_number(number, flow)

    def connect_phone(self, number: str, transient: bool = False) -> LineEnd:
        """A raw caller line for your own endpoint code; a ``transient`` phone is hung
        up for good once it has no contact left (no live call, no callback to come)."""
        return self.switchboard.connect_phone(number, transient)

    def connect_agent(self, username: str,
                      queues: Iterable[str] | Mapping[str, int | tuple[int, float] | QueueRouting],
                      acw_timeout_s: float = 0.0) -> LineEnd:
        """A raw agent line for your own endpoint code (e.g. an agent desktop)."""
        return self.switchboard.connect_agent(username, RoutingProfile(queues), acw_timeout_s)

    def add_caller(self, caller: CallerEndpoint, transient: bool = False) -> CallerEndpoint:
        """Connect ``caller``; with ``transient`` its line is hung up once it has no
        contact left, as in load runs (callers who are done leave)."""
        caller.attach(self.connect_phone(caller.number, transient), self.clock)
        return caller

    def add_agent(self, agent: AgentEndpoint) -> AgentEndpoint:
        agent.attach(self.connect_agent(agent.username, agent.queues, agent.acw_timeout_s),
                     self.clock)
        return agent

    # -- contacts an outside program starts (as the Connect API does) ---------
    def start_outbound_voice_contact(self, number: str, flow: str, *, queue: str | None = None,
                                     attributes: Mapping[str, str] | None = None,
                                     ring_timeout_s: float = OUTBOUND_RING_TIMEOUT_S) -> str:
        """Ring ``number`` and, once answered, run ``flow`` with working queue ``queue``
        (StartOutboundVoiceContact: InitiationMethod API); the new contact's id.
        Unanswered after ``ring_timeout_s`` it ends TELECOM_UNANSWERED."""
        details = ContactDetails(attributes=dict(attributes or {}))
        return self.switchboard.start_outbound_voice(
            number, flow, details, queue=queue, ring_timeout_s=ring_timeout_s).id

    def start_task_contact(self, name: str, flow: str, *, queue: str | None = None,
                           description: str | None = None,
                           attributes: Mapping[str, str] | None = None,
                           delay_s: float = 0.0) -> str:
        """A TASK contact that runs ``flow`` (working queue ``queue``) now or
        ``delay_s`` from now (StartTaskContact); the new contact's id."""
        details = ContactDetails(name, description, dict(attributes or {}))
        return self.switchboard.start_task(flow, details, queue=queue, delay_s=delay_s).id

    def stop_contact(self, contact_id: str) -> None:
        """End a live contact now (StopContact); StateError naming it if it is not live."""
        contact = self.switchboard.live_contact(contact_id)
        if contact is None:
            raise StateError(f"contact {contact_id!r} is not live")
        self.switchboard.stop_contact(contact)

    def update_contact_attributes(self, contact_id: str, attributes: Mapping[str, str]) -> None:
        """Set attributes on a contact, live or ended, and the live contacts of its chain
        (UpdateContactAttributes)."""
        self.switchboard.update_contact_attributes(contact_id, attributes)

    # -- running ------------------------------------------------------------
    async def run_until(self, when: float | str | datetime) -> None:
        """Run to testbed time ``when`` (seconds since start, or an instant)."""
        await self.clock.run_until(when)

    async def advance(self, seconds: float) -> None:
        await self.clock.advance(seconds)

    async def run_until_idle(self) -> None:
        """Run until nothing is left to happen (no ready work, no timer)."""
        await self.clock.wait_idle()

    # -- results --------------------------------------------------------------
    @property
    def records(self) -> list[ContactRecord]:
        """Every contact record as of now, in initiation order."""
        return self._records().records()

    def events(self, contact_id: str | None = None) -> list[ContactEvent]:
        return self._records().events(contact_id)

    def records_json(self, indent: int | None = 2) -> str:
        """The records as a JSON array of Connect-CTR-shaped objects."""
        return records_to_json(self.records, indent)

    @property
    def agents(self) -> list[AgentDetail]:
        """Every agent connected now or earlier in the run (by username), as an agent
        desktop or dashboard shows them now: state, since, contact, totals (see
        ``testbed.centre.agent_status``)."""
        return agent_details(self.switchboard, self._records(), self.now)

    def agent_status(self, username: str) -> AgentDetail:
        """One agent as ``agents`` shows them; KeyError naming ``username`` if no agent
        of that name has connected in this run."""
        detail = agent_detail(self.switchboard, self._records(), self.now, username)
        if detail is None:
            raise KeyError(f"no agent {username!r} has connected")
        return detail

    def _records(self) -> RecordService:
        if self.record_service is None:
            raise StateError("open the Testbed first: async with Testbed(...) as tb")
        return self.record_service

    def __iter__(self) -> Iterator[ContactRecord]:
        return iter(self.records)

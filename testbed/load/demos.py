"""Built-in demo scenarios: the reference queued callback and a few more to watch.

Each is a few minutes of contact-centre time with a one-line story
(``Demo.summary``), scripted with fakes at fixed instants so it plays the
same every time, at any speed.

The queued-callback scenario (Amazon Connect's "Metrics for a queued
callback" example): John calls at 11:35 and waits in InboundQueue while the
customer-queue flow offers a callback; at 11:37 he takes it.  The callback
waits its 99 s initial delay and queues in CallbackQueue at 11:38:39; an
agent becomes available and accepts at 11:39:00, hears a 10 s whisper, John
is dialled at 11:39:10 and hears a 15 s outbound whisper, they are joined
at 11:39:25 and talk until John hangs up at 11:45.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fakes import MockAgent, MockCaller
from testbed.centre.facade import Testbed
from testbed.flows import (
    CheckQueueStatus,
    Condition,
    CreateCallback,
    Disconnect,
    EventHook,
    Flow,
    GetCustomerInput,
    PlayPrompt,
    SetAttributes,
    SetEventHook,
    SetWorkingQueue,
    TransferToQueue,
)

__all__ = ["CENTRES", "DEMOS", "Demo", "queued_callback_centre", "queued_callback_flows",
           "setup_busy_hour", "setup_ivr_menu", "setup_queued_callback", "setup_shift_change",
           "setup_transfer"]

SERVICE_NUMBER = "+18005550100"
JOHN = "+15555550123"


def queued_callback_flows() -> list[Flow]:
    """The seed's four flows: inbound, customer queue, agent and outbound whisper."""
    inbound = Flow.of("Inbound", [
        SetEventHook(id="set-queue-flow", hook=EventHook.CUSTOMER_QUEUE,
                     flow="CustomerQueue", next="set-whisper"),
        SetEventHook(id="set-whisper", hook=EventHook.AGENT_WHISPER,
                     flow="AgentWhisper", next="set-queue"),
        SetWorkingQueue(id="set-queue", queue="InboundQueue", next="transfer"),
        TransferToQueue(id="transfer", errors={"NoMatchingError": "disconnect"}),
        Disconnect(id="disconnect"),
    ])
    customer_queue = Flow.of("CustomerQueue", [
        GetCustomerInput(
            id="offer-callback",
            text="All our agents are busy. Press 1 and we will call you back.",
            duration_s=10, timeout_s=20,
            conditions={"1": "create-callback"},
            errors={"InputTimeLimitExceeded": "hold", "NoMatchingCondition": "hold"},
        ),
        PlayPrompt(id="hold", text="(hold music)", duration_s=30, next="offer-callback"),
        CreateCallback(id="create-callback", queue="CallbackQueue", initial_delay_s=99,
                       next="disconnect", errors={"NoMatchingError": "disconnect"}),
        Disconnect(id="disconnect"),
    ])
    agent_whisper = Flow.of("AgentWhisper", [
        PlayPrompt(id="whisper", duration_s=10,
                   text="You are about to be connected to a customer who asked for a callback."),
    ])
    outbound_whisper = Flow.of("OutboundWhisper", [
        PlayPrompt(id="whisper", duration_s=15,
                   text="Hello, this is your scheduled callback. Connecting you to an agent."),
    ])
    return [inbound, customer_queue, agent_whisper, outbound_whisper]


def queued_callback_centre(tb: Testbed) -> None:
    """The reference scenario's contact centre: flows, queues and the service number."""
    tb.add_flow(*queued_callback_flows())
    tb.add_queue("InboundQueue")
    tb.add_queue("CallbackQueue", outbound_whisper_flow="OutboundWhisper")
    tb.add_number(SERVICE_NUMBER, "Inbound")


def setup_queued_callback(tb: Testbed) -> None:
    """Configure ``tb`` for the reference scenario (the centre, John and an agent)."""
    queued_callback_centre(tb)
    # The agent becomes available four minutes in (11:39:00 at the default start).
    tb.add_agent(MockAgent("alex", ["InboundQueue", "CallbackQueue"], available_at=240.0))
    tb.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, dial_at=0.0,
                             callback_after_s=120, answer_after_s=0, talk_s=335))


def _caller(i: int) -> str:
    """The number of the demo's i-th caller (from 1)."""
    return f"+1555555{1000 + i:04d}"


def setup_ivr_menu(tb: Testbed) -> None:
    """Six callers in five minutes hear a menu; 1 goes to Sales, 2 (or nothing) to Support,
    each served by an agent of its own."""
    tb.add_flow(Flow.of("Menu", [
        PlayPrompt(id="welcome", text="Thank you for calling Example Corp.", duration_s=4,
                   next="menu"),
        GetCustomerInput(id="menu", text="For sales press 1, for support press 2.",
                         duration_s=6, timeout_s=5, conditions={"1": "sales", "2": "support"},
                         errors={"InputTimeLimitExceeded": "support",
                                 "NoMatchingCondition": "support"}),
        SetAttributes(id="sales", attributes={"menu": "sales"}, next="sales-queue"),
        SetWorkingQueue(id="sales-queue", queue="Sales", next="transfer"),
        SetAttributes(id="support", attributes={"menu": "support"}, next="support-queue"),
        SetWorkingQueue(id="support-queue", queue="Support", next="transfer"),
        TransferToQueue(id="transfer", errors={"NoMatchingError": "bye"}),
        Disconnect(id="bye"),
    ]))
    tb.add_queue("Sales")
    tb.add_queue("Support")
    tb.add_number(SERVICE_NUMBER, "Menu")
    tb.add_agent(MockAgent("sam", ["Sales"], available_at=0.0))
    tb.add_agent(MockAgent("sue", ["Support"], available_at=0.0))
    # (dial at, key pressed or None for silence, talk seconds)
    for i, (at, key, talk) in enumerate([(0, "1", 100), (20, "2", 140), (45, "1", 90),
                                         (80, None, 60), (120, "2", 110), (170, "1", 80)], 1):
        press = [] if key is None else [(7.0, key)]
        tb.add_caller(MockCaller(_caller(i), dial=SERVICE_NUMBER, dial_at=float(at),
                                 press=press, talk_s=float(talk)))


def setup_busy_hour(tb: Testbed) -> None:
    """Eight calls in under three minutes for two agents: while four or more wait, the
    queue flow offers a callback, and two callers take it."""
    tb.add_flow(Flow.of("Inbound", [
        SetEventHook(id="queue-flow", hook=EventHook.CUSTOMER_QUEUE, flow="Busy",
                     next="queue"),
        SetWorkingQueue(id="queue", queue="Support", next="transfer"),
        TransferToQueue(id="transfer", errors={"NoMatchingError": "bye"}),
        Disconnect(id="bye"),
    ]))
    tb.add_flow(Flow.of("Busy", [
        CheckQueueStatus(id="check", metric="NumberOfContactsInQueue",
                         conditions=(Condition("NumberGreaterOrEqualTo", "4", "offer"),),
                         errors={"NoMatchingCondition": "hold"}),
        PlayPrompt(id="hold", text="(hold music)", duration_s=20, next="check"),
        GetCustomerInput(id="offer", text="We are busy. Press 1 and we will call you back.",
                         duration_s=6, timeout_s=5, conditions={"1": "callback"},
                         errors={"InputTimeLimitExceeded": "hold",
                                 "NoMatchingCondition": "hold"}),
        CreateCallback(id="callback", queue="Support", initial_delay_s=180, next="bye",
                       errors={"NoMatchingError": "bye"}),
        Disconnect(id="bye"),
    ]))
    tb.add_queue("Support")
    tb.add_number(SERVICE_NUMBER, "Inbound")
    tb.add_agent(MockAgent("ana", ["Support"], available_at=0.0, acw_s=20))
    tb.add_agent(MockAgent("ben", ["Support"], available_at=0.0, acw_s=20))
    # (dial at, talk seconds, takes a callback offered this long into the call, or None)
    for i, (at, talk, callback) in enumerate([
            (0, 200, None), (15, 180, None), (30, 150, None), (50, 120, None),
            (70, 160, 60.0), (95, 140, None), (120, 100, 40.0), (150, 90, None)], 1):
        tb.add_caller(MockCaller(_caller(i), dial=SERVICE_NUMBER, dial_at=float(at),
                                 talk_s=float(talk), callback_after_s=callback))


def setup_shift_change(tb: Testbed) -> None:
    """The early shift logs off at 11:40 in the middle of calls: each finishes the call
    first, then goes Offline; the late shift, in since 11:39, takes the calls after."""
    tb.add_flow(Flow.of("Inbound", [
        SetWorkingQueue(id="queue", queue="Support", next="transfer"),
        TransferToQueue(id="transfer", errors={"NoMatchingError": "bye"}),
        Disconnect(id="bye"),
    ]))
    tb.add_queue("Support")
    tb.add_number(SERVICE_NUMBER, "Inbound")
    for name in ("early1", "early2"):
        tb.add_agent(MockAgent(name, ["Support"], available_at=0.0, offline_at=300.0, acw_s=15))
    for name in ("late1", "late2"):
        tb.add_agent(MockAgent(name, ["Support"], available_at=240.0, acw_s=15))
    for i, at in enumerate(range(0, 420, 45), 1):
        tb.add_caller(MockCaller(_caller(i), dial=SERVICE_NUMBER, dial_at=float(at),
                                 talk_s=150.0))


def setup_transfer(tb: Testbed) -> None:
    """A caller's billing question reaches Support; the agent holds the call, then
    transfers it to the Billing queue, where a second agent takes it."""
    tb.add_flow(Flow.of("Inbound", [
        SetWorkingQueue(id="queue", queue="Support", next="transfer"),
        TransferToQueue(id="transfer", errors={"NoMatchingError": "bye"}),
        Disconnect(id="bye"),
    ]))
    tb.add_flow(Flow.of("To Billing", [
        SetWorkingQueue(id="queue", queue="Billing", next="transfer"),
        TransferToQueue(id="transfer"),
    ]))
    tb.add_queue("Support")
    tb.add_queue("Billing")
    tb.add_number(SERVICE_NUMBER, "Inbound")
    tb.add_quick_connect("Billing", queue="Billing", flow="To Billing")
    # alice holds each call 40 s in for 30 s, and transfers it 90 s in.
    tb.add_agent(MockAgent("alice", ["Support"], available_at=0.0, hold=[(40, 30)],
                           transfer=[(90, "Billing")], acw_s=20))
    tb.add_agent(MockAgent("bob", ["Billing"], available_at=60.0, talk_s=120, acw_s=20))
    for i, at in enumerate((0.0, 30.0), 1):
        tb.add_caller(MockCaller(_caller(i), dial=SERVICE_NUMBER, dial_at=at))


@dataclass(frozen=True)
class Demo:
    """A built-in scenario: ``summary`` is its one-line story, ``setup`` builds it."""

    name: str
    summary: str
    setup: Callable[[Testbed], None]


DEMOS: dict[str, Demo] = {
    "queued-callback": Demo(
        "queued-callback",
        "a caller takes a queued callback: two contact records (about 10 minutes)",
        setup_queued_callback,
    ),
    "ivr-menu": Demo(
        "ivr-menu",
        "an IVR menu sends callers to Sales (1) or Support (2, or nothing) (about 6 minutes)",
        setup_ivr_menu,
    ),
    "busy-hour": Demo(
        "busy-hour",
        "eight calls for two agents: once four wait, the queue flow offers callbacks "
        "(about 12 minutes)",
        setup_busy_hour,
    ),
    "shift-change": Demo(
        "shift-change",
        "the early shift logs off mid-call at 11:40, finishing its calls; the late shift "
        "takes over (about 12 minutes)",
        setup_shift_change,
    ),
    "transfer": Demo(
        "transfer",
        "an agent holds a call, then transfers it to the Billing queue (about 6 minutes)",
        setup_transfer,
    ),
}


#: Contact centres (flows, queues, numbers; no endpoints) that ``testbed serve`` can run.
CENTRES: dict[str, Callable[[Testbed], None]] = {
    "queued-callback": queued_callback_centre,
}

"""Built-in demo scenarios, starting with the reference queued callback.

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

__all__ = ["CENTRES", "DEMOS", "Demo", "queued_callback_centre", "queued_callback_flows",
           "setup_queued_callback"]

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


@dataclass(frozen=True)
class Demo:
    name: str
    summary: str
    setup: Callable[[Testbed], None]


DEMOS: dict[str, Demo] = {
    "queued-callback": Demo(
        "queued-callback",
        "a caller takes a queued callback: two contact records (about 10 minutes)",
        setup_queued_callback,
    ),
}


#: Contact centres (flows, queues, numbers; no endpoints) that ``testbed serve`` can run.
CENTRES: dict[str, Callable[[Testbed], None]] = {
    "queued-callback": queued_callback_centre,
}

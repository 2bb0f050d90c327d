"""Property: whatever a client sends, the server carries on and every contact ends complete."""

from __future__ import annotations

import json

import aiohttp
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakes import MockAgent, MockCaller
from testbed import Testbed, run
from testbed.load.demos import SERVICE_NUMBER, queued_callback_centre
from testbed.server.app import create_app

from .conftest import JANE

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
frames = st.one_of(
    st.just(json.dumps({"type": "dial", "to": SERVICE_NUMBER})),
    st.builds(lambda d: json.dumps({"type": "send_digits", "contact_id": "x", "digits": d}),
              st.text(max_size=5)),
    st.builds(lambda t, body: json.dumps({"type": t, **body}),
              st.sampled_from(["dial", "hangup", "answer", "send_digits", "accept",
                               "set_status", "set_timer", "ack", "alarm", "bogus"]),
              st.dictionaries(st.sampled_from(["to", "contact_id", "digits", "status", "ref",
                                               "at_s", "v", "t"]), scalars, max_size=4)),
    st.text(max_size=100),
    st.binary(max_size=50).map(lambda b: b.decode("latin-1")),
)


async def _fuzz(sent: list[str]) -> Testbed:
    async with Testbed() as tb:
        queued_callback_centre(tb)
        tb.add_agent(MockAgent("alex", ["InboundQueue", "CallbackQueue"], talk_s=30))
        tb.add_caller(MockCaller(JANE, dial=SERVICE_NUMBER, talk_s=20))
        async with TestServer(create_app(tb), host="127.0.0.1", port=0) as server, \
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as http:
            url = server.make_url("/v1/endpoints/caller?number=%2B15555550199")
            async with http.ws_connect(url) as ws:
                for frame in sent:
                    await ws.send_str(frame)
                await tb.advance(5)
            await tb.run_until_idle()
    return tb


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(frames, max_size=12))
def test_any_input_leaves_every_contact_complete(sent: list[str]) -> None:
    tb = run(_fuzz(sent))
    records = tb.records
    assert records, "Jane's call at least"
    assert all(r.complete for r in records), [r.to_ctr() for r in records if not r.complete]
    jane = [r for r in records if r.customer_endpoint == JANE]
    assert jane and jane[0].disconnect_reason in ("CUSTOMER_DISCONNECT", "AGENT_DISCONNECT")

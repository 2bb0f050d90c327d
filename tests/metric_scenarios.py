"""Contact centres the metrics operations' tests share."""

from __future__ import annotations

from datetime import datetime

import pytest

from fakes import MockAgent, MockCaller
from testbed import Testbed
from testbed.load.demos import SERVICE_NUMBER

from .conftest import JANE, JOHN, at, seed_centre

__all__ = ["four_callers", "utc"]

JIM = "+15555550125"
JOAN = "+15555550126"


def utc(hms: str, day: str = "2022-04-08") -> datetime:
    """The instant ``hms`` UTC on the seed's day (or ``day``)."""
    return datetime.fromisoformat(f"{day}T{hms}+00:00")


@pytest.fixture
async def four_callers(testbed: Testbed) -> Testbed:
    """tests/test_metrics.py's four callers, run to 11:45:00; alice serves both queues with
    30 s of after-contact work.

    - A dials at 0: joined at 10, talks 100 s (110), wraps up to 140.
    - B dials at 10: answered at 140 (130 s in queue), joined 150, talks to 210, ACW to 240.
    - C dials at 20: gives up at 70 (50 s in queue): abandoned.
    - D dials at 30 and takes the callback offered at 90 (60 s in queue, not abandoned).
      The callback queues at 189, alice takes it at 240 (150 s after it was made),
      joined at 265, talks to 305, ACW to 335.
    """
    seed_centre(testbed)
    testbed.add_agent(MockAgent("alice", ["InboundQueue", "CallbackQueue"], available_at=0,
                                acw_s=30))
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, dial_at=0, talk_s=100))
    testbed.add_caller(MockCaller(JANE, dial=SERVICE_NUMBER, dial_at=10, talk_s=60))
    testbed.add_caller(MockCaller(JIM, dial=SERVICE_NUMBER, dial_at=20, patience_s=50))
    testbed.add_caller(MockCaller(JOAN, dial=SERVICE_NUMBER, dial_at=30, callback_after_s=60,
                                  talk_s=40))
    await testbed.run_until(at("11:45:00"))
    return testbed

"""Metrics: Connect's definitions, checked against hand-computed numbers."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from fakes import MockAgent, MockCaller
from testbed import RecordService, Testbed, run
from testbed.cli import main
from testbed.load.demos import SERVICE_NUMBER, setup_queued_callback
from testbed.records.metrics import QueueInterval, historical, realtime
from testbed.records.stores import open_store

from .conftest import JANE, JOHN, seed_centre

JIM = "+15555550125"
JOAN = "+15555550126"


async def _seed(tb: Testbed) -> None:
    setup_queued_callback(tb)
    await tb.run_until_idle()


async def test_seed_historical_metrics(testbed: Testbed) -> None:
    await _seed(testbed)
    inbound, callback = historical(testbed.records)
    assert (inbound.queue, inbound.contacts_queued, inbound.contacts_handled,
            inbound.contacts_abandoned) == ("InboundQueue", 1, 0, 0)
    assert (callback.queue, callback.callback_contacts_handled,
            callback.avg_queue_answer_time_s) == ("CallbackQueue", 1, 120.0)


async def test_seed_real_time_metrics(testbed: Testbed) -> None:
    await _seed(testbed)
    entries, start = testbed.record_service.entries(), testbed.wall(0)  # type: ignore[union-attr]
    at_1138 = realtime(start, entries, 180).queues["CallbackQueue"]
    assert (at_1138.contacts_scheduled, at_1138.contacts_in_queue) == (1, 0)
    at_113850 = realtime(start, entries, 230).queues["CallbackQueue"]
    assert (at_113850.contacts_in_queue, at_113850.oldest_contact_age_ms) == (1, 11_000)
    assert realtime(start, entries, 230).agents == {"Offline": 1}
    assert realtime(start, entries, 300).agents_on_contact == 1


@pytest.fixture
async def four_callers(testbed: Testbed) -> dict[str, QueueInterval]:
    """The seed's centre (10 s agent whisper, callback offer, 15 s outbound whisper) and
    alice on both queues with 30 s of after-contact work.

    - A dials at 0: answered at once, joined at 10, talks 100 s (110), wraps up to 140.
    - B dials at 10: answered at 140 (130 s in queue), joined 150, talks to 210, ACW to 240.
    - C dials at 20: gives up at 70 (50 s in queue): abandoned.
    - D dials at 30 and takes the callback offered at 90 (60 s in queue, not abandoned).
      The callback queues at 189, alice takes it at 240 (150 s after it was made),
      rings at 250, joined at 265, talks to 305, ACW to 335.
    """
    seed_centre(testbed)
    testbed.add_agent(MockAgent("alice", ["InboundQueue", "CallbackQueue"], available_at=0,
                                acw_s=30))
    testbed.add_caller(MockCaller(JOHN, dial=SERVICE_NUMBER, dial_at=0, talk_s=100))
    testbed.add_caller(MockCaller(JANE, dial=SERVICE_NUMBER, dial_at=10, talk_s=60))
    testbed.add_caller(MockCaller(JIM, dial=SERVICE_NUMBER, dial_at=20, patience_s=50))
    testbed.add_caller(MockCaller(JOAN, dial=SERVICE_NUMBER, dial_at=30, callback_after_s=60,
                                  talk_s=40))
    await testbed.run_until_idle()
    return {r.queue: r for r in historical(testbed.records, service_levels_s=(20, 60))}


async def test_contacts_queued(four_callers: dict[str, QueueInterval]) -> None:
    assert four_callers["InboundQueue"].contacts_queued == 4
    assert four_callers["CallbackQueue"].contacts_queued == 1


async def test_contacts_handled(four_callers: dict[str, QueueInterval]) -> None:
    assert four_callers["InboundQueue"].contacts_handled == 2
    assert four_callers["CallbackQueue"].contacts_handled == 1


async def test_contacts_abandoned_leaves_out_the_callback_request(
        four_callers: dict[str, QueueInterval]) -> None:
    assert four_callers["InboundQueue"].contacts_abandoned == 1


async def test_callback_contacts_handled(four_callers: dict[str, QueueInterval]) -> None:
    assert four_callers["InboundQueue"].callback_contacts_handled == 0
    assert four_callers["CallbackQueue"].callback_contacts_handled == 1


async def test_average_queue_answer_time(four_callers: dict[str, QueueInterval]) -> None:
    assert four_callers["InboundQueue"].avg_queue_answer_time_s == (0 + 130) / 2
    assert four_callers["CallbackQueue"].avg_queue_answer_time_s == 150


async def test_average_handle_time_is_talk_plus_after_contact_work(
        four_callers: dict[str, QueueInterval]) -> None:
    assert four_callers["InboundQueue"].avg_handle_time_s == ((100 + 30) + (60 + 30)) / 2
    assert four_callers["CallbackQueue"].avg_handle_time_s == 40 + 30


async def test_average_after_contact_work_time(four_callers: dict[str, QueueInterval]) -> None:
    assert four_callers["InboundQueue"].avg_after_contact_work_time_s == 30
    assert four_callers["CallbackQueue"].avg_after_contact_work_time_s == 30


async def test_maximum_queued_time(four_callers: dict[str, QueueInterval]) -> None:
    assert four_callers["InboundQueue"].max_queued_time_s == 130
    assert four_callers["CallbackQueue"].max_queued_time_s == 150


async def test_service_level_counts_contacts_out_of_queue_within_x(
        four_callers: dict[str, QueueInterval]) -> None:
    # Out of queue in under 20 s: A (0 s); under 60 s: A and C (50 s), not D (60 s).
    assert four_callers["InboundQueue"].service_level == {20: 25.0, 60: 50.0}
    assert four_callers["CallbackQueue"].service_level == {20: 0.0, 60: 0.0}


async def test_abandonment_rate(four_callers: dict[str, QueueInterval]) -> None:
    assert four_callers["InboundQueue"].abandonment_rate == 25.0
    assert four_callers["CallbackQueue"].abandonment_rate == 0.0


async def test_interval_is_where_the_record_closed(
        four_callers: dict[str, QueueInterval]) -> None:
    inbound = four_callers["InboundQueue"]
    assert (inbound.start.isoformat(), inbound.end.isoformat()) == \
        ("2022-04-08T11:30:00+00:00", "2022-04-08T11:45:00+00:00")


async def test_shorter_intervals_split_the_contacts(testbed: Testbed) -> None:
    await _seed(testbed)
    rows = historical(testbed.records, interval=timedelta(minutes=5))
    assert [(r.start.strftime("%H:%M"), r.queue) for r in rows] == \
        [("11:35", "InboundQueue"), ("11:45", "CallbackQueue")]


@pytest.fixture(scope="module")
def seed_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("run") / "seed.jsonl"

    async def play() -> list[dict[str, object]]:
        async with Testbed(records=str(path)) as tb:
            await _seed(tb)
            return [r.to_json() for r in historical(tb.records)]

    live = run(play())
    reopened = RecordService.open(open_store(path))
    assert [r.to_json() for r in historical(reopened.records())] == live
    return path


def test_metrics_cli_json_matches_the_live_numbers(
        seed_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["metrics", str(seed_store), "--json"]) == 0
    inbound, callback = json.loads(capsys.readouterr().out)
    assert inbound["CONTACTS_QUEUED"] == 1 and inbound["CONTACTS_ABANDONED"] == 0
    assert callback["CALLBACK_CONTACTS_HANDLED"] == 1
    assert callback["AVG_QUEUE_ANSWER_TIME"] == 120.0


def test_metrics_cli_real_time(seed_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["metrics", str(seed_store), "--at", "2022-04-08T11:38:50Z", "--json"]) == 0
    now = json.loads(capsys.readouterr().out)
    assert now["Queues"]["CallbackQueue"] == {"CONTACTS_IN_QUEUE": 1, "CONTACTS_SCHEDULED": 0,
                                              "OLDEST_CONTACT_AGE": 11000}


def test_metrics_cli_table(seed_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["metrics", str(seed_store)]) == 0
    out = capsys.readouterr().out
    assert "CALLBACK_CONTACTS_HANDLED" in out and "11:45-12:00" in out


def test_metrics_cli_refuses_a_bad_interval(seed_store: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["metrics", str(seed_store), "--interval", "0m"])
    assert info.value.code == 2
    assert "got '0m'" in capsys.readouterr().err


def test_metrics_from_an_exported_file_match_the_store(
        seed_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    exported = tmp_path / "ctr.jsonl"
    assert main(["records", "export", str(seed_store), "--out", str(exported)]) == 0
    assert main(["metrics", str(seed_store), "--json"]) == 0
    from_store = capsys.readouterr().out
    assert main(["metrics", str(exported), "--json"]) == 0
    assert capsys.readouterr().out == from_store


def test_records_survive_a_round_trip_through_their_ctr(seed_store: Path) -> None:
    records = RecordService.open(open_store(seed_store)).records()
    assert [type(r).from_ctr(r.to_ctr()) for r in records] == records

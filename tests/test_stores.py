"""Record stores: what was acknowledged survives, and reopening rebuilds every record."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from testbed import ConfigError, ContactEvent, EventKind, RecordService, Testbed
from testbed.load.demos import setup_queued_callback
from testbed.records.stores import JsonLinesStore, SQLiteStore, open_store

pytestmark = pytest.mark.testbed


async def _seed_run(records: str, **options: object) -> Testbed:
    async with Testbed(records=records, **options) as tb:  # type: ignore[arg-type]
        setup_queued_callback(tb)
        await tb.run_until_idle()
    return tb


@pytest.mark.parametrize("suffix", ["jsonl", "sqlite"])
async def test_reopened_store_rebuilds_every_record(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"run.{suffix}"
    tb = await _seed_run(str(path))
    reopened = RecordService.open(open_store(path))
    assert reopened.records() == tb.records
    assert reopened.events() == tb.events()
    assert reopened.start == tb.wall(0)


async def test_jsonl_and_sqlite_stores_give_identical_records(tmp_path: Path) -> None:
    await _seed_run(f"jsonl:{tmp_path / 'a.log'}")
    await _seed_run(f"sqlite:{tmp_path / 'b.data'}")
    from_jsonl = RecordService.open(JsonLinesStore(tmp_path / "a.log"))
    from_sqlite = RecordService.open(SQLiteStore(tmp_path / "b.data"))
    assert from_jsonl.events() == from_sqlite.events()
    assert [r.to_ctr() for r in from_jsonl.records()] == \
        [r.to_ctr() for r in from_sqlite.records()]


async def test_events_are_acknowledged_at_the_end_of_each_instant(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    seen_on_disk: list[list[float]] = []

    def look(event: ContactEvent) -> None:
        if event.kind == EventKind.ENQUEUED and event.timestamp_s == 219:
            # Inside 11:38:39: what happened before it is on disk, this instant not yet.
            seen_on_disk.append([e[0] for e in RecordService.open(open_store(path)).entries()])

    async with Testbed(records=str(path)) as tb:
        assert tb.record_service is not None
        tb.record_service.on("event", look)
        setup_queued_callback(tb)
        await tb.run_until("2022-04-08T11:38:39Z")
        # Once the instant is over (run_until returns then), all of it is.
        on_disk = RecordService.open(open_store(path)).entries()
        assert on_disk == tb.record_service.entries()
        await tb.run_until_idle()
    [times] = seen_on_disk
    assert max(times) == 120.0 and 219.0 not in times


async def test_a_cut_last_line_is_dropped_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    tb = await _seed_run(str(path))
    text = path.read_bytes()
    path.write_bytes(text[:-9])  # the crash cut the last event line short
    with pytest.warns(RuntimeWarning, match="last line was cut short"):
        reopened = RecordService.open(open_store(path))
    assert reopened.entries() == tb.record_service.entries()[:-1]  # type: ignore[union-attr]


async def test_a_corrupt_line_inside_the_file_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    await _seed_run(str(path))
    lines = path.read_text().splitlines(keepends=True)
    lines[3] = "{not json\n"
    path.write_text("".join(lines))
    with pytest.raises(ConfigError, match=r"run\.jsonl:4: corrupt event line"):
        RecordService.open(open_store(path))


async def test_streaming_keeps_only_live_contacts_in_memory(tmp_path: Path) -> None:
    path = tmp_path / "run.sqlite"
    async with Testbed(records=str(path), keep_finished_records=False) as tb:
        service = tb.record_service
        assert service is not None
        setup_queued_callback(tb)
        await tb.run_until("2022-04-08T11:38:00Z")
        assert service.live_contacts == 1  # the inbound contact is finished and gone
        await tb.run_until_idle()
        assert service.live_contacts == 0
        streamed = tb.records
    in_memory = await _seed_run("memory:")
    assert streamed == in_memory.records


async def test_batched_writes_wait_for_a_full_batch_and_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "run.sqlite"
    batches: list[int] = []
    async with Testbed(records=str(path), records_batch=12) as tb:
        service = tb.record_service
        assert service is not None
        service.on("flushed", batches.append)
        setup_queued_callback(tb)
        await tb.run_until("2022-04-08T11:37:00Z")
        assert (len(service.entries()), service.acknowledged) == (10, 0)  # under a batch
        await tb.run_until("2022-04-08T11:39:00Z")
        assert service.acknowledged == 15  # 11:39:00 brought it to 12 or more: written
        await tb.run_until_idle()
        assert service.acknowledged == 15  # the last 8 wait...
    assert batches == [15, 23]  # ...until the testbed closes
    assert RecordService.open(open_store(path)).records() == (await _seed_run("memory:")).records


def test_a_bad_batch_size_is_refused_naming_it() -> None:
    with pytest.raises(ConfigError, match="records_batch must be a whole number >= 1, got 0"):
        Testbed(records_batch=0)


def test_a_corrupt_sqlite_row_is_an_error_naming_the_store(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "run.sqlite"
    store = SQLiteStore(path)
    store.begin(datetime(2022, 4, 8, tzinfo=UTC))
    store.close()
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO events (t, contact_id, kind, data) VALUES (1, 'c', 'LOST', 'null')")
    with pytest.raises(ConfigError, match=r"run\.sqlite: corrupt event row"):
        RecordService.open(open_store(path))


@pytest.mark.parametrize("url", ["ftp://x", "out/run.csv", "jsonl:"])
def test_unknown_store_url_is_refused_naming_it(url: str) -> None:
    with pytest.raises(ConfigError, match=repr(url).replace(".", r"\.")):
        open_store(url)


def test_a_file_that_is_not_a_testbed_log_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.jsonl"
    path.write_text('{"hello": 1}\n')
    with pytest.raises(ConfigError, match="not a testbed event log"):
        JsonLinesStore(path)


def test_streaming_without_a_store_is_refused() -> None:
    with pytest.raises(ConfigError, match="needs a store"):
        RecordService(datetime(2022, 4, 8, tzinfo=UTC), None, keep_finished=False)


CRASHING_RUN = """
import sys, testbed
from testbed.load.demos import setup_queued_callback

async def main():
    async with testbed.Testbed(speed=200, records=sys.argv[1]) as tb:
        tb.record_service.on("flushed", lambda n: print("ack", n, flush=True))
        setup_queued_callback(tb)
        await tb.run_until_idle()
    print("finished", flush=True)

testbed.run(main())
"""


@pytest.mark.parametrize("suffix", ["jsonl", "sqlite"])
def test_killed_run_keeps_every_acknowledged_event(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"run.{suffix}"
    child = subprocess.Popen([sys.executable, "-c", CRASHING_RUN, str(path)],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    acknowledged = 0
    for line in child.stdout:
        word, _, count = line.partition(" ")
        assert word == "ack", f"the run ended before it was killed: {line!r}"
        acknowledged = int(count)
        if acknowledged >= 9:  # the callback has queued; it is still waiting
            child.send_signal(signal.SIGKILL)
            break
    child.wait()
    child.stdout.close()

    reopened = RecordService.open(open_store(path))
    assert len(reopened.entries()) >= acknowledged
    inbound, callback = reopened.records()
    assert inbound.complete and inbound.disconnect_reason == "CONTACT_FLOW_DISCONNECT"
    assert not callback.complete
    assert callback.to_ctr()["DisconnectTimestamp"] is None


@pytest.mark.parametrize("data", [
    None, "Support", 'quote " back \\ newline \n é \u2028', (), ("agent1",),
    ("agent1", "Busy", None), ("agent1", "Busy", "c1"), ("Q", 30.0), (("k", "v"), ("a", "b")),
    5, 2.5, True,
])
def test_sqlite_stores_event_data_exactly_as_json_dumps_writes_it(data: object) -> None:
    from testbed.records.stores import _data_json, encode_data

    assert _data_json(data) == json.dumps(encode_data(data))

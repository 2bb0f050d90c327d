"""`testbed records export`: CTR lines, CSV and the contact-event stream of a stored run."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from testbed import Testbed, run
from testbed.cli import main
from testbed.load.demos import setup_queued_callback

from .conftest import at


@pytest.fixture(scope="module")
def seed_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("run") / "seed.sqlite"

    async def play() -> None:
        async with Testbed(records=str(path)) as tb:
            setup_queued_callback(tb)
            await tb.run_until_idle()

    run(play())
    return path


def _export(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["records", "export", *argv]) == 0
    return capsys.readouterr().out


def test_ctr_json_is_one_seed_record_per_line(
        seed_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = (json.loads(line) for line in _export(capsys, str(seed_store)).splitlines())
    assert (first["InitiationMethod"], first["Queue"]["DequeueTimestamp"],
            first["DisconnectTimestamp"], first["DisconnectReason"]) == \
        ("INBOUND", at("11:37:00"), at("11:37:00"), "CONTACT_FLOW_DISCONNECT")
    assert second["PreviousContactId"] == first["ContactId"] == \
        first["ContactId"] and first["NextContactId"] == second["ContactId"]
    assert (second["InitiationTimestamp"], second["Queue"]["EnqueueTimestamp"],
            second["Queue"]["DequeueTimestamp"], second["Queue"]["Duration"],
            second["ConnectedToSystemTimestamp"], second["Agent"]["ConnectedToAgentTimestamp"],
            second["DisconnectTimestamp"]) == \
        (at("11:37:00"), at("11:38:39"), at("11:39:00"), 120, at("11:39:10"), at("11:39:25"),
         at("11:45:00"))


def test_csv_flattens_the_seed_records(seed_store: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    rows = list(csv.DictReader(io.StringIO(_export(capsys, str(seed_store), "--format", "csv"))))
    assert [r["Queue.Name"] for r in rows] == ["InboundQueue", "CallbackQueue"]
    assert rows[0]["Agent.ConnectedToAgentTimestamp"] == ""
    assert rows[1]["Queue.EnqueueTimestamp"] == at("11:38:39")
    assert rows[1]["Queue.Duration"] == "120"


def test_events_stream_has_millisecond_contact_events(
        seed_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = [json.loads(line) for line in
              _export(capsys, str(seed_store), "--format", "events").splitlines()]
    callback = [(e["EventType"], e["Timestamp"]) for e in events
                if e["InitiationMethod"] == "CALLBACK"]
    assert callback == [
        ("INITIATED", "2022-04-08T11:37:00.000Z"),
        ("QUEUED", "2022-04-08T11:38:39.000Z"),
        ("CONNECTED_TO_AGENT", "2022-04-08T11:39:25.000Z"),
        ("DISCONNECTED", "2022-04-08T11:45:00.000Z"),
        ("COMPLETED", "2022-04-08T11:45:00.000Z"),
    ]
    inbound = [e["EventType"] for e in events if e["InitiationMethod"] == "INBOUND"]
    assert inbound == ["INITIATED", "QUEUED", "DISCONNECTED", "COMPLETED"]


def test_out_writes_a_file(seed_store: Path, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ctr.jsonl"
    assert _export(capsys, str(seed_store), "--out", str(out)) == ""
    assert len(out.read_text().splitlines()) == 2


def test_missing_store_exits_2_without_creating_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "none.sqlite"
    with pytest.raises(SystemExit) as info:
        main(["records", "export", str(missing)])
    assert info.value.code == 2
    assert f"no store at '{missing}'" in capsys.readouterr().err
    assert not missing.exists()


def test_jsonl_and_sqlite_stores_export_the_same_bytes(
        seed_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jsonl = tmp_path / "seed.jsonl"

    async def play() -> None:
        async with Testbed(records=str(jsonl)) as tb:
            setup_queued_callback(tb)
            await tb.run_until_idle()

    run(play())
    for fmt in ("ctr-json", "csv", "events"):
        assert _export(capsys, str(seed_store), "--format", fmt) == \
            _export(capsys, str(jsonl), "--format", fmt)

"""Record stores met the wrong way: reused, damaged, cut short, or given bad paths.

Each is what a user sees: a refusal or an error as one line on stderr (exit
status 2, no traceback), a one-line warning, or a table that reads at 80 columns.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from testbed import ConfigError, RecordService, Testbed, run
from testbed.cli import main
from testbed.load.demos import setup_queued_callback
from testbed.records.export import contact_events
from testbed.records.stores import SQLiteStore, open_store

SCENARIOS = Path(__file__).resolve().parent.parent / "scripts" / "scenarios"


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int | str | None, str, str]:
    """Exit status, stdout and stderr of ``testbed ARGV``."""
    try:
        code: int | str | None = main(list(argv))
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def _one_line_error(err: str, *words: str) -> None:
    assert err.startswith("testbed: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for word in words:
        assert word in err, err


def _demo(capsys: pytest.CaptureFixture[str], store: Path, *flags: str) -> tuple[int | str | None,
                                                                                str]:
    code, _, err = _cli(capsys, "demo", "queued-callback", "--virtual", "--json",
                        "--records", str(store), *flags)
    return code, err


def _events(capsys: pytest.CaptureFixture[str], store: Path) -> list[str]:
    code, out, err = _cli(capsys, "records", "export", str(store), "--format", "events")
    assert code == 0, err
    return out.splitlines()


async def _seed_run(store: str | Path, overwrite: bool = False) -> None:
    testbed = Testbed(records=str(store), overwrite=True) if overwrite else \
        Testbed(records=str(store))
    async with testbed as tb:
        setup_queued_callback(tb)
        await tb.run_until_idle()


# -- a store holds one run ---------------------------------------------------------


@pytest.mark.parametrize("suffix", ["sqlite", "jsonl"])
def test_demo_refuses_a_store_that_holds_a_run(
        tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / f"run.{suffix}"
    assert _demo(capsys, store)[0] == 0
    events = _events(capsys, store)
    code, err = _demo(capsys, store)
    assert code == 2
    _one_line_error(err, str(store), "already holds a run", "--overwrite", "new file")
    assert _events(capsys, store) == events  # the first run, untouched


@pytest.mark.parametrize("suffix", ["sqlite", "jsonl"])
def test_demo_overwrite_replaces_the_run_in_the_store(
        tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / f"run.{suffix}"
    assert _demo(capsys, store)[0] == 0
    events = _events(capsys, store)
    assert _demo(capsys, store, "--overwrite")[0] == 0
    assert _events(capsys, store) == events  # one run, not two
    code, out, _ = _cli(capsys, "metrics", str(store), "--at", "2022-04-08T11:38:50Z", "--json")
    assert code == 0
    assert json.loads(out)["Queues"]["CallbackQueue"]["CONTACTS_IN_QUEUE"] == 1


@pytest.mark.testbed
@pytest.mark.parametrize("suffix", ["sqlite", "jsonl"])
async def test_testbed_refuses_a_store_that_holds_a_run_unless_told_to_overwrite(
        tmp_path: Path, suffix: str) -> None:
    store = tmp_path / f"run.{suffix}"
    await _seed_run(store)
    first = RecordService.open(open_store(store)).entries()
    with pytest.raises(ConfigError, match=rf"run\.{suffix} already holds a run .*overwrite=True"):
        await _seed_run(store)
    assert RecordService.open(open_store(store)).entries() == first
    await _seed_run(store, overwrite=True)
    assert RecordService.open(open_store(store)).entries() == first


@pytest.mark.testbed
async def test_jsonl_store_streams_finished_records(tmp_path: Path) -> None:
    store = tmp_path / "run.jsonl"
    async with Testbed(records=str(store), keep_finished_records=False) as tb:
        setup_queued_callback(tb)
        await tb.run_until_idle()
        streamed = tb.records  # read back from the file, after its header line
    async with Testbed() as tb:
        setup_queued_callback(tb)
        await tb.run_until_idle()
        assert streamed == tb.records


def test_a_store_holding_two_appended_runs_is_refused_when_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "run.sqlite"
    run(_seed_run(store))
    entries = RecordService.open(open_store(store)).entries()
    writer = SQLiteStore(store)  # as a second run was appended before runs were refused
    writer.write(entries)
    writer.close()
    code, _, err = _cli(capsys, "records", "export", str(store))
    assert code == 2
    _one_line_error(err, str(store), f"event {len(entries) + 1}", "a second run starts here")


def test_load_out_refuses_a_folder_holding_a_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    scenario = str(SCENARIOS / "mmc.toml")
    assert _cli(capsys, "load", scenario, "--callers", "20", "--out", str(out))[0] == 0
    before = (out / "records.sqlite").read_bytes()
    code, _, err = _cli(capsys, "load", scenario, "--callers", "30", "--out", str(out))
    assert code == 2
    _one_line_error(err, str(out), "records.sqlite", "--overwrite", "new folder")
    assert (out / "records.sqlite").read_bytes() == before
    assert _cli(capsys, "load", scenario, "--callers", "30", "--out", str(out),
                "--overwrite")[0] == 0
    code, exported, _ = _cli(capsys, "records", "export", str(out / "records.sqlite"))
    assert code == 0 and len(exported.splitlines()) == 30


# -- damaged stores and bad paths ------------------------------------------------


def _damaged_sqlite_store(tmp_path: Path) -> Path:
    """A store whose SQLite header is intact and whose other pages are garbage."""
    store = tmp_path / "run.sqlite"
    run(_seed_run(store))
    with sqlite3.connect(store) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the file itself
    db.close()
    data = store.read_bytes()
    store.write_bytes(data[:4096] + b"\x55" * (len(data) - 4096))
    return store


@pytest.mark.parametrize("command", [["records", "export"], ["metrics"]])
def test_a_damaged_sqlite_store_is_one_line_naming_it(
        tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    store = _damaged_sqlite_store(tmp_path)
    code, out, err = _cli(capsys, *command, str(store))
    assert code == 2 and out == ""
    _one_line_error(err, str(store), "database disk image is malformed", "restore it")


def test_a_damaged_sqlite_store_prints_no_traceback_from_the_command(tmp_path: Path) -> None:
    store = _damaged_sqlite_store(tmp_path)
    done = subprocess.run([sys.executable, "-m", "testbed.cli", "metrics", str(store)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2
    _one_line_error(done.stderr, str(store), "database disk image is malformed")


def test_export_out_in_a_missing_folder_is_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "run.sqlite"
    assert _demo(capsys, store)[0] == 0
    target = tmp_path / "missing" / "ctr.jsonl"
    code, _, err = _cli(capsys, "records", "export", str(store), "--out", str(target))
    assert code == 2
    _one_line_error(err, str(target), "create it first")
    assert not target.parent.exists()


def test_export_out_naming_a_folder_is_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "run.sqlite"
    assert _demo(capsys, store)[0] == 0
    code, _, err = _cli(capsys, "records", "export", str(store), "--out", str(tmp_path))
    assert code == 2
    _one_line_error(err, str(tmp_path), "is a folder", "name a file")


def test_load_out_naming_a_file_is_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("mine\n")
    code, _, err = _cli(capsys, "load", str(SCENARIOS / "mmc.toml"), "--callers", "5",
                        "--out", str(target))
    assert code == 2
    _one_line_error(err, str(target), "is a file", "name a folder")
    assert target.read_text() == "mine\n"


def test_a_cut_last_line_is_a_one_line_warning_and_the_rest_is_read(tmp_path: Path) -> None:
    store = tmp_path / "run.jsonl"
    run(_seed_run(store))
    service = RecordService.open(open_store(store))
    rest = [json.dumps(e, separators=(",", ":"))
            for e in contact_events(service.start, service.entries()[:-1])]
    lines = store.read_bytes().splitlines(keepends=True)
    store.write_bytes(b"".join(lines[:-1]) + lines[-1][:-9])  # a crash cut the last line
    done = subprocess.run(
        [sys.executable, "-m", "testbed.cli", "records", "export", str(store),
         "--format", "events"],
        capture_output=True, text=True, check=False, env={**os.environ, "PYTHONWARNINGS": ""})
    assert done.returncode == 0
    assert done.stderr == (f"testbed: warning: {store}:{len(lines)}: the last line was cut "
                           f"short (a crash while writing?); it was ignored and the rest was "
                           f"read\n")
    assert done.stdout.splitlines() == rest


def test_the_python_api_warns_of_a_cut_last_line_naming_it(tmp_path: Path) -> None:
    from testbed.records.stores import StoreWarning

    store = tmp_path / "run.jsonl"
    run(_seed_run(store))
    lines = store.read_bytes().splitlines(keepends=True)
    store.write_bytes(b"".join(lines[:-1]) + lines[-1][:-9])
    with pytest.warns(StoreWarning, match=rf"run\.jsonl:{len(lines)}: the last line was cut"):
        RecordService.open(open_store(store))


# -- metrics at 80 columns -------------------------------------------------------


def _tables(text: str) -> dict[tuple[str, str, str], str]:
    """The cells of rich tables printed with a row per interval:
    (queue, interval, column) -> cell."""
    cells: dict[tuple[str, str, str], str] = {}
    queue, columns = "", [""]
    for line in text.splitlines():
        if ": " in line and line[0] not in "┏┃┡│└":
            queue = line.split(": ")[0]
        elif line.startswith("┃"):
            columns = [c.strip() for c in line.strip("┃").split("┃")]
        elif line.startswith("│"):
            values = [c.strip() for c in line.strip("│").split("│")]
            for column, value in zip(columns[1:], values[1:], strict=True):
                cells[queue, values[0], column] = value
    return cells


def _cell(value: float | None) -> str:
    return "-" if value is None else str(value) if isinstance(value, int) else f"{value:.1f}"


@pytest.mark.parametrize("width", [80, 132])
def test_metrics_with_many_intervals_read_at_the_terminal_width(
        tmp_path: Path, width: int, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    assert _cli(capsys, "load", str(SCENARIOS / "mmc.toml"), "--callers", "150",
                "--out", str(out))[0] == 0
    store = str(out / "records.sqlite")
    code, printed, _ = _cli(capsys, "metrics", store, "--interval", "10s", "--json")
    rows = json.loads(printed)
    assert code == 0 and len(rows) >= 12

    monkeypatch.setenv("COLUMNS", str(width))
    code, printed, _ = _cli(capsys, "metrics", store, "--interval", "10s")
    assert code == 0
    assert max(len(line) for line in printed.splitlines()) <= width
    cells = _tables(printed)
    for row in rows:
        interval = f"{row['IntervalStart'][11:19]}-{row['IntervalEnd'][11:19]}"
        for metric in ("CONTACTS_QUEUED", "CONTACTS_HANDLED", "AVG_QUEUE_ANSWER_TIME",
                       "MAX_QUEUED_TIME", "SERVICE_LEVEL_20", "ABANDONMENT_RATE"):
            assert cells["Support", interval, metric] == _cell(row[metric]), (interval, metric)


def test_metrics_note_a_store_that_ends_mid_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "stopped.sqlite"

    async def stopped_run() -> None:
        async with Testbed(records=str(store)) as tb:
            setup_queued_callback(tb)
            await tb.run_until("2022-04-08T11:39:05Z")  # the callback is still in queue

    run(stopped_run())
    note = ("the store ends mid-run at 2022-04-08T11:39:00Z: 1 contact still live (not "
            "counted); the 11:30-11:45 interval is partial")
    code, out, _ = _cli(capsys, "metrics", str(store))
    assert code == 0
    assert [line for line in out.splitlines() if "mid-run" in line] == [f"note: {note}"]
    code, out, err = _cli(capsys, "metrics", str(store), "--json")
    assert code == 0 and json.loads(out)
    assert err == f"testbed: warning: {note}\n"

    finished = tmp_path / "finished.sqlite"
    run(_seed_run(finished))
    code, out, err = _cli(capsys, "metrics", str(finished))
    assert code == 0 and "mid-run" not in out + err

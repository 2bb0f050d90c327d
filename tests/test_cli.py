"""`testbed demo`: what a user sees on the terminal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import testbed
from testbed.cli import main

from .conftest import at


def test_demo_json_prints_only_the_seed_records(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "queued-callback", "--virtual", "--json"]) == 0
    out = capsys.readouterr().out
    records = json.loads(out)
    assert [r["InitiationMethod"] for r in records] == ["INBOUND", "CALLBACK"]
    assert records[0]["DisconnectTimestamp"] == at("11:37:00")
    assert records[1]["Queue"]["EnqueueTimestamp"] == at("11:38:39")
    assert records[1]["Queue"]["Duration"] == 120
    assert records[1]["Agent"]["ConnectedToAgentTimestamp"] == at("11:39:25")
    assert records[1]["DisconnectTimestamp"] == at("11:45:00")


def test_demo_json_is_the_same_at_another_speed(capsys: pytest.CaptureFixture[str]) -> None:
    main(["demo", "queued-callback", "--virtual", "--json"])
    virtual = capsys.readouterr().out
    main(["demo", "queued-callback", "--speed", "1200", "--json"])
    assert capsys.readouterr().out == virtual


def test_demo_start_moves_every_timestamp(capsys: pytest.CaptureFixture[str]) -> None:
    main(["demo", "queued-callback", "--virtual", "--json", "--start", "2030-01-02T08:00:00Z"])
    records = json.loads(capsys.readouterr().out)
    assert records[0]["InitiationTimestamp"] == "2030-01-02T08:00:00Z"
    assert records[1]["Queue"]["EnqueueTimestamp"] == "2030-01-02T08:03:39Z"


def test_demo_prints_a_live_timeline_and_the_records_table(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "queued-callback", "--virtual"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    timeline = [line for line in lines if line.startswith("  11:")]
    assert "agent alex is Offline" in timeline[0]
    assert timeline[1].split()[0] == "11:35:00.000" and timeline[1].split()[2] == "INITIATED"
    assert any("11:38:39.000" in line and "ENQUEUED" in line for line in timeline)
    assert timeline[-1].split()[0] == "11:45:00.000"
    assert "Contact records" in out
    assert "CONTACT_FLOW_DISCONNECT" in out and "CUSTOMER_DISCONNECT" in out


@pytest.mark.parametrize(("argv", "says"), [
    (["--speed", "0"], "--speed: must be greater than 0, got '0'"),
    (["--speed", "-3"], "--speed: must be greater than 0, got '-3'"),
    (["--speed", "fast"], "got 'fast'"),
    (["--start", "yesterday"], "--start: must be an ISO-8601 instant"),
])
def test_bad_flags_exit_2_with_one_line_naming_the_value(
        argv: list[str], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["demo", "queued-callback", *argv])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert says in err


def test_unknown_demo_exits_2_listing_the_demos(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["demo", "queued-callbak"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.strip() == ("testbed demo: error: argument NAME: unknown demo "
                           "'queued-callbak'; demos: busy-hour, ivr-menu, queued-callback, "
                           "shift-change, transfer")


def test_help_documents_every_demo_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    out = capsys.readouterr().out
    for option in ("--speed", "--real-time", "--virtual", "--json", "--start",
                   "queued-callback"):
        assert option in out


FLOWS = Path(__file__).resolve().parent.parent / "scripts" / "flows"


def test_flow_check_summarises_and_warns(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flow", "check", str(FLOWS / "queued-callback" / "Inbound.json")]) == 0
    out = capsys.readouterr().out
    assert "Inbound" in out and "queues: InboundQueue" in out
    assert "refers to flow 'CustomerQueue', which is not among the files checked" in out


def test_flow_check_fails_on_a_bad_file(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"Version": "2019-10-30", "StartAction": "a", "Actions": '
                   '[{"Identifier": "a", "Type": "SendCarrierPigeon"}]}')
    assert main(["flow", "check", str(bad)]) == 1
    assert "unsupported Type 'SendCarrierPigeon'" in capsys.readouterr().out


SCENARIOS = Path(__file__).resolve().parent.parent / "scripts" / "scenarios"


def test_load_json_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["load", str(SCENARIOS / "morning-peak.toml"), "--callers", "100",
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["callers"] == 100
    [support] = report["queues"]
    assert support["offered"] >= 100
    assert support["handled"] + support["abandoned"] + support["called_back"] >= 100
    assert {"wait_p50_s", "wait_p90_s", "wait_p99_s", "wait_max_s", "service_level_20s",
            "service_level_60s", "abandonment_rate"} <= set(support)


def test_load_out_writes_records_metrics_and_plots(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    assert main(["load", str(SCENARIOS / "mmc.toml"), "--callers", "300", "--out",
                 str(out)]) == 0
    printed = capsys.readouterr().out
    assert "service level 20 s (%)" in printed and "agent occupancy" in printed
    for name in ("records.sqlite", "report.json", "metrics.json", "metrics.csv",
                 "queue_and_agents.png", "wait_histogram.png", "service_level.png"):
        assert (out / name).stat().st_size > 0, name
    assert main(["records", "export", str(out / "records.sqlite")]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 300


def test_load_refuses_a_bad_scenario_naming_the_key(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[arrivals]\nrate_per_s = "fast"\n')
    with pytest.raises(SystemExit) as info:
        main(["load", str(bad)])
    assert info.value.code == 2
    assert "arrivals.rate_per_s must be a number > 0, got 'fast'" in capsys.readouterr().err


def test_output_into_a_closed_pipe_ends_quietly() -> None:
    import os
    import subprocess
    import sys

    read, write = os.pipe()
    os.close(read)  # the reader is gone before anything is written (as `| head` ends)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "testbed.cli", "demo", "queued-callback", "--virtual",
             "--json"], stdout=write, stderr=subprocess.PIPE, timeout=60, check=False)
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (1, b"")


def test_load_reports_flow_coverage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "coverage.json"
    assert main(["load", str(SCENARIOS / "morning-peak.toml"), "--callers", "200",
                 "--flow-coverage", "--flow-coverage-json", str(saved)]) == 0
    out = capsys.readouterr().out
    assert "Flow coverage" in out and "CallbackOffer" in out
    flows = {f["name"]: f for f in json.loads(saved.read_text())["flows"]}
    assert flows["Inbound"]["blocks_entered"] == flows["Inbound"]["blocks_total"]


def test_load_refuses_a_coverage_file_in_a_missing_folder(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["load", str(SCENARIOS / "mmc.toml"), "--callers", "10",
              "--flow-coverage-json", str(tmp_path / "no" / "cov.json")])
    assert exit_info.value.code == 2
    assert "--flow-coverage-json" in capsys.readouterr().err


def test_version_says_which_build_runs(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    build = testbed.build_info()
    assert build in ("pure Python", "compiled")
    assert capsys.readouterr().out.strip() == f"testbed {testbed.__version__} ({build})"

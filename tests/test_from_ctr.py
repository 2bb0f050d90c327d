"""`testbed scenario from-ctr`: scenarios from contact-record exports, and odd records."""

from __future__ import annotations

import gzip
import json
import statistics
import tomllib
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from testbed.cli import main
from testbed.core.clock import VIRTUAL, run
from testbed.load.run import LoadRun
from testbed.load.scenario import Scenario
from testbed.records.contact_record import ContactRecord
from testbed.records.export import ctr_lines

# Three 15-minute intervals of a support line; 3,600 to 4,500 callers an interval, so
# a Poisson regeneration's count scatters by 1.5 to 1.7 % (5 % is three sigmas).
DAY = """\
name = "support day"
start = "2022-04-08T08:00:00Z"
seed = 5
duration_s = 2700

[arrivals]
kind = "piecewise"
segments = [[0, 4.0], [900, 5.0], [1800, 4.5]]

[caller]
talk_s = {dist = "lognormal", mean = 8, sigma = 0.5}
patience_s = {dist = "exponential", mean = 20}

[[agents]]
count = 30
prefix = "early"
queues = ["Support"]
acw_s = {dist = "uniform", low = 1, high = 3}

[[agents]]
count = 12
prefix = "late"
queues = ["Support"]
shift = [900, 2700]
acw_s = {dist = "uniform", low = 1, high = 3}

[flow]
kind = "queue"
queue = "Support"
"""

SMALL = """\
name = "small"
start = "2022-04-08T08:00:00Z"
seed = 2
callers = {callers}

[arrivals]
kind = "poisson"
rate_per_s = 0.5

[caller]
talk_s = {{dist = "exponential", mean = 60}}
patience_s = {{dist = "exponential", mean = {patience}}}
callback_accept_p = {callback}

[[agents]]
count = 20
prefix = "agent"
queues = ["Support"]

[flow]
kind = "{flow}"
queue = "Support"
{offer}
"""


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``testbed ARGV`` for ``scenario from-ctr``: exit status, standard output and error."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _run(scenario: Path, store: str = "memory:", seed: int | None = None) -> list[ContactRecord]:
    result = run(LoadRun(Scenario.from_toml(scenario), records=store, seed=seed).run(),
                 speed=VIRTUAL)
    return result.records


def _export(records: Iterable[ContactRecord], path: Path) -> Path:
    path.write_text("".join(line + "\n" for line in ctr_lines(records)))
    return path


def _offered_per_interval(records: Iterable[ContactRecord], start: datetime) -> list[int]:
    counts = Counter(int((r.initiation_timestamp - start).total_seconds() // 900)
                     for r in records if r.initiation_method == "INBOUND" and r.queue)
    return [counts[i] for i in range(max(counts) + 1)]


def _mean_talk(records: Iterable[ContactRecord]) -> float:
    return statistics.fmean(
        (r.disconnect_timestamp - r.agent.connected_to_agent_timestamp).total_seconds()
        for r in records if r.agent is not None and r.agent.connected_to_agent_timestamp
        and r.disconnect_timestamp is not None)


def test_a_scenario_from_a_load_runs_export_reproduces_its_offered_calls_and_talk_time(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    day = tmp_path / "day.toml"
    day.write_text(DAY)
    original = _run(day, store=str(tmp_path / "day.sqlite"))
    export = tmp_path / "day.jsonl"
    assert main(["records", "export", str(tmp_path / "day.sqlite"), "--out", str(export)]) == 0
    code, out, _ = _cli(["scenario", "from-ctr", str(export), "--out",
                         str(tmp_path / "back.toml")], capsys)
    assert code == 0
    assert "written to" in out
    again = _run(tmp_path / "back.toml")
    start = Scenario.from_toml(day).start
    before, after = _offered_per_interval(original, start), _offered_per_interval(again, start)
    assert len(before) == len(after) == 3
    for b, a in zip(before, after, strict=True):
        assert a == pytest.approx(b, rel=0.05)
    assert _mean_talk(again) == pytest.approx(_mean_talk(original), rel=0.05)


def test_the_scenario_staffs_each_interval_as_observed(tmp_path: Path) -> None:
    day = tmp_path / "day.toml"
    day.write_text(DAY.replace("[[0, 4.0], [900, 5.0], [1800, 4.5]]", "[[0, 1.0], [900, 1.2]]"))
    export = _export(_run(day), tmp_path / "day.jsonl")
    from testbed.load.ctr_read import read_export
    from testbed.load.from_ctr import scenario_from_ctr

    built = scenario_from_ctr(read_export([export]))
    groups = [(g["count"], g.get("shift")) for g in built.data["agents"]]
    assert groups == [(30, None), (12, [900])]
    assert built.data["start"] == "2022-04-08T08:00:00Z"


def test_arrivals_times_replays_the_observed_instants(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    small = tmp_path / "small.toml"
    small.write_text(SMALL.format(callers=300, patience=40, callback=0, flow="queue", offer=""))
    original = _run(small)
    export = _export(original, tmp_path / "small.jsonl")
    code, _out, _ = _cli(["scenario", "from-ctr", str(export), "--arrivals", "times",
                          "--out", str(tmp_path / "back.toml")], capsys)
    assert code == 0
    again = _run(tmp_path / "back.toml")
    assert sorted(r.initiation_timestamp for r in again if r.initiation_method == "INBOUND") \
        == sorted(r.initiation_timestamp for r in original)


def test_callbacks_make_a_callback_offer_flow(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    small = tmp_path / "small.toml"
    # Patient callers and too few agents: most wait past the offer, half of them take it.
    small.write_text(SMALL.format(callers=1500, patience=300, callback=0.5,
                                  flow="callback-offer",
                                  offer="offer_after_s = 30\ncallback_delay_s = 60"))
    export = _export(_run(small), tmp_path / "small.jsonl")
    code, out, _ = _cli(["scenario", "from-ctr", str(export), "--json"], capsys)
    assert code == 0
    result = json.loads(out)
    assert result["counts"]["callbacks"] > 0
    back = Scenario.from_dict(tomllib.loads(result["toml"]))
    assert back.flow.kind == "callback-offer"
    assert back.flow.callback_delay_s == 60
    assert 30 <= back.flow.offer_after_s <= 35
    assert back.behaviour.callback_accept_p == pytest.approx(0.5, abs=0.05)


def test_without_out_the_scenario_goes_to_standard_output(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    small = tmp_path / "small.toml"
    small.write_text(SMALL.format(callers=50, patience=40, callback=0, flow="queue", offer=""))
    export = _export(_run(small), tmp_path / "small.jsonl")
    code, out, err = _cli(["scenario", "from-ctr", str(export)], capsys)
    assert code == 0
    assert out.startswith("# arrivals: Poisson at each 15-minute interval's rate, from 50 ")
    assert "50 records read: 50 arrivals" in err
    (tmp_path / "out.toml").write_text(out)
    assert Scenario.from_toml(tmp_path / "out.toml").agents[0].queues == {"Support": 1}


def _records(count: int = 3) -> list[dict[str, Any]]:
    small_records = []
    for i in range(count):
        small_records.append({
            "ContactId": f"c{i}", "InitiationMethod": "INBOUND", "Channel": "VOICE",
            "InitiationTimestamp": f"2022-04-08T08:0{i}:00Z",
            "Queue": {"Name": "Support", "EnqueueTimestamp": f"2022-04-08T08:0{i}:05Z",
                      "DequeueTimestamp": f"2022-04-08T08:0{i}:20Z", "Duration": 15},
            "Agent": {"Username": "ann", "ConnectedToAgentTimestamp":
                      f"2022-04-08T08:0{i}:20Z", "AfterContactWorkDuration": 10},
            "DisconnectTimestamp": f"2022-04-08T08:0{i}:50Z"})
    return small_records


def test_odd_records_are_listed_with_where_they_are_and_nothing_is_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = _records()
    records[1]["Queue"]["EnqueueTimestamp"] = "yesterday"
    records[2]["DisconnectTimestamp"] = "2022-04-08T07:00:00Z"
    lines = [json.dumps(r) for r in records]
    lines.insert(1, "{not json")
    lines.append(json.dumps({"ContactId": "c9", "InitiationMethod": "INBOUND"}))
    export = tmp_path / "odd.jsonl"
    export.write_text("\n".join(lines) + "\n")
    out_file = tmp_path / "odd.toml"
    code, _out, err = _cli(["scenario", "from-ctr", str(export), "--out", str(out_file)],
                           capsys)
    assert code == 2
    assert not out_file.exists()
    assert err.splitlines()[0] == (f"testbed: error: {export}: 4 odd records; nothing "
                                   f"written. Pass --allow-odd to build the scenario from "
                                   f"the rest:")
    assert f"1 record: not JSON (at {export}:2)" in err
    assert f'1 record: Queue.EnqueueTimestamp is not a timestamp (at {export}:3 ' \
           f'"yesterday")' in err
    assert "1 record: timestamps out of order (DisconnectTimestamp before " in err
    assert f"1 record: no InitiationTimestamp (at {export}:5)" in err


def test_allow_odd_builds_from_the_rest_and_still_reports_the_odd_ones(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = _records()
    records[1]["Agent"]["AfterContactWorkDuration"] = -4
    export = tmp_path / "odd.jsonl"
    export.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    code, out, _ = _cli(["scenario", "from-ctr", str(export), "--allow-odd", "--json",
                         "--out", str(tmp_path / "odd.toml")], capsys)
    assert code == 0
    result = json.loads(out)
    assert result["counts"]["arrivals"] == 3 and result["counts"]["odd"] == 1
    assert result["problems"] == [{
        "problem": "Agent.AfterContactWorkDuration is not a number of seconds >= 0",
        "records": 1, "at": [f"{export}:2 -4"]}]
    scenario = Scenario.from_toml(tmp_path / "odd.toml")
    assert scenario.behaviour.talk_s.mean == 30


def test_copies_of_a_record_are_merged_keeping_the_latest(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = _records()
    stale = {**records[0], "LastUpdateTimestamp": "2022-04-08T08:00:30Z",
             "DisconnectTimestamp": "2022-04-08T08:00:40Z"}
    records[0]["LastUpdateTimestamp"] = "2022-04-08T08:05:00Z"
    export = tmp_path / "copies.jsonl"
    export.write_text("\n".join(json.dumps(r) for r in [records[0], stale, *records[1:]]))
    code, out, _ = _cli(["scenario", "from-ctr", str(export), "--json"], capsys)
    assert code == 0
    result = json.loads(out)
    assert result["counts"]["duplicates"] == 1 and result["counts"]["arrivals"] == 3
    assert "talk_s = 30" in result["toml"]


def test_an_array_a_run_together_stream_and_gzip_read_alike(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = _records()
    (tmp_path / "a.json").write_text(json.dumps(records, indent=2))
    (tmp_path / "b.json").write_text("".join(json.dumps(r) for r in records))
    (tmp_path / "c.json.gz").write_bytes(gzip.compress(
        "\n".join(json.dumps(r) for r in records).encode()))
    tomls = []
    for name in ("a.json", "b.json", "c.json.gz"):
        code, out, _ = _cli(["scenario", "from-ctr", str(tmp_path / name), "--name", "x"],
                            capsys)
        assert code == 0
        tomls.append(out)
    assert tomls[0] == tomls[1] == tomls[2]


def test_a_csv_export_is_refused_saying_which_format_to_use(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = tmp_path / "records.csv"
    export.write_text("ContactId,PreviousContactId\nc1,\n")
    code, _out, err = _cli(["scenario", "from-ctr", str(export)], capsys)
    assert code == 2
    assert "not a contact-record export" in err and "--format ctr-json" in err


def test_other_channels_are_counted_apart(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    records = _records()
    records.append({**records[0], "ContactId": "chat1", "Channel": "CHAT"})
    export = tmp_path / "mixed.jsonl"
    export.write_text("\n".join(json.dumps(r) for r in records))
    code, out, _ = _cli(["scenario", "from-ctr", str(export), "--json"], capsys)
    assert code == 0
    result = json.loads(out)
    assert result["other_channels"] == {"CHAT": 1} and result["counts"]["arrivals"] == 3


def test_patience_is_estimated_from_abandoned_and_answered_waits(tmp_path: Path) -> None:
    from testbed.load.ctr_read import read_export
    from testbed.load.from_ctr import scenario_from_ctr

    mmcm = Path(__file__).resolve().parent.parent / "scripts" / "scenarios" / "mmcm.toml"
    records = run(LoadRun(Scenario.from_toml(mmcm), callers=5000).run(), speed=VIRTUAL).records
    built = scenario_from_ctr(read_export([_export(records, tmp_path / "mmcm.jsonl")]))
    patience = built.data["caller"]["patience_s"]
    # Exponential patience of mean 60 s; only a fifth of the callers abandon.
    assert statistics.fmean(patience["values"]) == pytest.approx(60, rel=0.15)


def test_interval_sets_the_arrival_rates_and_queue_picks_the_arrival_queue(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = _records()
    records.append({**records[0], "ContactId": "s1",
                    "Queue": {**records[0]["Queue"], "Name": "Sales"}})
    export = tmp_path / "two.jsonl"
    export.write_text("\n".join(json.dumps(r) for r in records))
    code, out, _ = _cli(["scenario", "from-ctr", str(export), "--interval", "1m", "--json"],
                        capsys)
    assert code == 0
    scenario = tomllib.loads(json.loads(out)["toml"])
    assert scenario["arrivals"]["segments"] == [[0, 1 / 60], [60, 1 / 60], [120, 1 / 60],
                                                [180, 0]]
    assert scenario["flow"]["queue"] == "Support"
    code, out, _ = _cli(["scenario", "from-ctr", str(export), "--queue", "Sales", "--json"],
                        capsys)
    assert code == 0
    assert tomllib.loads(json.loads(out)["toml"])["flow"]["queue"] == "Sales"
    code, _out, err = _cli(["scenario", "from-ctr", str(export), "--queue", "Billing"], capsys)
    assert code == 2
    assert "--queue 'Billing': no INBOUND contact queued there (queues: Sales, Support)" in err

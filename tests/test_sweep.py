"""Sweeps on a 2-worker Dask LocalCluster: the numbers, the staffing answer, failures, Ctrl-C.

The cluster (two worker processes, one thread each) starts once for the module.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testbed.cli import main
from testbed.load.sweep import SweepTable, local_cluster, sweep
from testbed.load.sweep_plan import replication_seed

distributed = pytest.importorskip("distributed")

MMC = """\
name = "M/M/c"
seed = 3
callers = {callers}

[arrivals]
kind = "poisson"
rate_per_s = 1.0

[caller]
talk_s = {{dist = "exponential", mean = 4}}

[[agents]]
count = {agents}
prefix = "agent"
queues = ["Support"]

[flow]
kind = "queue"
queue = "Support"
"""


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with local_cluster(2) as cluster, distributed.Client(cluster) as c:
        yield c


def _mmc(folder: Path, agents: int = 6, callers: int = 200) -> Path:
    path = folder / f"mmc-{agents}.toml"
    path.write_text(MMC.format(agents=agents, callers=callers))
    return path


def test_a_sweeps_runs_give_what_testbed_load_gives_for_each_combination_alone(
        client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = sweep(_mmc(tmp_path), ["agents=5,6"], replications=2, scheduler=client)
    assert [(r["agents"], r["replication"]) for r in sorted(
        table.runs, key=lambda r: (r["agents"], r["replication"]))] == [
        (5, 0), (5, 1), (6, 0), (6, 1)]
    for run in table.runs:
        alone = _mmc(tmp_path, agents=run["agents"])
        assert main(["load", str(alone), "--seed", str(run["seed"]), "--json"]) == 0
        [queue] = json.loads(capsys.readouterr().out)["queues"]
        assert (run["offered"], run["handled"], run["abandoned"]) == (
            queue["offered"], queue["handled"], queue["abandoned"])
        assert run["mean_wait_s"] == queue["mean_wait_s"]
        assert run["wait_p90_s"] == queue["wait_p90_s"]
        assert run["service_level_20s"] == pytest.approx(queue["service_level_20s"] / 100)


def test_each_replication_runs_its_own_seed_the_first_the_scenarios(
        client: Any, tmp_path: Path) -> None:
    table = sweep(_mmc(tmp_path), ["agents=6"], replications=3, scheduler=client)
    assert sorted(r["seed"] for r in table.runs) == sorted(
        [3, replication_seed(3, 1), replication_seed(3, 2)])
    assert len({r["mean_wait_s"] for r in table.runs}) == 3


def test_a_combination_row_holds_the_mean_and_95_percent_interval_of_its_runs(
        client: Any, tmp_path: Path) -> None:
    table = sweep(_mmc(tmp_path), ["agents=5"], replications=3, scheduler=client)
    [row] = table
    waits = [r["mean_wait_s"] for r in table.runs]
    mean = sum(waits) / 3
    half = 4.303 * (sum((w - mean) ** 2 for w in waits) / 2) ** 0.5 / 3 ** 0.5
    assert row["runs"] == 3 and row["failed"] == 0
    assert row["mean_wait_s_mean"] == pytest.approx(mean)
    assert row["mean_wait_s_ci_low"] == pytest.approx(mean - half)
    assert row["mean_wait_s_ci_high"] == pytest.approx(mean + half)


def test_staffing_answer_for_mmc_matches_erlang_c_within_one_agent(
        client: Any, tmp_path: Path) -> None:
    # 1 caller a second, 4 s of talk: Erlang C needs 6 agents for 80 % within 2 s
    # (5: 66 %, 6: 90 %).
    table = sweep(_mmc(tmp_path, callers=400), ["agents=4..9"], replications=4,
                  target="service_level_2s>=0.8", scheduler=client)
    [answer] = table.answers
    assert answer["theory"] == "Erlang C"
    assert answer["theory_smallest"] == 6
    assert abs(answer["smallest"] - answer["theory_smallest"]) <= 1
    assert [r["meets_target"] for r in table][-1] is True
    assert table[2]["service_level_2s_theory"] == pytest.approx(0.8952, abs=1e-4)


def _connect_flow(folder: Path, action_type: str) -> None:
    folder.mkdir()
    (folder / "Inbound.json").write_text(json.dumps({
        "Version": "2019-10-30", "StartAction": "queue", "Metadata": {"name": "Inbound"},
        "Actions": [
            {"Identifier": "queue", "Type": action_type,
             "Parameters": {"QueueId": "arn:aws:connect:us-east-1:1:instance/t/queue/Support"},
             "Transitions": {"NextAction": "transfer", "Errors": [], "Conditions": []}},
            {"Identifier": "transfer", "Type": "TransferContactToQueue",
             "Transitions": {"Errors": [], "Conditions": []}}]}))


def test_a_failing_combination_is_reported_and_the_others_complete(
        client: Any, tmp_path: Path) -> None:
    _connect_flow(tmp_path / "good", "UpdateContactTargetQueue")
    _connect_flow(tmp_path / "bad", "NoSuchBlockType")
    scenario = tmp_path / "connect.toml"
    scenario.write_text(MMC.format(agents=6, callers=100).replace(
        'kind = "queue"\nqueue = "Support"',
        'kind = "connect"\nfiles = ["good/*.json"]\ninbound = "Inbound"'))
    table = sweep(scenario, ['flow.files=["good/*.json"],["bad/*.json"]', "agents=0,6"],
                  replications=2, scheduler=client)
    by = {(str(r["flow.files"]), r["agents"]): r for r in table}
    assert by[("['good/*.json']", 6)]["runs"] == 2
    assert by[("['good/*.json']", 6)]["offered_mean"] == 100
    assert by[("['bad/*.json']", 6)]["runs"] == 0 and by[("['bad/*.json']", 6)]["failed"] == 2
    assert by[("['good/*.json']", 0)]["failed"] == 2
    refused = [f for f in table.failures if f["replication"] is None]
    assert {f["agents"] for f in refused} == {0}
    assert "agents[0].count must be a whole number >= 1, got 0" in refused[0]["error"]
    failed_runs = [f for f in table.failures if f["replication"] is not None]
    assert len(failed_runs) == 2
    assert all("NoSuchBlockType" in f["error"] for f in failed_runs)


def test_ctrl_c_cancels_the_rest_and_keeps_what_finished(client: Any, tmp_path: Path) -> None:
    done: list[int] = []

    def interrupt_after_two(finished: int, total: int, failed: int) -> None:
        done.append(finished)
        if finished == 2:
            raise KeyboardInterrupt

    table = sweep(_mmc(tmp_path, callers=2000), ["agents=5..9"], replications=4,
                  scheduler=client, progress=interrupt_after_two)
    assert table.interrupted
    assert len(table.runs) == 2
    assert table.cancelled == 18
    assert sum(r["runs"] for r in table) == 2
    assert not table.failures


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``testbed ARGV``: the sweep command, parsed as ``testbed.cli.main`` parses it."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_sweep_command_prints_a_table_with_intervals_and_the_staffing_answer(
        client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(["sweep", str(_mmc(tmp_path, callers=400)), "--vary", "agents=5..7",
                         "--replications", "3", "--target", "service_level_2s>=80%",
                         "--scheduler", client.scheduler.address], capsys)
    assert code == 0
    assert "3 combinations x 3 replications, 9 runs finished" in out
    header = next(line.split() for line in out.splitlines() if "agents" in line)
    assert header == ["agents", "runs", "SL", "2", "s", "%", "wait", "s", "occup.", "%",
                      "Erlang", "meets"]
    rows = {line.split()[0]: line.split() for line in out.splitlines()
            if line.split()[:1] in (["5"], ["6"], ["7"])}
    assert [rows[a][1] for a in "567"] == ["3", "3", "3"]
    assert "±" in rows["6"][2]
    assert [rows[a][-2:] for a in "567"] == [["66.4", "no"], ["89.5", "yes"], ["97.0", "surely"]]
    answer = " ".join(out.split())
    assert "smallest agents meeting service_level_2s>=0.8: 6 by the mean; 7 by the whole 95 % " \
           "interval; Erlang C: 6" in answer


def test_sweep_command_writes_csv_json_and_plots(client: Any, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "out"
    code, out, _ = _cli(["sweep", str(_mmc(tmp_path)), "--vary", "agents=5,6", "--json",
                         "--scheduler", client.scheduler.address, "--out", str(out_dir)],
                        capsys)
    assert code == 0
    result = json.loads(out)
    assert [c["agents"] for c in result["combinations"]] == [5, 6]
    assert json.loads((out_dir / "sweep.json").read_text()) == result
    header = (out_dir / "sweep.csv").read_text().splitlines()[0].split(",")
    assert header[:3] == ["agents", "runs", "failed"]
    assert "service_level_20s_ci_low" in header
    runs = (out_dir / "runs.csv").read_text().splitlines()
    assert runs[0].startswith("agents,replication,seed,") and len(runs) == 3
    assert {p.name for p in out_dir.glob("*.png")} == {
        "service_level_20s.png", "service_level_60s.png", "mean_wait_s.png",
        "abandonment.png", "occupancy.png"}


def test_sweep_command_exits_1_and_names_a_refused_combination(
        client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(["sweep", str(_mmc(tmp_path)), "--vary", "agents=0,6",
                         "--scheduler", client.scheduler.address], capsys)
    assert code == 1
    assert "failed agents=0, refused: agents[0].count must be a whole number >= 1, got 0" \
        in " ".join(out.split())


def test_sweep_table_is_a_plain_list_of_dicts(client: Any, tmp_path: Path) -> None:
    table = sweep(_mmc(tmp_path), {"agents": [6]}, scheduler=client)
    assert isinstance(table, SweepTable) and isinstance(table, list)
    assert json.loads(json.dumps(table))[0]["agents"] == 6


def test_queue_measures_one_queue_as_the_load_report_does(
        client: Any, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = Path(__file__).resolve().parent.parent / "scripts" / "scenarios" / \
        "holds-and-transfers.toml"
    table = sweep(scenario, ["agents[1].count=12"], callers=300, queue="Billing",
                  scheduler=client)
    [run] = table.runs
    assert main(["load", str(scenario), "--callers", "300", "--json"]) == 0
    [billing] = [q for q in json.loads(capsys.readouterr().out)["queues"]
                 if q["queue"] == "Billing"]
    assert (run["offered"], run["handled"], run["mean_wait_s"]) == (
        billing["offered"], billing["handled"], billing["mean_wait_s"])

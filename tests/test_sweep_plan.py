"""What a sweep runs, before any run: --vary and --target, the plan, the statistics, theory.

No cluster here: these are the parts a sweep checks and computes on its own.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from testbed import ConfigError
from testbed.cli import main
from testbed.load.staffing import QueueModel, queue_model, service_level, smallest_agents
from testbed.load.sweep import sweep
from testbed.load.sweep_plan import plan_sweep, replication_seed
from testbed.load.sweep_stats import parse_target, summarise, t_quantile
from testbed.load.theory import erlang_a, erlang_c
from testbed.load.variations import parse_variation

SCENARIOS = Path(__file__).resolve().parent.parent / "scripts" / "scenarios"
MMCM = SCENARIOS / "mmcm.toml"
PEAK = SCENARIOS / "morning-peak.toml"


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``testbed ARGV`` for the sweep command: exit status, standard output and error."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code, _out, err = _run(argv, capsys)
    return code, err


def test_a_range_gives_both_ends_and_the_steps_between() -> None:
    assert parse_variation("agents=40..60:5").values == (40, 45, 50, 55, 60)
    assert parse_variation("staffing=0.8..1.2:0.1").values == (0.8, 0.9, 1.0, 1.1, 1.2)


def test_a_list_takes_toml_values_and_bare_words() -> None:
    assert parse_variation("flow.kind=queue,callback-offer").values == ("queue",
                                                                        "callback-offer")
    assert parse_variation('caller.patience_s={dist="exponential",mean=60},90').values == (
        {"dist": "exponential", "mean": 60}, 90)


@given(st.integers(-1000, 1000), st.integers(0, 300), st.integers(1, 50))
def test_an_integer_range_is_pythons_range_with_its_end(low: int, span: int, step: int) -> None:
    variation = parse_variation(f"x={low}..{low + span}:{step}")
    assert variation.values == tuple(range(low, low + span + 1, step))


@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=20, unique=True))
def test_a_list_of_numbers_reads_back_as_written(values: list[int]) -> None:
    assert parse_variation(f"x={','.join(map(str, values))}").values == tuple(values)


@pytest.mark.parametrize(("text", "says"), [
    ("agents", "--vary 'agents': expected KEY=VALUES"),
    ("agents=60..40", "the range ends (40) before it starts (60)"),
    ("agents=1..9:0", "the step must be > 0, got 0"),
    ("agents=4,,5", "an empty value"),
    ("agents=4,4", "the value 4 comes twice"),
    ("agents=a..b", "'a' is not a number"),
    ("agents=40..", "a range is FROM..TO or FROM..TO:STEP"),
])
def test_bad_vary_syntax_is_refused_naming_it(text: str, says: str) -> None:
    with pytest.raises(ConfigError, match=r"^--vary") as caught:
        parse_variation(text)
    assert says in str(caught.value)


def test_bare_names_find_their_key_in_the_scenario() -> None:
    plan = plan_sweep(MMCM, ["agents=40,41", "patience=30,60", "rate=0.9,1.0",
                             "callback_accept=0,0.2"])
    assert [v.path for v in plan.variations] == [
        ("agents", 0, "count"), ("caller", "patience_s", "mean"), ("arrivals", "rate_per_s"),
        ("caller", "callback_accept_p")]
    [first] = [c for c in plan.combinations if c.values == {
        "agents": 41, "patience": 30, "rate": 1.0, "callback_accept": 0.2}]
    assert first.scenario is not None
    assert len(first.scenario.agents[0].names) == 41
    assert first.scenario.behaviour.patience_s is not None
    assert first.scenario.behaviour.patience_s.mean == 30
    assert first.scenario.behaviour.callback_accept_p == 0.2


def test_staffing_scales_every_agent_group() -> None:
    plan = plan_sweep(PEAK, ["staffing=0.5,1.5"])
    assert [[len(g.names) for g in c.scenario.agents] for c in plan.combinations
            if c.scenario is not None] == [[15, 15], [45, 45]]


def test_runs_come_replication_by_replication_with_their_seeds() -> None:
    plan = plan_sweep(MMCM, ["agents=40,41"], replications=2)
    assert [(r.combination, r.replication, r.seed) for r in plan.runs] == [
        (0, 0, 1), (1, 0, 1), (0, 1, replication_seed(1, 1)), (1, 1, replication_seed(1, 1))]
    assert replication_seed(1, 1) != replication_seed(2, 1) != replication_seed(1, 2)


@pytest.mark.parametrize(("argv", "says"), [
    (["--vary", "agents=4..2"], "--vary 'agents=4..2': the range ends (2) before it starts (4)"),
    (["--vary", "patiense=10,20"], "--vary patiense: the scenario has no key 'patiense'"),
    (["--vary", "agents[2].count=1,2"], "--vary agents[2].count: the scenario has no agents[2]"),
    (["--vary", "kind=a,b"], "'kind' could be arrivals.kind, flow.kind; name one of them"),
    (["--vary", "seed=1,2"], "--vary seed: a sweep picks each run's seed"),
    (["--vary", "agents=0,-1"], "every combination is refused; the first, agents=0: "
                                "agents[0].count must be a whole number >= 1, got 0"),
    (["--vary", "agents=40", "--vary", "agents[0].count=41"],
     "--vary agents[0].count: the same key as --vary agents"),
    (["--vary", "agents=40", "--target", "service_level_20s=>0.8"],
     "--target 'service_level_20s=>0.8': expected METRIC>=NUMBER or METRIC<=NUMBER"),
    (["--vary", "agents=40", "--target", "wait<=30"], "unknown metric 'wait'; metrics: "),
    (["--vary", "agents=40", "--target", "abandonment<=105%"],
     "abandonment is a share from 0 to 1 (or 0% to 100%), got 105%"),
    (["--vary", "flow.queue=Support,Sales", "--target", "mean_wait_s<=30"],
     "--target needs the first --vary to be numbers"),
    (["--vary", "agents=40", "--queue", "Sales"], "--queue 'Sales': the scenario has no such"),
    ([], "a sweep needs at least one --vary KEY=VALUES"),
])
def test_bad_sweep_input_exits_2_naming_the_value_before_anything_runs(
        argv: list[str], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _cli(["sweep", str(MMCM), *argv], capsys)
    assert code == 2
    assert err.startswith("testbed: error: ") and says in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("command", [["sweep"], ["scenario", "from-ctr"]])
def test_help_shows_examples(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = _run([*command, "--help"], capsys)
    assert code == 0
    assert "examples:" in out and "testbed sweep " in out


def test_an_unreadable_scenario_exits_2(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _cli(["sweep", str(tmp_path / "nope.toml"), "--vary", "agents=1"], capsys)
    assert code == 2 and "nope.toml: cannot read it" in err


def test_without_dask_a_sweep_says_how_to_install_it(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ConfigError, match=r"pip install 'telephony-testbed\[sweep\]'"):
        sweep(MMCM, ["agents=40"])
    code, err = _cli(["sweep", str(MMCM), "--vary", "agents=40"], capsys)
    assert code == 1
    assert "sweeps run on Dask, which is not installed here: pip install " \
           "'telephony-testbed[sweep]'" in err


def test_t_quantiles_are_students() -> None:
    assert t_quantile(1) == 12.706
    assert t_quantile(9) == 2.262
    assert t_quantile(60) == pytest.approx(2.000, abs=1e-3)
    assert t_quantile(1000) == pytest.approx(1.962, abs=1e-3)


def test_a_metric_undefined_in_a_run_is_left_out_of_its_mean() -> None:
    summary = summarise([{"x": 1.0}, {"x": None}, {"x": 3.0}], ["x"])
    assert summary["x_mean"] == 2.0
    assert summary["x_ci_low"] == pytest.approx(2 - 12.706 * 2 ** 0.5 / 2 ** 0.5)
    assert summarise([{"x": 1.0}], ["x"])["x_ci_low"] is None


def test_a_target_in_percent_is_a_share() -> None:
    target = parse_target("service_level_20s >= 80%")
    assert (target.metric, target.op, target.value, target.level_s) == (
        "service_level_20s", ">=", 0.8, 20)
    assert target.met_by({"service_level_20s_mean": 0.81})
    assert not target.surely_met_by({"service_level_20s_ci_low": 0.79})


def test_erlang_a_service_level_tends_to_erlang_cs_as_patience_grows() -> None:
    for c in (5, 6, 8):
        assert service_level(QueueModel(1.0, 0.25, 1e-9), c, 2.0) == pytest.approx(
            service_level(QueueModel(1.0, 0.25), c, 2.0), abs=1e-6)


def test_erlang_c_service_level_is_the_closed_form() -> None:
    theory = erlang_c(1.0, 0.25, 6)
    assert service_level(QueueModel(1.0, 0.25), 6, 20.0) == pytest.approx(
        1 - theory.p_wait * 2.718281828459045 ** (-0.5 * 20))


def test_the_theory_answer_is_the_fewest_agents_that_meet_the_target() -> None:
    model = QueueModel(1.0, 1 / 45, 1 / 60)
    target = parse_target("abandonment<=0.1")
    smallest = smallest_agents(model, target)
    assert smallest is not None
    assert erlang_a(1.0, 1 / 45, smallest, 1 / 60).p_abandon <= 0.1
    assert erlang_a(1.0, 1 / 45, smallest - 1, 1 / 60).p_abandon > 0.1


def test_only_mmc_scenarios_have_a_theory_model() -> None:
    [combination] = plan_sweep(MMCM, ["agents=40"]).combinations
    assert combination.scenario is not None
    assert queue_model(combination.scenario) == QueueModel(1.0, 1 / 45, 1 / 60)
    [peak] = plan_sweep(PEAK, ["staffing=1"]).combinations
    assert peak.scenario is not None
    assert queue_model(peak.scenario) == "arrivals are piecewise, not Poisson"

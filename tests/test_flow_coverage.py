"""Flow coverage: the blocks and branches a run, a test session or a load run took."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fakes import MockAgent, MockCaller
from testbed import Testbed
from testbed.core.errors import ConfigError
from testbed.flows import (
    Disconnect,
    Flow,
    GetCustomerInput,
    Loop,
    PlayPrompt,
    SetWorkingQueue,
    TransferToQueue,
)
from testbed.flows.coverage import FlowCoverage, UnenteredBlock, UntakenBranch
from testbed.load.run import LoadRun
from testbed.load.scenario import Scenario
from testbed.records.contact_record import InitiationMethod

pytest_plugins = ["pytester"]

NUMBER = "+18005550100"
SCENARIOS = Path(__file__).resolve().parent.parent / "scripts" / "scenarios"


def menu_flow() -> Flow:
    """Three keys, an error branch for a wrong key, and a loop back to the menu that
    gives up after two more tries."""
    return Flow.of("Menu", [
        PlayPrompt(id="hello", text="Welcome.", duration_s=2, next="menu"),
        GetCustomerInput(id="menu", text="Press 1, 2 or 3.", duration_s=4, timeout_s=5,
                         conditions={"1": "sales", "2": "support", "3": "billing"},
                         errors={"NoMatchingCondition": "sorry",
                                 "InputTimeLimitExceeded": "again"}),
        PlayPrompt(id="sorry", text="Sorry.", duration_s=1, next="again"),
        Loop(id="again", count=2, loop="menu", next="bye"),
        SetWorkingQueue(id="sales", queue="Sales", next="transfer"),
        SetWorkingQueue(id="support", queue="Support", next="transfer"),
        SetWorkingQueue(id="billing", queue="Billing", next="transfer"),
        TransferToQueue(id="transfer", errors={"QueueAtCapacity": "bye"}),
        Disconnect(id="bye"),
    ])


async def call_the_menu(coverage: FlowCoverage, flow: Flow | None = None) -> None:
    """Three callers: one presses 1; one presses 9, then 2 on the second menu; one
    presses nothing until the loop gives up."""
    async with Testbed(flow_coverage=coverage) as tb:
        tb.add_flow(flow or menu_flow())
        for queue in ("Sales", "Support", "Billing"):
            tb.add_queue(queue)
        tb.add_number(NUMBER, "Menu")
        tb.add_agent(MockAgent("alice", ["Sales", "Support", "Billing"]))
        tb.add_caller(MockCaller("+15555550001", dial=NUMBER, press=[(3, "1")], talk_s=30))
        tb.add_caller(MockCaller("+15555550002", dial=NUMBER, press=[(3, "9"), (10, "2")],
                                 talk_s=30))
        tb.add_caller(MockCaller("+15555550003", dial=NUMBER))
        await tb.run_until_idle()
        assert len(tb.records) == 3


@pytest.mark.testbed
async def test_never_taken_lists_the_branches_no_caller_took() -> None:
    coverage = FlowCoverage()
    await call_the_menu(coverage)
    report = coverage.report()
    assert report.never_taken == [
        ("Menu", "menu", "GetCustomerInput", "=3", "billing"),
        ("Menu", "billing", "SetWorkingQueue", "next", "transfer"),
        ("Menu", "transfer", "TransferToQueue", "error:QueueAtCapacity", "bye"),
    ]
    assert report.never_taken[0] == UntakenBranch("Menu", "menu", "GetCustomerInput", "=3",
                                                  "billing")
    assert report.never_entered == [UnenteredBlock("Menu", "billing", "SetWorkingQueue")]


@pytest.mark.testbed
async def test_counts_every_block_entered_and_every_branch_taken() -> None:
    coverage = FlowCoverage()
    await call_the_menu(coverage)
    menu = coverage.report().flow("Menu")
    assert (menu.blocks, menu.blocks_entered, menu.branches, menu.branches_taken) == \
        (9, 8, 13, 10)
    [flow] = coverage.to_json()["flows"]
    counts = {b["id"]: (b["entered"], {br["label"]: br["taken"] for br in b["branches"]},
                        b["exits"]) for b in flow["blocks"]}
    assert counts == {
        "hello": (3, {"next": 3}, {}),
        "menu": (6, {"error:NoMatchingCondition": 1, "error:InputTimeLimitExceeded": 3,
                     "=1": 1, "=2": 1, "=3": 0}, {}),
        "sorry": (1, {"next": 1}, {}),
        "again": (4, {"next": 1, "loop": 3}, {}),
        "sales": (1, {"next": 1}, {}),
        "support": (1, {"next": 1}, {}),
        "billing": (0, {"next": 0}, {}),
        "transfer": (2, {"error:QueueAtCapacity": 0}, {"queued": 2}),
        "bye": (1, {}, {"disconnect": 1}),
    }
    assert (flow["blocks_total"], flow["blocks_entered"], flow["branches_total"],
            flow["branches_taken"]) == (9, 8, 13, 10)


@pytest.mark.testbed
async def test_json_round_trip_keeps_every_count(tmp_path: Path) -> None:
    coverage = FlowCoverage()
    await call_the_menu(coverage)
    coverage.save(tmp_path / "coverage.json")
    again = FlowCoverage.load(tmp_path / "coverage.json")
    assert again.to_json() == coverage.to_json()
    assert again.report() == coverage.report()
    assert json.loads((tmp_path / "coverage.json").read_text())["version"] == 1


@pytest.mark.testbed
async def test_merge_adds_counts_of_the_same_flow_and_keeps_other_shapes_apart() -> None:
    first, second, other = FlowCoverage(), FlowCoverage(), FlowCoverage()
    await call_the_menu(first)
    await call_the_menu(second)
    blocks = list(menu_flow().blocks.values())
    await call_the_menu(other, Flow.of("Menu", [*blocks[:-1], PlayPrompt(id="bye", text="Bye")]))
    total = FlowCoverage().merge(first).merge(second)
    [flow] = total.to_json()["flows"]
    assert flow["blocks"][1]["entered"] == 12  # "menu", six times a run
    assert total.report().never_taken == first.report().never_taken
    total.merge(other)
    assert [(f.name, f.blocks_entered) for f in total.report().flows] == [("Menu", 8)] * 2
    with pytest.raises(ConfigError, match="2 flows named 'Menu'"):
        total.report().flow("Menu")


def test_each_recorder_counts_runs_of_its_own_flow_of_a_name() -> None:
    coverage = FlowCoverage()
    one, two = coverage.recorder(), coverage.recorder()  # as two testbeds open at once
    one.add_flow(menu_flow())
    two.add_flow(Flow.of("Menu", [PlayPrompt(id="hello", text="Hi.")]))
    one.entered("Menu", "hello")
    two.entered("Menu", "hello")
    two.took("Menu", "hello", "end")
    menus = {f["blocks_total"]: f["blocks"][0] for f in coverage.to_json()["flows"]}
    assert menus[9] == {"id": "hello", "type": "PlayPrompt", "entered": 1,
                        "branches": [{"label": "next", "target": "menu", "taken": 0}],
                        "exits": {}}
    assert menus[1] == {"id": "hello", "type": "PlayPrompt", "entered": 1, "branches": [],
                        "exits": {"end": 1}}


@pytest.mark.testbed
async def test_table_reads_at_80_columns() -> None:
    coverage = FlowCoverage()
    await call_the_menu(coverage)
    text = coverage.render(80)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert lines[:3] == ["Flow coverage", "flow   blocks     %   branches     %", "─" * 36]
    assert lines[3].split() == ["Menu", "8/9", "89%", "10/13", "77%"]
    rows = [line.split() for line in lines[_index(lines, "Never taken"):]]
    assert ["menu", "GetCustomerInput", "=3", "billing"] in rows
    assert ["billing", "SetWorkingQueue", "next", "transfer"] in rows
    assert ["transfer", "TransferToQueue", "error:QueueAtCapacity", "bye"] in rows
    detail = coverage.render(80, blocks=True).splitlines()
    assert max(len(line) for line in detail) <= 80
    assert ["menu", "GetCustomerInput", "6", "error:NoMatchingCondition", "1"] in \
        [line.split() for line in detail]


def _index(lines: list[str], title: str) -> int:
    return next(i for i, line in enumerate(lines) if line.strip() == title)


@pytest.mark.testbed
async def test_a_flow_run_without_being_added_counts_by_name_only() -> None:
    coverage = FlowCoverage()
    async with Testbed(flow_coverage=coverage) as tb:
        tb.switchboard.add_flow(Flow.of("Hidden", [PlayPrompt(id="p", text="Hi", next="d"),
                                                   Disconnect(id="d")]))
        tb.add_number(NUMBER, "Hidden")
        tb.add_caller(MockCaller("+15555550001", dial=NUMBER))
        await tb.run_until_idle()
    report = coverage.report()
    assert report.flows == ()
    assert report.unregistered == {"Hidden": 2}
    assert "ran but never added (blocks entered): Hidden (2)" in coverage.render(80)


@pytest.mark.testbed
async def test_a_testbed_without_coverage_counts_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Testbed, "default_flow_coverage", None)  # as without --flow-coverage
    async with Testbed() as tb:
        tb.add_flow(menu_flow())
        assert tb.switchboard.flow_coverage is None


@pytest.mark.testbed
async def test_load_run_counts_the_flows_its_callers_take() -> None:
    coverage = FlowCoverage()
    scenario = Scenario.from_toml(SCENARIOS / "morning-peak.toml")
    result = await LoadRun(scenario, flow_coverage=coverage).run()
    flows = {f["name"]: {b["id"]: b for b in f["blocks"]} for f in coverage.to_json()["flows"]}
    assert flows["Inbound"]["transfer"]["exits"] == {"queued": result.callers}
    callbacks = sum(1 for r in result.records
                    if r.initiation_method is InitiationMethod.CALLBACK)
    assert callbacks > 0
    [created] = flows["CallbackOffer"]["callback"]["branches"][:1]
    assert created == {"label": "next", "target": "bye", "taken": callbacks}


def test_bad_coverage_files_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "coverage.json"
    path.write_text('{"version": 2, "flows": []}')
    with pytest.raises(ConfigError, match=r"coverage.json'.*version 2"):
        FlowCoverage.load(path)
    path.write_text('{"version": 1, "flows": [{"name": "x"}]}')
    with pytest.raises(ConfigError, match=r"coverage.json'.*not valid flow coverage"):
        FlowCoverage.load(path)
    with pytest.raises(ConfigError, match="cannot read it"):
        FlowCoverage.load(tmp_path / "missing.json")


# -- the pytest plugin ----------------------------------------------------------------

TINY_TESTS = '''
import pytest
from fakes import MockCaller
from testbed import Testbed
from testbed.flows import Disconnect, Flow, GetCustomerInput, PlayPrompt


def greeting():
    return Flow.of("Greeting", [
        GetCustomerInput(id="ask", text="Press 1.", duration_s=1,
                         conditions={"1": "thanks"},
                         errors={"InputTimeLimitExceeded": "bye"}),
        PlayPrompt(id="thanks", text="Thanks.", next="bye"),
        Disconnect(id="bye"),
    ])


async def test_fixture(testbed):
    testbed.add_flow(greeting())
    testbed.add_number("+18005550100", "Greeting")
    testbed.add_caller(MockCaller("+15555550001", dial="+18005550100", press=[(0.5, "1")]))
    await testbed.run_until_idle()


@pytest.mark.testbed
async def test_own_testbed():
    async with Testbed() as tb:
        tb.add_flow(greeting())
        tb.add_number("+18005550100", "Greeting")
        tb.add_caller(MockCaller("+15555550001", dial="+18005550100", press=[(0.5, "1")]))
        await tb.run_until_idle()
'''


def run_tiny_session(pytester: pytest.Pytester, *options: str) -> pytest.RunResult:
    """Run TINY_TESTS in a session of their own with ``options``."""
    pytester.makeini("[pytest]\nasyncio_mode = auto\n"
                     "asyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_tiny=TINY_TESTS)
    # Hypothesis's plugin would import hypothesis afresh for every such session.
    return pytester.runpytest(*options, "-p", "no:hypothesispytest", "-p", "no:warnings")


def test_flow_coverage_option_prints_the_table_and_writes_json(
        pytester: pytest.Pytester) -> None:
    result = run_tiny_session(pytester, "--flow-coverage", "--flow-coverage-json=coverage.json")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([
        "*- flow coverage -*",
        "Flow coverage",
        "flow * blocks * % * branches * %",
        "Greeting * 3/3 * 100% * 2/3 * 67%",
        "Never taken",
        "block * type * branch * to",
        "Greeting",
        "ask * GetCustomerInput * error:InputTimeLimitExceeded * bye",
        f"flow coverage written to {pytester.path / 'coverage.json'}",
    ])
    data: dict[str, Any] = json.loads((pytester.path / "coverage.json").read_text())
    [flow] = data["flows"]
    assert flow["name"] == "Greeting"
    assert [(b["id"], b["entered"]) for b in flow["blocks"]] == \
        [("ask", 2), ("thanks", 2), ("bye", 2)]  # both tests' testbeds reported


def test_flow_coverage_json_alone_prints_no_table(pytester: pytest.Pytester) -> None:
    result = run_tiny_session(pytester, "--flow-coverage-json=out.json")
    result.assert_outcomes(passed=2)
    result.stdout.no_fnmatch_line("*- flow coverage -*")
    assert FlowCoverage.load(pytester.path / "out.json").report().flow("Greeting").blocks == 3


def test_without_the_option_nothing_is_counted(pytester: pytest.Pytester) -> None:
    before = Testbed.default_flow_coverage
    result = run_tiny_session(pytester)
    result.assert_outcomes(passed=2)
    result.stdout.no_fnmatch_line("*flow coverage*")
    assert Testbed.default_flow_coverage is before


def test_flow_coverage_json_into_a_missing_folder_is_a_usage_error(
        pytester: pytest.Pytester) -> None:
    result = run_tiny_session(pytester, "--flow-coverage-json=nowhere/coverage.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--flow-coverage-json *coverage.json: no folder *nowhere"])

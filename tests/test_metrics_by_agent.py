"""Hold and transfer metrics grouped by agent, as Connect's historical metrics offer them."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from rich.console import Console

from fakes import MockAgent, MockCaller
from testbed import Flow, SetWorkingQueue, Testbed, TransferToQueue
from testbed.cli import main
from testbed.cli.records import agent_tables
from testbed.core.clock import run
from testbed.records.metrics import AgentInterval, historical_by_agent

from .conftest import JANE, JOHN

NUMBER = "+18005550100"
QUARTER = timedelta(minutes=15)


def centre(tb: Testbed) -> None:
    """Calls to NUMBER queue in Support; quick connect "Billing" to queue Billing."""
    tb.add_flow(Flow.of("Inbound", [SetWorkingQueue(id="q", queue="Support", next="t"),
                                    TransferToQueue(id="t")]))
    tb.add_flow(Flow.of("To queue", [TransferToQueue(id="t")]))
    tb.add_queue("Support")
    tb.add_queue("Billing")
    tb.add_number(NUMBER, "Inbound")
    tb.add_quick_connect("Billing", queue="Billing", flow="To queue")


async def a_morning(tb: Testbed) -> None:
    """alice holds john 45 s and transfers him to Billing at 90 s, where bob holds him
    10 s and hangs up at 60 s; jane (dialling at 20) talks 100 s with carol, on hold 20 s
    twice; dave takes nothing."""
    centre(tb)
    tb.add_agent(MockAgent("alice", ["Support"], hold=[(30, 45)], transfer=[(90, "Billing")]))
    tb.add_agent(MockAgent("bob", ["Billing"], hold=[(10, 10)], talk_s=60))
    tb.add_agent(MockAgent("carol", ["Support"], hold=[(10, 20), (50, 20)]))
    tb.add_agent(MockAgent("dave", ["Billing"], available_at=None))
    tb.add_caller(MockCaller(JOHN, dial=NUMBER))
    tb.add_caller(MockCaller(JANE, dial=NUMBER, dial_at=20, talk_s=100))
    await tb.run_until_idle()


async def test_each_agent_counts_their_own_holds_and_transfers(testbed: Testbed) -> None:
    await a_morning(testbed)

    rows = historical_by_agent(testbed.records, QUARTER)

    start, end = testbed.wall(-300), testbed.wall(600)  # 11:30 to 11:45
    assert rows == [
        AgentInterval("alice", start, end, contacts_handled=1, contacts_put_on_hold=1,
                      avg_hold_time_s=45.0, contacts_transferred_in=0,
                      contacts_transferred_out=1),
        AgentInterval("bob", start, end, contacts_handled=1, contacts_put_on_hold=1,
                      avg_hold_time_s=10.0, contacts_transferred_in=1,
                      contacts_transferred_out=0),
        AgentInterval("carol", start, end, contacts_handled=1, contacts_put_on_hold=1,
                      avg_hold_time_s=40.0, contacts_transferred_in=0,
                      contacts_transferred_out=0)]


async def test_agent_rows_use_connects_metric_names(testbed: Testbed) -> None:
    await a_morning(testbed)

    alice = historical_by_agent(testbed.records, QUARTER)[0].to_json()

    assert alice == {"Agent": "alice", "IntervalStart": "2022-04-08T11:30:00Z",
                     "IntervalEnd": "2022-04-08T11:45:00Z", "CONTACTS_HANDLED": 1,
                     "CONTACTS_PUT_ON_HOLD": 1, "AVG_HOLD_TIME": 45.0,
                     "CONTACTS_TRANSFERRED_IN": 0, "CONTACTS_TRANSFERRED_OUT": 1}


async def test_a_contact_counts_for_its_agent_in_the_interval_it_closed(
        testbed: Testbed) -> None:
    await a_morning(testbed)

    rows = historical_by_agent(testbed.records, timedelta(minutes=1))

    # alice's contact ends at 11:36:30, bob's at 11:37:30, carol's at 11:37:00.
    assert [(r.agent, r.start.strftime("%H:%M")) for r in rows] == [
        ("alice", "11:36"), ("bob", "11:37"), ("carol", "11:37")]


async def test_agents_who_took_nothing_and_unfinished_contacts_are_not_listed(
        testbed: Testbed) -> None:
    await a_morning(testbed)
    testbed.add_caller(MockCaller("+15555550199", dial=NUMBER))  # carol's, still talking
    await testbed.advance(30)

    rows = historical_by_agent(testbed.records, QUARTER)

    assert [r.agent for r in rows] == ["alice", "bob", "carol"]
    assert rows[2].contacts_handled == 1


def test_a_bad_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="interval must be positive"):
        historical_by_agent([], timedelta(0))


async def test_the_agent_tables_fit_80_columns(testbed: Testbed) -> None:
    await a_morning(testbed)
    rows = historical_by_agent(testbed.records, QUARTER)
    console = Console(width=80, record=True, file=io.StringIO())

    for table in agent_tables(rows, QUARTER, 80):
        console.print(table)
    text = console.export_text()

    assert max(len(line) for line in text.splitlines()) <= 80
    holds = text[text.index("alice: contacts, holds"):].splitlines()
    assert holds[4].split() == ["│", "11:30-11:45", "│", "1", "│", "1", "│", "45.0", "│"]
    transfers = text[text.index("alice: transfers"):].splitlines()
    assert "CONTACTS_TRANSFERRED_IN" in transfers[2]
    assert transfers[4].split() == ["│", "11:30-11:45", "│", "0", "│", "1", "│"]


@pytest.fixture(scope="module")
def morning_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("run") / "morning.jsonl"

    async def play() -> None:
        async with Testbed(records=str(path)) as tb:
            await a_morning(tb)

    run(play())
    return path


def _metrics(store: Path, *extra: str) -> int:
    """``testbed metrics STORE --by agent [EXTRA...]``."""
    return main(["metrics", str(store), "--by", "agent", *extra])


def test_metrics_by_agent_as_json(morning_store: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert _metrics(morning_store, "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["Agent"], r["CONTACTS_PUT_ON_HOLD"], r["AVG_HOLD_TIME"],
             r["CONTACTS_TRANSFERRED_IN"], r["CONTACTS_TRANSFERRED_OUT"]) for r in rows] == [
        ("alice", 1, 45.0, 0, 1), ("bob", 1, 10.0, 1, 0), ("carol", 1, 40.0, 0, 0)]


def test_metrics_by_agent_as_tables(morning_store: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert _metrics(morning_store) == 0
    out = capsys.readouterr().out
    assert "Historical metrics by agent, 15m intervals, 2022-04-08 (UTC)" in out
    assert [line.split(":")[0] for line in out.splitlines() if ": contacts" in line] == [
        "alice", "bob", "carol"]

"""`testbed flow run`: one call through exported flows, as a user sees it on the terminal."""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from testbed.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "scripts" / "flows" / "lambda-lex"
FILES = [str(EXAMPLE / name) for name in ("Inbound.json", "BankingBot.json", "BankHours.json")]
CRM = f"crm-lookup={EXAMPLE / 'crm.py'}:handler"
MENU = str(ROOT / "scripts" / "flows" / "ivr-menu" / "Main.json")


def timeline(out: str) -> list[str]:
    """The lines of the run itself (those that start with a testbed time)."""
    return [line for line in out.splitlines() if re.match(r"\d\d:\d\d\.\d  ", line)]


def flow_file(tmp_path: Path, *actions: dict[str, Any], name: str = "Inbound") -> str:
    document = {"Version": "2019-10-30", "StartAction": actions[0]["Identifier"],
                "Actions": list(actions)}
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(document))
    return str(path)


def action(identifier: str, kind: str, parameters: dict[str, Any],
           next_action: str | None = None, **transitions: Any) -> dict[str, Any]:
    done: dict[str, Any] = {} if next_action is None else {"NextAction": next_action}
    done["Errors"] = [{"ErrorType": e, "NextAction": t}
                      for e, t in transitions.get("errors", {}).items()]
    done["Conditions"] = [{"NextAction": t, "Condition": {"Operator": "Equals", "Operands": [v]}}
                          for v, t in transitions.get("conditions", {}).items()]
    return {"Identifier": identifier, "Type": kind, "Parameters": parameters,
            "Transitions": done}


def test_a_gold_customer_hears_the_balance(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flow", "run", *FILES, "--lambda", CRM, "--say", "what is my balance"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == ("Inbound: +15555550123 calls +18005550100 at "
                                   "2022-04-08T11:35:00Z")
    assert timeline(out) == [
        "00:00.0  call     INBOUND from +15555550123 to +18005550100 (contact e3e70682)",
        "00:00.0  block    Inbound: welcome (PlayPrompt)",
        "00:00.0  prompt   Thank you for calling Example Bank.",
        "00:02.4  block    lookup (InvokeLambda)",
        "00:02.4  lambda   crm-lookup(caller=+15555550123) -> name=John, tier=gold,",
        "00:02.4  block    remember (SetAttributes)",
        "00:02.4  attrs    customer=John, tier=gold",
        "00:02.4  block    tier (Compare)",
        "00:02.4  branch   tier: =gold -> gold-hello",
        "00:02.4  block    gold-hello (PlayPrompt)",
        "00:02.4  prompt   Hello John, thank you for being a gold customer.",
        "00:06.0  block    ask (GetBotInput)",
        "00:06.0  prompt   How can I help you today? (then listens)",
        "00:08.4  said     'what is my balance'",
        "00:08.4  bot      BankingBot heard 'what is my balance': CheckBalance",
        "00:08.4  branch   ask: =CheckBalance -> balance",
        "00:08.4  block    balance (PlayPrompt)",
        "00:08.4  prompt   Your balance is 1250.75 dollars. Goodbye.",
        "00:10.8  block    bye (Disconnect)",
        "00:10.8  branch   bye: disconnect",
        "00:10.8  end      CONTACT_FLOW_DISCONNECT",
    ]
    assert all(len(line) <= 80 for line in out.splitlines())
    assert re.search(r"DisconnectTimestamp +│ 2022-04-08T11:35:10Z", out)
    assert re.search(r"Attributes +│ customer=John", out)


def test_a_caller_who_asks_to_pay_is_queued_for_an_agent(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flow", "run", *FILES, "--lambda", CRM, "--number", "+15555550100",
                 "--say", "I want to pay twenty dollars", "--agent", "alice"]) == 0
    lines = timeline(capsys.readouterr().out)
    assert "00:02.4  branch   tier: error:NoMatchingCondition -> ask" in lines
    assert "00:04.8  bot      BankingBot heard 'I want to pay twenty dollars': PayBill" \
           in lines
    assert "00:04.8  attrs    intent=PayBill, amount=20" in lines
    assert lines[-5:] == [
        "00:04.8  queue    in queue Support",
        "00:04.8  agent    offered to alice",
        "00:04.8  branch   transfer: queued",
        "00:04.8  agent    connected to alice",
        "00:34.8  end      CUSTOMER_DISCONNECT",
    ]


def test_out_of_hours_the_caller_who_says_nothing_is_told_we_are_closed(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flow", "run", *FILES, "--lambda", CRM,
                 "--start", "2022-04-09T12:00:00Z"]) == 0  # a Saturday
    lines = timeline(capsys.readouterr().out)
    assert lines[lines.index("00:06.0  prompt   How can I help you today? (then listens)")
                 + 1:][:5] == [
        "00:08.4  silence  no answer",
        "00:13.4  branch   ask: error:InputTimeLimitExceeded -> hours",
        "00:13.4  block    hours (CheckHours)",
        "00:13.4  branch   hours: =False -> closed",
        "00:13.4  block    closed (PlayPrompt)",
    ]
    assert lines[-1] == "00:19.8  end      CONTACT_FLOW_DISCONNECT"


def test_json_has_the_events_and_the_record(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flow", "run", *FILES, "--lambda", CRM, "--say", "what is my balance",
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["warnings"] == [] and report["failed"] is None
    events = report["events"]
    [called] = [e for e in events if e["kind"] == "LAMBDA"]
    assert called["time_s"] == 2.4 and called["timestamp"] == "2022-04-08T11:35:02.400Z"
    assert called["data"]["response"] == {"name": "John", "tier": "gold",
                                          "balance": "1250.75"}
    [turn] = [e for e in events if e["kind"] == "BOT"]
    assert turn["data"]["intent"] == "CheckBalance"
    assert {"flow": "Inbound", "block": "tier", "label": "=gold", "to": "gold-hello"} in [
        e["data"] for e in events if e["kind"] == "BRANCH"]
    [record] = report["records"]
    assert record["Attributes"] == {"customer": "John", "tier": "gold"}
    assert record["DisconnectReason"] == "CONTACT_FLOW_DISCONNECT"


def test_presses_answer_prompts_in_order_or_at_their_time(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flow", "run", MENU, "--press", "1"]) == 0
    lines = timeline(capsys.readouterr().out)
    assert lines[5:7] == ["00:10.0  pressed  1", "00:10.0  branch   menu: =1 -> sales"]
    assert main(["flow", "run", MENU, "--press", "2@7", "--no-agent", "--patience", "60"]) == 0
    lines = timeline(capsys.readouterr().out)
    assert lines[5:7] == ["00:07.0  pressed  2", "00:07.0  branch   menu: =2 -> support"]
    assert lines[-1] == "01:00.0  end      CUSTOMER_DISCONNECT"


def test_attributes_are_set_before_the_flow_runs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = flow_file(
        tmp_path,
        action("vip", "Compare", {"ComparisonValue": "$.Attributes.tier"}, None,
               conditions={"gold": "hello"}, errors={"NoMatchingCondition": "bye"}),
        action("hello", "MessageParticipant", {"Text": "Hello $.Attributes.name."}, "bye"),
        action("bye", "DisconnectParticipant", {}))
    assert main(["flow", "run", path, "--attribute", "tier=gold",
                 "--attribute", "name=Ann Smith"]) == 0
    out = capsys.readouterr().out
    assert timeline(out)[1:4] == ["00:00.0  attrs    tier=gold, name=Ann Smith",
                                  "00:00.0  block    Inbound: vip (Compare)",
                                  "00:00.0  branch   vip: =gold -> hello"]
    assert "00:00.0  prompt   Hello Ann Smith." in timeline(out)


def test_references_the_run_cannot_answer_are_warnings_before_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = flow_file(
        tmp_path,
        action("hi", "MessageParticipant", {"Text": "Hello $.Customer.name."}, "crm"),
        action("crm", "InvokeLambdaFunction", {
            "LambdaFunctionARN": "arn:aws:lambda:us-east-1:111122223333:function:crm"},
            "bye", errors={"NoMatchingError": "bye"}),
        action("bye", "DisconnectParticipant", {}))
    assert main(["flow", "run", path]) == 0
    out = capsys.readouterr().out
    before = " ".join(out[:out.index("00:00.0")].split())
    assert ("warning: action 'hi' (PlayPrompt) in flow 'Inbound': reference $.Customer.name "
            "is not contact data the testbed knows; it reads as empty") in before
    assert ("warning: action 'crm' (InvokeLambda) in flow 'Inbound': Lambda function 'crm' "
            "is not given (--lambda crm=...); the call takes the error branch") in before
    assert "00:00.8  branch   crm: error:NoMatchingError -> bye" in timeline(out)


def test_a_flow_with_no_branch_for_its_error_fails_the_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = flow_file(
        tmp_path,
        action("vip", "Compare", {"ComparisonValue": "$.Attributes.tier"}, None,
               conditions={"gold": "bye"}),
        action("bye", "DisconnectParticipant", {}))
    assert main(["flow", "run", path]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert ("00:00.0 failed block 'vip' (Compare) of flow 'Inbound' had no transition to "
            "take; the call was disconnected") in out


@pytest.mark.parametrize(("argv", "says"), [
    (["no-such.json"], "flow 'no-such.json': cannot read it"),
    ([MENU, "--press", "1x"], "argument --press: must be keys 0-9, * and #"),
    ([MENU, "--press", "1@-2"], "got '1@-2'"),
    ([MENU, "--say", "@3"], "argument --say: must be words"),
    ([MENU, "--number", "555"], "must be an E.164 phone number such as +15555550123, got '555'"),
    ([MENU, "--attribute", "=x"], "argument --attribute: must be KEY=VALUE, got '=x'"),
    ([MENU, "--lambda", "crm"], "argument --lambda: must be NAME=module:function"),
    ([MENU, "--lambda", "crm=no_such_module:handler"], "cannot import module 'no_such_module'"),
    ([MENU, "--lambda", f"crm={EXAMPLE / 'crm.py'}:nothing"], "has no function 'nothing'"),
    ([MENU, "--inbound", "Nope"], "--inbound: no flow named 'Nope'; flows: Main"),
    ([MENU, "--bot", MENU], "unknown key 'Actions'"),
    ([MENU, "--queue-hours", "Sales=Nope"], "no hours of operation named 'Nope'"),
    ([FILES[1]], "no flow among the files"),
])
def test_bad_arguments_are_one_line_errors(
        argv: list[str], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["flow", "run", *argv])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and says in err


def test_flow_check_reads_the_whole_example_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flow", "check", *sorted(str(p) for p in EXAMPLE.glob("*.json"))]) == 0
    out = capsys.readouterr().out
    assert "BankingBot" in out and "Lex bot stand-in, 3 intents" in out
    assert "BankHours" in out and "hours of operation in Europe/London" in out
    assert "Inbound" in out and "queues: Support" in out


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_on_a_terminal_the_user_answers_the_prompt() -> None:
    import pty

    master, terminal = pty.openpty()
    env = dict(os.environ, COLUMNS="80", LINES="24", NO_COLOR="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "testbed.cli", "flow", "run", *FILES, "--lambda", CRM],
        stdin=terminal, stdout=terminal, stderr=terminal, cwd=ROOT, env=env, close_fds=True)
    os.close(terminal)
    output, answered = b"", False
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the terminal closed: the run is over
                break
            if not chunk:
                break
            output += chunk
            if not answered and output.rstrip(b"\x1b[0m").endswith(b"> "):
                os.write(master, b"what is my balance\n")
                answered = True
        status = process.wait(timeout=max(deadline - time.monotonic(), 1))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    text = re.sub(r"\x1b\[[0-9;]*m", "", output.decode()).replace("\r\n", "\n")
    assert answered, text
    assert "? How can I help you today?" in text
    assert "00:08.4  said     'what is my balance'" in text
    assert "00:08.4  branch   ask: =CheckBalance -> balance" in text
    assert "00:10.8  end      CONTACT_FLOW_DISCONNECT" in text
    assert status == 0

"""Malformed actions in a Connect flow file are refused by name, never with a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from testbed import FlowError
from testbed.cli import main
from testbed.flows.connect import load_flow

COMPARE = {"Identifier": "check", "Type": "Compare",
           "Parameters": {"ComparisonValue": "$.Attributes.tier"}}
MALFORMED: list[tuple[str, dict[str, Any]]] = [
    ("a condition without Condition",
     {**COMPARE, "Transitions": {"Conditions": [{"NextAction": "check"}]}}),
    ("a condition that is a string",
     {**COMPARE, "Transitions": {"Conditions": [{"NextAction": "check", "Condition": "x"}]}}),
    ("Transitions that are a string", {**COMPARE, "Transitions": "next"}),
    ("Parameters that are a string",
     {"Identifier": "check", "Type": "MessageParticipant", "Parameters": "hello",
      "Transitions": {}}),
]


def _flow(action: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2019-10-30", "StartAction": "check", "Actions": [action]}


@pytest.mark.parametrize(("what", "action"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_action_is_a_flow_error_naming_it(what: str, action: dict[str, Any]) -> None:
    with pytest.raises(FlowError) as raised:
        load_flow(_flow(action), name="Inbound")
    assert "flow 'Inbound'" in str(raised.value)
    assert "action 'check'" in str(raised.value)
    assert "malformed" in str(raised.value)


def test_flow_check_reports_a_malformed_action_without_a_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "Inbound.json"
    path.write_text(json.dumps(_flow(MALFORMED[0][1])))
    status = main(["flow", "check", str(path)])
    out = capsys.readouterr()
    assert status == 1
    assert "action 'check' is malformed" in out.out
    assert "Traceback" not in out.out + out.err

"""The Connect API's route table and request model against botocore's service model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import botocore.loaders

from testbed.server.connect_api.dispatch import simulated
from testbed.server.connect_api.model import match, model

ROOT = Path(__file__).resolve().parent.parent
BOTOCORE = botocore.loaders.Loader().load_service_model("connect", "service-2")


def test_model_json_is_what_botocore_gives() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "connect_model.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_every_operation_routes_to_itself() -> None:
    wrong = []
    for name, op in BOTOCORE["operations"].items():
        method, uri = op["http"]["method"], op["http"]["requestUri"].split("?")[0]
        path = uri.replace("{", "x").replace("+}", "").replace("}", "")
        found = match(method, path)
        if found is None or found[0].name != name:
            wrong.append(f"{name}: {method} {path} -> {found and found[0].name}")
    assert wrong == []


def test_every_simulated_operation_has_a_handler_and_a_model() -> None:
    from testbed.server.connect_api import contacts, directory, flows, metrics  # noqa: F401

    assert set(simulated()) <= set(model()["inputs"])
    for name in simulated():
        assert model()["inputs"][name] == BOTOCORE["operations"][name]["input"]["shape"]

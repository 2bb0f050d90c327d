"""The compiled build (mypyc) against the pure one.

Building takes about a minute, so the build's own test runs only when asked:
``TESTBED_TEST_COMPILED=1 pytest tests/test_compiled_build.py``.  It builds with
``scripts/build_compiled.sh`` into a temporary directory (or takes the build in
``TESTBED_COMPILED_DIR``), then runs the seed
scenario, every shipped demo and every shipped load scenario in both builds,
each in its own process, and compares what they print and store byte for byte.

``TESTBED_EXPECT_BUILD`` ("compiled" or "pure Python"), when set, is the build
the whole suite must be running on: CI sets it for the suite's run on the
compiled build, so that a path mistake cannot test the pure build twice.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from testbed.core.build import COMPILED_MODULES, build_info, compiled_modules

ROOT = Path(__file__).resolve().parent.parent

needs_compiled = pytest.mark.skipif(
    os.environ.get("TESTBED_TEST_COMPILED") != "1",
    reason="builds the compiled package (about a minute): set TESTBED_TEST_COMPILED=1")


def test_the_build_named_is_the_build_running() -> None:
    for name in COMPILED_MODULES:
        importlib.import_module(name)
    running = compiled_modules()
    assert build_info() == ("pure Python" if not running else "compiled")
    expected = os.environ.get("TESTBED_EXPECT_BUILD")
    if expected:
        assert build_info() == expected


def test_setup_compiles_the_modules_build_info_lists() -> None:
    paths = [ROOT / (name.replace(".", "/") + ".py") for name in COMPILED_MODULES]
    assert [p for p in paths if not p.is_file()] == []


@pytest.fixture(scope="module")
def compiled_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    built = os.environ.get("TESTBED_COMPILED_DIR")
    if built:  # built already (CI builds once, then runs the whole suite on it too)
        return Path(built)
    out = tmp_path_factory.mktemp("compiled")
    subprocess.run([str(ROOT / "scripts" / "build_compiled.sh"), str(out)], check=True,
                   capture_output=True, timeout=600)
    return out


#: The CLI, run in a child process with the build found first on its path.
CLI = "import sys, testbed.cli; sys.exit(testbed.cli.main())"


def _run(pythonpath: Path, code: str, *args: str, cwd: Path) -> bytes:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    return subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True,
                          env=env, cwd=cwd, timeout=120).stdout


@needs_compiled
def test_compiled_build_reports_compiled(compiled_dir: Path, tmp_path: Path) -> None:
    code = "from testbed.core.build import build_info; print(build_info())"
    assert _run(compiled_dir, code, cwd=tmp_path).decode().strip() == "compiled"
    assert _run(ROOT, code, cwd=tmp_path).decode().strip() == "pure Python"


# Every demo `testbed demo` ships (the seed's queued callback among them), and every
# scenario in scripts/scenarios (the two 20,000-caller ones cut to 2,000 callers: the
# same paths, a tenth of the time).
DEMOS = ("queued-callback", "ivr-menu", "busy-hour", "shift-change", "transfer")
SCENARIOS = sorted(p.name for p in (ROOT / "scripts" / "scenarios").glob("*.toml"))


def test_the_lists_of_shipped_scenarios_are_whole() -> None:
    from testbed.load.demos import DEMOS as shipped

    assert set(DEMOS) == set(shipped)
    assert {"seed.toml", "mmc.toml", "holds-and-transfers.toml"} <= set(SCENARIOS)


@needs_compiled
@pytest.mark.parametrize("demo", DEMOS)
def test_every_demo_gives_byte_identical_records(compiled_dir: Path, tmp_path: Path,
                                                 demo: str) -> None:
    args = ("demo", demo, "--virtual", "--json")
    pure = _run(ROOT, CLI, *args, cwd=tmp_path)
    compiled = _run(compiled_dir, CLI, *args, cwd=tmp_path)
    assert b'"ContactId"' in pure
    assert compiled == pure


@needs_compiled
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_scenario_gives_byte_identical_reports_and_records(
        compiled_dir: Path, tmp_path: Path, scenario: str) -> None:
    path = str(ROOT / "scripts" / "scenarios" / scenario)
    cap = ("--callers", "2000") if scenario in ("mmc.toml", "mmcm.toml") else ()
    outputs = []
    for build, where in (("pure", ROOT), ("compiled", compiled_dir)):
        out = tmp_path / build
        report = _run(where, CLI, "load", path, *cap, "--json", "--out", str(out), cwd=tmp_path)
        records = _run(where, CLI, "records", "export", str(out / "records.sqlite"),
                       cwd=tmp_path)
        events = _run(where, CLI, "records", "export", "--format", "events",
                      str(out / "records.sqlite"), cwd=tmp_path)
        outputs.append((report, records, events, (out / "metrics.csv").read_bytes()))
    pure, compiled = outputs
    assert pure[1].count(b"\n") >= 1
    assert compiled == pure

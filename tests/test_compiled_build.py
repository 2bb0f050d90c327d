"""The compiled build (mypyc) against the pure one.

Building takes about a minute, so the build's own test runs only when asked:
``TESTBED_TEST_COMPILED=1 pytest tests/test_compiled_build.py``.  It builds with
``scripts/build_compiled.sh`` into a temporary directory (or takes the build in
``TESTBED_COMPILED_DIR``), then runs the seed
scenario in both builds, each in its own process, and compares the records
byte for byte.
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


def _run(pythonpath: Path, code: str, *args: str, cwd: Path) -> bytes:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    return subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True,
                          env=env, cwd=cwd, timeout=120).stdout


@needs_compiled
def test_compiled_build_reports_compiled(compiled_dir: Path, tmp_path: Path) -> None:
    code = "from testbed.core.build import build_info; print(build_info())"
    assert _run(compiled_dir, code, cwd=tmp_path).decode().strip() == "compiled"
    assert _run(ROOT, code, cwd=tmp_path).decode().strip() == "pure Python"


@needs_compiled
def test_seed_scenario_records_are_byte_identical(compiled_dir: Path, tmp_path: Path) -> None:
    code = "import sys, testbed.cli; sys.exit(testbed.cli.main())"
    args = ("demo", "queued-callback", "--virtual", "--json")
    pure = _run(ROOT, code, *args, cwd=tmp_path)
    compiled = _run(compiled_dir, code, *args, cwd=tmp_path)
    assert b'"ContactId"' in pure
    assert compiled == pure

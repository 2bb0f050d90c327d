"""Scenario files that cannot run as written are refused before anything runs.

Two kinds: arrivals that can never bring the callers asked for (a ramp down to
rate 0, segments that end at 0, too few explicit times), and keys that are
unknown or missing in any table, distribution tables included.  Every message
names the file, the key and, for a key problem, the keys the table accepts.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from itertools import islice
from pathlib import Path

import pytest

from testbed import ConfigError
from testbed.cli import main
from testbed.load.scenario import Scenario

FLOWS = Path(__file__).resolve().parent.parent / "scripts" / "flows" / "queued-callback"

# A complete, valid scenario, table by table; a test replaces or drops one part.
PARTS = {
    "top": 'name = "t"\nseed = 1\ncallers = 5',
    "arrivals": '[arrivals]\nkind = "poisson"\nrate_per_s = 1',
    "caller": "[caller]\ntalk_s = 30",
    "agents": '[[agents]]\ncount = 2\nqueues = ["Support"]',
    "flow": '[flow]\nkind = "queue"\nqueue = "Support"',
}

RAMP_DOWN = '[arrivals]\nkind = "ramp"\nfrom_rate = 0.1\nto_rate = 0\nover_s = 100'


def scenario_file(folder: Path, **parts: str) -> Path:
    """``bad.toml`` in ``folder``: PARTS with ``parts`` replacing theirs ("" drops one)."""
    path = folder / "bad.toml"
    path.write_text("\n\n".join(text for text in {**PARTS, **parts}.values() if text) + "\n")
    return path


def refusal(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        Scenario.from_toml(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    return message


def load_command(path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """``testbed load PATH --json`` in its own process: a run that spins fails the test
    by its timeout instead of hanging the suite."""
    return subprocess.run([sys.executable, "-m", "testbed.cli", "load", str(path), "--json",
                           *options], capture_output=True, text=True, timeout=120, check=False)


class DrawLimit(random.Random):
    """A Random that fails the test once it has drawn ``limit`` numbers, so an arrival
    generator that spins without yielding fails instead of hanging."""

    def __init__(self, seed: int, limit: int) -> None:
        super().__init__(seed)
        self.left = limit

    def random(self) -> float:
        self.left -= 1
        if self.left < 0:
            raise AssertionError("the arrival generator kept drawing without an arrival")
        return super().random()


# -- arrivals that can never bring their callers ------------------------------------------

def test_load_refuses_a_ramp_down_to_zero_that_cannot_bring_its_callers(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, top="callers = 50", arrivals=RAMP_DOWN)
    done = load_command(path)
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith(f"testbed: error: {path}: arrivals.to_rate: ")
    assert "about 5 callers in all" in line and "fewer than callers = 50" in line


@pytest.mark.parametrize(("top", "arrivals", "says"), [
    ("callers = 50", RAMP_DOWN,
     "arrivals.to_rate: a ramp down to rate 0 brings about 5 callers in all"),
    ("callers = 50", '[arrivals]\nkind = "piecewise"\nsegments = [[0, 0.1], [100, 0]]',
     "arrivals.segments: the rate is 0 from 100 s on, so the segments bring about 10 "
     "callers in all, fewer than callers = 50"),
    ("callers = 4", '[arrivals]\nkind = "times"\ntimes = [0, 1, 2]',
     "arrivals.times lists 3 arrival instants, fewer than callers = 4"),
    ("callers = 1", '[arrivals]\nkind = "times"\ntimes = []',
     "arrivals.times must list at least one instant"),
    ("duration_s = 3600", '[arrivals]\nkind = "piecewise"\nsegments = [[0, 0], [100, 0]]',
     "arrivals.segments: every rate is 0, so nobody ever calls"),
    ("duration_s = 3600",
     '[arrivals]\nkind = "ramp"\nfrom_rate = 0\nto_rate = 0\nover_s = 100',
     "arrivals.to_rate: from_rate and to_rate are both 0, so nobody ever calls"),
    ("duration_s = 100", '[arrivals]\nkind = "piecewise"\nsegments = [[5000, 1]]',
     "duration_s: the arrivals bring nobody in the first 100 s"),
])
def test_arrivals_that_cannot_bring_the_callers_are_refused(
        tmp_path: Path, top: str, arrivals: str, says: str) -> None:
    assert says in refusal(scenario_file(tmp_path, top=top, arrivals=arrivals))


def test_a_ramp_down_to_zero_stops_bringing_callers(tmp_path: Path) -> None:
    scenario = Scenario.from_toml(scenario_file(tmp_path, top="duration_s = 3600",
                                                arrivals=RAMP_DOWN))
    times = list(scenario.arrivals.times_from(DrawLimit(1, 1000)))
    assert 0 < len(times) < 50 and times == sorted(times)
    assert all(0 < t <= 100 for t in times)


def test_a_long_stretch_at_rate_zero_costs_no_draws(tmp_path: Path) -> None:
    scenario = Scenario.from_toml(scenario_file(
        tmp_path, top="duration_s = 20000000",
        arrivals='[arrivals]\nkind = "piecewise"\n'
                 'segments = [[0, 1], [100, 0], [10000000, 1]]'))
    times = list(islice(scenario.arrivals.times_from(DrawLimit(1, 200)), 200))
    assert len(times) == 200 and times == sorted(times)
    assert not any(100 < t < 10_000_000 for t in times) and times[-1] > 10_000_000


def test_a_timed_run_whose_ramp_falls_to_zero_ends_with_the_arrivals(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, top="seed = 1\nduration_s = 3600", arrivals=RAMP_DOWN)
    done = load_command(path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert 0 < report["callers"] < 50
    [support] = report["queues"]
    assert support["handled"] == report["callers"]


# -- unknown and missing keys -------------------------------------------------------------

@pytest.mark.parametrize(("parts", "says"), [
    # unknown keys inside distribution tables
    ({"caller": '[caller]\ntalk_s = {dist = "exponential", mean = 45, sd = 2}'},
     "caller.talk_s: unknown key 'sd' for dist 'exponential'; accepted keys: dist, mean"),
    ({"caller": '[caller]\ntalk_s = {dist = "lognormal", mean = 180, sd = 0.5}'},
     "caller.talk_s: unknown key 'sd' for dist 'lognormal'; accepted keys: dist, mean, sigma"),
    ({"agents": '[[agents]]\ncount = 1\nqueues = ["Support"]\n'
                'acw_s = {dist = "fixed", value = 5, mean = 5}'},
     "agents[0].acw_s: unknown key 'mean' for dist 'fixed'; accepted keys: dist, value"),
    ({"caller": '[caller]\ntalk_s = {dist = "empirical", values = [1, 2], csv = "t.csv"}'},
     "caller.talk_s: give values, or csv and column, not both"),
    ({"caller": "[caller]\ntalk_s = {mean = 45}"},
     "caller.talk_s: missing key 'dist'; accepted keys: dist (fixed, exponential, "
     "lognormal, uniform or empirical) and its parameters"),
    # missing keys and tables
    ({"flow": '[flow]\nkind = "queue"'},
     "flow: missing key 'queue' for kind 'queue'; accepted keys: kind, queue"),
    ({"flow": ""}, "missing table [flow]"),
    ({"arrivals": ""}, "missing table [arrivals]"),
    ({"caller": ""}, "missing table [caller]"),
    ({"caller": "[caller]\npatience_s = 60"}, "caller: missing key 'talk_s'; accepted keys: "),
    ({"arrivals": '[arrivals]\nkind = "poisson"'},
     "arrivals: missing key 'rate_per_s' for kind 'poisson'; accepted keys: kind, rate_per_s"),
    ({"arrivals": '[arrivals]\nkind = "ramp"\nto_rate = 1\nover_s = 60'},
     "arrivals: missing key 'from_rate' for kind 'ramp'; accepted keys: kind, from_rate, "
     "to_rate, over_s"),
    ({"agents": '[[agents]]\nqueues = ["Support"]'},
     "agents[0]: missing key 'count' or 'names'; accepted keys: "),
    ({"top": 'name = "t"'}, "top level: missing key 'callers' or 'duration_s'; accepted keys: "),
    ({"flow": '[flow]\nkind = "callback-offer"\nqueue = "Support"'},
     "flow: missing key 'offer_after_s' for kind 'callback-offer'; accepted keys: kind, queue, "
     "offer_after_s, callback_queue, callback_delay_s"),
    # keys that the table's kind does not take
    ({"arrivals": '[arrivals]\nkind = "poisson"\nrate_per_s = 1\nto_rate = 2'},
     "arrivals: unknown key 'to_rate' for kind 'poisson'; accepted keys: kind, rate_per_s"),
    ({"arrivals": '[arrivals]\nkind = "times"\ntimes = [0, 1]\nrate_per_s = 2'},
     "arrivals: unknown key 'rate_per_s' for kind 'times'; accepted keys: kind, times"),
    ({"flow": '[flow]\nkind = "queue"\nqueue = "Support"\noffer_after_s = 30'},
     "flow: unknown key 'offer_after_s' for kind 'queue'; accepted keys: kind, queue"),
    ({"agents": '[[agents]]\ncount = 2\nnames = ["ann"]\nqueues = ["Support"]'},
     "agents[0]: give count or names, not both"),
    ({"agents": '[[agents]]\nnames = ["ann"]\nprefix = "a"\nqueues = ["Support"]'},
     "agents[0]: unknown key 'prefix' with names (prefix goes with count)"),
])
def test_unknown_and_missing_keys_are_refused_naming_them(
        tmp_path: Path, parts: dict[str, str], says: str) -> None:
    message = refusal(scenario_file(tmp_path, **parts))
    assert says in message


@pytest.mark.parametrize(("flow", "says"), [
    ('[flow]\nkind = "connect"\nfiles = ["flows/*.json"]\ninbound = "Inbound"\n'
     'queue = "InboundQueue"',
     "flow: unknown key 'queue' for kind 'connect'; accepted keys: kind, files, inbound, "
     "outbound_whisper"),
    ('[flow]\nkind = "connect"\nfiles = ["flows/*.json"]\ninbound = "Main"',
     "flow.inbound: no flow file is named 'Main'; flow.files give AgentWhisper, "
     "CustomerQueue, Inbound, OutboundWhisper"),
    ('[flow]\nkind = "connect"\nfiles = ["flows/*.json"]\ninbound = "Inbound"\n'
     'outbound_whisper = {Callbacks = "OutboundWhisper"}',
     "flow.outbound_whisper: unknown key 'Callbacks'; accepted keys: the queues agents "
     "serve (InboundQueue, CallbackQueue)"),
    ('[flow]\nkind = "connect"\nfiles = ["flows/*.json"]\ninbound = "Inbound"\n'
     'outbound_whisper = {CallbackQueue = "Whisper"}',
     "flow.outbound_whisper.CallbackQueue: no flow file is named 'Whisper'"),
])
def test_connect_flow_keys_are_checked(tmp_path: Path, flow: str, says: str) -> None:
    shutil.copytree(FLOWS, tmp_path / "flows")
    path = scenario_file(tmp_path, flow=flow,
                         agents='[[agents]]\nnames = ["alex"]\n'
                                'queues = ["InboundQueue", "CallbackQueue"]')
    assert says in refusal(path)


def test_load_command_refuses_a_flow_without_a_queue(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = scenario_file(tmp_path, flow='[flow]\nkind = "queue"')
    with pytest.raises(SystemExit) as info:
        main(["load", str(path), "--json"])
    assert info.value.code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line == (f"testbed: error: {path}: flow: missing key 'queue' for kind 'queue'; "
                    f"accepted keys: kind, queue")


def test_a_callers_override_the_arrivals_cannot_bring_is_a_usage_error(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, top='name = "t"\nseed = 1\ncallers = 3', arrivals=RAMP_DOWN)
    done = load_command(path, "--callers", "50")
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith(f"testbed: error: {path}: with --callers 50: arrivals.to_rate: ")

"""A sweep's plan: the combinations of the varied keys, each one's scenario, and the runs.

Every combination of the ``--vary`` values (the last key varying fastest) is
applied to the scenario file's tables and checked as a scenario of its own
(``Scenario.from_dict``); one that is refused stays in the plan with its
error, to be reported, while the others run.  Each combination runs
``replications`` times; replication r runs with ``replication_seed(seed, r)``
where ``seed`` is the combination's scenario seed: the first replication runs
the scenario's own seed (what ``testbed load`` runs), and every combination
runs the same seeds, so their differences come from the keys varied, not from
the draws (common random numbers).

``run_once`` is what a worker runs: one LoadRun in virtual time, reduced to
its metrics (``testbed.load.sweep_stats``).  It depends only on its RunSpec,
so a run gives the same numbers on any worker and alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from testbed.core.clock import VIRTUAL, run
from testbed.core.errors import ConfigError
from testbed.load.report import waits_by_queue
from testbed.load.scenario import Scenario, read_toml
from testbed.load.sweep_stats import run_metrics
from testbed.load.variations import Variation, apply, combinations, parse_variation, resolve

__all__ = ["Combination", "RunSpec", "SweepPlan", "plan_sweep", "replication_seed", "run_once"]


def replication_seed(seed: int, replication: int) -> int:
    """The seed of replication ``replication`` (0, 1, ...) of a scenario seeded ``seed``:
    ``seed`` itself for the first, then 48 bits of SHA-256 of ``"{seed}:{replication}"``."""
    if replication == 0:
        return seed
    digest = hashlib.sha256(f"{seed}:{replication}".encode()).digest()
    return int.from_bytes(digest[:6], "big")


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: everything a worker needs, and nothing else."""

    index: int
    combination: int
    replication: int
    scenario: Scenario
    seed: int
    callers: int | None
    levels: tuple[int, ...]
    queue: str | None


def run_once(spec: RunSpec) -> dict[str, Any]:
    """Run ``spec`` in virtual time and return its metrics."""
    # Here, not at the top: testbed re-exports sweep, and load runs use the fakes,
    # which import testbed.
    from testbed.load.run import LoadRun

    load = LoadRun(spec.scenario, callers=spec.callers, seed=spec.seed, speed=VIRTUAL)
    result = run(load.run(), speed=VIRTUAL)
    return run_metrics(result.report, waits_by_queue(result.entries), spec.levels, spec.queue,
                       result.callers, result.incomplete)


@dataclass(frozen=True)
class Combination:
    """One combination of the varied keys' values: its scenario, or why it has none."""

    index: int
    values: Mapping[str, Any]
    scenario: Scenario | None
    error: str | None = None


@dataclass(frozen=True)
class SweepPlan:
    """What a sweep runs (see the module docstring)."""

    name: str
    variations: tuple[Variation, ...]
    combinations: tuple[Combination, ...]
    replications: int
    callers: int | None
    levels: tuple[int, ...]
    queue: str | None
    runs: tuple[RunSpec, ...] = field(default=())

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(v.key for v in self.variations)


def plan_sweep(scenario: str | Path | Mapping[str, Any],
               vary: Sequence[str | Variation] | Mapping[str, Sequence[Any]], *,
               replications: int = 1, callers: int | None = None,
               levels: Sequence[int] = (20, 60), queue: str | None = None,
               base: Path | None = None) -> SweepPlan:
    """The plan of a sweep of ``scenario`` (a scenario file, or its tables as a mapping
    with relative paths from ``base``) over ``vary`` (``KEY=VALUES`` texts, Variations,
    or a mapping of keys to their values).

    ConfigError, naming the value at fault, for what no run could fix: an unreadable
    scenario, a bad variation, a key given twice, a replication count below 1, a queue
    the scenario does not have, or combinations that are all refused.
    """
    name, data, base = _scenario_data(scenario, base)
    if isinstance(vary, Mapping):
        given = [Variation(str(key), tuple(values)) for key, values in vary.items()]
    else:
        given = [v if isinstance(v, Variation) else parse_variation(v) for v in vary]
    if not given:
        raise ConfigError("a sweep needs at least one --vary KEY=VALUES")
    for v in given:
        if not v.values:
            raise ConfigError(f"--vary {v.key}: no values")
    for v in given:
        if v.key == "seed":
            raise ConfigError("--vary seed: a sweep picks each run's seed from the "
                              "scenario's; ask for more of them with --replications")
    variations = tuple(resolve(v, data) for v in given)
    paths = [v.path for v in variations]
    for i, v in enumerate(variations):
        if v.path in paths[:i]:
            raise ConfigError(f"--vary {v.key}: the same key as "
                              f"--vary {variations[paths.index(v.path)].key}")
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise ConfigError(f"--replications must be a whole number >= 1, got {replications!r}")
    levels = tuple(sorted(set(levels)))
    built = []
    for index, settings in enumerate(combinations(variations)):
        values = {v.key: value for v, value in settings}
        try:
            built_scenario = Scenario.from_dict(apply(data, settings), base=base)
            if callers is not None:
                built_scenario.check_arrivals(callers)
            built.append(Combination(index, values, built_scenario))
        except ConfigError as exc:
            built.append(Combination(index, values, None, str(exc)))
    good = [c for c in built if c.scenario is not None]
    if not good:
        first = built[0]
        raise ConfigError(f"{name}: every combination is refused; the first, "
                          f"{_describe(first.values)}: {first.error}")
    if queue is not None:
        known = {q for c in good if c.scenario is not None for q in c.scenario.queues}
        connect = any(c.scenario is not None and c.scenario.flow.kind == "connect" for c in good)
        if queue not in known and not connect:
            raise ConfigError(f"--queue {queue!r}: the scenario has no such queue (it has "
                              f"{', '.join(sorted(known))})")
    runs: list[RunSpec] = []
    for replication in range(replications):  # every combination's first run comes first
        for combination in good:
            assert combination.scenario is not None
            runs.append(RunSpec(len(runs), combination.index, replication, combination.scenario,
                                replication_seed(combination.scenario.seed, replication),
                                callers, levels, queue))
    return SweepPlan(name, variations, tuple(built), replications, callers, levels, queue,
                     tuple(runs))


def _scenario_data(scenario: str | Path | Mapping[str, Any], base: Path | None
                   ) -> tuple[str, Mapping[str, Any], Path | None]:
    if isinstance(scenario, Mapping):
        return str(scenario.get("name", "scenario")), scenario, base
    path = Path(scenario)
    data = read_toml(path)
    try:
        Scenario.from_dict(data, base=path.parent)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return str(path), data, path.parent if base is None else base


def _describe(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{key}={value!r}" if isinstance(value, str) else f"{key}={value}"
                     for key, value in values.items())

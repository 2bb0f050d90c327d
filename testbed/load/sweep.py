"""Sweeps: one scenario over ranges of its keys, each combination replicated, on Dask.

    table = sweep("peak.toml", ["agents=40..60:2"], replications=10,
                  target="service_level_20s>=0.8")
    table[0]["service_level_20s_mean"], table.answers[0]["smallest"]

Every run (a combination and a replication: ``testbed.load.sweep_plan``) is an
independent Dask task.  With no ``scheduler`` the sweep starts a LocalCluster
of ``workers`` processes (default: one per core), one thread each since a run
keeps one core busy, and stops it at the end; with a scheduler's address
(``tcp://host:8786``) or a ``distributed.Client`` it uses that cluster, whose
workers need this package installed (and, for flow files, to see them at the
same paths).  Results come back as runs finish; ``progress`` hears of each.

A run that fails (its scenario refused, an error in the run, its worker lost
for good) is reported with its combination, and the others carry on.  A
KeyboardInterrupt (Ctrl-C) cancels the runs not finished and returns what
finished, marked ``interrupted``.

The table is a list of dicts, one per combination in the order of the plan:
the varied keys' values, ``runs`` (finished) and ``failed``, each metric's
``_mean``, ``_ci_low`` and ``_ci_high`` (``testbed.load.sweep_stats``), and
with a target ``meets_target`` and ``surely_meets_target``.  When the first
varied key is the number of agents of an M/M/c(+M) scenario, ``theory`` names
the model (Erlang C or Erlang A) and ``{metric}_theory`` gives its steady-state
value beside the runs'.  The
answers (``table.answers``) give, for each value of the other keys, the
smallest value of the first key whose mean meets the target, the smallest
whose whole interval does, and, for simple models, theory's smallest number
of agents (``testbed.load.staffing``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from testbed.core.errors import ConfigError
from testbed.load.staffing import QueueModel, queue_model, smallest_agents, theory_value
from testbed.load.sweep_plan import Combination, SweepPlan, plan_sweep, run_once
from testbed.load.sweep_stats import Target, metric_names, parse_target, summarise
from testbed.load.variations import STAFFING, Variation

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["INSTALL_HINT", "Progress", "SweepTable", "default_workers", "local_cluster",
           "run_plan", "sweep"]

INSTALL_HINT = "pip install 'telephony-testbed[sweep]'"

#: Called after each run with (runs done, runs in all, runs failed).
Progress = Callable[[int, int, int], None]

# The metrics theory gives beside the runs', when it applies.
_THEORY = ("mean_wait_s", "wait_p90_s", "abandonment", "occupancy")


class SweepTable(list[dict[str, Any]]):
    """A sweep's result: one dict per combination (see the module docstring), and

    - ``keys``: the varied keys, as given;
    - ``runs``: one dict per finished run: the keys' values, ``replication``,
      ``seed`` and the run's metrics;
    - ``failures``: one dict per failed run or refused combination: the keys'
      values, ``replication`` (None for a refused combination) and ``error``;
    - ``answers``: with a target, one dict per value of the other keys;
    - ``target``, ``levels``, ``metrics``, ``replications``;
    - ``interrupted`` and ``cancelled``: Ctrl-C came, and how many runs it cancelled.
    """

    def __init__(self, rows: Sequence[dict[str, Any]], *, keys: tuple[str, ...],
                 runs: list[dict[str, Any]], failures: list[dict[str, Any]],
                 answers: list[dict[str, Any]], target: Target | None,
                 levels: tuple[int, ...], metrics: tuple[str, ...], replications: int,
                 interrupted: bool, cancelled: int) -> None:
        super().__init__(rows)
        self.keys = keys
        self.runs = runs
        self.failures = failures
        self.answers = answers
        self.target = target
        self.levels = levels
        self.metrics = metrics
        self.replications = replications
        self.interrupted = interrupted
        self.cancelled = cancelled

    def to_json(self) -> dict[str, Any]:
        """Everything, as one JSON-ready object."""
        return {"keys": list(self.keys), "replications": self.replications,
                "target": None if self.target is None else str(self.target),
                "service_levels_s": list(self.levels), "interrupted": self.interrupted,
                "cancelled": self.cancelled, "combinations": list(self),
                "answers": self.answers, "failures": self.failures, "runs": self.runs}


def sweep(scenario: str | Path | Mapping[str, Any],
          vary: Sequence[str | Variation] | Mapping[str, Sequence[Any]], *,
          replications: int = 1, callers: int | None = None,
          target: str | Target | None = None, queue: str | None = None,
          service_levels: Sequence[int] = (20, 60), scheduler: str | Client | None = None,
          workers: int | None = None, progress: Progress | None = None,
          base: Path | None = None) -> SweepTable:
    """Run a sweep and return its table (see the module docstring).

    ``scenario`` is a scenario file or its tables; ``vary`` holds ``KEY=VALUES`` texts
    (``testbed.load.variations``) or maps keys to their values; ``callers`` overrides
    the scenario's; ``target`` is ``METRIC OP NUMBER`` (its service level is measured
    too); ``queue`` limits the metrics to one queue.  ConfigError, before anything
    runs, for bad input or when Dask is not installed.
    """
    wanted = parse_target(target) if isinstance(target, str) else target
    levels = tuple(service_levels)
    if wanted is not None and wanted.level_s is not None:
        levels = (*levels, wanted.level_s)
    plan = plan_sweep(scenario, vary, replications=replications, callers=callers,
                      levels=levels, queue=queue, base=base)
    return run_plan(plan, wanted, scheduler=scheduler, workers=workers, progress=progress)


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ConfigError(f"sweeps run on Dask, which is not installed here: "
                          f"{INSTALL_HINT}") from None
    return distributed


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def _client(scheduler: str | Client | None, workers: int | None) -> Iterator[Client]:
    distributed = _distributed()
    if scheduler is not None and not isinstance(scheduler, str):
        yield scheduler
        return
    if scheduler is not None:
        if workers is not None:
            raise ConfigError("--workers starts a local cluster; a --scheduler's cluster "
                              "has the workers it has")
        try:
            client = distributed.Client(scheduler, timeout=10)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"--scheduler {scheduler}: cannot reach it ({exc})") from None
        with client:
            yield client
        return
    with local_cluster(workers) as cluster, distributed.Client(cluster) as client:
        yield client


def local_cluster(workers: int | None = None) -> Any:
    """A Dask LocalCluster as a sweep starts it: ``workers`` processes (default: one per
    core) of one thread each, with Ctrl-C left to this process, no dashboard and a
    status page on a free local port; a context manager that stops it."""
    distributed = _distributed()
    count = default_workers() if workers is None else workers
    if count < 1:
        raise ConfigError(f"--workers must be a whole number >= 1, got {count!r}")
    with _workers_ignore_ctrl_c():
        return distributed.LocalCluster(
            n_workers=count, threads_per_worker=1, processes=True, dashboard_address=None,
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}, silence_logs=logging.ERROR)


@contextlib.contextmanager
def _workers_ignore_ctrl_c() -> Iterator[None]:
    """Start worker processes with SIGINT ignored (a disposition they inherit).

    Ctrl-C at a terminal goes to every process of the foreground group, the local
    cluster's workers included; this process cancels the runs and closes the cluster,
    so the workers need not hear it (each would print its own traceback).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run_plan(plan: SweepPlan, target: Target | None = None, *,
             scheduler: str | Client | None = None, workers: int | None = None,
             progress: Progress | None = None) -> SweepTable:
    """Run ``plan``'s runs on Dask and build its table (see ``sweep``).

    ConfigError, before anything runs, when ``target`` cannot be answered: its first
    varied key does not take numbers.
    """
    first = plan.variations[0]
    if target is not None and not first.numeric:
        raise ConfigError(f"--target needs the first --vary to be numbers (it picks the "
                          f"smallest); {first.key} takes "
                          f"{', '.join(map(repr, first.values))}")
    metrics: dict[int, dict[str, Any]] = {}
    errors: dict[int, str] = {}
    interrupted = False
    total = len(plan.runs)
    with _client(scheduler, workers) as client:
        distributed = _distributed()
        pending = {client.submit(run_once, spec, pure=False): spec for spec in plan.runs}
        try:
            for future in distributed.as_completed(list(pending)):
                spec = pending.pop(future)
                try:
                    metrics[spec.index] = future.result()
                except Exception as exc:  # the run's own error, or its worker lost
                    errors[spec.index] = f"{type(exc).__name__}: {exc}"
                if progress is not None:
                    progress(len(metrics) + len(errors), total, len(errors))
        except KeyboardInterrupt:
            interrupted = True
            client.cancel(list(pending))  # type: ignore[no-untyped-call]
    return _table(plan, target, metrics, errors, interrupted)


def _table(plan: SweepPlan, target: Target | None, metrics: Mapping[int, dict[str, Any]],
           errors: Mapping[int, str], interrupted: bool) -> SweepTable:
    names = metric_names(plan.levels)
    runs, failures = [], []
    by_combination: dict[int, list[dict[str, Any]]] = {}
    failed = {c.index: plan.replications for c in plan.combinations if c.error is not None}
    for c in plan.combinations:
        if c.error is not None:
            failures.append({**c.values, "replication": None, "seed": None, "error": c.error})
    for spec in plan.runs:
        values = plan.combinations[spec.combination].values
        head = {**values, "replication": spec.replication, "seed": spec.seed}
        if spec.index in metrics:
            run = {**head, **metrics[spec.index]}
            runs.append(run)
            by_combination.setdefault(spec.combination, []).append(run)
        elif spec.index in errors:
            failures.append({**head, "error": errors[spec.index]})
            failed[spec.combination] = failed.get(spec.combination, 0) + 1
    first = plan.variations[0]
    models = _models(plan, first)
    rows = []
    for c in plan.combinations:
        done = by_combination.get(c.index, [])
        row: dict[str, Any] = {**c.values, "runs": len(done), "failed": failed.get(c.index, 0),
                               **summarise(done, names)}
        model = models.get(c.index)
        if isinstance(model, QueueModel):
            row["theory"] = model.name
            count = c.values[first.key]
            for name in (*(f"service_level_{x}s" for x in plan.levels), *_THEORY):
                row[f"{name}_theory"] = theory_value(model, count, name)
        if target is not None:
            row["meets_target"] = target.met_by(row)
            row["surely_meets_target"] = target.surely_met_by(row)
        rows.append(row)
    answers = _answers(plan, target, rows, models) if target is not None else []
    cancelled = len(plan.runs) - len(metrics) - len(errors)
    return SweepTable(rows, keys=plan.keys, runs=runs, failures=failures, answers=answers,
                      target=target, levels=plan.levels, metrics=names,
                      replications=plan.replications, interrupted=interrupted,
                      cancelled=cancelled)


def _models(plan: SweepPlan, first: Variation) -> dict[int, QueueModel | str]:
    """Each combination's M/M/c(+M) model, or why theory does not apply to it."""
    out: dict[int, QueueModel | str] = {}
    for c in plan.combinations:
        if not first.staffing or first.path == (STAFFING,):
            out[c.index] = (f"{first.key} is not a number of agents" if not first.staffing
                            else f"{STAFFING} is a factor, not a number of agents")
        elif c.scenario is not None:
            out[c.index] = queue_model(c.scenario)
    return out


def _answers(plan: SweepPlan, target: Target, rows: Sequence[Mapping[str, Any]],
             models: Mapping[int, QueueModel | str]) -> list[dict[str, Any]]:
    first = plan.variations[0]
    others = [v.key for v in plan.variations[1:]]
    groups: dict[tuple[Any, ...], list[tuple[Combination, Mapping[str, Any]]]] = {}
    for c, row in zip(plan.combinations, rows, strict=True):
        groups.setdefault(tuple(repr(c.values[k]) for k in others), []).append((c, row))
    answers = []
    for members in groups.values():
        members.sort(key=lambda m: m[0].values[first.key])
        met = [c.values[first.key] for c, row in members if row["meets_target"]]
        sure = [c.values[first.key] for c, row in members if row["surely_meets_target"]]
        answer: dict[str, Any] = {**{k: members[0][0].values[k] for k in others},
                                  "key": first.key, "target": str(target),
                                  "smallest": met[0] if met else None,
                                  "smallest_surely": sure[0] if sure else None,
                                  "theory": None, "theory_smallest": None, "theory_note": None}
        model = next((models[c.index] for c, _ in members if c.index in models), None)
        if isinstance(model, QueueModel):
            answer["theory"] = model.name
            answer["theory_smallest"] = smallest_agents(model, target)
            if answer["theory_smallest"] is None:
                answer["theory_note"] = f"{model.name} gives no {target.metric}" \
                    if theory_value(model, max(1, int(model.lam / model.mu) + 1),
                                    target.metric) is None else "no number of agents meets it"
        elif model is not None:
            answer["theory_note"] = f"no theory: {model}"
        answers.append(answer)
    return answers

"""What a scenario draws at random: values (talk time, patience, ...) and arrival instants.

In a scenario file a value is a number (fixed) or a table naming its distribution:

    talk_s = 45                                        # fixed
    talk_s = {dist = "fixed", value = 45}
    talk_s = {dist = "exponential", mean = 45}
    talk_s = {dist = "lognormal", mean = 180, sigma = 0.6}   # sigma of the log
    talk_s = {dist = "uniform", low = 30, high = 90}
    talk_s = {dist = "empirical", csv = "talk.csv", column = "seconds"}
    talk_s = {dist = "empirical", values = [30, 45, 60]}

A table takes exactly its distribution's keys: an unknown or missing one is an
error naming it and the keys accepted.

Arrivals are Poisson at a constant rate, or at a rate that varies (piecewise
constant, or a linear ramp), or explicit times.  A varying rate is drawn by
inversion: the k-th caller arrives when the expected number of arrivals since
0 (the integral of the rate) reaches the sum of k unit exponential draws.  So
each draw makes one arrival, a stretch at rate 0 costs nothing to cross, and
once the rate is 0 for good the arrivals end: no loop waits for a rate that
never comes.

Every sample is drawn from the ``random.Random`` it is given, so a seed fixes
the run.  Bad specs raise ConfigError naming the key and the value.
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from testbed.core.errors import ConfigError

__all__ = ["ARRIVAL_KINDS", "Arrivals", "Distribution", "Empirical", "Exponential", "Fixed",
           "LogNormal", "Uniform", "check_keys", "parse_distribution"]


class Distribution(Protocol):
    def sample(self, rng: random.Random) -> float: ...
    @property
    def mean(self) -> float: ...


@dataclass(frozen=True, slots=True)
class Fixed:
    value: float

    def sample(self, rng: random.Random) -> float:
        return self.value

    @property
    def mean(self) -> float:
        return self.value


@dataclass(frozen=True, slots=True)
class Exponential:
    """Exponential with the given mean (rate = 1 / mean)."""

    mean: float

    def sample(self, rng: random.Random) -> float:
        return rng.expovariate(1.0 / self.mean)


@dataclass(frozen=True, slots=True)
class LogNormal:
    """Lognormal with the given mean and ``sigma``, the standard deviation of its log."""

    mean: float
    sigma: float

    def sample(self, rng: random.Random) -> float:
        mu = math.log(self.mean) - self.sigma ** 2 / 2
        return rng.lognormvariate(mu, self.sigma)


@dataclass(frozen=True, slots=True)
class Uniform:
    low: float
    high: float

    def sample(self, rng: random.Random) -> float:
        return rng.uniform(self.low, self.high)

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2


@dataclass(frozen=True, slots=True)
class Empirical:
    """Draws one of the observed ``values`` at random (each equally likely)."""

    values: Sequence[float]

    def sample(self, rng: random.Random) -> float:
        return self.values[rng.randrange(len(self.values))]

    @property
    def mean(self) -> float:
        return sum(self.values) / len(self.values)


# The keys each distribution's table takes (after ``dist``), in the order documented.
_PARAMETERS: dict[str, tuple[str, ...]] = {
    "fixed": ("value",),
    "exponential": ("mean",),
    "lognormal": ("mean", "sigma"),
    "uniform": ("low", "high"),
    "empirical": ("values", "csv", "column"),
}


def check_keys(table: Mapping[str, Any], where: str, accepted: Sequence[str],
               required: Sequence[str] = (), kind: tuple[str, str] | None = None) -> None:
    """Refuse a key of ``table`` not in ``accepted``, then a ``required`` key it lacks.

    ``kind`` is (the key that picks the table's kind, its value), named in the message
    when the accepted keys depend on it.
    """
    of = f" for {kind[0]} {kind[1]!r}" if kind is not None else ""
    listed = ", ".join(accepted)
    for key in table:
        if key not in accepted:
            raise ConfigError(f"{where}: unknown key {key!r}{of}; accepted keys: {listed}")
    for key in required:
        if key not in table:
            raise ConfigError(f"{where}: missing key {key!r}{of}; accepted keys: {listed}")


def _number(where: str, spec: Mapping[str, Any], key: str, positive: bool = True) -> float:
    value = spec[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{where}.{key} must be a number, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise ConfigError(f"{where}.{key} must be {'> 0' if positive else '>= 0'}, got {value!r}")
    return float(value)


def parse_distribution(spec: Any, where: str, base: Path | None = None) -> Distribution:
    """A Distribution from a scenario value (see the module docstring).

    ``base`` is the folder an empirical distribution's ``csv`` is relative to.
    """
    if isinstance(spec, int | float) and not isinstance(spec, bool):
        if not math.isfinite(spec) or spec < 0:
            raise ConfigError(f"{where} must be a number >= 0, got {spec!r}")
        return Fixed(float(spec))
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{where} must be a number or a table with 'dist', got {spec!r}")
    if "dist" not in spec:
        raise ConfigError(f"{where}: missing key 'dist'; accepted keys: dist (fixed, "
                          f"exponential, lognormal, uniform or empirical) and its parameters")
    name = spec["dist"]
    if not isinstance(name, str) or name not in _PARAMETERS:
        raise ConfigError(f"{where}: unknown distribution {name!r}; use fixed, exponential, "
                          f"lognormal, uniform or empirical")
    if name == "empirical":
        check_keys(spec, where, ("dist", *_PARAMETERS[name]), kind=("dist", name))
        return _empirical(spec, where, base)
    check_keys(spec, where, ("dist", *_PARAMETERS[name]), _PARAMETERS[name], ("dist", name))
    if name == "fixed":
        return Fixed(_number(where, spec, "value", positive=False))
    if name == "exponential":
        return Exponential(_number(where, spec, "mean"))
    if name == "lognormal":
        return LogNormal(_number(where, spec, "mean"), _number(where, spec, "sigma"))
    low, high = _number(where, spec, "low", False), _number(where, spec, "high", False)
    if high < low:
        raise ConfigError(f"{where}: high ({high:g}) is below low ({low:g})")
    return Uniform(low, high)


def _empirical(spec: Mapping[str, Any], where: str, base: Path | None) -> Empirical:
    if "values" in spec and ("csv" in spec or "column" in spec):
        raise ConfigError(f"{where}: give values, or csv and column, not both")
    if "values" in spec:
        raw = spec["values"]
        if not isinstance(raw, list):
            raise ConfigError(f"{where}.values must be a list of numbers, got {raw!r}")
        source = "values"
    else:
        check_keys(spec, where, ("dist", *_PARAMETERS["empirical"]), ("csv", "column"),
                   ("dist", "empirical"))
        path, column = spec["csv"], spec["column"]
        if not isinstance(path, str):
            raise ConfigError(f"{where}.csv must name a file, got {path!r}")
        if not isinstance(column, str):
            raise ConfigError(f"{where}.column must name a column, got {column!r}")
        file = (base / path) if base is not None else Path(path)
        try:
            with file.open(newline="", encoding="utf-8") as f:
                rows = list(csv.DictReader(f))
        except OSError as exc:
            raise ConfigError(f"{where}.csv: cannot read {str(file)!r} ({exc.strerror})") \
                from None
        if rows and column not in rows[0]:
            raise ConfigError(f"{where}.column: {str(file)!r} has no column {column!r}")
        raw = [row[column] for row in rows]
        source = f"{file}:{column}"
    try:
        values = [float(v) for v in raw]
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: {source} holds a value that is not a number") from None
    if not values or any(v < 0 or not math.isfinite(v) for v in values):
        raise ConfigError(f"{where}: {source} must hold numbers >= 0")
    return Empirical(tuple(values))


# -- arrivals -----------------------------------------------------------------------------

ARRIVAL_KINDS = ("poisson", "piecewise", "ramp", "times")

# A stretch of time over which the rate runs linearly: (from_s, until_s, rate at from_s,
# rate at until_s).  The last stretch runs for ever, at a constant rate.
_Stretch = tuple[float, float, float, float]


@dataclass(frozen=True)
class Arrivals:
    """When callers call, in testbed seconds from the start.

    ``kind`` is one of:

    - ``poisson``: at ``rate_per_s`` (callers a second), for ever;
    - ``piecewise``: ``segments`` of (from_s, rate): each rate holds from its
      ``from_s`` to the next one's, the last for ever; the rate is 0 before the
      first;
    - ``ramp``: from ``from_rate`` at 0 to ``to_rate`` at ``over_s``, linearly,
      then ``to_rate`` for ever;
    - ``times``: a caller at each of ``times``, and no more.

    A process whose rate is 0 from some instant on brings a finite number of
    callers, about ``expected_callers()``, and then ends.
    """

    kind: str = "poisson"
    rate_per_s: float = 1.0
    segments: tuple[tuple[float, float], ...] = ()
    from_rate: float = 0.0
    to_rate: float = 0.0
    over_s: float = 0.0
    times: tuple[float, ...] = ()

    def times_from(self, rng: random.Random) -> Iterator[float]:
        """Arrival instants, in order, drawn from ``rng``.

        Without end while the rate stays above 0; it ends once the rate is 0 for
        good, or after the last of ``times``.  Each instant costs one draw, so the
        next one always comes in bounded time, however long the rate is 0 before it.
        """
        if self.kind == "times":
            yield from sorted(self.times)
            return
        if self.kind == "poisson":
            t = 0.0
            while True:
                t += rng.expovariate(self.rate_per_s)
                yield t
        yield from _by_inversion(self._stretches(), rng)

    def expected_callers(self, until_s: float = math.inf) -> float:
        """The expected number of arrivals from 0 to ``until_s`` (the integral of the
        rate; for ``times``, how many there are by then): ``math.inf`` for a process
        that never ends, counted to the end of time."""
        if self.kind == "times":
            return float(sum(1 for t in self.times if t <= until_s))
        if self.kind == "poisson":
            return self.rate_per_s * until_s if self.rate_per_s > 0 and until_s > 0 else 0.0
        total = 0.0
        for start, end, r0, r1 in self._stretches():
            if start >= until_s:
                break
            total += _mass(start, min(end, until_s), r0, r1, end)
        return total

    def _stretches(self) -> list[_Stretch]:
        if self.kind == "piecewise":
            segments = sorted(self.segments)
            if not segments:
                raise ConfigError("arrivals.segments must not be empty")
            ends = [start for start, _rate in segments[1:]] + [math.inf]
            return [(start, end, rate, rate) for (start, rate), end in zip(segments, ends,
                                                                          strict=True)]
        if self.kind == "ramp":
            if not self.over_s > 0:
                raise ConfigError(f"arrivals.over_s must be a number > 0, got {self.over_s!r}")
            return [(0.0, self.over_s, self.from_rate, self.to_rate),
                    (self.over_s, math.inf, self.to_rate, self.to_rate)]
        raise ConfigError(f"arrivals.kind: unknown arrivals {self.kind!r}; use "
                          f"{', '.join(ARRIVAL_KINDS[:-1])} or {ARRIVAL_KINDS[-1]}")


def _mass(start: float, until: float, r0: float, r1: float, end: float) -> float:
    """Expected arrivals from ``start`` to ``until`` in a stretch (start, end, r0, r1)."""
    span = until - start
    if span <= 0 or (r0 == 0 and r1 == 0):
        return 0.0
    if math.isinf(end):
        return r0 * span  # the last stretch: a constant rate
    slope = (r1 - r0) / (end - start)
    return r0 * span + slope * span * span / 2


def _by_inversion(stretches: list[_Stretch], rng: random.Random) -> Iterator[float]:
    """Arrival instants of a rate that runs linearly within each of ``stretches``.

    The k-th instant is where the integral of the rate reaches the sum of k unit
    exponential draws.  Each draw walks on through the stretches (never back), so
    the work per instant is one draw plus the stretches crossed.
    """
    before = 0.0  # expected arrivals before stretches[i]
    target = 0.0
    last = 0.0
    i = 0
    while True:
        target += rng.expovariate(1.0)
        while True:
            start, end, r0, r1 = stretches[i]
            mass = _mass(start, end, r0, r1, end)
            if mass > 0 and target <= before + mass:
                break
            if i + 1 == len(stretches):
                return  # the rate is 0 from here on: nobody else calls
            before += mass
            i += 1
        need = target - before
        if math.isinf(end):
            offset = need / r0
        else:
            # Solve r0 x + slope x^2 / 2 = need in the form that keeps its precision
            # when the slope is small or negative.
            slope = (r1 - r0) / (end - start)
            root = math.sqrt(max(r0 * r0 + 2 * slope * need, 0.0))
            offset = min(2 * need / (r0 + root), end - start) if need > 0 else 0.0
        last = max(last, start + offset)
        yield last

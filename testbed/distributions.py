"""Named, parameterised distributions for scenario behaviour (talk time, patience, ...).

In a scenario file a distribution is a number (fixed) or a table:

    talk_s = 45                                        # fixed
    talk_s = {dist = "exponential", mean = 45}
    talk_s = {dist = "lognormal", mean = 180, sigma = 0.6}   # sigma of the log
    talk_s = {dist = "uniform", low = 30, high = 90}
    talk_s = {dist = "empirical", csv = "talk.csv", column = "seconds"}

Every sample is drawn from the ``random.Random`` it is given, so a seed fixes
the run.  Bad specs raise ConfigError naming the key and the value.
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from testbed.errors import ConfigError

__all__ = ["Distribution", "Empirical", "Exponential", "Fixed", "LogNormal", "Uniform",
           "parse_distribution"]


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


def _number(where: str, spec: Mapping[str, Any], key: str, positive: bool = True) -> float:
    if key not in spec:
        raise ConfigError(f"{where}: missing {key!r}")
    value = spec[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{where}.{key} must be a number, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise ConfigError(f"{where}.{key} must be {'> 0' if positive else '>= 0'}, got {value!r}")
    return float(value)


def parse_distribution(spec: Any, where: str, base: Path | None = None) -> Distribution:
    """A Distribution from a scenario value (see the module docstring)."""
    if isinstance(spec, int | float) and not isinstance(spec, bool):
        if not math.isfinite(spec) or spec < 0:
            raise ConfigError(f"{where} must be a number >= 0, got {spec!r}")
        return Fixed(float(spec))
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{where} must be a number or a table with 'dist', got {spec!r}")
    name = spec.get("dist")
    if name == "fixed":
        return Fixed(_number(where, spec, "value", positive=False))
    if name == "exponential":
        return Exponential(_number(where, spec, "mean"))
    if name == "lognormal":
        return LogNormal(_number(where, spec, "mean"), _number(where, spec, "sigma"))
    if name == "uniform":
        low, high = _number(where, spec, "low", False), _number(where, spec, "high", False)
        if high < low:
            raise ConfigError(f"{where}: high ({high:g}) is below low ({low:g})")
        return Uniform(low, high)
    if name == "empirical":
        return _empirical(spec, where, base)
    raise ConfigError(f"{where}: unknown distribution {name!r}; use fixed, exponential, "
                      f"lognormal, uniform or empirical")


def _empirical(spec: Mapping[str, Any], where: str, base: Path | None) -> Empirical:
    if "values" in spec:
        raw = spec["values"]
        source = "values"
    else:
        path = spec.get("csv")
        column = spec.get("column")
        if not isinstance(path, str) or not isinstance(column, str):
            raise ConfigError(f"{where}: empirical needs 'values', or 'csv' and 'column'")
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

"""What a sweep varies: scenario keys and the values each one takes.

A variation is written ``KEY=VALUES``:

    agents=40..60:2                 # 40, 42, ..., 60 (both ends included; step 1 if left out)
    callback_accept=0.2,0.5         # a list: each value a TOML value, a bare word a string
    caller.talk_s.sigma=0.3,0.6     # a distribution's parameter
    flow.kind=queue,callback-offer  # words
    caller.patience_s={dist="exponential",mean=60},{dist="uniform",low=30,high=90}
    staffing=0.8..1.2:0.1           # every agent group's count times a factor

KEY is a path into the scenario file's tables (``caller.talk_s``,
``agents[1].count``, ``flow.callback_delay_s``), or a bare name, found in the
scenario: the one key of that name, or of that name with a unit suffix
(``_s``, ``_p``, ``_per_s``), in the top level, ``[arrivals]``, ``[caller]``,
``[flow]`` or an ``[[agents]]`` group; failing that, the one key of that name
the scenario leaves out but its tables take (``callback_accept_p`` in a
scenario without callbacks).  Two names of their own:

- ``agents``: the ``count`` of the scenario's one agent group;
- ``staffing``: a factor that multiplies the ``count`` of every agent group
  given by count (rounded to the nearest whole agent, at least one).

A key whose value in the scenario is a distribution table with a mean
(exponential, lognormal, empirical's is not a parameter) takes a number as its
mean, keeping the distribution's kind and other parameters; give a table
(``{dist = ...}``) to replace the distribution.  Every error names the
variation and the value at fault.
"""

from __future__ import annotations

import copy
import math
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any

from testbed.core.errors import ConfigError

# The keys each table of a scenario file takes: a bare name may set one the file leaves
# out (its default then varies).
from testbed.load.scenario import _AGENTS, _ARRIVALS, _CALLER, _FLOWS, _TOP

__all__ = ["STAFFING", "Variation", "apply", "combinations", "parse_variation", "resolve"]

#: The key that scales every agent group's count.
STAFFING = "staffing"

# The tables a bare name is looked up in (besides the top level and the agent groups).
_TABLES = ("arrivals", "caller", "flow")
_SUFFIXES = ("", "_s", "_p", "_per_s")
_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)(?:\[(\d+)\])?")
# FROM..TO[:STEP]: no list, table or string in it.
_RANGE = re.compile(r"([^,\[\]{}\"':]+)\.\.([^,\[\]{}\"':]+)(?::([^,\[\]{}\"':]+))?")
# A range gives at most this many values: more is a typo, not a sweep.
_MAX_VALUES = 10_000

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Variation:
    """One varied key: ``key`` as the user wrote it, ``values`` in the order given.

    ``path`` is where the values go in the scenario's tables, once ``resolve`` has
    found it (empty until then; ``(STAFFING,)`` for the staffing factor).
    """

    key: str
    values: tuple[Any, ...]
    path: Path = ()

    @property
    def numeric(self) -> bool:
        """Whether every value is a number (so a target can pick the smallest)."""
        return all(isinstance(v, int | float) and not isinstance(v, bool) for v in self.values)

    @property
    def staffing(self) -> bool:
        """Whether the values are numbers of agents, or a factor on them."""
        return self.path == (STAFFING,) or (len(self.path) == 3 and self.path[0] == "agents"
                                           and self.path[2] == "count")


def parse_variation(text: str) -> Variation:
    """``KEY=VALUES`` as a Variation (its path not yet resolved); ConfigError naming the
    text when it is not one."""
    key, sep, spec = text.partition("=")
    key = key.strip()
    if not sep or not key or not spec.strip():
        raise ConfigError(f"--vary {text!r}: expected KEY=VALUES, such as agents=40..60:2 "
                          f"or callback_accept_p=0.2,0.5")
    _split_path(key, f"--vary {text!r}")
    match = _RANGE.fullmatch(spec.strip())
    if match is None and ".." in spec and not re.search(r"[\[{\"',]", spec):
        raise ConfigError(f"--vary {text!r}: a range is FROM..TO or FROM..TO:STEP, such as "
                          f"40..60:2")
    values = _range(match, text) if match else _list(spec, text)
    seen: list[Any] = []
    for value in values:
        if value in seen:
            raise ConfigError(f"--vary {text!r}: the value {_show(value)} comes twice")
        seen.append(value)
    return Variation(key, tuple(values))


def _range(match: re.Match[str], text: str) -> list[Any]:
    try:
        words = [w.strip() for w in match.groups() if w is not None]
        numbers = [_number(w) for w in words]
    except ValueError as exc:
        raise ConfigError(f"--vary {text!r}: {exc} in the range FROM..TO[:STEP]") from None
    low, high = numbers[0], numbers[1]
    step = numbers[2] if len(numbers) == 3 else 1
    if not step > 0:
        raise ConfigError(f"--vary {text!r}: the step must be > 0, got {_show(step)}")
    if high < low:
        raise ConfigError(f"--vary {text!r}: the range ends ({_show(high)}) before it starts "
                          f"({_show(low)})")
    steps = (high - low) / step
    # 0.8..1.2:0.1 is 4.000000000000001 steps and 0.1..0.7:0.3 is 1.9999999999999998:
    # within a hair of a whole number, the end is in.
    count = (round(steps) if abs(steps - round(steps)) < 1e-9 * max(1.0, steps)
             else math.floor(steps)) + 1
    if count > _MAX_VALUES:
        raise ConfigError(f"--vary {text!r}: {count:,} values; at most {_MAX_VALUES:,}")
    if all(isinstance(n, int) for n in numbers):
        return [int(low + i * step) for i in range(count)]
    # Each value from the start, rounded to the step's decimals: 0.1..0.3:0.1 gives 0.3,
    # not 0.30000000000000004.
    decimals = max(_decimals(w) for w in words)
    return [round(low + i * step, decimals) for i in range(count)]


def _number(word: str) -> int | float:
    try:
        return int(word)
    except ValueError:
        pass
    try:
        value = float(word)
    except ValueError:
        raise ValueError(f"{word!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{word!r} is not a finite number")
    return value


def _decimals(word: str) -> int:
    mantissa, _, exponent = word.lower().partition("e")
    places = len(mantissa.partition(".")[2])
    return max(places - (int(exponent) if exponent else 0), 0)


def _list(spec: str, text: str) -> list[Any]:
    items = _split_top_level(spec)
    values = []
    for item in items:
        item = item.strip()
        if not item:
            raise ConfigError(f"--vary {text!r}: an empty value (two commas, or one at an end)")
        try:
            values.append(tomllib.loads(f"v = {item}")["v"])
        except tomllib.TOMLDecodeError:
            if not re.fullmatch(r"[A-Za-z0-9_.:/*+-]+", item) or item[0] in "{[\"'":
                raise ConfigError(f"--vary {text!r}: {item!r} is neither a TOML value nor a "
                                  f"word") from None
            values.append(item)  # a bare word, such as callback-offer
    return values


def _split_top_level(spec: str) -> list[str]:
    """``spec`` split at the commas outside brackets, braces and quotes."""
    items, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(spec):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(spec[start:i])
            start = i + 1
    items.append(spec[start:])
    return items


def _split_path(key: str, where: str) -> Path:
    path: list[str | int] = []
    for part in key.split("."):
        match = _PART.fullmatch(part)
        if match is None:
            raise ConfigError(f"{where}: {key!r} is not a key such as agents, "
                              f"caller.talk_s.mean or agents[1].count")
        path.append(match.group(1))
        if match.group(2) is not None:
            path.append(int(match.group(2)))
    return tuple(path)


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


# -- finding where a key goes ----------------------------------------------------------

def resolve(variation: Variation, data: Mapping[str, Any]) -> Variation:
    """``variation`` with its path in the scenario ``data`` (a scenario file's tables).

    ConfigError naming the key when it is not in the scenario, names more than one
    key, or walks through a value that is not a table or a list.
    """
    key = variation.key
    where = f"--vary {key}"
    if key == STAFFING:
        groups = _groups(data)
        if not any("count" in g for g in groups):
            raise ConfigError(f"{where}: no agent group is given by count (staffing scales "
                              f"counts; groups given by names stay as they are)")
        return Variation(key, variation.values, (STAFFING,))
    path = _split_path(key, where)
    if len(path) == 1 and isinstance(path[0], str):
        path = _bare(path[0], data, where)
    _check_path(path, data, where)
    found = _get(data, path)
    if isinstance(found, Mapping) and "dist" in found and variation.numeric:
        if "mean" not in found:
            parameters = ", ".join(f"{_join(path)}.{k}" for k in found if k != "dist")
            raise ConfigError(f"{where}: {_join(path)} is a {found['dist']} distribution "
                              f"without a mean; vary one of {parameters}, or give tables")
        path = (*path, "mean")
    return Variation(key, variation.values, path)


def _bare(name: str, data: Mapping[str, Any], where: str) -> Path:
    if name == "agents":
        groups = _groups(data)
        if len(groups) != 1:
            options = ", ".join(f"agents[{i}].count" for i in range(len(groups)))
            raise ConfigError(f"{where}: the scenario has {len(groups)} agent groups; vary "
                              f"{options} or {STAFFING} (a factor on every count)")
        if "count" not in groups[0]:
            raise ConfigError(f"{where}: the scenario's agent group lists names; give it a "
                              f"count to vary the number of agents")
        return ("agents", 0, "count")
    places: list[tuple[Path, Mapping[str, Any]]] = [((), data)]
    places += [((t,), data[t]) for t in _TABLES if isinstance(data.get(t), Mapping)]
    places += [(("agents", i), g) for i, g in enumerate(_groups(data))]
    found = [(*at, name + suffix) for at, table in places for suffix in _SUFFIXES
             if name + suffix in table]
    if not found:
        found = [(*at, name + suffix) for at, table in places for suffix in _SUFFIXES
                 if name + suffix in _accepted(at, table) and name + suffix not in table]
    if len(found) == 1:
        return found[0]
    if not found:
        raise ConfigError(f"{where}: the scenario has no key {name!r} (nor {name}_s, "
                          f"{name}_p, {name}_per_s), and its tables take none; name the "
                          f"key with its table, such as caller.talk_s or agents[0].acw_s")
    raise ConfigError(f"{where}: {name!r} could be {', '.join(_join(p) for p in found)}; "
                      f"name one of them")


def _accepted(at: Path, table: Mapping[str, Any]) -> tuple[str, ...]:
    """The keys the table at ``at`` takes, for the kind it has."""
    if at == ():
        return tuple(k for k in _TOP if k not in ("arrivals", "caller", "agents", "flow"))
    if at == ("caller",):
        return _CALLER
    if at == ("arrivals",):
        return _ARRIVALS.get(str(table.get("kind", "poisson")), ())
    if at == ("flow",):
        required, optional = _FLOWS.get(str(table.get("kind", "queue")), ((), ()))
        return (*required, *optional)
    return _AGENTS


def _groups(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    groups = data.get("agents", [])
    return [g for g in groups if isinstance(g, Mapping)] if isinstance(groups, list) else []


def _check_path(path: Path, data: Any, where: str) -> None:
    here: Any = data
    for depth, part in enumerate(path[:-1]):
        walked = _join(path[:depth + 1])
        if isinstance(part, int):
            if not isinstance(here, list) or part >= len(here):
                size = len(here) if isinstance(here, list) else 0
                raise ConfigError(f"{where}: the scenario has no {walked} ({size} given)")
        elif not isinstance(here, Mapping) or part not in here:
            raise ConfigError(f"{where}: the scenario has no {walked}")
        here = here[part]
    last = path[-1]
    if isinstance(last, int):
        if not isinstance(here, list) or last >= len(here):
            raise ConfigError(f"{where}: the scenario has no {_join(path)}")
    elif not isinstance(here, Mapping):
        raise ConfigError(f"{where}: {_join(path[:-1])} is not a table")


def _get(data: Any, path: Path) -> Any:
    here = data
    for part in path:
        if isinstance(part, int):
            here = here[part]
        else:
            here = here.get(part)
            if here is None:
                return None
    return here


def _join(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


# -- applying values -------------------------------------------------------------------

def apply(data: Mapping[str, Any], settings: Sequence[tuple[Variation, Any]]) -> dict[str, Any]:
    """A copy of the scenario ``data`` with each resolved variation set to its value."""
    out: dict[str, Any] = copy.deepcopy(dict(data))
    for variation, value in settings:
        if variation.path == (STAFFING,):
            for group in out.get("agents", []):
                if isinstance(group, dict) and isinstance(group.get("count"), int):
                    group["count"] = max(1, round(group["count"] * value))
            continue
        here: Any = out
        for part in variation.path[:-1]:
            here = here[part]
        here[variation.path[-1]] = copy.deepcopy(value)
    return out


def combinations(variations: Sequence[Variation]) -> Iterator[tuple[tuple[Variation, Any], ...]]:
    """Every combination of the variations' values, the last key varying fastest."""
    for values in product(*(v.values for v in variations)):
        yield tuple(zip(variations, values, strict=True))

"""Flow coverage: which blocks and branches of each flow ran, and how often.

A FlowCoverage counts, for every flow it knows, how many times each block was
entered and each of its branches (``Block.branches()``: ``next``, ``=VALUE``,
``error:NAME``, ``loop``, ...) was taken.  It is the interpreter's
``Coverage``: a Testbed given one (``Testbed(flow_coverage=cov)``) registers
every flow it is given and reports every run of its switchboard to it.

Rules:

- A flow is known once added (``add_flow``), by its name and a signature of
  its shape (start, block ids, types, branches; not prompt texts).  Flows of
  one name and shape, added by many testbeds, runs or saved sessions, count
  together; two different flows named "Inbound" count apart.  A flow that
  runs without being added is counted only by name, in ``unregistered``.
- A transition whose label is no branch of its block (``end``, ``queued``,
  ``disconnect``, ``return``) counts as an exit of the block, not as a
  branch.  A block entered more often than it was left is where runs stopped
  (the caller hung up, the flow failed).
- The never-taken list holds every branch taken 0 times, those of blocks
  never entered included: branches total - taken = len(never taken).

``to_json`` / ``from_json`` (and ``save`` / ``load``) keep everything, so
coverage from runs and test sessions can be ``merge``d.  The JSON shape
(``version`` 1)::

    {"version": 1,
     "flows": [{"name": "Menu", "signature": "0c4f...", "start": "hello",
                "blocks_total": 7, "blocks_entered": 6,
                "branches_total": 10, "branches_taken": 7,
                "blocks": [{"id": "menu", "type": "GetCustomerInput", "entered": 4,
                            "branches": [{"label": "=1", "target": "sales", "taken": 2},
                                         ...],
                            "exits": {"end": 1}},
                           ...]},
               ...],
     "unregistered": {"Other": 3}}

Flows are sorted by name then signature, blocks are in the flow's order,
branches in ``Block.branches()`` order; ``exits`` and ``unregistered`` map a
label or flow name to a count, keys sorted.  The totals are derived (ignored
when read back); ``unregistered`` counts blocks entered.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from testbed.core.errors import ConfigError
from testbed.flows.flow import Flow

if TYPE_CHECKING:
    from rich.console import RenderableType

__all__ = ["CoverageRecorder", "CoverageReport", "FlowCoverage", "FlowSummary",
           "UnenteredBlock", "UntakenBranch"]

VERSION = 1


class UntakenBranch(NamedTuple):
    """A branch no run took: ``label`` of ``block`` (a ``block_type``) in ``flow``,
    going to ``target``."""

    flow: str
    block: str
    block_type: str
    label: str
    target: str


class UnenteredBlock(NamedTuple):
    """A block no run entered."""

    flow: str
    block: str
    block_type: str


@dataclass(frozen=True)
class FlowSummary:
    """The coverage of one flow: counts of blocks and branches, and what never ran.

    ``signature`` tells apart flows of one name and different shapes."""

    name: str
    signature: str
    blocks: int
    blocks_entered: int
    branches: int
    branches_taken: int
    never_taken: tuple[UntakenBranch, ...]
    never_entered: tuple[UnenteredBlock, ...]


@dataclass(frozen=True)
class CoverageReport:
    """Every known flow's summary (sorted by name, then signature), and the runs of
    flows never added (flow name: blocks entered)."""

    flows: tuple[FlowSummary, ...]
    unregistered: Mapping[str, int] = field(default_factory=dict)

    @property
    def never_taken(self) -> list[UntakenBranch]:
        return [branch for flow in self.flows for branch in flow.never_taken]

    @property
    def never_entered(self) -> list[UnenteredBlock]:
        return [block for flow in self.flows for block in flow.never_entered]

    def flow(self, name: str) -> FlowSummary:
        """The summary of the flow named ``name``; ConfigError if there is none, or
        several of that name."""
        found = [f for f in self.flows if f.name == name]
        if len(found) != 1:
            raise ConfigError(f"flow coverage: {len(found)} flows named {name!r}; known: "
                              f"{', '.join(sorted({f.name for f in self.flows})) or 'none'}")
        return found[0]


class _Shape(NamedTuple):
    """A block as coverage sees it: its type name and its branches (label: target)."""

    type: str
    branches: dict[str, str]


class _FlowCounts:
    """One flow definition and its counts: times each block was entered, and times
    it was left by each label (branches and exits)."""

    __slots__ = ("entered", "left", "name", "shapes", "signature", "start")

    def __init__(self, name: str, start: str, shapes: dict[str, _Shape]) -> None:
        self.name = name
        self.start = start
        self.shapes = shapes
        self.signature = _signature(start, shapes)
        self.entered: dict[str, int] = dict.fromkeys(shapes, 0)
        self.left: dict[str, dict[str, int]] = {
            block: dict.fromkeys(shape.branches, 0) for block, shape in shapes.items()}

    @classmethod
    def of(cls, flow: Flow) -> _FlowCounts:
        shapes = {}
        for block_id, block in flow.blocks.items():
            branches: dict[str, str] = {}
            for label, target in block.branches():
                branches.setdefault(label, target)  # a repeated label cannot be told apart
            shapes[block_id] = _Shape(type(block).__name__, branches)
        return cls(flow.name, flow.start, shapes)

    def add(self, other: _FlowCounts) -> None:
        for block, n in other.entered.items():
            self.entered[block] += n
        for block, labels in other.left.items():
            mine = self.left[block]
            for label, n in labels.items():
                mine[label] = mine.get(label, 0) + n

    def copy(self) -> _FlowCounts:
        twin = _FlowCounts(self.name, self.start, self.shapes)
        twin.add(self)
        return twin

    def summary(self) -> FlowSummary:
        untaken: list[UntakenBranch] = []
        unentered: list[UnenteredBlock] = []
        branches = taken = entered = 0
        for block, shape in self.shapes.items():
            if self.entered[block]:
                entered += 1
            else:
                unentered.append(UnenteredBlock(self.name, block, shape.type))
            left = self.left[block]
            for label, target in shape.branches.items():
                branches += 1
                if left[label]:
                    taken += 1
                else:
                    untaken.append(UntakenBranch(self.name, block, shape.type, label, target))
        return FlowSummary(self.name, self.signature, len(self.shapes), entered, branches,
                           taken, tuple(untaken), tuple(unentered))

    def to_json(self) -> dict[str, Any]:
        s = self.summary()
        blocks = []
        for block, shape in self.shapes.items():
            left = self.left[block]
            blocks.append({
                "id": block, "type": shape.type, "entered": self.entered[block],
                "branches": [{"label": label, "target": target, "taken": left[label]}
                             for label, target in shape.branches.items()],
                "exits": {label: n for label, n in sorted(left.items())
                          if label not in shape.branches},
            })
        return {"name": self.name, "signature": self.signature, "start": self.start,
                "blocks_total": s.blocks, "blocks_entered": s.blocks_entered,
                "branches_total": s.branches, "branches_taken": s.branches_taken,
                "blocks": blocks}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> _FlowCounts:
        shapes: dict[str, _Shape] = {}
        for block in data["blocks"]:
            shapes[str(block["id"])] = _Shape(str(block["type"]), {
                str(b["label"]): str(b["target"]) for b in block["branches"]})
        counts = cls(str(data["name"]), str(data["start"]), shapes)
        for block in data["blocks"]:
            block_id = str(block["id"])
            counts.entered[block_id] = _count(block["entered"])
            left = counts.left[block_id]
            for b in block["branches"]:
                left[str(b["label"])] += _count(b["taken"])
            for label, n in block.get("exits", {}).items():
                left[str(label)] = left.get(str(label), 0) + _count(n)
        return counts


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"a count must be a whole number >= 0, got {value!r}")
    return value


def _signature(start: str, shapes: Mapping[str, _Shape]) -> str:
    """12 hex digits that change with the flow's shape, not with its block order."""
    shape = [start, sorted([block, s.type, sorted(s.branches.items())]
                           for block, s in shapes.items())]
    text = json.dumps(shape, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


class CoverageRecorder:
    """What one testbed reports to: its flows by name, counted in a FlowCoverage.

    ``FlowCoverage.recorder()`` makes one; the Testbed adds its flows to it and
    sets it as its switchboard's ``flow_coverage``.  A flow added again under
    the same name replaces the earlier one for runs that start after it.
    """

    __slots__ = ("_coverage", "_flows")

    def __init__(self, coverage: FlowCoverage) -> None:
        self._coverage = coverage
        self._flows: dict[str, _FlowCounts] = {}

    def add_flow(self, *flows: Flow) -> None:
        for flow in flows:
            self._flows[flow.name] = self._coverage._define(flow)

    def entered(self, flow: str, block: str) -> None:
        try:
            self._flows[flow].entered[block] += 1
        except KeyError:
            unregistered = self._coverage.unregistered
            unregistered[flow] = unregistered.get(flow, 0) + 1

    def took(self, flow: str, block: str, label: str) -> None:
        try:
            left = self._flows[flow].left[block]
        except KeyError:
            return  # counted in ``unregistered`` as it was entered
        left[label] = left.get(label, 0) + 1


class FlowCoverage:
    """Counts of blocks entered and branches taken, per flow (see the module's rules).

    Used as the interpreter's ``Coverage`` directly, it knows the flows given
    to ``add_flow``; a Testbed uses a ``recorder()`` of its own, so testbeds
    open at once may each have their own flow of a name.
    """

    def __init__(self) -> None:
        self._flows: dict[tuple[str, str], _FlowCounts] = {}
        #: Runs of flows never added: blocks entered, by flow name.
        self.unregistered: dict[str, int] = {}
        self._own = CoverageRecorder(self)

    def __repr__(self) -> str:
        return f"<FlowCoverage of {len(self._flows)} flows>"

    def recorder(self) -> CoverageRecorder:
        """A recorder for one testbed, counting into this coverage."""
        return CoverageRecorder(self)

    def _define(self, flow: Flow) -> _FlowCounts:
        counts = _FlowCounts.of(flow)
        return self._flows.setdefault((counts.name, counts.signature), counts)

    # -- the interpreter's Coverage ----------------------------------------------
    def add_flow(self, *flows: Flow) -> None:
        """Know ``flows``: their blocks and branches count from now, even if none runs."""
        self._own.add_flow(*flows)

    def entered(self, flow: str, block: str) -> None:
        self._own.entered(flow, block)

    def took(self, flow: str, block: str, label: str) -> None:
        self._own.took(flow, block, label)

    # -- combining ------------------------------------------------------------------
    def merge(self, other: FlowCoverage) -> FlowCoverage:
        """Add ``other``'s counts to this coverage (flows of one name and shape count
        together); returns this coverage."""
        if other is self:
            other = FlowCoverage.from_json(self.to_json())
        for key, counts in other._flows.items():
            mine = self._flows.get(key)
            if mine is None:
                self._flows[key] = counts.copy()
            else:
                mine.add(counts)
        for name, n in other.unregistered.items():
            self.unregistered[name] = self.unregistered.get(name, 0) + n
        return self

    # -- results ------------------------------------------------------------------
    def report(self) -> CoverageReport:
        flows = tuple(self._flows[key].summary() for key in sorted(self._flows))
        return CoverageReport(flows, dict(sorted(self.unregistered.items())))

    def to_json(self) -> dict[str, Any]:
        """The counts as JSON-ready data (the shape is in the module docstring)."""
        return {"version": VERSION,
                "flows": [self._flows[key].to_json() for key in sorted(self._flows)],
                "unregistered": dict(sorted(self.unregistered.items()))}

    @classmethod
    def from_json(cls, data: Any, source: str = "flow coverage") -> FlowCoverage:
        """A coverage from ``to_json``'s data; ConfigError naming ``source`` if it is not."""
        if not isinstance(data, Mapping) or data.get("version") != VERSION:
            version = data.get("version") if isinstance(data, Mapping) else None
            raise ConfigError(f"{source}: not flow coverage version {VERSION} "
                              f"(version {version!r})")
        coverage = cls()
        try:
            for item in data["flows"]:
                counts = _FlowCounts.from_json(item)
                key = (counts.name, counts.signature)
                if key in coverage._flows:
                    coverage._flows[key].add(counts)
                else:
                    coverage._flows[key] = counts
            for name, n in data.get("unregistered", {}).items():
                coverage.unregistered[str(name)] = _count(n)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"{source}: not valid flow coverage ({type(exc).__name__}: "
                              f"{exc})") from None
        return coverage

    def save(self, path: str | Path) -> None:
        """Write ``to_json`` to ``path`` (indented, ending in a newline)."""
        Path(path).write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> FlowCoverage:
        """Read a file ``save`` wrote; ConfigError naming the file if it cannot."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"flow coverage {str(path)!r}: cannot read it "
                              f"({exc.strerror})") from None
        except ValueError as exc:
            raise ConfigError(f"flow coverage {str(path)!r}: not JSON ({exc})") from None
        return cls.from_json(data, f"flow coverage {str(path)!r}")

    # -- tables -------------------------------------------------------------------
    def renderable(self, width: int = 80, *, blocks: bool = False,
                   untaken_limit: int | None = None) -> RenderableType:
        """A rich table of blocks entered and branches taken per flow, then the
        never-taken branches (the first ``untaken_limit``), laid out for ``width``
        columns; with ``blocks``, a row per block with its counts."""
        from rich.console import Group
        from rich.text import Text

        report = self.report()
        parts: list[RenderableType] = [_summary_table(report)]
        if blocks:
            parts += [Text(""), _blocks_table(self, report, width)]
        if report.never_taken:
            parts += [Text(""), _untaken_table(report, untaken_limit, width)]
        if report.unregistered:
            parts += [Text(""), Text("ran but never added (blocks entered): " + ", ".join(
                f"{name} ({n})" for name, n in report.unregistered.items()))]
        return Group(*parts)

    def render(self, width: int = 80, *, blocks: bool = False,
               untaken_limit: int | None = None) -> str:
        """``renderable()`` as plain text at most ``width`` columns wide (no trailing
        spaces)."""
        from rich.console import Console

        out = io.StringIO()
        console = Console(file=out, width=width, color_system=None, highlight=False,
                          emoji=False, markup=False)
        console.print(self.renderable(width, blocks=blocks, untaken_limit=untaken_limit))
        return "".join(line.rstrip() + "\n" for line in out.getvalue().splitlines())


def _percent(part: int, whole: int) -> str:
    return "-" if whole == 0 else f"{100 * part / whole:.0f}%"


def _names(report: CoverageReport) -> dict[tuple[str, str], str]:
    """How each flow is shown: its name, with its signature's start if the name is
    shared by flows of other shapes."""
    seen: dict[str, int] = {}
    for f in report.flows:
        seen[f.name] = seen.get(f.name, 0) + 1
    return {(f.name, f.signature): f.name if seen[f.name] == 1 else f"{f.name} #{f.signature[:6]}"
            for f in report.flows}


def _summary_table(report: CoverageReport) -> RenderableType:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Flow coverage", box=box.SIMPLE_HEAD, title_justify="left",
                  show_edge=False, pad_edge=False)
    table.add_column("flow", overflow="fold", ratio=1)
    for name in ("blocks", "%", "branches", "%"):
        table.add_column(name, justify="right", no_wrap=True)
    names = _names(report)
    totals = [0, 0, 0, 0]
    for f in report.flows:
        table.add_row(Text(names[f.name, f.signature]), f"{f.blocks_entered}/{f.blocks}",
                      _percent(f.blocks_entered, f.blocks),
                      f"{f.branches_taken}/{f.branches}", _percent(f.branches_taken, f.branches))
        for i, n in enumerate((f.blocks_entered, f.blocks, f.branches_taken, f.branches)):
            totals[i] += n
    if len(report.flows) > 1:
        table.add_section()
        table.add_row("total", f"{totals[0]}/{totals[1]}", _percent(totals[0], totals[1]),
                      f"{totals[2]}/{totals[3]}", _percent(totals[2], totals[3]))
    return table


def _untaken_table(report: CoverageReport, limit: int | None, width: int) -> RenderableType:
    """Never-taken branches (the first ``limit``) under a row naming their flow."""
    from rich.console import Group

    names = _names(report)
    groups: list[tuple[str, list[tuple[str, ...]]]] = []
    shown = hidden = 0
    for f in report.flows:
        rows: list[tuple[str, ...]] = []
        block = None
        for branch in f.never_taken:
            if limit is not None and shown >= limit:
                hidden += 1
                continue
            shown += 1
            first = branch.block != block
            block = branch.block
            rows.append((block if first else "", branch.block_type if first else "",
                         branch.label, branch.target))
        if rows:
            groups.append((names[f.name, f.signature], rows))
    table = _listing("Never taken", ("block", "type", "branch", "to"), groups, width)
    if not hidden:
        return table
    return Group(table, f"... and {hidden} more never-taken branches")


def _blocks_table(coverage: FlowCoverage, report: CoverageReport, width: int) -> RenderableType:
    """Every block with the times it was entered and left by each label."""
    names = _names(report)
    groups: list[tuple[str, list[tuple[str, ...]]]] = []
    for key in sorted(coverage._flows):
        counts = coverage._flows[key]
        rows: list[tuple[str, ...]] = []
        for block, shape in counts.shapes.items():
            left = counts.left[block]
            labels = [*shape.branches, *sorted(set(left) - set(shape.branches))] or [""]
            for i, label in enumerate(labels):
                head = (block, shape.type, str(counts.entered[block])) if i == 0 \
                    else ("", "", "")
                rows.append((*head, label, str(left[label]) if label else ""))
        groups.append((names[key], rows))
    return _listing("Blocks", ("block", "type", "entered", "left by", "times"), groups, width)


#: Columns that keep their width up to this many characters when a listing is too wide;
#: block ids (``block``, ``to``) share what is left.
_CAPS = {"type": 18, "branch": 28, "left by": 28}
_SHARED = ("block", "to")
_NUMBERS = ("entered", "times")


def _listing(title: str, headers: tuple[str, ...],
             groups: list[tuple[str, list[tuple[str, ...]]]], width: int) -> RenderableType:
    """A table of ``headers`` whose rows come in groups, each under a row naming its
    flow, laid out to fit ``width`` columns where it can."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    rows: list[tuple[str, ...]] = []
    flow_rows: set[int] = set()
    for name, group in groups:
        flow_rows.add(len(rows))
        rows.append((name,))
        rows.extend(group)
    widths = [max([len(h), *(len(row[i]) for row in rows if i < len(row))])
              for i, h in enumerate(headers)]
    room = width - 3 * (len(headers) - 1)  # a space either side of each column rule
    if sum(widths) > room:
        widths = [min(w, _CAPS.get(h, w)) for w, h in zip(widths, headers, strict=True)]
        shared = [i for i, h in enumerate(headers) if h in _SHARED]
        rest = room - sum(w for i, w in enumerate(widths) if i not in shared)
        total = sum(widths[i] for i in shared)
        if shared and rest >= 8 * len(shared):
            for i in shared:
                widths[i] = max(8, rest * widths[i] // total)
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left",
                  show_edge=False, pad_edge=False)
    for header, column_width in zip(headers, widths, strict=True):
        table.add_column(header, overflow="fold", max_width=column_width,
                         justify="right" if header in _NUMBERS else "left")
    for i, row in enumerate(rows):
        if i in flow_rows:
            table.add_row(Text(row[0], style="bold"))
        else:
            table.add_row(*(Text(cell) for cell in row))
    return table

"""The files a sweep writes: ``sweep.csv``, ``runs.csv``, ``sweep.json`` and the plots.

- ``sweep.csv``: one row per combination (the table's dicts), the varied keys
  first;
- ``runs.csv``: one row per run, finished or failed (``error``), the keys,
  ``replication`` and ``seed`` first;
- ``sweep.json``: ``SweepTable.to_json()``;
- the PNG plots of ``testbed.load.sweep_plots``, when any run finished.

A value that is a table or a list (a varied distribution, say) is written to a
CSV cell as JSON.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from testbed.load.sweep import SweepTable

__all__ = ["SWEEP_OUTPUTS", "write_sweep"]

#: What a sweep writes into its folder, besides one PNG per metric.
SWEEP_OUTPUTS = ("sweep.csv", "runs.csv", "sweep.json")


def write_sweep(out: Path, table: SweepTable, title: str) -> list[Path]:
    """Write ``table``'s files into the folder ``out`` (which must exist); returns their
    paths."""
    from testbed.load.sweep_plots import write_sweep_plots

    written = [out / name for name in SWEEP_OUTPUTS]
    _write_csv(written[0], list(table), table.keys)
    failed_runs = [f for f in table.failures if f["replication"] is not None]
    _write_csv(written[1], [*table.runs, *failed_runs], [*table.keys, "replication", "seed"])
    written[2].write_text(json.dumps(table.to_json(), indent=2) + "\n", encoding="utf-8")
    if any(row["runs"] for row in table):
        written += write_sweep_plots(out, table, title)
    return written


def _cell(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value


def _write_csv(path: Path, rows: Sequence[dict[str, Any]], first: Sequence[str]) -> None:
    columns = list(dict.fromkeys([*first, *(k for row in rows for k in row)]))
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(v) for k, v in row.items()})

"""What the commands share: usage errors, reading a stored run, table cells."""

from __future__ import annotations

import sys
from typing import NoReturn

from testbed.errors import ConfigError
from testbed.record_service import RecordService
from testbed.stores import open_store

__all__ = ["cell", "open_run", "usage_error"]


def cell(value: float | None) -> str:
    """A table cell: counts as they are, other numbers to one decimal, None as '-'."""
    return "-" if value is None else str(value) if isinstance(value, int) else f"{value:.1f}"


def open_run(url: str) -> RecordService:
    try:
        return RecordService.open(open_store(url, existing=True))
    except ConfigError as exc:
        usage_error(str(exc))


def usage_error(message: str) -> NoReturn:
    print(f"testbed: error: {message}", file=sys.stderr)
    raise SystemExit(2)



"""What the commands share: usage errors, reading and starting a stored run, table cells."""

from __future__ import annotations

import sys
import warnings
from typing import NoReturn

from testbed.core.errors import ConfigError
from testbed.records.service import RecordService
from testbed.records.stores import StoreWarning, in_use, open_store

__all__ = ["cell", "check_new_store", "open_run", "usage_error", "warn"]


def cell(value: float | None) -> str:
    """A table cell: counts as they are, other numbers to one decimal, None as '-'."""
    return "-" if value is None else str(value) if isinstance(value, int) else f"{value:.1f}"


def open_run(url: str) -> RecordService:
    """The run stored at ``url``, for reading; a usage error if there is none to read.

    What the store warns about (a last line cut short) is one line on stderr.
    """
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", StoreWarning)
            service = RecordService.open(open_store(url, existing=True))
    except ConfigError as exc:
        usage_error(str(exc))
    for warning in caught:
        if issubclass(warning.category, StoreWarning):
            warn(str(warning.message))
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                   warning.lineno)
    return service


def check_new_store(url: str, overwrite: bool) -> None:
    """A usage error unless a new run may write to store ``url``: it names a store, and
    that store holds no run yet (or ``overwrite``: the run there is to be replaced)."""
    try:
        store = open_store(url)
        try:
            if not overwrite and store.holds_events():
                raise ConfigError(in_use(url, store.start_instant(), "--overwrite"))
        finally:
            store.close()
    except ConfigError as exc:
        usage_error(str(exc))


def warn(message: str) -> None:
    print(f"testbed: warning: {message}", file=sys.stderr)


def usage_error(message: str) -> NoReturn:
    print(f"testbed: error: {message}", file=sys.stderr)
    raise SystemExit(2)

"""Record stores: where the event log lives beyond memory.

A store is chosen by a URL-like string:

    memory:                  in memory only (the default)
    jsonl:PATH | PATH.jsonl  append-only JSON Lines
    sqlite:PATH | PATH.sqlite | PATH.db    SQLite in WAL mode

Durability: the record service hands a store a batch of events at the end
of every instant (before the clock moves on) and when it closes; the batch
is *acknowledged* once ``write`` returns.  Then it survives the process
being killed: JSON Lines are written and flushed to the operating system,
SQLite commits the batch.  With ``fsync=True`` each batch is also synced to
disk (JSONL: ``os.fsync``; SQLite: ``synchronous=FULL``), so it survives
power loss too, at the cost of a disk sync per instant.

Cost (``scripts/bench/stores.py``, M/M/50+M with 5,000 callers, about 60,000
events): JSON Lines and SQLite each make a virtual run about 2x slower than
memory alone, since a virtual clock ends an instant at nearly every event;
with ``fsync=True`` about 6x.

A store holds one run.  A new run refuses a store that already holds
events (``begin``), unless told to overwrite it: then the earlier run is
deleted first.  So two runs never mix in one store, and reading a store
that does mix them (written before this rule, testbed time going back) is
an error rather than a wrong answer.

Reopening a store gives back the start instant and every acknowledged
event.  A JSON Lines file whose last line was cut by a crash opens with a
StoreWarning naming the line and loses only that line.  A file that is not
a testbed store, or a damaged SQLite file, is a ConfigError naming it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import warnings
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from testbed.core.clock import parse_instant
from testbed.core.errors import ConfigError
from testbed.core.native import mypyc_attr
from testbed.records.contact_record import DisconnectReason, EventKind, InitiationMethod

__all__ = ["JsonLinesStore", "MemoryStore", "RecordStore", "SQLiteStore", "StoreWarning",
           "in_use", "open_store"]

Entry = tuple[float, str, EventKind, Any]
FORMAT = "telephony-testbed/events"
FORMAT_VERSION = 1


@mypyc_attr(native_class=False)  # a warning class: the compiled build keeps it Python
class StoreWarning(RuntimeWarning):
    """A store was read, but not all of it: e.g. a last line cut short by a crash."""


class RecordStore(Protocol):
    """Where acknowledged events go.  ``write`` returns once the batch is durable.

    ``begin`` starts a run; it raises ConfigError if the store holds events
    already (``holds_events``), unless ``overwrite`` is true: then it deletes
    them first.
    """

    url: str

    def start_instant(self) -> datetime | None: ...
    def holds_events(self) -> bool: ...
    def begin(self, start: datetime, overwrite: bool = False) -> None: ...
    def write(self, entries: Sequence[Entry]) -> None: ...
    def load(self) -> Iterator[Entry]: ...
    def close(self) -> None: ...


def encode_data(data: Any) -> Any:
    """Event data as JSON values (tuples become lists, enums their strings)."""
    return list(data) if isinstance(data, tuple) else data


_encode_text = json.encoder.encode_basestring_ascii  # what json.dumps does to a str


def _data_json(data: Any) -> str:
    """``json.dumps(encode_data(data))``, quicker for the commonest data: None, a str,
    a tuple of those (an agent's state, a contact's initiation)."""
    if data is None:
        return "null"
    if isinstance(data, str):
        return _encode_text(data)
    if isinstance(data, tuple):
        parts = []
        for item in data:
            if item is None:
                parts.append("null")
            elif isinstance(item, str):
                parts.append(_encode_text(item))
            else:
                return json.dumps(list(data))
        return "[" + ", ".join(parts) + "]"
    return json.dumps(data)


def in_use(name: str | Path, start: datetime | None, how: str = "overwrite=True") -> str:
    """The message refusing a new run in store ``name``, which holds one already."""
    started = "" if start is None else f" (started {start.strftime('%Y-%m-%dT%H:%M:%SZ')})"
    return f"{name} already holds a run{started}; pass {how} to replace it, or name a new file"


def _second_run(where: str, before: float, t: float) -> ConfigError:
    return ConfigError(f"{where}: a second run starts here (testbed time goes back from "
                       f"{before:g} s to {t:g} s); the store mixes two runs and cannot be "
                       f"read as one")


_KINDS = {kind.value: kind for kind in EventKind}
_METHODS = {method.value: method for method in InitiationMethod}
_REASONS = {reason.value: reason for reason in DisconnectReason}


# Kinds whose data is a tuple of (key, value) pairs.
_PAIRS = frozenset((EventKind.ATTRIBUTES, EventKind.UPDATED))
# Kinds whose data is a tuple (JSON gives a list).  HOLD and RESUME carry a
# username, kept as it is; stores older than them simply hold none.
_TUPLES = frozenset((EventKind.FLOW_ACTION, EventKind.MUTE, EventKind.UNMUTE,
                     EventKind.QUICK_CONNECT))


def decode_entry(t: float, contact_id: str, kind: str, data: Any) -> Entry:
    """An event read back from a store, with the types the fold expects (KeyError
    for a kind, method or reason the testbed does not know)."""
    event_kind = _KINDS[kind]
    if event_kind is EventKind.INITIATED:
        method, previous, customer, *system = data  # stores written before SystemEndpoint: 3
        data = (_METHODS[method], previous, customer, system[0] if system else None)
    elif event_kind is EventKind.DISCONNECTED:
        data = _REASONS[data]
    elif event_kind is EventKind.SCHEDULED:
        data = (data[0], data[1])
    elif event_kind is EventKind.AGENT_STATE:
        data = tuple(data)  # (username, state, contact id); the state stays a str
    elif event_kind in _PAIRS:
        data = tuple((k, v) for k, v in data)
    elif event_kind in _TUPLES:
        data = tuple(data)
    return (float(t), contact_id, event_kind, data)


class MemoryStore:
    """Keeps nothing beyond the record service's own memory."""

    url = "memory:"

    def __init__(self) -> None:
        self._start: datetime | None = None
        self._entries: list[Entry] = []

    def start_instant(self) -> datetime | None:
        return self._start

    def holds_events(self) -> bool:
        return bool(self._entries)

    def begin(self, start: datetime, overwrite: bool = False) -> None:
        if self._entries and not overwrite:
            raise ConfigError("this memory store holds a run already; pass overwrite=True "
                              "to replace it, or use a new store")
        self._entries.clear()
        self._start = start

    def write(self, entries: Sequence[Entry]) -> None:
        self._entries.extend(entries)

    def load(self) -> Iterator[Entry]:
        return iter(list(self._entries))

    def close(self) -> None:
        pass


class JsonLinesStore:
    """Append-only JSON Lines: a header line, then one event per line."""

    def __init__(self, path: str | Path, fsync: bool = False) -> None:
        self.path = Path(path)
        self.url = f"jsonl:{self.path}"
        self.fsync = fsync
        self._file: Any = None
        self._start: datetime | None = None
        self._events_at = 0  # byte offset of the first event line
        if self.path.exists() and self.path.stat().st_size > 0:
            self._read_header()

    def _read_header(self) -> None:
        try:
            with self.path.open("rb") as f:
                first = f.readline()
                self._events_at = len(first)
        except OSError as exc:
            raise ConfigError(f"{self.path}: cannot read it ({exc.strerror})") from None
        try:
            header = json.loads(first)
            if header.get("format") != FORMAT:
                raise ValueError("not a testbed event log")
            self._start = parse_instant(header["start"])
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(f"{self.path}: not a testbed event log ({exc})") from None

    def start_instant(self) -> datetime | None:
        return self._start

    def holds_events(self) -> bool:
        return self._start is not None and self.path.stat().st_size > self._events_at

    def begin(self, start: datetime, overwrite: bool = False) -> None:
        if not overwrite and self.holds_events():
            raise ConfigError(in_use(self.path, self._start))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("w", encoding="utf-8")  # a new run: truncated
        except OSError as exc:
            raise ConfigError(f"{self.path}: cannot write it ({exc.strerror})") from None
        header = {"format": FORMAT, "version": FORMAT_VERSION,
                  "start": start.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
        line = json.dumps(header) + "\n"
        self._file.write(line)
        self._sync()
        self._start = start
        self._events_at = len(line.encode())

    def write(self, entries: Sequence[Entry]) -> None:
        dumps = json.dumps
        self._file.write("".join(
            dumps([round(t, 6), cid, kind, encode_data(data)], separators=(",", ":")) + "\n"
            for t, cid, kind, data in entries))
        self._sync()

    def _sync(self) -> None:
        self._file.flush()
        if self.fsync:
            os.fsync(self._file.fileno())

    def load(self) -> Iterator[Entry]:
        try:
            with self.path.open("rb") as f:
                f.seek(self._events_at)
                lines = f.read().split(b"\n")
        except OSError as exc:
            raise ConfigError(f"{self.path}: cannot read it ({exc.strerror})") from None
        # A complete file ends with a newline, leaving an empty last piece.
        tail = lines.pop()
        last = 0.0
        for number, line in enumerate(lines, start=2):
            if not line.strip():
                continue
            try:
                t, cid, kind, data = json.loads(line)
                entry = decode_entry(t, cid, kind, data)
            except (ValueError, TypeError, KeyError) as exc:
                raise ConfigError(f"{self.path}:{number}: corrupt event line ({exc})") from None
            if entry[0] < last:
                raise _second_run(f"{self.path}:{number}", last, entry[0])
            last = entry[0]
            yield entry
        if tail.strip():
            warnings.warn(f"{self.path}:{len(lines) + 2}: the last line was cut short (a "
                          f"crash while writing?); it was ignored and the rest was read",
                          StoreWarning, stacklevel=2)

    def close(self) -> None:
        if self._file is not None:
            self._sync()
            self._file.close()
            self._file = None


class SQLiteStore:
    """SQLite in WAL mode: a ``meta`` table with the start instant, an ``events`` table.

    Every SQLite error (a damaged file, a file that is not SQLite) is a
    ConfigError naming the file.
    """

    def __init__(self, path: str | Path, fsync: bool = False) -> None:
        self.path = Path(path)
        self.url = f"sqlite:{self.path}"
        self._closed = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"{self.path}: cannot create its folder ({exc.strerror})") from None
        try:
            self._db = sqlite3.connect(self.path)
        except sqlite3.Error as exc:
            self._closed = True
            raise self._unreadable(exc) from None
        try:
            tables = {name for (name,) in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables and not {"meta", "events"} <= tables:
                raise ConfigError(f"{self.path}: not a testbed SQLite store (it holds other "
                                  f"tables: {', '.join(sorted(tables))})")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
            self._db.executescript(
                "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, t REAL NOT NULL,"
                " contact_id TEXT NOT NULL, kind TEXT NOT NULL, data TEXT);")
        except sqlite3.Error as exc:
            self.close()
            raise self._unreadable(exc) from None
        except ConfigError:
            self.close()
            raise

    def _unreadable(self, exc: sqlite3.Error) -> ConfigError:
        return ConfigError(f"{self.path}: cannot be used as a testbed SQLite store ({exc}); "
                           f"check that it is the run's store, or restore it from a copy")

    def start_instant(self) -> datetime | None:
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'start'").fetchone()
        except sqlite3.Error as exc:
            raise self._unreadable(exc) from None
        try:
            return None if row is None else parse_instant(row[0])
        except ConfigError:
            raise ConfigError(f"{self.path}: not a testbed SQLite store (its start "
                              f"{row[0]!r} is not an instant)") from None

    def holds_events(self) -> bool:
        try:
            return self._db.execute("SELECT 1 FROM events LIMIT 1").fetchone() is not None
        except sqlite3.Error as exc:
            raise self._unreadable(exc) from None

    def begin(self, start: datetime, overwrite: bool = False) -> None:
        if not overwrite and self.holds_events():
            raise ConfigError(in_use(self.path, self.start_instant()))
        try:
            with self._db:  # one transaction: the earlier run goes as the new one begins
                self._db.execute("DELETE FROM events")
                self._db.execute("DELETE FROM meta")
                self._db.execute("INSERT INTO meta VALUES ('format', ?)", (FORMAT,))
                self._db.execute("INSERT INTO meta VALUES ('start', ?)",
                                 (start.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),))
        except sqlite3.Error as exc:
            raise self._unreadable(exc) from None

    def write(self, entries: Sequence[Entry]) -> None:
        try:
            with self._db:
                self._db.executemany(
                    "INSERT INTO events (t, contact_id, kind, data) VALUES (?, ?, ?, ?)",
                    [(t, cid, str(kind), _data_json(data)) for t, cid, kind, data in entries])
        except sqlite3.Error as exc:
            raise ConfigError(f"{self.path}: cannot write events ({exc})") from None

    def load(self) -> Iterator[Entry]:
        try:
            db = self._db if not self._closed else sqlite3.connect(self.path)
        except sqlite3.Error as exc:
            raise self._unreadable(exc) from None
        try:
            rows = db.execute("SELECT seq, t, contact_id, kind, data FROM events ORDER BY seq")
            loads = json.loads
            last = 0.0
            for seq, t, cid, kind, data in rows:
                try:
                    entry = decode_entry(t, cid, kind, loads(data))
                except (ValueError, TypeError, KeyError) as exc:
                    raise ConfigError(f"{self.path}: corrupt event row ({exc!r})") from None
                if entry[0] < last:
                    raise _second_run(f"{self.path}: event {seq}", last, entry[0])
                last = entry[0]
                yield entry
        except sqlite3.Error as exc:
            raise self._unreadable(exc) from None
        finally:
            if db is not self._db:
                db.close()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._db.close()


def open_store(url: str | Path, fsync: bool = False, *, existing: bool = False) -> RecordStore:
    """The store a URL names (see the module docstring); ConfigError if it names none.

    With ``existing=True`` the store must already exist (for reading a run).
    """
    text = str(url)
    if text in ("", "memory", "memory:"):
        if existing:
            raise ConfigError("memory: holds no earlier run; name a .jsonl or .sqlite store")
        return MemoryStore()
    scheme, sep, rest = text.partition(":")
    if sep and scheme in ("jsonl", "sqlite") and rest:
        kind, path = scheme, rest
    elif Path(text).suffix.lower() == ".jsonl":
        kind, path = "jsonl", text
    elif Path(text).suffix.lower() in (".sqlite", ".sqlite3", ".db"):
        kind, path = "sqlite", text
    else:
        raise ConfigError(f"record store {text!r}: use memory:, jsonl:PATH, sqlite:PATH, "
                          f"or a path ending in .jsonl, .sqlite or .db")
    if existing and not Path(path).is_file():
        raise ConfigError(f"no store at {path!r}")
    return JsonLinesStore(path, fsync) if kind == "jsonl" else SQLiteStore(path, fsync)

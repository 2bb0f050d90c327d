"""Reading contact-record exports as Amazon Connect writes them, for ``scenario from-ctr``.

An export is one or more files of CTR JSON objects: one a line (a Kinesis or
Firehose stream saved to S3, this project's ``testbed records export``), run
together with no separator (Firehose), or a JSON array; gzip-compressed files
are read as they are.  Each object is checked, and what is wrong is counted by
kind with the first places it happens (``file:line``, or ``file[i]`` in an
array), never dropped silently:

- a record that cannot be placed at all (not JSON, not an object, no
  ContactId, no readable InitiationTimestamp or InitiationMethod) is left out;
- a record with an odd field (a timestamp that does not parse, timestamps out
  of order, a negative duration, no DisconnectTimestamp) still counts as an
  arrival, but gives no times (talk, wait, patience, after-contact work).

Records that are fine but out of scope (another channel than VOICE) are
counted apart.  Connect delivers a record at least once: copies of a
ContactId are merged, keeping the one with the latest LastUpdateTimestamp
(the last one read when they tie), and counted.
"""

from __future__ import annotations

import functools
import gzip
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from testbed.core.errors import ConfigError

__all__ = ["CtrContact", "ExportReading", "Problems", "read_export"]

_METHODS = ("INBOUND", "OUTBOUND", "TRANSFER", "QUEUE_TRANSFER", "CALLBACK", "API",
            "DISCONNECT", "MONITOR", "EXTERNAL_OUTBOUND", "AGENT_REPLY", "FLOW", "WEBRTC_API")
# Places shown for each kind of problem.
_EXAMPLES = 5


@dataclass(frozen=True, slots=True)
class CtrContact:
    """What ``scenario from-ctr`` uses of one record (UTC instants, whole seconds).

    ``odd`` is true when a field was wrong: the contact still arrived, but its
    times are not used.  ``acw_s`` is AfterContactWorkDuration (or its
    timestamps' difference); ``left_queue`` is DequeueTimestamp, or the
    DisconnectTimestamp of a contact that hung up in the queue.
    """

    contact_id: str
    method: str
    initiated: datetime
    where: str
    queue: str | None = None
    enqueued: datetime | None = None
    left_queue: datetime | None = None
    agent: str | None = None
    connected: datetime | None = None
    acw_end: datetime | None = None
    acw_s: float | None = None
    disconnected: datetime | None = None
    next_contact: str | None = None
    previous_contact: str | None = None
    transferred: bool = False
    odd: bool = False


@dataclass
class Problems:
    """What was wrong in an export: for each kind, how many records and the first places."""

    counts: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, where: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        shown = self.examples.setdefault(kind, [])
        if len(shown) < _EXAMPLES:
            shown.append(where)

    def __bool__(self) -> bool:
        return bool(self.counts)

    def lines(self) -> list[str]:
        """One line per kind: ``3 records: KIND (at a:4, a:9, a:12)``."""
        out = []
        for kind, count in self.counts.items():
            shown = self.examples[kind]
            more = ", ..." if count > len(shown) else ""
            out.append(f"{count} record{'s' * (count != 1)}: {kind} "
                       f"(at {', '.join(shown)}{more})")
        return out

    def to_json(self) -> list[dict[str, Any]]:
        return [{"problem": kind, "records": count, "at": self.examples[kind]}
                for kind, count in self.counts.items()]


@dataclass
class ExportReading:
    """An export read: its usable contacts, and what was counted on the way."""

    contacts: list[CtrContact] = field(default_factory=list)
    read: int = 0
    duplicates: int = 0
    other_channels: dict[str, int] = field(default_factory=dict)
    problems: Problems = field(default_factory=Problems)
    left_out: int = 0  # records that could not be placed at all


def read_export(paths: Sequence[str | Path]) -> ExportReading:
    """Read and check every record of the export files ``paths``.

    ConfigError when a file cannot be read or holds no JSON objects at all (a CSV
    export, say); odd records are counted in the reading's ``problems``.
    """
    reading = ExportReading()
    kept: dict[str, tuple[str, CtrContact]] = {}
    for path in paths:
        for where, value in _values(Path(path), reading.problems):
            reading.read += 1
            contact = _contact(value, where, reading)
            if contact is None:
                continue
            stamp = value.get("LastUpdateTimestamp") if isinstance(value, Mapping) else None
            stamp = stamp if isinstance(stamp, str) else ""
            earlier = kept.get(contact.contact_id)
            if earlier is not None:
                reading.duplicates += 1
                if stamp < earlier[0]:
                    continue
            kept[contact.contact_id] = (stamp, contact)
    reading.contacts = sorted((c for _stamp, c in kept.values()),
                              key=lambda c: (c.initiated, c.contact_id))
    return reading


def _text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror})") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ConfigError(f"{path}: a gzip file that does not decompress ({exc})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; a contact-record export is JSON") from None


def _values(path: Path, problems: Problems) -> list[tuple[str, Any]]:
    """The JSON values of a file, each with where it is."""
    text = _text(path)
    body = text.lstrip()
    if not body:
        raise ConfigError(f"{path}: the file is empty")
    if body[0] == "[":
        try:
            items = json.loads(body)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: a JSON array that does not parse ({exc})") from None
        return [(f"{path}[{i}]", item) for i, item in enumerate(items)]
    if body[0] != "{":
        raise ConfigError(f"{path}: not a contact-record export (CTR JSON objects, one a "
                          f"line, or an array); it starts {body[:40]!r}. A CSV export will "
                          f"not do: export with --format ctr-json")
    decoder = json.JSONDecoder()
    out: list[tuple[str, Any]] = []
    pos, line, counted_to = 0, 1, 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text):
            return out
        line += text.count("\n", counted_to, pos)
        counted_to = pos
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            problems.add("not JSON", f"{path}:{line}")
            end = text.find("\n", pos)
            pos = len(text) if end < 0 else end + 1
            continue
        out.append((f"{path}:{line}", value))


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        raise ValueError
    return _parse_timestamp(value)


# Records keep whole seconds, so an export repeats the same few thousand timestamps.
@functools.lru_cache(maxsize=100_000)
def _parse_timestamp(value: str) -> datetime:
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.replace(microsecond=0)


class _Fields:
    """Reads the fields of one record, noting each odd one."""

    def __init__(self, where: str, problems: Problems) -> None:
        self.where = where
        self.problems = problems
        self.odd = False

    def note(self, kind: str, value: Any = None) -> None:
        shown = "" if value is None else f" {json.dumps(value)[:60]}"
        self.problems.add(kind, f"{self.where}{shown}")
        self.odd = True

    def time(self, table: Mapping[str, Any], key: str, label: str) -> datetime | None:
        value = table.get(key)
        if value is None:
            return None
        try:
            return _timestamp(value)
        except (ValueError, TypeError):
            self.note(f"{label} is not a timestamp", value)
            return None


def _contact(value: Any, where: str, reading: ExportReading) -> CtrContact | None:
    problems = reading.problems
    if not isinstance(value, Mapping):
        problems.add("not a JSON object", where)
        reading.left_out += 1
        return None
    cid, method = value.get("ContactId"), value.get("InitiationMethod")
    if not isinstance(cid, str) or not cid:
        problems.add("no ContactId", where)
        reading.left_out += 1
        return None
    if method not in _METHODS:
        problems.add("InitiationMethod missing or unknown", f"{where} {json.dumps(method)}")
        reading.left_out += 1
        return None
    channel = value.get("Channel") or "VOICE"
    if channel != "VOICE":
        reading.other_channels[str(channel)] = reading.other_channels.get(str(channel), 0) + 1
        return None
    fields = _Fields(where, problems)
    initiated = fields.time(value, "InitiationTimestamp", "InitiationTimestamp")
    if initiated is None:
        if not fields.odd:
            problems.add("no InitiationTimestamp", where)
        reading.left_out += 1
        return None
    contact: dict[str, Any] = {"contact_id": cid, "method": method, "initiated": initiated,
                               "where": where}
    _queue(value.get("Queue"), fields, contact)
    _agent(value.get("Agent"), fields, contact)
    contact["disconnected"] = fields.time(value, "DisconnectTimestamp", "DisconnectTimestamp")
    if value.get("DisconnectTimestamp") is None:
        fields.note("no DisconnectTimestamp (the contact had not ended)")
    for key, name in (("next_contact", "NextContactId"), ("previous_contact",
                                                          "PreviousContactId")):
        linked = value.get(name)
        contact[key] = linked if isinstance(linked, str) and linked else None
    contact["transferred"] = value.get("TransferCompletedTimestamp") is not None
    if contact.get("enqueued") is not None and contact.get("left_queue") is None:
        contact["left_queue"] = contact["disconnected"]
    _check_order(contact, fields)
    return CtrContact(**contact, odd=fields.odd)


def _queue(queue: Any, fields: _Fields, contact: dict[str, Any]) -> None:
    if queue is None:
        return
    if not isinstance(queue, Mapping) or not isinstance(queue.get("Name"), str) \
            or not queue["Name"]:
        fields.note("Queue without a Name", queue)
        return
    contact["queue"] = queue["Name"]
    contact["enqueued"] = fields.time(queue, "EnqueueTimestamp", "Queue.EnqueueTimestamp")
    contact["left_queue"] = fields.time(queue, "DequeueTimestamp", "Queue.DequeueTimestamp")
    if contact["enqueued"] is None and "EnqueueTimestamp" not in queue:
        fields.note("Queue without an EnqueueTimestamp")


def _agent(agent: Any, fields: _Fields, contact: dict[str, Any]) -> None:
    if agent is None:
        return
    if not isinstance(agent, Mapping) or not isinstance(agent.get("Username"), str):
        fields.note("Agent without a Username", agent)
        return
    contact["agent"] = agent["Username"]
    contact["connected"] = fields.time(agent, "ConnectedToAgentTimestamp",
                                       "Agent.ConnectedToAgentTimestamp")
    start = fields.time(agent, "AfterContactWorkStartTimestamp",
                        "Agent.AfterContactWorkStartTimestamp")
    end = fields.time(agent, "AfterContactWorkEndTimestamp",
                      "Agent.AfterContactWorkEndTimestamp")
    contact["acw_end"] = end
    duration = agent.get("AfterContactWorkDuration")
    if duration is not None:
        if isinstance(duration, bool) or not isinstance(duration, int | float) or duration < 0:
            fields.note("Agent.AfterContactWorkDuration is not a number of seconds >= 0",
                        duration)
        else:
            contact["acw_s"] = float(duration)
    elif start is not None and end is not None:
        contact["acw_s"] = (end - start).total_seconds()


# (earlier, later): each pair, when both are known, must come in this order.
_ORDER = (("initiated", "enqueued"), ("enqueued", "left_queue"), ("initiated", "connected"),
          ("connected", "disconnected"), ("initiated", "disconnected"))


def _check_order(contact: Mapping[str, Any], fields: _Fields) -> None:
    for earlier, later in _ORDER:
        a, b = contact.get(earlier), contact.get(later)
        if a is not None and b is not None and b < a:
            fields.note(f"timestamps out of order ({_LABEL[later]} before {_LABEL[earlier]})")
            return
    if contact.get("acw_s") is not None and contact["acw_s"] < 0:
        fields.note("after-contact work ends before it starts")


_LABEL = {"initiated": "InitiationTimestamp", "enqueued": "Queue.EnqueueTimestamp",
          "left_queue": "Queue.DequeueTimestamp", "connected": "Agent.ConnectedToAgentTimestamp",
          "disconnected": "DisconnectTimestamp"}

"""Soak and burst benchmark: many WebSocket callers and agents against `testbed serve`.

What it does:

1. Starts ``testbed serve --speed 1`` (the queued-callback centre) on
   127.0.0.1, port 0 by default, and reads the URL from its banner line.
2. Starts ``--client-processes`` client processes; each hosts a share of the
   endpoints (callers and agents alternate between processes).  On one
   signal every process opens all of its endpoints at once: the burst.
3. Drives a steady load for ``--minutes``.  All waits are testbed time, asked
   of the server with ``set_timer`` / ``alarm``, with a seeded random stream
   per endpoint (the same whatever the process split):

   - a caller waits an exponential think time (mean ``--think-s``), dials
     the service number, waits in queue with a patience drawn from
     ``--patience-s`` (it hangs up when that runs out), and once an agent
     has talked to it and hung up, thinks again;
   - an agent goes Available, accepts an offer after ``--accept-s``, hears the
     10 s agent whisper, talks ``--talk-s``, hangs up, and wraps up after
     ``--acw-s`` (it ends after-contact work itself).

   With the defaults (1,000 callers, 50 agents) about one contact a second
   arrives and the agents are busy about 95 % of the time: contacts start
   and finish all through the run.  Every endpoint connects with ``ack=1``
   (``--no-ack`` to compare) and acks every message after its replies.
4. Every ``--report-s`` (a minute) prints a row: endpoints connected,
   connections refused, protocol errors (``error`` messages), contacts
   finished as the callers saw them (``disconnected``), records written
   (``COMPLETED`` events on the server's ``/v1/events`` stream), the server's
   RSS (``VmRSS`` of its process) and CPU, messages the endpoints received,
   the timestamp jitter of that minute, and the floor (below).
5. At the end, callers hang up what is still live and agents end their
   wrap-up (the drain, reported apart: it is the benchmark's own burst of
   hang-ups), and the benchmark compares contacts started and finished (as
   the clients saw them) with the events and with ``GET /v1/contacts``
   (fetched once, at the end: the per-minute count comes from the event
   stream, so that the server does not fold every record each minute; the
   stream costs it one JSON encoding and one socket write per event, about a
   dozen per contact).  Then
   it prints totals and PASS / FAIL for each goal; the exit status is 1 if
   one fails.

Goals: nothing refused (every endpoint connects; no message draws an
``error`` before the drain), nothing lost (every contact the callers started
finished, and each has its record), RSS flat after warm-up (growth from the
end of the first minute to the end < 5 %; the server keeps finished records
in memory with the default store, so the RSS growth per contact finished is
printed too), jitter p99 < 2 ms over every message of the run (the burst
included, the drain not; the rows after the first are shown apart).

Jitter: for every message that carries the testbed time ``t``, how late it
reaches the client process against the real instant ``t`` stands for at the
server's pace: ``(arrival - anchor) - t / speed``, where ``arrival`` is
``time.monotonic()`` when the bytes reach the client's protocol
(``data_received``, before any parsing) and ``anchor`` is the real monotonic
instant of testbed time 0.  Every process on the machine reads the same
``CLOCK_MONOTONIC``, so one anchor serves the server and all clients.  The
anchor is measured, not assumed: before the burst the benchmark reads ``GET
/v1/clock`` forty times on one connection (a request that reaches an idle
server moves its clock to the time reached so far).  The server's clock is
never ahead of real time, so a read sent at real ``r0`` that comes back at
``r1`` with ``now_s`` puts the anchor at or before ``r1 - now_s / speed``;
the lowest of these bounds, minus half that read's round trip, is the
anchor, and half the round trip its uncertainty (about 0.1-0.2 ms on
loopback), printed with the results.  The reads are repeated after the run
to show the anchor did not drift.  Lateness is signed.  A message that
answers an endpoint (``call_started`` after ``dial``) is stamped with the
instant of the alarm the endpoint answered, so its lateness includes the ack
round trip: the protocol's promise (replies happen at the instant of what
they answer) measured in real time.

Floor: meanwhile the benchmark's own process sleeps on a bare asyncio loop
to random deadlines 2-20 ms apart and notes how late it wakes: what the
machine and the standard event loop cost, whatever the server does (the
peer the jitter compares with).

The client is a small WebSocket client on asyncio's ``Protocol`` (no task per
endpoint), written from docs/protocol.md, so that measuring costs the client
processes as little as possible.

    python scripts/bench/soak.py                      # 1,000 callers + 50 agents, 10 min
    python scripts/bench/soak.py --minutes 60         # the full soak
    python scripts/bench/soak.py --minutes 1 --callers 200 --client-processes 1 --json
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import json
import os
import random
import re
import signal
import sys
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

SERVICE_NUMBER = "+18005550100"  # the queued-callback centre's number (testbed.load.demos)
QUEUE = "InboundQueue"
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
BANNER = re.compile(r" on (http://\S+)")
ANCHOR_READS = 40
DRAIN_TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 60.0
MAX_ERROR_SAMPLES = 5
GOAL_RSS_GROWTH = 0.05
GOAL_JITTER_P99_MS = 2.0


# -- the client side: one process hosts many endpoints -------------------------------
@dataclass
class ClientStats:
    """What one client process saw; counters are cumulative, ``late_us`` per report."""

    connected: int = 0
    refused: int = 0
    refusals: Counter[str] = field(default_factory=Counter)
    connect_ms: list[float] = field(default_factory=list)
    errors: int = 0
    drain_errors: int = 0
    error_codes: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    dials: int = 0
    started: int = 0
    finished: int = 0
    abandoned: int = 0
    handled: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    received: int = 0
    late_us: array[int] = field(default_factory=lambda: array("q"))
    late_by_kind: dict[str, array[int]] = field(default_factory=dict)


@dataclass(frozen=True)
class LoadShape:
    """Testbed-second ranges and means of what the endpoints do."""

    think_s: float
    patience_s: tuple[float, float]
    accept_s: tuple[float, float]
    talk_s: tuple[float, float]
    acw_s: tuple[float, float]


def load_shape(values: dict[str, Any]) -> LoadShape:
    def pair(name: str) -> tuple[float, float]:
        low, high = values[name]
        return float(low), float(high)

    return LoadShape(float(values["think_s"]), pair("patience_s"), pair("accept_s"),
                     pair("talk_s"), pair("acw_s"))


class WsEndpoint(asyncio.Protocol):
    """One endpoint's WebSocket (RFC 6455 client side, text frames only) and its script."""

    def __init__(self, client: Client, name: str, path: str) -> None:
        self.client = client
        self.name = name
        self.path = path
        self.rng = random.Random(f"{client.seed}/{name}")
        self.transport: asyncio.Transport | None = None
        self.upgraded: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed = False
        self.open = False
        self.now = 0.0  # testbed time of the latest stamped message
        self._key = base64.b64encode(os.urandom(16)).decode()
        self._buf = bytearray()
        self._fragments: list[bytes] | None = None
        self._out: list[bytes] | None = None  # replies gathered while handling a read

    # -- WebSocket plumbing ----------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        host, port = self.client.host, self.client.port
        transport.write((f"GET {self.path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                         f"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                         f"Sec-WebSocket-Key: {self._key}\r\nSec-WebSocket-Version: 13\r\n"
                         f"\r\n").encode())

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.open:
            self.open = False
            self.client.stats.connected -= 1
        if not self.upgraded.done():
            self.upgraded.set_exception(ConnectionError(
                f"closed before the upgrade{f': {exc}' if exc else ''}"))

    def data_received(self, data: bytes) -> None:
        arrived = time.monotonic()
        buf = self._buf
        buf += data
        if not self.open:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buf[:end]).decode("latin-1")
            del buf[:end + 4]
            if not self._upgrade(head):
                return
        self._out = []
        try:
            self._frames(arrived)
        finally:
            out, self._out = self._out, None
            if out and self.transport is not None and not self.transport.is_closing():
                self.transport.write(b"".join(out))

    def _upgrade(self, head: str) -> bool:
        status = head.split("\r\n", 1)[0]
        if " 101 " not in status + " ":
            self._refuse(status.partition(" ")[2] or "no status line")
            return False
        expected = base64.b64encode(hashlib.sha1((self._key + WS_GUID).encode()).digest())
        if f"sec-websocket-accept: {expected.decode()}".lower() not in head.lower():
            self._refuse("bad Sec-WebSocket-Accept")
            return False
        self.open = True
        self.client.stats.connected += 1
        self.upgraded.set_result(None)
        self.on_open()
        return True

    def _refuse(self, reason: str) -> None:
        if not self.upgraded.done():
            self.upgraded.set_exception(ConnectionError(reason))
        if self.transport is not None:
            self.transport.close()

    def _frames(self, arrived: float) -> None:
        buf = self._buf
        pos, size = 0, len(buf)
        while size - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            length, head = b1 & 0x7F, 2
            if length == 126:
                if size - pos < 4:
                    break
                length, head = int.from_bytes(buf[pos + 2:pos + 4], "big"), 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, head = int.from_bytes(buf[pos + 2:pos + 10], "big"), 10
            if b1 & 0x80:
                self._refuse("the server masked a frame")
                return
            end = pos + head + length
            if end > size:
                break
            payload = bytes(buf[pos + head:end])
            pos = end
            opcode, fin = b0 & 0x0F, b0 & 0x80
            if opcode in (0x1, 0x0):
                if not fin:
                    self._fragments = [*(self._fragments or []), payload]
                    continue
                if self._fragments is not None:
                    payload, self._fragments = b"".join([*self._fragments, payload]), None
                self._text(payload, arrived)
            elif opcode == 0x8:
                self._write_frame(0x8, payload[:2])
                if self.transport is not None:
                    self.transport.close()
                return
            elif opcode == 0x9:
                self._write_frame(0xA, payload)
        del buf[:pos]

    def _write_frame(self, opcode: int, payload: bytes) -> None:
        size = len(payload)
        if size < 126:
            header = bytes((0x80 | opcode, 0x80 | size))
        elif size < 65536:
            header = bytes((0x80 | opcode, 0x80 | 126)) + size.to_bytes(2, "big")
        else:
            header = bytes((0x80 | opcode, 0x80 | 127)) + size.to_bytes(8, "big")
        key = self.client.masks.getrandbits(32).to_bytes(4, "little")
        masked = (int.from_bytes(payload, "little")
                  ^ int.from_bytes((key * (size // 4 + 1))[:size], "little")
                  ).to_bytes(size, "little")
        frame = header + key + masked
        if self._out is not None:
            self._out.append(frame)
        elif self.transport is not None and not self.transport.is_closing():
            self.transport.write(frame)

    def send(self, message: dict[str, Any]) -> None:
        if self.open:
            self._write_frame(0x1, json.dumps(message, separators=(",", ":")).encode())

    def set_timer(self, ref: str, delay_s: float) -> None:
        self.send({"type": "set_timer", "ref": ref, "at_s": self.now + delay_s})

    def cancel_timer(self, ref: str) -> None:
        self.send({"type": "cancel_timer", "ref": ref})

    def close(self) -> None:
        if self.open:
            self._write_frame(0x8, (1000).to_bytes(2, "big"))
        if self.transport is not None:
            self.transport.close()

    # -- messages ------------------------------------------------------------
    def _text(self, payload: bytes, arrived: float) -> None:
        client = self.client
        stats = client.stats
        message = json.loads(payload)
        stats.received += 1
        t = message.get("t")
        kind = message.get("type")
        if t is not None:
            self.now = t
            late = round((arrived - client.anchor - t / client.speed) * 1e6)
            stats.late_us.append(late)
            by_kind = stats.late_by_kind.get(kind)
            if by_kind is None:
                by_kind = stats.late_by_kind[kind] = array("q")
            by_kind.append(late)
        if kind == "error":
            if client.stopping:
                stats.drain_errors += 1
            else:
                stats.errors += 1
            stats.error_codes[str(message.get("code"))] += 1
            if len(stats.error_samples) < MAX_ERROR_SAMPLES:
                stats.error_samples.append(f"{self.name}: {message.get('code')}: "
                                           f"{message.get('detail')}")
        else:
            self.react(kind, message)
        if client.acks:
            self._write_frame(0x1, b'{"type":"ack"}')

    def on_open(self) -> None:
        """The socket is upgraded: start the script."""

    def react(self, kind: str, message: dict[str, Any]) -> None:
        """Answer one message from the testbed."""

    def stop(self) -> None:
        """The run is over: end what is live."""

    @property
    def busy(self) -> bool:
        """True while the endpoint has a contact (or a wrap-up) in hand."""
        return False


class Caller(WsEndpoint):
    """Thinks, dials, waits with some patience, talks until the agent hangs up, again."""

    def __init__(self, client: Client, number: str) -> None:
        query = f"number={number.replace('+', '%2B')}{'&ack=1' if client.acks else ''}"
        super().__init__(client, number, f"/v1/endpoints/caller?{query}")
        self.state = "idle"  # idle, dialing, waiting (in flow or queue), connected
        self.contact_id: str | None = None

    def on_open(self) -> None:
        self.now = self.client.testbed_now()
        self._think()

    def _think(self) -> None:
        if not self.client.stopping:
            self.set_timer("d", self.rng.expovariate(1.0 / self.client.shape.think_s))

    def react(self, kind: str, message: dict[str, Any]) -> None:
        stats = self.client.stats
        if kind == "alarm":
            ref = message["ref"]
            if ref == "d" and self.state == "idle" and not self.client.stopping:
                self.state = "dialing"
                stats.dials += 1
                self.send({"type": "dial", "to": SERVICE_NUMBER})
            elif ref == "p" and self.state == "waiting" and self.contact_id is not None:
                stats.abandoned += 1
                self.send({"type": "hangup", "contact_id": self.contact_id})
        elif kind == "call_started":
            self.state, self.contact_id = "waiting", message["contact_id"]
            stats.started += 1
            if self.client.stopping:
                self.send({"type": "hangup", "contact_id": self.contact_id})
            else:
                self.set_timer("p", self.rng.uniform(*self.client.shape.patience_s))
        elif kind == "connected":
            self.state = "connected"
            self.cancel_timer("p")
        elif kind == "disconnected" and message["contact_id"] == self.contact_id:
            stats.finished += 1
            stats.reasons[str(message["reason"])] += 1
            if self.state == "waiting":
                self.cancel_timer("p")
            self.state, self.contact_id = "idle", None
            self._think()

    def stop(self) -> None:
        if self.state == "idle":
            self.cancel_timer("d")
        elif self.contact_id is not None:
            self.send({"type": "hangup", "contact_id": self.contact_id})

    @property
    def busy(self) -> bool:
        return self.open and self.state != "idle"


class Agent(WsEndpoint):
    """Goes Available; accepts offers, talks, hangs up, wraps up."""

    def __init__(self, client: Client, username: str) -> None:
        query = (f"username={username}&queues={QUEUE}&acw_timeout_s=0"
                 f"{'&ack=1' if client.acks else ''}")
        super().__init__(client, username, f"/v1/endpoints/agent?{query}")
        self.offer: str | None = None
        self.contact_id: str | None = None
        self.wrapping: str | None = None

    def on_open(self) -> None:
        self.now = self.client.testbed_now()
        self.send({"type": "set_status", "status": "Available"})

    def react(self, kind: str, message: dict[str, Any]) -> None:
        shape = self.client.shape
        if kind == "offered":
            self.offer = message["contact_id"]
            self.set_timer("a", self.rng.uniform(*shape.accept_s))
        elif kind == "alarm":
            ref = message["ref"]
            if ref == "a" and self.offer is not None:
                self.send({"type": "accept", "contact_id": self.offer})
            elif ref == "h" and self.contact_id is not None and not self.client.stopping:
                self.send({"type": "hangup", "contact_id": self.contact_id})
            elif ref == "w" and self.wrapping is not None:
                self._end_wrap_up()
        elif kind == "connected":
            self.offer, self.contact_id = None, message["contact_id"]
            self.client.stats.handled += 1
            self.set_timer("h", self.rng.uniform(*shape.talk_s))
        elif kind == "disconnected":
            cid = message["contact_id"]
            if cid == self.offer:
                self.offer = None
                self.cancel_timer("a")
            if cid == self.contact_id:
                self.contact_id = None
                self.cancel_timer("h")
        elif (kind == "agent_status" and message.get("state") == "AfterContactWork"
              and message.get("contact_id")):
            self.wrapping = message["contact_id"]
            if self.client.stopping:
                self._end_wrap_up()
            else:
                self.set_timer("w", self.rng.uniform(*shape.acw_s))

    def _end_wrap_up(self) -> None:
        self.send({"type": "end_after_contact_work", "contact_id": self.wrapping})
        self.wrapping = None

    def stop(self) -> None:
        if self.wrapping is not None:
            self.cancel_timer("w")
            self._end_wrap_up()

    @property
    def busy(self) -> bool:
        return self.open and (self.offer is not None or self.contact_id is not None
                              or self.wrapping is not None)


class Client:
    """One client process: its share of the endpoints, driven by commands on stdin."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.host: str = config["host"]
        self.port: int = config["port"]
        self.anchor: float = config["anchor"]
        self.speed: float = config["speed"]
        self.acks: bool = config["acks"]
        self.seed: int = config["seed"]
        self.shape = load_shape(config["shape"])
        self.callers: list[str] = config["callers"]
        self.agents: list[str] = config["agents"]
        self.stopping = False
        self.masks = random.Random()  # frame masks: apart from the endpoints' seeded streams
        self.stats = ClientStats()
        self.endpoints: list[WsEndpoint] = []

    def testbed_now(self) -> float:
        return (time.monotonic() - self.anchor) * self.speed

    async def connect_all(self) -> None:
        """The burst: open every endpoint at once; count what is refused."""
        self.endpoints = [*(Agent(self, name) for name in self.agents),
                          *(Caller(self, number) for number in self.callers)]
        started = time.monotonic()
        await asyncio.gather(*(self._connect(ep, started) for ep in self.endpoints))

    async def _connect(self, endpoint: WsEndpoint, started: float) -> None:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT_S):
                await loop.create_connection(lambda: endpoint, self.host, self.port)
                await endpoint.upgraded
        except (OSError, TimeoutError) as exc:
            self.stats.refused += 1
            self.stats.refusals[type(exc).__name__ if not str(exc) else str(exc)[:80]] += 1
            endpoint.close()
            return
        self.stats.connect_ms.append((time.monotonic() - started) * 1000)

    async def drain(self) -> None:
        """Stop dialing, end every live contact and wrap-up, wait until all are done."""
        self.stopping = True
        for endpoint in self.endpoints:
            endpoint.stop()
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while any(ep.busy for ep in self.endpoints) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)

    def report(self) -> dict[str, Any]:
        s = self.stats
        late, s.late_us = s.late_us, array("q")
        by_kind, s.late_by_kind = s.late_by_kind, {}
        return {"connected": s.connected, "refused": s.refused, "refusals": dict(s.refusals),
                "errors": s.errors, "drain_errors": s.drain_errors,
                "error_codes": dict(s.error_codes), "error_samples": s.error_samples,
                "dials": s.dials, "started": s.started, "finished": s.finished,
                "abandoned": s.abandoned, "handled": s.handled, "reasons": dict(s.reasons),
                "received": s.received, "busy": sum(ep.busy for ep in self.endpoints),
                "connect_ms": s.connect_ms, "late_us": late.tolist(),
                "late_by_kind": {k: v.tolist() for k, v in by_kind.items()}}


async def client_main(config: dict[str, Any]) -> None:
    """A client process: ``ready``, then ``go`` / ``report`` / ``stop`` / ``exit`` on stdin."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 20)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    client = Client(config)

    def say(body: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(body, separators=(",", ":")) + "\n")
        sys.stdout.flush()

    say({"ready": True})
    while line := await reader.readline():
        command = line.decode().strip()
        if command == "go":
            await client.connect_all()
            say({"connected": client.stats.connected})
        elif command == "report":
            say(client.report())
        elif command == "stop":
            await client.drain()
            say(client.report())
        elif command == "exit":
            break
    for endpoint in client.endpoints:
        endpoint.close()
    await asyncio.sleep(0.1)  # let the close frames go out


# -- the orchestrating side ---------------------------------------------------------------
@dataclass
class Server:
    process: asyncio.subprocess.Process
    url: str
    host: str
    port: int
    stderr_tail: list[str]


async def start_server(host: str, port: int, speed: float, records: str) -> Server:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "testbed.cli", "serve", "--host", host, "--port", str(port),
        "--speed", repr(speed), "--records", records,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert process.stdout is not None
    banner = (await process.stdout.readline()).decode()
    match = BANNER.search(banner)
    if match is None:
        assert process.stderr is not None
        problem = (await process.stderr.read()).decode().strip()
        raise SystemExit(f"soak: testbed serve did not start: {banner.strip() or problem}")
    url = match.group(1).rstrip("/")
    host_part, _, port_part = url.removeprefix("http://").rpartition(":")
    return Server(process, url, host_part, int(port_part), [])


async def keep_tail(stream: asyncio.StreamReader | None, tail: list[str]) -> None:
    """Read a child's stream so it never blocks; keep its last lines for a failure report."""
    if stream is None:
        return
    while line := await stream.readline():
        tail.append(line.decode(errors="replace").rstrip())
        del tail[:-20]


async def http_get(host: str, port: int, path: str) -> bytes:
    """A bare HTTP/1.1 GET (Connection: close): the body."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                     f"Connection: close\r\n\r\n".encode())
        data = await reader.read()
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"GET {path}: {head.splitlines()[0]!r}")
    if b"transfer-encoding: chunked" in head.lower():
        body = dechunk(body)
    return body


def dechunk(body: bytes) -> bytes:
    out, pos = bytearray(), 0
    while True:
        end = body.index(b"\r\n", pos)
        size = int(body[pos:end].split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        out += body[end + 2:end + 2 + size]
        pos = end + 2 + size + 2


async def measure_anchor(server: Server, speed: float, reads: int = ANCHOR_READS
                         ) -> tuple[float, float]:
    """The real monotonic instant of testbed time 0, and its half-width uncertainty (s).

    The server's clock is never ahead of real time, so each read bounds the
    anchor from above by ``r1 - now_s``; it can lag (a busy loop moves it
    later), so the lower bound comes from the round trip of the best read:
    the anchor lies in ``[high - rtt, high]``.
    """
    high, rtt = float("inf"), float("inf")
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        for _ in range(reads):
            r0 = time.monotonic()
            writer.write(f"GET /v1/clock HTTP/1.1\r\nHost: {server.host}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"(?i)content-length: (\d+)", head)
            body = await reader.readexactly(int(length.group(1)) if length else 0)
            r1 = time.monotonic()
            bound = r1 - float(json.loads(body)["now_s"]) / speed
            if bound < high:
                high, rtt = bound, r1 - r0
            await asyncio.sleep(0.005)
    finally:
        writer.close()
    return high - rtt / 2, rtt / 2


class EventCounter:
    """Counts record events on the server's ``/v1/events`` stream (a bare WebSocket reader)."""

    def __init__(self) -> None:
        self.kinds: Counter[str] = Counter()
        self._task: asyncio.Task[None] | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def start(self, server: Server) -> None:
        reader, writer = await asyncio.open_connection(server.host, server.port)
        self._writer = writer
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(f"GET /v1/events HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n"
                     f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                     f"Sec-WebSocket-Version: 13\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        if b" 101 " not in head.split(b"\r\n")[0] + b" ":
            raise RuntimeError(f"/v1/events: {head.splitlines()[0]!r}")
        self._task = asyncio.create_task(self._read(reader))

    async def _read(self, reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                b0, b1 = await reader.readexactly(2)
                length = b1 & 0x7F
                if length == 126:
                    length = int.from_bytes(await reader.readexactly(2), "big")
                elif length == 127:
                    length = int.from_bytes(await reader.readexactly(8), "big")
                payload = await reader.readexactly(length)
                if b0 & 0x0F == 0x1:
                    self.kinds[json.loads(payload)["kind"]] += 1
                elif b0 & 0x0F == 0x8:
                    return

    async def stop(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class Floor:
    """The peer: how late a bare asyncio loop in this process wakes for timers meanwhile.

    It sleeps to random deadlines 2-20 ms apart (as the server's timers are
    spread) on the same machine at the same time, so its lateness is what the
    operating system and the standard event loop cost, whatever the server does.
    """

    def __init__(self) -> None:
        self.late_us: array[int] = array("q")
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._probe())

    async def _probe(self) -> None:
        rng = random.Random(0)
        while True:
            delay = rng.uniform(0.002, 0.02)
            due = time.monotonic() + delay
            await asyncio.sleep(delay)
            self.late_us.append(round((time.monotonic() - due) * 1e6))

    def take(self) -> array[int]:
        late, self.late_us = self.late_us, array("q")
        return late

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class ClientProcess:
    """A client process and its command pipe."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.stderr_tail: list[str] = []
        self.stderr_task = asyncio.create_task(keep_tail(process.stderr, self.stderr_tail))

    @classmethod
    async def start(cls, config: dict[str, Any]) -> ClientProcess:
        process = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--client", json.dumps(config),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, limit=1 << 26)
        return cls(process)

    async def ask(self, command: str) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        if command:
            self.process.stdin.write(f"{command}\n".encode())
            await self.process.stdin.drain()
        line = await self.process.stdout.readline()
        if not line:
            raise RuntimeError("a client process ended early: "
                               + " | ".join(self.stderr_tail[-5:]))
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def finish(self) -> None:
        with contextlib.suppress(ConnectionError, AssertionError):
            assert self.process.stdin is not None
            self.process.stdin.write(b"exit\n")
            await self.process.stdin.drain()
        try:
            await asyncio.wait_for(self.process.wait(), 5)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        self.stderr_task.cancel()


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def listen_overflows() -> int | None:
    """The machine's count of connections dropped because a listen queue was full."""
    try:
        with open("/proc/net/netstat") as f:
            lines = [line.split() for line in f if line.startswith("TcpExt:")]
        return int(dict(zip(lines[0], lines[1], strict=True))["ListenOverflows"])
    except (OSError, KeyError, IndexError, ValueError):
        return None


def percentiles(values: Sequence[int]) -> dict[str, float | None]:
    """p50 / p99 / max of lateness samples in microseconds, as milliseconds."""
    if not values:
        return {"min": None, "p50": None, "p99": None, "max": None, "n": 0}
    ordered = sorted(values)
    n = len(ordered)
    return {"min": ordered[0] / 1000, "p50": ordered[n // 2] / 1000,
            "p99": ordered[min(n - 1, n * 99 // 100)] / 1000, "max": ordered[-1] / 1000, "n": n}


def merge(reports: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The sum of the client processes' reports."""
    total: dict[str, Any] = {}
    for report in reports:
        for key, value in report.items():
            if isinstance(value, list):
                total.setdefault(key, []).extend(value)
            elif key == "late_by_kind":
                kinds = total.setdefault(key, {})
                for kind, values in value.items():
                    kinds.setdefault(kind, []).extend(values)
            elif isinstance(value, dict):
                counter = total.setdefault(key, Counter())
                counter.update(value)
            else:
                total[key] = total.get(key, 0) + value
    return total


@dataclass
class Minute:
    minute: int
    connected: int
    refused: int
    errors: int
    finished: int
    records: int
    rss_mb: float
    cpu: float
    received: int
    jitter: dict[str, float | None]
    floor: dict[str, float | None]


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


ROW = "{:>4} {:>9} {:>8} {:>7} {:>9} {:>8} {:>8} {:>6} {:>8} {:>7} {:>7} {:>7} {:>11}"
HEADER = ROW.format("min", "connected", "refused", "errors", "finished", "records",
                    "RSS MB", "CPU", "msgs", "p50 ms", "p99 ms", "max ms", "floor p99")


def row_text(m: Minute) -> str:
    return ROW.format(m.minute, m.connected, m.refused, m.errors, m.finished, m.records,
                      f"{m.rss_mb:.1f}", f"{m.cpu:.0%}", m.received, ms(m.jitter["p50"]),
                      ms(m.jitter["p99"]), ms(m.jitter["max"]), ms(m.floor["p99"]))


def split(names: list[str], parts: int) -> list[list[str]]:
    return [names[k::parts] for k in range(parts)]


async def soak(args: argparse.Namespace, say: Callable[[str], None]) -> dict[str, Any]:
    """The whole run; returns the results (what --json prints)."""
    server = await start_server(args.host, args.port, args.speed, args.records)
    stderr_task = asyncio.create_task(keep_tail(server.process.stderr, server.stderr_tail))
    clients: list[ClientProcess] = []
    events = EventCounter()
    floor = Floor()
    try:
        anchor, uncertainty = await measure_anchor(server, args.speed)
        await events.start(server)
        floor.start()
        shape = load_shape(vars(args))
        callers = [f"+1555{i:07d}" for i in range(args.callers)]
        agents = [f"agent{i:04d}" for i in range(args.agents)]
        parts = args.client_processes
        for callers_part, agents_part in zip(split(callers, parts), split(agents, parts),
                                             strict=True):
            config = {"host": server.host, "port": server.port, "anchor": anchor,
                      "speed": args.speed, "acks": not args.no_ack, "seed": args.seed,
                      "shape": shape.__dict__, "callers": callers_part, "agents": agents_part}
            clients.append(await ClientProcess.start(config))
        await asyncio.gather(*(c.ask("") for c in clients))  # ready
        say(f"server {server.url} (pid {server.process.pid}); {args.callers:,} callers + "
            f"{args.agents:,} agents in {parts} client process(es), acks "
            f"{'off' if args.no_ack else 'on'}; clock anchor +/-{uncertainty * 1e6:.0f} us")

        pid = server.process.pid
        cpu0 = cpu_seconds(pid)
        clients_cpu0 = sum(cpu_seconds(c.process.pid) for c in clients)
        overflows0 = listen_overflows()
        go = time.monotonic()
        connected = merge(await asyncio.gather(*(c.ask("go") for c in clients)))
        burst_s = time.monotonic() - go
        overflows1 = listen_overflows()
        overflows = None if overflows0 is None or overflows1 is None else overflows1 - overflows0
        say(f"burst: {connected['connected']:,} of {args.callers + args.agents:,} endpoints "
            f"connected in {burst_s:.2f} s; listen queue overflows meanwhile: "
            f"{'?' if overflows is None else overflows}")
        say(HEADER)

        minutes: list[Minute] = []
        all_late: array[int] = array("q")
        all_floor: array[int] = array("q")
        steady: array[int] = array("q")  # after the first row (the burst)
        by_kind: dict[str, array[int]] = {}
        last = {"finished": 0, "records": 0, "received": 0}
        cpu_last, t_last = cpu0, go
        count = max(1, round(args.minutes * 60 / args.report_s))
        report: dict[str, Any] = {}
        for k in range(1, count + 1):
            await asyncio.sleep(max(0.0, go + k * args.report_s - time.monotonic()))
            report = merge(await asyncio.gather(*(c.ask("report") for c in clients)))
            now = time.monotonic()
            cpu = cpu_seconds(pid)
            records = events.kinds["COMPLETED"]
            late = report["late_us"]
            all_late.extend(late)
            if k > 1:
                steady.extend(late)
            floor_late = floor.take()
            all_floor.extend(floor_late)
            for kind, values in report["late_by_kind"].items():
                by_kind.setdefault(kind, array("q")).extend(values)
            minute = Minute(k, report["connected"], report["refused"], report["errors"],
                            report["finished"] - last["finished"], records - last["records"],
                            rss_kb(pid) / 1024, (cpu - cpu_last) / (now - t_last),
                            report["received"] - last["received"], percentiles(late),
                            percentiles(floor_late))
            last = {"finished": report["finished"], "records": records,
                    "received": report["received"]}
            cpu_last, t_last = cpu, now
            minutes.append(minute)
            say(row_text(minute))

        # The end: callers hang up what is live, agents end their wrap-up.
        drain_started = time.monotonic()
        report = merge(await asyncio.gather(*(c.ask("stop") for c in clients)))
        drain = {"seconds": time.monotonic() - drain_started,
                 "contacts_ended": report["finished"] - last["finished"],
                 "jitter_ms": percentiles(report["late_us"])}
        await asyncio.sleep(0.5)  # the last events reach the stream
        contacts = json.loads(await http_get(server.host, server.port, "/v1/contacts"))
        anchor_after, _ = await measure_anchor(server, args.speed, reads=10)
        clients_cpu = (sum(cpu_seconds(c.process.pid) for c in clients) - clients_cpu0) \
            / (time.monotonic() - go)
        return results(args, report, minutes, (all_late, steady, all_floor), by_kind, events.kinds,
                       contacts, (burst_s, overflows), drain, clients_cpu,
                       uncertainty, anchor_after - anchor, (cpu_seconds(pid) - cpu0)
                       / (time.monotonic() - go))
    finally:
        await floor.stop()
        await events.stop()
        await asyncio.gather(*(c.finish() for c in clients))
        if server.process.returncode is None:
            server.process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(server.process.wait(), 10)
            except TimeoutError:
                server.process.kill()
                await server.process.wait()
        stderr_task.cancel()


def results(args: argparse.Namespace, report: dict[str, Any], minutes: list[Minute],
            lateness: tuple[array[int], array[int], array[int]], by_kind: dict[str, array[int]],
            kinds: Counter[str],
            contacts: list[dict[str, Any]], burst: tuple[float, int | None],
            drain: dict[str, Any], clients_cpu: float,
            uncertainty: float, drift: float, cpu: float) -> dict[str, Any]:
    expected = args.callers + args.agents
    finished_records = sum(1 for c in contacts if c.get("DisconnectTimestamp"))
    rss = [m.rss_mb for m in minutes]
    growth = (rss[-1] - rss[0]) / rss[0] if len(rss) > 1 else None
    finished_since = sum(m.finished for m in minutes[1:])
    per_contact = ((rss[-1] - rss[0]) * 1024 * 1024 / finished_since
                   if len(rss) > 1 and finished_since else None)
    all_late, steady, all_floor = lateness
    jitter = percentiles(all_late)
    connect = percentiles([round(x * 1000) for x in report["connect_ms"]])
    lost = {
        "started_vs_initiated": report["started"] - kinds["INITIATED"],
        "finished_vs_started": report["finished"] - report["started"],
        "finished_vs_completed_events": report["finished"] - kinds["COMPLETED"],
        "finished_vs_records": report["finished"] - finished_records,
        "records_vs_contacts": finished_records - len(contacts),
        "endpoints_still_busy": report["busy"],
    }
    goals = {
        "nothing refused": report["refused"] == 0 and report["connected"] == expected
        and report["errors"] == 0,
        "nothing lost": not any(lost.values()),
        "RSS flat after warm-up (< 5 %)": None if growth is None else growth < GOAL_RSS_GROWTH,
        "jitter p99 < 2 ms": jitter["p99"] is not None and jitter["p99"] < GOAL_JITTER_P99_MS,
    }
    return {
        "config": {"callers": args.callers, "agents": args.agents, "minutes": args.minutes,
                   "client_processes": args.client_processes, "acks": not args.no_ack,
                   "speed": args.speed, "seed": args.seed, "think_s": args.think_s,
                   "patience_s": args.patience_s, "accept_s": args.accept_s,
                   "talk_s": args.talk_s, "acw_s": args.acw_s},
        "minutes": [m.__dict__ for m in minutes],
        "burst": {"seconds": burst[0], "connect_ms": connect, "listen_overflows": burst[1]},
        "drain": drain,
        "totals": {
            "endpoints": expected, "connected_at_end": report["connected"],
            "refused": report["refused"], "refusals": dict(report["refusals"]),
            "protocol_errors": report["errors"], "errors_while_draining": report["drain_errors"],
            "error_codes": dict(report["error_codes"]), "error_samples": report["error_samples"],
            "dials": report["dials"], "contacts_started": report["started"],
            "contacts_finished": report["finished"], "abandoned": report["abandoned"],
            "handled": report["handled"], "reasons": dict(report["reasons"]),
            "events_initiated": kinds["INITIATED"], "records_completed": kinds["COMPLETED"],
            "contacts_endpoint": len(contacts), "contacts_endpoint_finished": finished_records,
            "messages_received": report["received"], "server_cpu": cpu,
            "client_processes_cpu": clients_cpu,
        },
        "lost": lost,
        "rss_mb": {"after_warm_up": rss[0] if rss else None, "end": rss[-1] if rss else None,
                   "growth": growth, "bytes_per_contact_finished": per_contact},
        "jitter_ms": jitter,
        "jitter_ms_after_minute_1": percentiles(steady),
        "floor_ms": percentiles(all_floor),
        "jitter_ms_by_message": {kind: percentiles(values)
                                 for kind, values in sorted(by_kind.items())},
        "clock_anchor_us": {"uncertainty": uncertainty * 1e6, "drift": drift * 1e6},
        "goals": goals,
    }


def summary(result: dict[str, Any]) -> Iterable[str]:
    t, rss, j = result["totals"], result["rss_mb"], result["jitter_ms"]
    burst = result["burst"]
    yield (f"burst:    {t['endpoints']:,} endpoints in {burst['seconds']:.2f} s "
           f"(connect p50 {ms(burst['connect_ms']['p50'])} / max "
           f"{ms(burst['connect_ms']['max'])} ms; listen queue overflows "
           f"{'?' if burst['listen_overflows'] is None else burst['listen_overflows']})")
    yield (f"totals:   connected {t['connected_at_end']:,}/{t['endpoints']:,}, refused "
           f"{t['refused']}, protocol errors {t['protocol_errors']} "
           f"(+{t['errors_while_draining']} while draining)"
           f"{' ' + str(t['error_codes']) if t['error_codes'] else ''}")
    yield (f"contacts: dialed {t['dials']:,}, started {t['contacts_started']:,}, finished "
           f"{t['contacts_finished']:,} (handled by agents {t['handled']:,}, abandoned "
           f"{t['abandoned']:,}); server: initiated {t['events_initiated']:,}, completed "
           f"{t['records_completed']:,}, /v1/contacts {t['contacts_endpoint']:,} "
           f"({t['contacts_endpoint_finished']:,} finished)")
    if rss["growth"] is None:
        memory = f"RSS {rss['end']:.1f} MB (one row: no growth to measure)"
    else:
        per_contact = ("" if rss["bytes_per_contact_finished"] is None
                       else f", {rss['bytes_per_contact_finished']:,.0f} B per contact finished")
        memory = (f"RSS {rss['after_warm_up']:.1f} MB after the first row -> {rss['end']:.1f} MB "
                  f"({rss['growth']:+.1%}{per_contact})")
    yield (f"server:   {memory}, CPU {t['server_cpu']:.0%} (client processes together "
           f"{t['client_processes_cpu']:.0%}), {t['messages_received']:,} messages")
    anchor = result["clock_anchor_us"]
    yield (f"jitter:   p50 {ms(j['p50'])} / p99 {ms(j['p99'])} / max {ms(j['max'])} ms over "
           f"{j['n']:,} messages (anchor +/-{anchor['uncertainty']:.0f} us, drift "
           f"{anchor['drift']:+.0f} us)")
    later = result["jitter_ms_after_minute_1"]
    yield (f"          after the first row: p50 {ms(later['p50'])} / p99 {ms(later['p99'])} / max "
           f"{ms(later['max'])} ms over {later['n']:,} messages")
    for kind, k in result["jitter_ms_by_message"].items():
        yield (f"          {kind:<16} p50 {ms(k['p50']):>6} / p99 {ms(k['p99']):>6} / max "
               f"{ms(k['max']):>7} ms  ({k['n']:,})")
    f = result["floor_ms"]
    yield (f"floor:    a bare asyncio loop in the benchmark process, timers 2-20 ms apart: "
           f"p50 {ms(f['p50'])} / p99 {ms(f['p99'])} / max {ms(f['max'])} ms late")
    d = result["drain"]
    yield (f"drain:    {d['contacts_ended']:,} live contacts ended in {d['seconds']:.2f} s at the "
           f"end (jitter max {ms(d['jitter_ms']['max'])} ms, not counted above)")
    for sample in t["error_samples"]:
        yield f"error:    {sample}"
    for name, passed in result["goals"].items():
        verdict = "n/a" if passed is None else "PASS" if passed else "FAIL"
        yield f"{verdict:>5}  {name}"


def default_client_processes() -> int:
    return max(2, min(4, (os.cpu_count() or 2) - 1))


def _pair(text: str) -> list[float]:
    try:
        low, high = (float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LOW,HIGH seconds, got {text!r}") from None
    if not 0 <= low <= high:
        raise argparse.ArgumentTypeError(f"expected 0 <= LOW <= HIGH, got {text!r}")
    return [low, high]


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return value


HELP = """\
Starts `testbed serve --speed 1` (127.0.0.1, a free port), connects the
endpoints from several client processes in one burst, then drives a steady
load of calls paced on the testbed clock (set_timer / alarm, acks on).  Every
minute: endpoints connected, connections refused, protocol errors, contacts
finished (clients) and records written (server), server RSS and CPU, and the
jitter of message timestamps (p50 / p99 / max ms) beside the floor of a bare
asyncio loop on the same machine.  At the end: totals and PASS / FAIL for
each goal: nothing refused, nothing lost, RSS growth after the first minute
< 5 %, jitter p99 < 2 ms (exit status 1 if one fails).  The method is in the
script's docstring."""

EXAMPLES = """\
examples:
  python scripts/bench/soak.py                   # 1,000 callers + 50 agents, 10 minutes
  python scripts/bench/soak.py --minutes 60      # the full soak
  python scripts/bench/soak.py --minutes 2 --client-processes 1 --no-ack --json
  python scripts/bench/soak.py --minutes 2 --think-s 10 --patience-s 5,20   # heavy load"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="soak.py", description=HELP, epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    load = p.add_argument_group("endpoints and time")
    load.add_argument("--callers", type=int, default=1000, metavar="N",
                      help="remote callers (default: 1000)")
    load.add_argument("--agents", type=int, default=50, metavar="N",
                      help="remote agents (default: 50)")
    load.add_argument("--minutes", type=_positive, default=10.0, metavar="M",
                      help="how long the load runs after the burst (default: 10; 60 for the "
                           "full soak)")
    load.add_argument("--client-processes", type=int, default=default_client_processes(),
                      metavar="N", help=f"processes hosting the endpoints, which are dealt "
                                        f"out between them (default here: "
                                        f"{default_client_processes()})")
    load.add_argument("--no-ack", action="store_true",
                      help="connect without ack=1, to compare (replies then race the clock)")
    load.add_argument("--report-s", type=_positive, default=60.0, metavar="S",
                      help="real seconds between rows (default: 60)")
    server = p.add_argument_group("the server")
    server.add_argument("--host", default="127.0.0.1",
                        help="address it binds (default: 127.0.0.1)")
    server.add_argument("--port", type=int, default=0,
                        help="port it binds (default: 0, any free port)")
    server.add_argument("--speed", type=_positive, default=1.0, metavar="X",
                        help="its pace, testbed seconds per real second (default: 1)")
    server.add_argument("--records", default="memory:", metavar="STORE",
                        help="its record store, as testbed serve --records (default: memory:)")
    shape = p.add_argument_group("behaviour (testbed seconds, drawn from each endpoint's own "
                                 "seeded stream)")
    shape.add_argument("--seed", type=int, default=1, metavar="N",
                       help="seed of the endpoints' streams (default: 1)")
    shape.add_argument("--think-s", type=_positive, default=900.0, metavar="S",
                       help="a caller's mean wait before each call, exponential (default: 900)")
    shape.add_argument("--patience-s", type=_pair, default=[30.0, 180.0], metavar="LOW,HIGH",
                       help="a caller hangs up if no agent has answered by then (default: "
                            "30,180)")
    shape.add_argument("--accept-s", type=_pair, default=[1.0, 3.0], metavar="LOW,HIGH",
                       help="an agent accepts an offer after this (default: 1,3)")
    shape.add_argument("--talk-s", type=_pair, default=[10.0, 50.0], metavar="LOW,HIGH",
                       help="an agent talks this long, then hangs up (default: 10,50)")
    shape.add_argument("--acw-s", type=_pair, default=[1.0, 5.0], metavar="LOW,HIGH",
                       help="an agent's after-contact work (default: 1,5)")
    p.add_argument("--json", action="store_true",
                   help="print the results as JSON on stdout (the rows go to stderr)")
    p.add_argument("--client", help=argparse.SUPPRESS)  # internal: run as a client process
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.client is not None:
        asyncio.run(client_main(json.loads(args.client)))
        return 0
    if args.callers < 0 or args.agents < 0 or args.client_processes < 1:
        parser().error("--callers and --agents must be >= 0, --client-processes >= 1")
    from rich.console import Console

    console = Console(stderr=args.json, highlight=False)

    def say(text: str) -> None:
        console.print(text, markup=False, soft_wrap=True)

    result = asyncio.run(soak(args, say))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for line in summary(result):
            say(line)
    return 0 if all(v is not False for v in result["goals"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Delivering contact events and records to a user's own HTTP endpoint.

A ``Webhook`` POSTs what the served testbed hands it, in order, at least once:

* Contact events go one per request (the EventBridge event as the JSON body,
  as an EventBridge API destination sends it); records go in batches of up to
  ``WebhookOptions.batch`` as the Kinesis event a Lambda consumer gets
  (``{"Records": [...]}``).
* A 2xx answer is delivery.  A network error, a timeout, a 5xx or a 401, 407,
  408, 409 or 429 is a failure: the same request is sent again after a backoff
  that doubles from ``first_retry_s`` to ``max_retry_s`` (a ``Retry-After`` of
  seconds is honoured, up to ``max_retry_s``), and nothing after it goes first.
  Any other answer (a 3xx or 4xx) is the endpoint refusing that request: it is
  counted and not sent again.  A receiver that answers 2xx only after it has
  kept the item sees each item at least once; duplicates carry the same ``id``.
* Items waiting are bounded (``max_pending``): past it the oldest waiting item
  is dropped and counted.  The request in flight is never dropped.
* Each stretch of failures, drops and refusals is said once in a warning on
  the ``testbed.server.webhook`` logger when it starts, and once more when
  delivery succeeds again (with how many were dropped or refused meanwhile).
* Retries, timeouts and the flush at shutdown are network time (real
  seconds): they never hold or move the testbed clock.  ``close`` stops taking
  items, lets deliveries go on for at most ``flush_s`` real seconds, then
  gives up what is left, counted and said.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections import deque
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import aiohttp

from testbed.core.errors import ConfigError
from testbed.core.loop import network_time

__all__ = ["Webhook", "WebhookOptions", "check_webhook_url"]

log = logging.getLogger(__name__)

WebhookKind = Literal["events", "records"]
_RETRIED = frozenset((401, 407, 408, 409, 429))
_NOUN = {"events": "contact event", "records": "contact record"}
_MAX_URL_CHARS = 2048


def check_webhook_url(url: object, where: str = "webhook URL") -> str:
    """``url`` if it is an http(s) URL with a host, else ConfigError naming it."""
    if not isinstance(url, str) or len(url) > _MAX_URL_CHARS:
        raise ConfigError(f"{where} must be an http:// or https:// URL, got {url!r}")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (a bad port raises here)
    except ValueError:
        raise ConfigError(f"{where} {url!r} is not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where} must be an http:// or https:// URL with a host, "
                          f"got {url!r}")
    return url


def _positive(name: str, value: object, whole: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not 0 < value < math.inf or (whole and not isinstance(value, int)):
        kind = "a whole number >= 1" if whole else "a number of seconds > 0"
        raise ConfigError(f"webhook {name} must be {kind}, got {value!r}")


@dataclass(frozen=True)
class WebhookOptions:
    """How webhooks deliver: ``max_pending`` items kept waiting (then the oldest
    is dropped), ``timeout_s`` real seconds per request, retries after
    ``first_retry_s`` doubling to ``max_retry_s``, ``flush_s`` real seconds to
    finish at shutdown, and up to ``batch`` records per request."""

    max_pending: int = 10_000
    timeout_s: float = 10.0
    first_retry_s: float = 1.0
    max_retry_s: float = 60.0
    flush_s: float = 5.0
    batch: int = 100

    def __post_init__(self) -> None:
        _positive("max_pending", self.max_pending, whole=True)
        _positive("timeout_s", self.timeout_s)
        _positive("first_retry_s", self.first_retry_s)
        _positive("max_retry_s", self.max_retry_s)
        _positive("flush_s", self.flush_s)
        _positive("batch", self.batch, whole=True)
        if self.max_retry_s < self.first_retry_s:
            raise ConfigError(f"webhook max_retry_s ({self.max_retry_s!r}) must be at least "
                              f"first_retry_s ({self.first_retry_s!r})")


class _Refused(Exception):
    """The endpoint answered with a status that says: do not send this again."""


class Webhook:
    """One endpoint's deliveries: a bounded queue and the task that POSTs it, in order.

    ``put`` queues an item (never blocks: the engine calls it); ``start`` begins
    delivering, ``close`` ends it.  ``status`` tells what became of every item.
    """

    def __init__(self, url: str, kind: WebhookKind,
                 options: WebhookOptions | None = None) -> None:
        self.url = check_webhook_url(url)
        self.kind: WebhookKind = kind
        self.options = options if options is not None else WebhookOptions()
        self._pending: deque[dict[str, Any]] = deque()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._in_flight = 0
        self.delivered = 0
        self.dropped = 0
        self.refused = 0
        self.retries = 0
        self.last_error: str | None = None
        self._failing = False
        # Drops and refusals since the last warning about them.
        self._dropped_since = self._refused_since = 0

    @property
    def noun(self) -> str:
        return _NOUN[self.kind]

    def put(self, item: dict[str, Any]) -> None:
        """Queue ``item`` for delivery (after everything queued before it)."""
        if self._closing:
            return
        if len(self._pending) >= self.options.max_pending:
            self._pending.popleft()
            self.dropped += 1
            if self._dropped_since == 0:
                log.warning("webhook %s: %d %ss wait to be delivered, the most kept; the "
                            "oldest are dropped until it takes them%s", self.url,
                            self.options.max_pending, self.noun, self._why())
            self._dropped_since += 1
        self._pending.append(item)
        self._wake.set()

    def _why(self) -> str:
        return "" if self.last_error is None else f" (last failure: {self.last_error})"

    @property
    def pending(self) -> int:
        """Items not delivered yet, the request in flight included."""
        return len(self._pending) + self._in_flight

    def status(self) -> dict[str, Any]:
        """What became of the items so far, as ``GET /v1/connect/webhooks`` shows it."""
        return {"url": self.url, "kind": self.kind, "delivered": self.delivered,
                "pending": self.pending, "retries": self.retries, "dropped": self.dropped,
                "refused": self.refused, "failing": self._failing,
                "last_error": self.last_error}

    def start(self) -> None:
        """Begin delivering (on real time: retries and timeouts never touch the clock)."""
        if self._task is not None:
            raise RuntimeError(f"webhook {self.url} has started already")
        with network_time():
            self._task = asyncio.create_task(self._deliver_all(),
                                             name=f"webhook {self.url}")

    async def close(self) -> None:
        """Take no more items; deliver what waits for up to ``flush_s`` real seconds,
        then give up the rest (counted in ``dropped`` and said in a warning)."""
        self._closing = True
        task, self._task = self._task, None
        if task is None:
            return
        self._wake.set()
        with network_time():
            try:
                await asyncio.wait_for(asyncio.shield(task), self.options.flush_s)
            except TimeoutError:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
            except Exception:  # a fault of the delivery itself: say it, lose nothing else
                log.exception("webhook %s: delivery stopped by an error", self.url)
        left = self.pending
        if left:
            self.dropped += left
            self._pending.clear()
            self._in_flight = 0
            log.warning("webhook %s: %d %ss not delivered by shutdown (waited %g s)%s",
                        self.url, left, self.noun, self.options.flush_s, self._why())

    async def _deliver_all(self) -> None:
        options = self.options
        timeout = aiohttp.ClientTimeout(total=options.timeout_s)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                if not self._pending:
                    if self._closing:
                        return
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                size = 1 if self.kind == "events" else options.batch
                batch = [self._pending.popleft()
                         for _ in range(min(size, len(self._pending)))]
                self._in_flight = len(batch)
                body = json.dumps(batch[0] if self.kind == "events" else {"Records": batch},
                                  separators=(",", ":")).encode()
                try:
                    await self._post_until_done(session, body)
                except _Refused:
                    self.refused += len(batch)
                    self._refused_since += len(batch)
                else:
                    self.delivered += len(batch)
                    self._recovered()
                self._in_flight = 0

    async def _post_until_done(self, session: aiohttp.ClientSession, body: bytes) -> None:
        """POST ``body`` until a 2xx (returns) or a refusal (raises _Refused)."""
        attempt = 0
        while True:
            wait_s: float | None = None
            try:
                async with session.post(self.url, data=body,
                                        headers={"Content-Type": "application/json"}
                                        ) as response:
                    if 200 <= response.status < 300:
                        return
                    problem = f"HTTP {response.status}"
                    if response.status < 500 and response.status not in _RETRIED:
                        self._refuse(problem, await response.text(errors="replace"))
                    wait_s = _retry_after(response.headers.get("Retry-After"))
            except TimeoutError:  # before ClientError: aiohttp's timeouts are both
                problem = f"no answer within {self.options.timeout_s:g} s"
            except (aiohttp.ClientError, OSError) as exc:
                problem = _describe(exc)
            attempt += 1
            self.retries += 1
            self.last_error = problem
            if not self._failing:
                self._failing = True
                log.warning("webhook %s: delivery failing (%s); retrying, every %g s at most",
                            self.url, problem, self.options.max_retry_s)
            backoff = min(self.options.first_retry_s * 2 ** min(attempt - 1, 60),
                          self.options.max_retry_s)
            await asyncio.sleep(backoff if wait_s is None
                                else min(wait_s, self.options.max_retry_s))

    def _refuse(self, problem: str, text: str) -> None:
        self.last_error = problem
        if self._refused_since == 0:
            shown = " ".join(text.split())[:200]
            log.warning("webhook %s refused a %s with %s%s; refused ones are not sent again",
                        self.url, self.noun, problem, f": {shown}" if shown else "")
        raise _Refused(problem)

    def _recovered(self) -> None:
        """A delivery succeeded: say the end of a stretch of failures, drops or refusals."""
        if self._failing or self._dropped_since or self._refused_since:
            lost = [f"{n} {what}" for n, what in ((self._dropped_since, "dropped"),
                                                   (self._refused_since, "refused")) if n]
            log.warning("webhook %s: delivering again%s", self.url,
                        f"; {' and '.join(lost)} meanwhile" if lost else "")
        self._failing = False
        self._dropped_since = self._refused_since = 0


def _retry_after(value: str | None) -> float | None:
    """A ``Retry-After`` of seconds (an HTTP date is ignored)."""
    try:
        seconds = float(value) if value is not None else math.nan
    except ValueError:
        return None
    return seconds if 0 <= seconds < math.inf else None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect: {exc.os_error.strerror or exc.os_error}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__

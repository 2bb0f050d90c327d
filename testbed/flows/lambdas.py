"""Lambda stand-ins: the functions a flow's InvokeLambdaFunction block calls.

A ``LambdaRegistry`` maps function names to ``LambdaFunction`` objects, each
run by an in-process handler (a Python callable, or a ``module:function``
path imported when it is added) or by an endpoint that speaks Lambda's Invoke
API (``sam local start-lambda``, LocalStack).  Rules:

* A handler is called as a real Lambda handler is: ``handler(event, context)``
  with ``event`` the Connect event built by ``contact_flow_event`` (the
  envelope ``{"Name": "ContactFlowEvent", "Details": {"ContactData": ...,
  "Parameters": ...}}``, a fresh copy for each call) and ``context`` a
  ``LambdaContext``.
* Time: a sync handler runs inline on the event loop, so no testbed time
  passes while it runs; an async handler is awaited and runs on testbed time
  (``await asyncio.sleep(2)`` takes two testbed seconds).  An endpoint is
  called on real time (``network_time``), its time limit in real seconds, and
  the testbed clock is held while the request is in flight, so a virtual clock
  cannot jump past the block's deadline meanwhile.  ``call`` applies neither
  ``latency_s`` nor the block's deadline: its caller does both, on testbed time.
* Any failure (the handler raised, the endpoint could not be reached, answered
  an HTTP error or a function error, or sent something that is not JSON) is a
  ``LambdaFailure``, the block's error branch.  ``validate_response`` then
  checks the answer against the block's ``ResponseType``: ``STRING_MAP`` (a
  flat object, scalar values turned into strings) or ``JSON`` (any object),
  at most 32 KB of JSON either way.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import math
import random
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any, TypeAlias
from urllib.parse import quote, urlsplit

import aiohttp

from testbed.core.errors import ConfigError
from testbed.core.loop import TestbedLoop, network_time

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_MEMORY_MB",
    "DEFAULT_REGION",
    "MAX_RESPONSE_BYTES",
    "MAX_TIME_LIMIT_S",
    "RESPONSE_TYPES",
    "Handler",
    "LambdaContext",
    "LambdaFailure",
    "LambdaFunction",
    "LambdaRegistry",
    "call",
    "check_time_limit",
    "contact_flow_event",
    "function_name",
    "validate_response",
]

#: The longest InvocationTimeLimitSeconds Connect accepts, by InvocationType.
MAX_TIME_LIMIT_S: Mapping[str, float] = MappingProxyType(
    {"SYNCHRONOUS": 8.0, "ASYNCHRONOUS": 60.0})
#: Connect's limit on a function's answer: 32 KB of UTF-8 JSON.
MAX_RESPONSE_BYTES = 32_768
#: What a block's ResponseValidation may ask for; STRING_MAP when it says nothing.
RESPONSE_TYPES = ("STRING_MAP", "JSON")
#: Region and account of the ARN a context reports when the flow named a bare function.
DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_MEMORY_MB = 128

# Lambda's own limit on a synchronous answer: an endpoint sending more is broken.
_MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
_NAME = r"[A-Za-z0-9_-]{1,64}"
_QUALIFIER = r"(?::(?:\$LATEST|[A-Za-z0-9_-]{1,128}))?"
_ARN = re.compile(
    rf"arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{{12}}:function:(?P<name>{_NAME}){_QUALIFIER}")
_PARTIAL_ARN = re.compile(rf"\d{{12}}:function:(?P<name>{_NAME}){_QUALIFIER}")
_BARE = re.compile(rf"(?P<name>{_NAME}){_QUALIFIER}")


class LambdaFailure(Exception):
    """An invocation that failed: the block takes its error branch.

    The handler raised (the original exception is ``__cause__``), the endpoint
    could not be reached or answered an error, or the answer was not valid for
    the block.  The message says which.
    """


def function_name(name_or_arn: str) -> str:
    """The function name in a name, partial ARN or ARN, without version or alias.

    ``"arn:aws:lambda:us-east-1:111122223333:function:lookup:prod"``,
    ``"111122223333:function:lookup"``, ``"lookup:prod"`` and ``"lookup"``
    all give ``"lookup"``.  ConfigError names anything else.
    """
    for pattern in (_ARN, _PARTIAL_ARN, _BARE):
        match = pattern.fullmatch(name_or_arn) if isinstance(name_or_arn, str) else None
        if match is not None:
            return match["name"]
    raise ConfigError(f"Lambda function must be a name (letters, digits, '-', '_'; at most "
                      f"64) or a Lambda function ARN, got {name_or_arn!r}")


class LambdaContext:
    """The ``context`` a handler gets, with the attributes of Lambda's Python runtime.

    ``invoked`` is the name or ARN the flow used; ``invoked_function_arn``
    is that ARN, or one built from ``DEFAULT_REGION`` and
    ``DEFAULT_ACCOUNT_ID`` for a bare name.  ``deadline_s`` is the testbed
    time the invocation must end by; ``get_remaining_time_in_millis()`` is
    ``deadline_s - now()`` in whole milliseconds (rounded, never below 0).
    ``aws_request_id`` (a UUID) and the log stream's suffix come from ``rng``,
    so a seeded source gives the same ids every run.  As in the Python
    runtime, ``memory_limit_in_mb`` is a string.  ``log_stream_name`` starts
    with ``log_date`` (``2022/04/08/[$LATEST]...``) when one is given.
    """

    __slots__ = ("_deadline_s", "_now", "aws_request_id", "function_name", "function_version",
                 "invoked_function_arn", "log_group_name", "log_stream_name",
                 "memory_limit_in_mb")

    def __init__(self, invoked: str, *, now: Callable[[], float], deadline_s: float,
                 rng: random.Random, memory_limit_in_mb: int = DEFAULT_MEMORY_MB,
                 log_date: date | None = None) -> None:
        self.function_name = function_name(invoked)
        self.function_version = "$LATEST"
        if invoked.startswith("arn:"):
            self.invoked_function_arn = invoked
        elif _PARTIAL_ARN.fullmatch(invoked):
            self.invoked_function_arn = f"arn:aws:lambda:{DEFAULT_REGION}:{invoked}"
        else:
            self.invoked_function_arn = (
                f"arn:aws:lambda:{DEFAULT_REGION}:{DEFAULT_ACCOUNT_ID}:function:{invoked}")
        self.memory_limit_in_mb = str(memory_limit_in_mb)
        self.aws_request_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        stream = f"[$LATEST]{rng.getrandbits(128):032x}"
        self.log_stream_name = stream if log_date is None else f"{log_date:%Y/%m/%d}/{stream}"
        self._now = now
        self._deadline_s = deadline_s

    def __repr__(self) -> str:
        return f"<LambdaContext {self.function_name!r} request {self.aws_request_id}>"

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds of testbed time left before the invocation's deadline."""
        return max(0, round((self._deadline_s - self._now()) * 1000))


#: A Lambda handler: ``handler(event, context)`` returning the answer, or an
#: awaitable of it (an ``async def`` handler).
Handler: TypeAlias = Callable[[dict[str, Any], LambdaContext], object]


@dataclass(frozen=True)
class LambdaFunction:
    """One function: run by ``handler`` in-process, or by the Invoke API at ``url``.

    ``latency_s`` is testbed seconds each invocation takes before it answers
    (the caller waits them out).
    """

    name: str
    handler: Handler | None
    url: str | None
    latency_s: float = 0.0

    def __post_init__(self) -> None:
        if (self.handler is None) == (self.url is None):
            raise ConfigError(f"Lambda function {self.name!r} needs a handler or a URL, "
                              f"not both or neither")
        _check_latency(self.latency_s, self.name)


def _check_latency(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(value) or value < 0:
        raise ConfigError(f"Lambda function {name!r}: latency_s must be a number of testbed "
                          f"seconds >= 0, got {value!r}")
    return float(value)


class LambdaRegistry:
    """The functions flows may invoke, by name (``function_name`` of a name or ARN)."""

    def __init__(self) -> None:
        self._functions: dict[str, LambdaFunction] = {}

    def add(self, name_or_arn: str, handler: Handler | str, *,
            latency_s: float = 0.0) -> LambdaFunction:
        """Register a function and return it.

        ``handler`` is a callable; a ``"package.module:function"`` path (or
        Lambda's ``"module.function"`` setting), imported now; or the
        ``"http://HOST:PORT"`` base URL of a Lambda Invoke API endpoint.
        ConfigError names a bad name, handler, latency or a name already taken.
        """
        name = function_name(name_or_arn)
        if name in self._functions:
            raise ConfigError(f"Lambda function {name!r} is already registered")
        latency = _check_latency(latency_s, name)
        if isinstance(handler, str):
            if handler.startswith(("http://", "https://")):
                function = LambdaFunction(name, None, _check_url(handler, name), latency)
            else:
                function = LambdaFunction(name, _import_handler(handler, name), None, latency)
        elif callable(handler):
            function = LambdaFunction(name, handler, None, latency)
        else:
            raise ConfigError(f"Lambda function {name!r}: handler must be a callable, "
                              f"'module:function' or an http:// URL, got {handler!r}")
        self._functions[name] = function
        return function

    def get(self, name_or_arn: str) -> LambdaFunction | None:
        """The function a flow names, or None (also for a malformed name: a flow's
        dynamic ARN is checked only when it runs, and then takes the error branch)."""
        try:
            return self._functions.get(function_name(name_or_arn))
        except ConfigError:
            return None

    def __contains__(self, name_or_arn: object) -> bool:
        return isinstance(name_or_arn, str) and self.get(name_or_arn) is not None

    def __iter__(self) -> Iterator[LambdaFunction]:
        return iter(self._functions.values())

    def __len__(self) -> int:
        return len(self._functions)

    @property
    def names(self) -> tuple[str, ...]:
        """Registered function names, in the order they were added."""
        return tuple(self._functions)


def _check_url(url: str, name: str) -> str:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise ConfigError(f"Lambda function {name!r}: bad endpoint URL {url!r} ({exc})") from None
    if not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"Lambda function {name!r}: endpoint must be a base URL such as "
                          f"http://127.0.0.1:3001, got {url!r}")
    return url.rstrip("/")


def _import_handler(path: str, name: str) -> Handler:
    module_name, sep, attribute = path.partition(":")
    if not sep:  # Lambda's own handler setting: "module.function"
        module_name, sep, attribute = path.rpartition(".")
    if not module_name or not attribute:
        raise ConfigError(f"Lambda function {name!r}: handler must be a callable, "
                          f"'module:function' or an http:// URL, got {path!r}")
    try:
        target: object = importlib.import_module(module_name)
    except Exception as exc:
        raise ConfigError(f"Lambda function {name!r}: cannot import module {module_name!r} "
                          f"of handler {path!r}: {type(exc).__name__}: {exc}") from exc
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise ConfigError(f"Lambda function {name!r}: handler {path!r}: module "
                              f"{module_name!r} has no {attribute!r}")
        target = getattr(target, part)
    if not callable(target):
        raise ConfigError(f"Lambda function {name!r}: handler {path!r} is not callable")
    return target


def contact_flow_event(contact_data: Mapping[str, Any],
                       parameters: Mapping[str, str]) -> dict[str, Any]:
    """The event Connect sends a function: ``{"Name": "ContactFlowEvent", "Details":
    {"ContactData": contact_data, "Parameters": parameters}}``.

    ``contact_data`` carries Connect's field names (``ContactId``,
    ``CustomerEndpoint``, ``Attributes``, ...) and ``parameters`` the block's
    LambdaInvocationAttributes.  Both are copied as JSON, so the event is what
    a deployed function would decode and a handler that changes it changes
    nothing else.  ConfigError if either holds something JSON cannot carry.
    """
    event = {"Name": "ContactFlowEvent",
             "Details": {"ContactData": contact_data, "Parameters": parameters}}
    try:
        copied: dict[str, Any] = json.loads(json.dumps(event, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"Lambda event is not JSON: {exc}") from None
    return copied


async def call(function: LambdaFunction, event: dict[str, Any], context: LambdaContext, *,
               time_limit_s: float) -> object:
    """Invoke ``function`` with ``event`` and return its answer, not yet validated.

    A sync handler runs inline (no testbed time passes); an async handler
    is awaited on testbed time.  An endpoint gets ``POST {url}/2015-03-31/
    functions/{name}/invocations`` (RequestResponse) on real time, with
    ``time_limit_s`` real seconds to answer, while the testbed clock is held;
    its JSON body is the answer.  Every failure is a LambdaFailure.
    ``latency_s`` and the block's testbed deadline are the caller's to apply.
    """
    if function.url is not None:
        return await _invoke_url(function.name, function.url, event, time_limit_s)
    assert function.handler is not None  # a LambdaFunction has one or the other
    try:
        answer = function.handler(event, context)
        if inspect.isawaitable(answer):
            answer = await answer
    except Exception as exc:
        raise LambdaFailure(f"Lambda function {function.name!r} raised "
                            f"{type(exc).__name__}: {exc}") from exc
    return answer


async def _invoke_url(name: str, url: str, event: dict[str, Any],
                      time_limit_s: float) -> object:
    endpoint = f"{url}/2015-03-31/functions/{quote(name, safe='')}/invocations"
    where = f"Lambda function {name!r} at {url}"
    running = asyncio.get_running_loop()
    loop = running if isinstance(running, TestbedLoop) else None
    if loop is not None:
        loop.hold()  # a virtual clock must not jump past the deadline meanwhile
    try:
        with network_time():
            timeout = aiohttp.ClientTimeout(total=time_limit_s)
            async with aiohttp.ClientSession(timeout=timeout) as session, session.post(
                    endpoint, json=event,
                    headers={"X-Amz-Invocation-Type": "RequestResponse"}) as response:
                body = await _read_body(response, where)
                status, function_error = response.status, response.headers.get(
                    "X-Amz-Function-Error")
    except TimeoutError:
        raise LambdaFailure(f"{where} did not answer within {time_limit_s:g} "
                            f"real seconds") from None
    except (aiohttp.ClientError, OSError) as exc:
        raise LambdaFailure(f"{where}: request failed ({type(exc).__name__}: "
                            f"{exc})") from exc
    finally:
        if loop is not None:
            loop.release()
    if not 200 <= status < 300:
        raise LambdaFailure(f"{where} answered HTTP {status}: {_error_text(body)}")
    if function_error is not None:
        raise LambdaFailure(f"{where} failed ({function_error}): {_error_text(body)}")
    try:
        return json.loads(body)
    except ValueError:
        raise LambdaFailure(f"{where} answered something that is not JSON: "
                            f"{body[:80]!r}") from None


async def _read_body(response: aiohttp.ClientResponse, where: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > _MAX_PAYLOAD_BYTES:
            raise LambdaFailure(f"{where} answered more than {_MAX_PAYLOAD_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _error_text(body: bytes) -> str:
    """The message of a Lambda or Invoke API error body, else the body itself."""
    try:
        error = json.loads(body)
    except ValueError:
        error = None
    if isinstance(error, dict):
        message = next((error[key] for key in ("errorMessage", "message", "Message")
                        if key in error), None)
        kind = error.get("errorType") or error.get("Type") or error.get("__type")
        if message is not None:
            return f"{kind}: {message}" if kind else str(message)
    return body[:200].decode("utf-8", "replace") or "(no body)"


def validate_response(raw: object, response_type: str = "STRING_MAP", *,
                      name: str | None = None) -> dict[str, Any]:
    """Check a function's answer as an InvokeLambdaFunction block does; return ``$.External``.

    The answer is first serialised as Lambda's runtime would (tuples become
    lists; a value JSON cannot carry, NaN or infinity fails) and must then
    be a JSON object of at most ``MAX_RESPONSE_BYTES`` (32,768 bytes of
    compact UTF-8 JSON).

    * ``"STRING_MAP"``: every value must be a string, number or boolean and
      becomes a string: strings as they are, ``True``/``False`` as
      ``"true"``/``"false"`` (JSON's spelling), numbers as their JSON text
      (``5`` -> ``"5"``, ``2.5`` -> ``"2.5"``, ``2.0`` -> ``"2.0"``).
      ``null``, objects and lists fail.
    * ``"JSON"``: any object, nested values included, returned as decoded.

    Failures are LambdaFailure (naming ``name`` when given); an unknown
    ``response_type`` is a ConfigError.
    """
    if response_type not in RESPONSE_TYPES:
        raise ConfigError(f"ResponseType must be one of {', '.join(RESPONSE_TYPES)}, "
                          f"got {response_type!r}")
    where = "Lambda function answer" if name is None else f"Lambda function {name!r}: answer"
    try:
        text = json.dumps(raw, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise LambdaFailure(f"{where} is not JSON: {exc}") from None
    size = len(text.encode("utf-8"))
    if size > MAX_RESPONSE_BYTES:
        raise LambdaFailure(f"{where} is {size} bytes of JSON; at most {MAX_RESPONSE_BYTES} "
                            f"are allowed")
    answer = json.loads(text)
    if not isinstance(answer, dict):
        raise LambdaFailure(f"{where} must be a JSON object, got {_json_kind(answer)}")
    if response_type == "JSON":
        return answer
    values: dict[str, Any] = {}
    for key, value in answer.items():
        if isinstance(value, str):
            values[key] = value
        elif isinstance(value, bool | int | float):
            values[key] = json.dumps(value)
        else:
            raise LambdaFailure(f"{where}: {key!r} is {_json_kind(value)}; a STRING_MAP "
                                f"answer holds only strings, numbers and booleans "
                                f"(ResponseType JSON takes nested values)")
    return values


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def check_time_limit(value: object, invocation_type: str = "SYNCHRONOUS") -> float:
    """InvocationTimeLimitSeconds as a float of seconds, or ConfigError naming it.

    It must be a number (or numeric text, as flow exports write it) greater
    than 0 and at most ``MAX_TIME_LIMIT_S[invocation_type]``: 8 seconds
    for SYNCHRONOUS, 60 for ASYNCHRONOUS.
    """
    limit = MAX_TIME_LIMIT_S.get(invocation_type)
    if limit is None:
        raise ConfigError(f"InvocationType must be one of {', '.join(MAX_TIME_LIMIT_S)}, "
                          f"got {invocation_type!r}")
    seconds: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        try:
            seconds = float(value)
        except ValueError:
            seconds = None
    if seconds is None or not 0 < seconds <= limit:  # also rejects NaN
        raise ConfigError(f"InvocationTimeLimitSeconds must be a number of seconds greater "
                          f"than 0 and at most {limit:g} for {invocation_type}, got {value!r}")
    return seconds

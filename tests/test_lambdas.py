"""Lambda stand-ins: names and ARNs, handlers in-process and behind Lambda's Invoke API,
answer validation, the context a handler gets, and the clock while an endpoint answers."""

from __future__ import annotations

import asyncio
import json
import random
import re
import socket
import textwrap
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from testbed import ConfigError, Testbed
from testbed.flows.lambdas import (
    MAX_RESPONSE_BYTES,
    MAX_TIME_LIMIT_S,
    LambdaContext,
    LambdaFailure,
    LambdaFunction,
    LambdaRegistry,
    call,
    check_time_limit,
    contact_flow_event,
    function_name,
    validate_response,
)

ARN = "arn:aws:lambda:us-east-1:111122223333:function:lookup"

CONTACT_DATA: dict[str, Any] = {
    "Attributes": {"tier": "gold"},
    "Channel": "VOICE",
    "ContactId": "4a573372-1f28-4e26-b97b-000000000001",
    "CustomerEndpoint": {"Address": "+15555550123", "Type": "TELEPHONE_NUMBER"},
    "InitialContactId": "4a573372-1f28-4e26-b97b-000000000001",
    "InitiationMethod": "INBOUND",
    "InstanceARN": "arn:aws:connect:us-east-1:111122223333:instance/c8c0e68d",
    "PreviousContactId": "4a573372-1f28-4e26-b97b-000000000001",
    "Queue": None,
    "SystemEndpoint": {"Address": "+18005550100", "Type": "TELEPHONE_NUMBER"},
}

Answer = Callable[[dict[str, Any]], object]


def event() -> dict[str, Any]:
    return contact_flow_event(CONTACT_DATA, {"caller": "+15555550123"})


def context(invoked: str = ARN, *, now: Callable[[], float] = lambda: 0.0,
            deadline_s: float = 3.0, seed: int = 1) -> LambdaContext:
    return LambdaContext(invoked, now=now, deadline_s=deadline_s, rng=random.Random(seed))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@asynccontextmanager
async def lambda_api(functions: dict[str, Answer], *,
                     delay_s: float = 0.0) -> AsyncIterator[str]:
    """A tiny Lambda Invoke API on 127.0.0.1 at an ephemeral port; yields its base URL.

    A function that raises answers as Lambda does: 200 with X-Amz-Function-Error.
    ``delay_s`` real seconds pass before every answer.
    """
    async def invoke(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        assert request.headers["X-Amz-Invocation-Type"] == "RequestResponse"
        if name not in functions:
            return web.json_response({"Type": "User", "message": f"Function not found: {name}"},
                                     status=404)
        payload = await request.json()
        if delay_s:
            await asyncio.sleep(delay_s)
        try:
            answer = functions[name](payload)
        except Exception as exc:
            return web.json_response({"errorMessage": str(exc),
                                      "errorType": type(exc).__name__},
                                     headers={"X-Amz-Function-Error": "Unhandled"})
        return web.json_response(answer)

    app = web.Application()
    app.router.add_post("/2015-03-31/functions/{name}/invocations", invoke)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


# -- names ---------------------------------------------------------------------

@pytest.mark.parametrize("given", [
    ARN,
    ARN + ":prod",
    ARN + ":7",
    ARN + ":$LATEST",
    "arn:aws-cn:lambda:cn-north-1:111122223333:function:lookup",
    "111122223333:function:lookup",
    "lookup",
    "lookup:prod",
])
def test_function_name_strips_arn_and_qualifier(given: str) -> None:
    assert function_name(given) == "lookup"


@pytest.mark.parametrize("given", [
    "", "arn:aws:s3:::bucket", "arn:aws:lambda:us-east-1:111122223333:layer:lookup",
    "look up", "$.External.fn", "a" * 65,
])
def test_function_name_rejects_what_is_not_a_function(given: str) -> None:
    with pytest.raises(ConfigError, match="Lambda function must be a name"):
        function_name(given)


def test_registry_finds_a_function_by_any_of_its_names() -> None:
    registry = LambdaRegistry()
    added = registry.add(ARN + ":prod", lambda event, context: {}, latency_s=0.5)
    assert added.name == "lookup" and added.latency_s == 0.5 and added.url is None
    assert registry.get("lookup") is added
    assert registry.get("111122223333:function:lookup") is added
    assert ARN in registry and "other" not in registry
    assert registry.get("not a name") is None
    assert registry.names == ("lookup",)
    assert list(registry) == [added] and len(registry) == 1


def test_registry_refuses_a_second_function_of_the_same_name() -> None:
    registry = LambdaRegistry()
    registry.add("lookup", lambda event, context: {})
    with pytest.raises(ConfigError, match="'lookup' is already registered"):
        registry.add(ARN, lambda event, context: {})


@pytest.mark.parametrize(("handler", "message"), [
    ("lookup", "got 'lookup'"),
    (42, "got 42"),
    ("http://", "got 'http://'"),
    ("http://127.0.0.1:99999", "bad endpoint URL 'http://127.0.0.1:99999'"),
    ("http://127.0.0.1:3001/?x=1", "got 'http://127.0.0.1:3001/?x=1'"),
])
def test_registry_names_a_bad_handler(handler: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        LambdaRegistry().add("lookup", handler)


@pytest.mark.parametrize("latency", [-1, float("nan"), True, "1"])
def test_registry_names_a_bad_latency(latency: Any) -> None:
    with pytest.raises(ConfigError, match=f"latency_s .* got {latency!r}"):
        LambdaRegistry().add("lookup", lambda event, context: {}, latency_s=latency)


def test_a_function_has_a_handler_or_a_url() -> None:
    with pytest.raises(ConfigError, match="needs a handler or a URL"):
        LambdaFunction("lookup", None, None)


# -- handlers from a module path -------------------------------------------------

@pytest.fixture
def handler_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A module on sys.path with a handler written as for a deployed function."""
    (tmp_path / "account_lookup.py").write_text(textwrap.dedent("""
        def lambda_handler(event, context):
            data = event["Details"]["ContactData"]
            return {
                "caller": event["Details"]["Parameters"]["caller"],
                "tier": data["Attributes"]["tier"],
                "function": context.function_name,
                "remaining_ms": context.get_remaining_time_in_millis(),
            }

        not_callable = 3
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    return "account_lookup"


async def test_a_module_handler_is_imported_and_called_with_the_event(
        handler_module: str) -> None:
    registry = LambdaRegistry()
    function = registry.add(ARN, f"{handler_module}:lambda_handler")
    answer = await call(function, event(), context(), time_limit_s=3)
    assert answer == {"caller": "+15555550123", "tier": "gold", "function": "lookup",
                      "remaining_ms": 3000}


async def test_lambdas_own_handler_setting_names_a_handler_too(handler_module: str) -> None:
    function = LambdaRegistry().add("lookup", f"{handler_module}.lambda_handler")
    assert await call(function, event(), context(), time_limit_s=3) == {
        "caller": "+15555550123", "tier": "gold", "function": "lookup", "remaining_ms": 3000}


@pytest.mark.parametrize(("path", "message"), [
    ("no_such_module_here:handler", "cannot import module 'no_such_module_here'"),
    ("account_lookup:missing", "module 'account_lookup' has no 'missing'"),
    ("account_lookup:not_callable", "'account_lookup:not_callable' is not callable"),
])
def test_a_bad_handler_path_is_named(handler_module: str, path: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        LambdaRegistry().add("lookup", path)


# -- in-process calls --------------------------------------------------------------

def test_the_event_is_connects_envelope_and_a_copy() -> None:
    parameters = {"caller": "+15555550123"}
    built = contact_flow_event(CONTACT_DATA, parameters)
    assert built == {"Name": "ContactFlowEvent",
                     "Details": {"ContactData": CONTACT_DATA, "Parameters": parameters}}
    built["Details"]["ContactData"]["Attributes"]["tier"] = "changed"
    built["Details"]["Parameters"]["caller"] = "changed"
    assert CONTACT_DATA["Attributes"]["tier"] == "gold"
    assert parameters["caller"] == "+15555550123"


def test_an_event_json_cannot_carry_is_refused() -> None:
    with pytest.raises(ConfigError, match="Lambda event is not JSON"):
        contact_flow_event({"When": date(2022, 4, 8)}, {})


@pytest.mark.testbed
async def test_a_sync_handler_runs_without_testbed_time_passing() -> None:
    async with Testbed() as tb:
        seen: list[float] = []

        def handler(event: dict[str, Any], context: LambdaContext) -> object:
            seen.append(tb.now)
            return {"ok": "yes"}

        function = LambdaRegistry().add("lookup", handler)
        assert await call(function, event(), context(), time_limit_s=3) == {"ok": "yes"}
        assert seen == [0.0] and tb.now == 0.0


@pytest.mark.testbed
async def test_an_async_handler_runs_on_testbed_time() -> None:
    async with Testbed() as tb:
        async def handler(event: dict[str, Any], context: LambdaContext) -> object:
            await asyncio.sleep(2)
            return {"remaining_ms": context.get_remaining_time_in_millis()}

        function = LambdaRegistry().add("lookup", handler)
        ctx = context(now=lambda: tb.now, deadline_s=tb.now + 3)
        assert await call(function, event(), ctx, time_limit_s=3) == {"remaining_ms": 1000}
        assert tb.now == 2.0


async def test_a_handler_that_raises_is_a_failure_with_the_cause_kept() -> None:
    def handler(event: dict[str, Any], context: LambdaContext) -> object:
        raise KeyError("AccountId")

    function = LambdaRegistry().add("lookup", handler)
    with pytest.raises(LambdaFailure, match="'lookup' raised KeyError: 'AccountId'") as caught:
        await call(function, event(), context(), time_limit_s=3)
    assert isinstance(caught.value.__cause__, KeyError)


async def test_an_async_handler_that_raises_is_a_failure() -> None:
    async def handler(event: dict[str, Any], context: LambdaContext) -> object:
        raise RuntimeError("database down")

    function = LambdaRegistry().add("lookup", handler)
    with pytest.raises(LambdaFailure, match="raised RuntimeError: database down"):
        await call(function, event(), context(), time_limit_s=3)


# -- the context -------------------------------------------------------------------

def test_the_context_reports_the_function_and_the_time_left() -> None:
    now = [10.0]
    ctx = context(ARN + ":prod", now=lambda: now[0], deadline_s=13.0)
    assert ctx.function_name == "lookup"
    assert ctx.function_version == "$LATEST"
    assert ctx.invoked_function_arn == ARN + ":prod"
    assert ctx.memory_limit_in_mb == "128"
    assert ctx.log_group_name == "/aws/lambda/lookup"
    assert ctx.get_remaining_time_in_millis() == 3000
    now[0] = 12.25
    assert ctx.get_remaining_time_in_millis() == 750
    now[0] = 14.0
    assert ctx.get_remaining_time_in_millis() == 0


def test_a_bare_name_gets_an_arn_of_the_default_account() -> None:
    assert context("lookup").invoked_function_arn == (
        "arn:aws:lambda:us-east-1:123456789012:function:lookup")
    assert context("111122223333:function:lookup").invoked_function_arn == ARN


def test_request_ids_come_from_the_seeded_source() -> None:
    first, again, other = context(seed=7), context(seed=7), context(seed=8)
    assert first.aws_request_id == again.aws_request_id != other.aws_request_id
    assert first.log_stream_name == again.log_stream_name
    assert first.aws_request_id[14] == "4" and len(first.aws_request_id) == 36
    assert first.log_stream_name.startswith("[$LATEST]")
    dated = LambdaContext("lookup", now=lambda: 0.0, deadline_s=3, rng=random.Random(7),
                          log_date=date(2022, 4, 8))
    assert dated.log_stream_name == "2022/04/08/" + first.log_stream_name


# -- validation --------------------------------------------------------------------

def test_string_map_turns_scalars_into_strings() -> None:
    answer = {"name": "Ann", "count": 5, "ratio": 2.5, "whole": 2.0, "vip": True,
              "closed": False}
    assert validate_response(answer, "STRING_MAP") == {
        "name": "Ann", "count": "5", "ratio": "2.5", "whole": "2.0", "vip": "true",
        "closed": "false"}


@pytest.mark.parametrize(("answer", "message"), [
    ({"name": {"First": "Ann"}}, "'name' is an object"),
    ({"orders": ["x1"]}, "'orders' is a list"),
    ({"name": None}, "'name' is null"),
])
def test_string_map_refuses_nested_and_null_values(answer: object, message: str) -> None:
    with pytest.raises(LambdaFailure, match=message):
        validate_response(answer, "STRING_MAP")


def test_json_keeps_nested_values() -> None:
    answer = {"Name": {"First": "John", "Last": "Doe"}, "AccountId": "a12345689",
              "OrderIds": ["x123", "y123"], "Balance": 12.5}
    assert validate_response(answer, "JSON") == answer


@pytest.mark.parametrize("response_type", ["STRING_MAP", "JSON"])
@pytest.mark.parametrize(("answer", "message"), [
    (["x"], "must be a JSON object, got a list"),
    ("ok", "must be a JSON object, got str 'ok'"),
    (None, "must be a JSON object, got null"),
    ({"when": date(2022, 4, 8)}, "is not JSON"),
    ({"ratio": float("nan")}, "is not JSON"),
])
def test_an_answer_that_is_not_a_json_object_fails(response_type: str, answer: object,
                                                   message: str) -> None:
    with pytest.raises(LambdaFailure, match=message):
        validate_response(answer, response_type, name="lookup")


@pytest.mark.parametrize("response_type", ["STRING_MAP", "JSON"])
def test_an_answer_over_32_kb_fails(response_type: str) -> None:
    # {"k":"..."} is 8 bytes around the value; "é" is two bytes of UTF-8.
    fits = {"k": "é" * ((MAX_RESPONSE_BYTES - 8) // 2)}
    assert len(json.dumps(fits, ensure_ascii=False, separators=(",", ":")).encode()) \
        == MAX_RESPONSE_BYTES
    assert validate_response(fits, response_type) == fits
    over = {"k": fits["k"] + "x"}
    with pytest.raises(LambdaFailure, match=f"32769 bytes of JSON; at most {MAX_RESPONSE_BYTES}"):
        validate_response(over, response_type)


def test_string_map_is_the_default_and_unknown_types_are_config_errors() -> None:
    assert validate_response({"count": 1}) == {"count": "1"}
    with pytest.raises(ConfigError, match="got 'XML'"):
        validate_response({}, "XML")


@pytest.mark.parametrize(("value", "invocation_type", "seconds"), [
    ("3", "SYNCHRONOUS", 3.0), (8, "SYNCHRONOUS", 8.0), (0.5, "SYNCHRONOUS", 0.5),
    ("60", "ASYNCHRONOUS", 60.0),
])
def test_time_limits_within_range(value: object, invocation_type: str, seconds: float) -> None:
    assert check_time_limit(value, invocation_type) == seconds


@pytest.mark.parametrize(("value", "invocation_type"), [
    (0, "SYNCHRONOUS"), ("9", "SYNCHRONOUS"), (-1, "SYNCHRONOUS"), ("nan", "SYNCHRONOUS"),
    ("soon", "SYNCHRONOUS"), (True, "SYNCHRONOUS"), (61, "ASYNCHRONOUS"),
])
def test_time_limits_out_of_range_are_named(value: object, invocation_type: str) -> None:
    limit = MAX_TIME_LIMIT_S[invocation_type]
    with pytest.raises(ConfigError, match=rf"at most {limit:g} for {invocation_type}, "
                                          rf"got {value!r}"):
        check_time_limit(value, invocation_type)


def test_an_unknown_invocation_type_is_named() -> None:
    with pytest.raises(ConfigError, match=r"InvocationType .* got 'SOMETIMES'"):
        check_time_limit(3, "SOMETIMES")


# -- Lambda's Invoke API -----------------------------------------------------------

def lookup(payload: dict[str, Any]) -> object:
    return {"caller": payload["Details"]["Parameters"]["caller"], "vip": True}


def broken(payload: dict[str, Any]) -> object:
    raise ValueError("no account for caller")


async def test_an_endpoint_gets_the_event_and_its_answer_is_returned() -> None:
    async with lambda_api({"lookup": lookup}) as url:
        function = LambdaRegistry().add(ARN, url + "/")
        assert function.url == url
        answer = await call(function, event(), context(), time_limit_s=3)
    assert answer == {"caller": "+15555550123", "vip": True}
    assert validate_response(answer, "STRING_MAP") == {"caller": "+15555550123",
                                                       "vip": "true"}


async def test_a_function_error_from_an_endpoint_is_a_failure() -> None:
    async with lambda_api({"lookup": broken}) as url:
        function = LambdaRegistry().add("lookup", url)
        with pytest.raises(LambdaFailure,
                           match=r"failed \(Unhandled\): ValueError: no account for caller"):
            await call(function, event(), context(), time_limit_s=3)


async def test_an_http_error_from_an_endpoint_is_a_failure() -> None:
    async with lambda_api({}) as url:
        function = LambdaRegistry().add("lookup", url)
        with pytest.raises(LambdaFailure,
                           match="answered HTTP 404: User: Function not found: lookup"):
            await call(function, event(), context(), time_limit_s=3)


async def test_an_unreachable_endpoint_is_a_failure() -> None:
    function = LambdaRegistry().add("lookup", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(LambdaFailure, match="request failed"):
        await call(function, event(), context(), time_limit_s=3)


@pytest.mark.testbed
async def test_the_clock_is_held_while_an_endpoint_answers() -> None:
    async with Testbed() as tb, lambda_api({"lookup": lookup}, delay_s=0.05) as url:
        fired: list[float] = []
        tb.clock.call_later(1, lambda: fired.append(tb.now))
        function = LambdaRegistry().add("lookup", url)
        answer = await call(function, event(), context(), time_limit_s=3)
        assert answer == {"caller": "+15555550123", "vip": True}
        assert fired == [] and tb.now == 0.0  # a virtual clock would have jumped to 1 s
        await tb.run_until_idle()
        assert fired == [1.0]

"""Serving the Connect API: find the operation, check the caller, parse, run, answer.

Every request outside ``/v1/`` is a Connect API call.  It is matched to an
operation by method and URI (model.py); one the testbed does not simulate
answers 501 ``NotImplementedException`` naming it, a URI that is no Connect
operation 404 ``UnknownOperationException``.  SigV4 ``Authorization``
headers are read, not verified, as local AWS stand-ins do; with a token the
access key id must equal it (403 ``UnrecognizedClientException``
otherwise).  A request naming another instance gets
ResourceNotFoundException.  Handlers (``@operation("ListQueues")``) get an
``Api`` and the validated input and return the response members; timestamps
in answers are POSIX seconds, as rest-json sends them.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import inspect
import json
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from aiohttp import web

from testbed.centre.facade import Testbed
from testbed.centre.instance import Instance
from testbed.server.connect_api.errors import ApiError
from testbed.server.connect_api.model import error_status, match, parse

__all__ = ["Api", "Handler", "connect_api", "operation", "page"]

Result = dict[str, Any]
Handler = Callable[["Api", dict[str, Any]], Result | Awaitable[Result]]
#: Largest request body (a flow's content may be 256,000 characters).
MAX_BODY_BYTES = 512 * 1024
_HANDLERS: dict[str, Handler] = {}
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([a-z0-9-]+)/")
H = TypeVar("H", bound=Handler)


def operation(name: str) -> Callable[[H], H]:
    """Register the handler of Connect operation ``name``."""
    def register(handler: H) -> H:
        if name in _HANDLERS:
            raise RuntimeError(f"operation {name} registered twice")
        _HANDLERS[name] = handler
        return handler
    return register


def simulated() -> list[str]:
    """The operations that have a handler."""
    return sorted(_HANDLERS)


@dataclass
class Api:
    """What a handler works with: the testbed, its instance, and the request's region."""

    tb: Testbed
    region: str
    operation: str
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def instance(self) -> Instance:
        return self.tb.instance

    def not_found(self, what: str, given: str) -> ApiError:
        shown = given if len(given) <= 200 else f"{given[:200]}..."
        return ApiError("ResourceNotFoundException", f"{what} {shown!r} not found in instance "
                                                     f"{self.instance.instance_id}")


def page(api: Api, params: dict[str, Any], items: Sequence[Any], key: str,
         default_max: int = 100) -> Result:
    """``{key: one page of items, "NextToken": ...}`` by ``MaxResults`` / ``NextToken``.

    A token is the offset of the next item, tied to the operation; one from
    another operation or made up is InvalidParameterException (Connect's
    answer to an expired or foreign token).
    """
    start = 0
    token = params.get("NextToken")
    if token is not None:
        try:
            op, offset = base64.urlsafe_b64decode(token.encode()).decode().split(":")
            start = int(offset)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise ApiError("InvalidParameterException",
                           f"NextToken {token[:40]!r} was not given by this testbed") from None
        if op != api.operation or not 0 <= start <= len(items):
            raise ApiError("InvalidParameterException",
                           f"NextToken {token[:40]!r} is not a token of {api.operation}")
    size = params.get("MaxResults", default_max)
    out: Result = {key: list(items[start:start + size])}
    if start + size < len(items):
        out["NextToken"] = base64.urlsafe_b64encode(
            f"{api.operation}:{start + size}".encode()).decode()
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _error(request_id: str, error: ApiError) -> web.Response:
    body: dict[str, Any] = {"Message": error.message, "message": error.message}
    body.update(error.members)
    return web.Response(
        status=error.status or error_status(error.code), text=json.dumps(body),
        content_type="application/json",
        headers={"x-amzn-ErrorType": error.code, "x-amzn-RequestId": request_id})


def _region_and_key(request: web.Request) -> tuple[str, str | None]:
    found = _CREDENTIAL.search(request.headers.get("Authorization", ""))
    if found:
        return found.group(2), found.group(1)
    return "us-east-1", None


def _check_instance(api: Api, params: dict[str, Any]) -> None:
    given = params.get("InstanceId")
    if given is not None and given not in (api.instance.instance_id, api.instance.arn):
        raise ApiError("ResourceNotFoundException",
                       f"instance {given!r} not found (this testbed's instance is "
                       f"{api.instance.instance_id})")


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError("InvalidRequestException", "the request body is not JSON") from None
    if not isinstance(body, dict):
        raise ApiError("InvalidRequestException", "the request body must be a JSON object")
    return body


def connect_api(tb_of: Callable[[web.Request], Testbed], token: str | None
                ) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The aiohttp handler for every Connect API request."""
    # Imported for their @operation registrations.
    from testbed.server.connect_api import (  # noqa: F401
        contacts,
        directory,
        flows,
        metrics,
    )

    serial = iter(range(1, 1 << 62))
    expected = token.encode() if token else None

    async def handle(request: web.Request) -> web.Response:
        tb = tb_of(request)
        request_id = str(uuid.uuid5(uuid.UUID(tb.instance.instance_id), f"request/{next(serial)}"))
        try:
            region, key = _region_and_key(request)
            if expected is not None and not hmac.compare_digest((key or "").encode(), expected):
                raise ApiError("UnrecognizedClientException",
                               "the access key id must be the testbed's token", status=403)
            found = match(request.method, request.rel_url.raw_path)
            if found is None:
                raise ApiError("UnknownOperationException",
                               f"{request.method} {request.path} is no Connect API operation",
                               status=404)
            op, labels = found
            handler = _HANDLERS.get(op.name)
            if handler is None or op.input is None:
                raise ApiError("NotImplementedException",
                               f"{op.name} is not simulated by the testbed "
                               "(docs/api.md lists the operations it answers)", status=501)
            if (request.content_length or 0) > MAX_BODY_BYTES:
                raise ApiError("InvalidRequestException",
                               f"the request body is over {MAX_BODY_BYTES} bytes", status=413)
            try:
                params = parse(op, labels, request.query, request.headers,
                               await _body(request))
            except ApiError as invalid:
                # An operation whose model has no InvalidParameterException
                # (TransferContact, GetContactAttributes) answers a bad
                # parameter with InvalidRequestException, as Connect does.
                if invalid.code == "InvalidParameterException" and \
                        invalid.code not in op.errors:
                    invalid.code = "InvalidRequestException"
                raise
            api = Api(tb, region, op.name)
            _check_instance(api, params)
            result = handler(api, params)
            if inspect.isawaitable(result):
                result = await result
            return web.Response(text=json.dumps(result, default=_jsonable),
                                content_type="application/json",
                                headers={"x-amzn-RequestId": request_id})
        except ApiError as error:
            return _error(request_id, error)

    return handle



"""Errors as Connect sends them.

An ``ApiError`` becomes a response with the HTTP status of its error shape,
the ``x-amzn-ErrorType`` header botocore reads the code from, and a JSON body
with ``Message`` (and any other members of the shape, e.g. the ``problems``
of InvalidContactFlowException), so botocore raises the matching
``client.exceptions.<Code>``.
"""

from __future__ import annotations

from typing import Any

from testbed.core.errors import TestbedError

__all__ = ["ApiError"]


class ApiError(TestbedError):
    """A Connect API error: ``code`` (the error shape's name) and ``message``.

    ``status`` overrides the status from the model (for codes outside it);
    ``members`` are added to the body.
    """

    def __init__(self, code: str, message: str, *, status: int | None = None,
                 **members: Any) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.members = members

"""The CRM lookup the Inbound flow invokes: a Lambda handler, run as it would run in Lambda."""

from __future__ import annotations

from typing import Any

CUSTOMERS = {
    "+15555550123": {"name": "John", "tier": "gold", "balance": "1250.75"},
    "+15555550124": {"name": "Jane", "tier": "standard", "balance": "80.00"},
}


def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    """Look the caller up by the number they call from; unknown callers are 'new'."""
    number = event["Details"]["Parameters"].get("caller", "")
    return CUSTOMERS.get(number, {"name": "", "tier": "new", "balance": "0"})

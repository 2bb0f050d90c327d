"""What an administrator changes while the centre runs: agents' statuses, flows.

A mixin of the Switchboard: the Connect API (PutUserStatus,
CreateContactFlow, UpdateContactFlowContent) calls these methods.
"""

from __future__ import annotations

__all__ = ["Admin"]


class Admin:
    """Setting an agent's status and deploying flows from outside."""

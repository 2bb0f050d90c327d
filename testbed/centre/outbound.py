"""Contacts an outside program starts, stops, transfers or annotates (the Connect API's).

A mixin of the Switchboard, like routing and the flow host: the API server
(testbed.server.connect_api) calls these methods; nothing here knows HTTP.
"""

from __future__ import annotations

__all__ = ["Outbound"]


class Outbound:
    """Outbound calls, tasks, stopping, transferring and updating contacts from outside."""

"""Connect API operations on flows (see docs/api.md)."""

from __future__ import annotations

__all__: list[str] = []

"""Argument types the commands' parsers share: each names the bad value it refuses."""

from __future__ import annotations

import argparse

__all__ = ["count", "seconds_list"]


def count(text: str) -> int:
    """A whole number >= 1 (callers, replications, workers)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return value


def seconds_list(text: str) -> tuple[int, ...]:
    """Service-level thresholds: whole seconds from 1 to a week, comma-separated."""
    try:
        values = tuple(int(x) for x in text.split(","))
    except ValueError:
        values = ()
    if not values or any(not 1 <= v <= 604_800 for v in values):
        raise argparse.ArgumentTypeError(
            f"must be whole seconds from 1 to 604800, comma-separated, got {text!r}")
    return values

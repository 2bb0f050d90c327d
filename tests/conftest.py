"""Shared set-up for the project's tests: the seed scenario's contact centre."""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import settings

from testbed import Testbed
from testbed.load.demos import queued_callback_centre

from .connect_shapes import strict

# Property tests draw the same examples in every run (the suite is deterministic);
# HYPOTHESIS_PROFILE=explore draws new ones, to look for failures.
settings.register_profile("default", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

JOHN = "+15555550123"
JANE = "+15555550124"


def seed_centre(tb: Testbed) -> None:
    """The seed's flows, queues and number, without any caller or agent."""
    queued_callback_centre(tb)


def at(hms: str) -> str:
    """A timestamp on the seed's day, in Connect's format."""
    return f"2022-04-08T{hms}Z"


@pytest.fixture
def connect_client(connect_client: Any) -> Any:
    """The plugin's boto3 client, failing on answers with members outside Connect's model."""
    return strict(connect_client)

"""The simulated Connect instance's identity: its id, region, account and ARNs.

Connect names everything by id and ARN; the testbed names queues, flows,
agents and hours by the names a user gives them.  ``Instance`` maps between
the two without keeping a table: an id is a UUID derived (uuid5) from the
instance id, the kind and the name, so the same names give the same ids in
every run, at every speed, on every machine.

    Instance().arn                       # arn:aws:connect:us-east-1:123456789012:instance/7d73...
    Instance().arn_of("queue", "Billing")  # ...:instance/7d73.../queue/68f9...

The kinds are Connect's ARN words: ``queue``, ``contact-flow``, ``agent``,
``routing-profile``, ``operating-hours``, ``agent-state``, ``contact``,
``transfer-destination`` (quick connects) and ``phone-number`` (an ARN of
the account, not of the instance).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from testbed.core.errors import ConfigError

__all__ = ["DEFAULT_ACCOUNT", "DEFAULT_INSTANCE_ID", "DEFAULT_REGION", "KINDS", "Instance"]

#: The instance id of every testbed unless told otherwise (``testbed serve --instance-id``).
DEFAULT_INSTANCE_ID = str(uuid.uuid5(uuid.NAMESPACE_DNS, "instance.telephony-testbed"))
DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"
KINDS = ("queue", "contact-flow", "agent", "routing-profile", "operating-hours",
         "agent-state", "contact", "transfer-destination", "phone-number")

_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")
_ACCOUNT = re.compile(r"\d{12}")


@dataclass(frozen=True)
class Instance:
    """A Connect instance: ``instance_id`` (a UUID), ``region`` and ``account``."""

    instance_id: str = DEFAULT_INSTANCE_ID
    region: str = DEFAULT_REGION
    account: str = DEFAULT_ACCOUNT

    def __post_init__(self) -> None:
        try:
            uuid.UUID(self.instance_id)
        except (ValueError, TypeError):
            raise ConfigError(f"instance id {self.instance_id!r} is not a UUID "
                              "(Connect's instance ids are, e.g. "
                              f"{DEFAULT_INSTANCE_ID})") from None
        if not _REGION.fullmatch(self.region):
            raise ConfigError(f"region {self.region!r} is not an AWS region name "
                              "such as us-east-1")
        if not _ACCOUNT.fullmatch(self.account):
            raise ConfigError(f"account {self.account!r} is not a 12-digit AWS account id")

    @property
    def arn(self) -> str:
        """``arn:aws:connect:REGION:ACCOUNT:instance/ID``."""
        return f"arn:aws:connect:{self.region}:{self.account}:instance/{self.instance_id}"

    def id_of(self, kind: str, name: str) -> str:
        """The id Connect would show for the ``kind`` named ``name`` (a contact's id is its own)."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
        if kind == "contact":
            return name
        return str(uuid.uuid5(uuid.UUID(self.instance_id), f"{kind}/{name}"))

    def arn_of(self, kind: str, name: str) -> str:
        """The ARN of the ``kind`` named ``name`` (a phone number's is the account's)."""
        if kind == "phone-number":
            return (f"arn:aws:connect:{self.region}:{self.account}:phone-number/"
                    f"{self.id_of(kind, name)}")
        return f"{self.arn}/{kind}/{self.id_of(kind, name)}"

    def resource_id(self, kind: str, given: str) -> str:
        """The id in ``given``, an id or an ARN of this instance's ``kind`` (else ``given``)."""
        prefix = (f"arn:aws:connect:{self.region}:{self.account}:phone-number/"
                  if kind == "phone-number" else f"{self.arn}/{kind}/")
        return given[len(prefix):] if given.startswith(prefix) else given

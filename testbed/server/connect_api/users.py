"""Users and agent statuses: ListUsers, DescribeUser, ListAgentStatuses, PutUserStatus.

The instance's users are the testbed's agents: every agent connected now or
earlier in the run, by username (``id_of("agent", username)``).  Its agent
statuses are Available (ROUTABLE), Offline (OFFLINE) and the testbed's
custom statuses (CUSTOM; ``Testbed(custom_statuses=...)``), each with the id
``id_of("agent-state", name)``.  PutUserStatus is the agent's own
``set_status``: see ``Switchboard.set_agent_status``.
"""

from __future__ import annotations

from typing import Any

from testbed.centre.agents import AgentState
from testbed.core.errors import StateError
from testbed.records.contact_record import Entry, EventKind
from testbed.server.connect_api.dispatch import Api, operation, page
from testbed.server.connect_api.errors import ApiError
from testbed.server.connect_api.routing_profiles import profile_of

__all__ = ["agent_statuses", "entries", "find_status", "find_user", "status_type",
           "usernames"]

_AGENT_STATE = EventKind.AGENT_STATE


def entries(api: Api) -> list[Entry]:
    """The testbed's event log so far."""
    service = api.tb.record_service
    if service is None:
        raise ApiError("InternalServiceException", "the testbed is not open")
    return service.entries()


def usernames(api: Api) -> list[str]:
    """Every agent connected now or earlier in the run, by username."""
    names = set(api.tb.switchboard.agents)
    names.update(data[0] for _t, _c, kind, data in entries(api) if kind is _AGENT_STATE)
    return sorted(names)


def find_user(api: Api, given: str) -> str:
    """The username whose user id or ARN is ``given``; ResourceNotFoundException if none."""
    wanted = api.instance.resource_id("agent", given)
    for name in usernames(api):
        if api.instance.id_of("agent", name) == wanted:
            return name
    raise api.not_found("user", given)


def status_type(name: str) -> str:
    """Connect's AgentStatusType of the status ``name``."""
    if name == AgentState.AVAILABLE:
        return "ROUTABLE"
    if name == AgentState.OFFLINE:
        return "OFFLINE"
    return "CUSTOM"


def agent_statuses(api: Api) -> list[str]:
    """The statuses an agent can set: Available, Offline, then the custom ones."""
    customs = [s for s in api.tb.switchboard.custom_statuses
               if s not in (AgentState.AVAILABLE, AgentState.OFFLINE)]
    return [AgentState.AVAILABLE.value, AgentState.OFFLINE.value, *customs]


def find_status(api: Api, given: str) -> str:
    """The status whose id or ARN is ``given``; ResourceNotFoundException if none."""
    wanted = api.instance.resource_id("agent-state", given)
    for name in agent_statuses(api):
        if api.instance.id_of("agent-state", name) == wanted:
            return name
    raise api.not_found("agent status", given)


def _user_summary(api: Api, name: str) -> dict[str, Any]:
    return {"Id": api.instance.id_of("agent", name), "Arn": api.instance.arn_of("agent", name),
            "Username": name}


@operation("ListUsers")
def list_users(api: Api, params: dict[str, Any]) -> dict[str, Any]:
    return page(api, params, [_user_summary(api, n) for n in usernames(api)], "UserSummaryList")


@operation("DescribeUser")
def describe_user(api: Api, params: dict[str, Any]) -> dict[str, Any]:
    name = find_user(api, params["UserId"])
    user = _user_summary(api, name)
    agent = api.tb.switchboard.agents.get(name)
    if agent is not None:  # a disconnected agent's profile and settings are gone
        profile = profile_of(agent.profile)
        user["RoutingProfileId"] = profile.id(api)
        user["PhoneConfig"] = {"PhoneType": "SOFT_PHONE", "AutoAccept": False,
                               "AfterContactWorkTimeLimit": round(agent.acw_timeout_s)}
    return {"User": user}


@operation("ListAgentStatuses")
def list_agent_statuses(api: Api, params: dict[str, Any]) -> dict[str, Any]:
    types = set(params.get("AgentStatusTypes", ("ROUTABLE", "CUSTOM", "OFFLINE")))
    summaries = [{"Id": api.instance.id_of("agent-state", name),
                  "Arn": api.instance.arn_of("agent-state", name),
                  "Name": name, "Type": status_type(name)}
                 for name in agent_statuses(api)]
    return page(api, params, [s for s in summaries if s["Type"] in types],
                "AgentStatusSummaryList")


@operation("PutUserStatus")
def put_user_status(api: Api, params: dict[str, Any]) -> dict[str, Any]:
    name = find_user(api, params["UserId"])
    status = find_status(api, params["AgentStatusId"])
    try:
        api.tb.switchboard.set_agent_status(name, status)
    except StateError as exc:
        raise ApiError("InvalidRequestException", f"user {name!r}: {exc}") from None
    return {}

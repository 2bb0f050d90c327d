"""Connect API operations on flows (see docs/api.md).

ListContactFlows, DescribeContactFlow, CreateContactFlow and
UpdateContactFlowContent over the testbed's flows, by ``id_of("contact-flow",
name)``.  A flow deployed here is published at once (``publish_flow``): the
next contact that looks it up runs it, contacts in the old one finish it.

- **Types.**  A flow created here has the Type it was given.  Any other flow
  is typed by how the centre uses it: OUTBOUND_WHISPER for a queue's
  outbound whisper; CUSTOMER_QUEUE, AGENT_WHISPER, CUSTOMER_WHISPER,
  CUSTOMER_HOLD, AGENT_HOLD for a flow an event hook names; QUEUE_TRANSFER /
  AGENT_TRANSFER for a queue / agent quick connect's; CONTACT_FLOW otherwise
  (a number's inbound flow, a TransferToFlow or task target).
- **Content.**  A flow deployed here shows its content exactly as sent.  A
  flow with none (built in Python or loaded before the server started), or
  replaced since from Python, shows its export (flow_export.py).
- **SAVED.**  ``Status="SAVED"`` stores content unchecked and unpublished; a
  flow only saved does not run, and DescribeContactFlow of it needs the
  ``:$SAVED`` alias (ContactFlowNotPublishedException otherwise), as in
  Connect.  UpdateContactFlowContent of ``ID:$SAVED`` saves without
  publishing.  Other versions (``ID:3``) are unknown: the testbed keeps none.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from testbed.centre.admin import FlowSource
from testbed.flows import EventHook, Flow, SetEventHook
from testbed.server.connect_api.dispatch import Api, operation, page
from testbed.server.connect_api.errors import ApiError
from testbed.server.connect_api.flow_content import MAX_CONTENT, compile_flow
from testbed.server.connect_api.flow_export import Arns, NotExportable, export_flow
from testbed.server.connect_api.users import usernames

__all__: list[str] = []

SAVED = "$SAVED"
_HOOK_TYPES = {EventHook.CUSTOMER_QUEUE: "CUSTOMER_QUEUE",
               EventHook.AGENT_WHISPER: "AGENT_WHISPER",
               EventHook.CUSTOMER_WHISPER: "CUSTOMER_WHISPER",
               EventHook.CUSTOMER_HOLD: "CUSTOMER_HOLD",
               "AgentHold": "AGENT_HOLD"}


def _names(api: Api) -> list[str]:
    """Every flow: those that run, then those only saved."""
    sources = api.tb.switchboard.flow_sources
    flows = api.tb.switchboard.flows
    return [*flows, *(name for name in sources if name not in flows)]


def _types_by_use(api: Api) -> dict[str, str]:
    """Connect's type of each flow as the centre uses it (see the module docstring)."""
    board = api.tb.switchboard
    types: dict[str, str] = {}
    for flow in board.flows.values():
        for block in flow.blocks.values():
            if isinstance(block, SetEventHook) and block.hook in _HOOK_TYPES:
                types.setdefault(block.flow, _HOOK_TYPES[block.hook])
    for quick in board.quick_connects.values():
        if quick.flow is not None:
            types.setdefault(quick.flow, "QUEUE_TRANSFER" if quick.queue else "AGENT_TRANSFER")
    for queue in board.queues.values():
        if queue.outbound_whisper_flow is not None:
            types[queue.outbound_whisper_flow] = "OUTBOUND_WHISPER"
    return types


def _type_of(api: Api, name: str, by_use: dict[str, str] | None = None) -> str:
    source = api.tb.switchboard.flow_sources.get(name)
    if source is not None:
        return source.flow_type
    return (by_use if by_use is not None else _types_by_use(api)).get(name, "CONTACT_FLOW")


def _find(api: Api, given: str) -> tuple[str, str | None]:
    """(flow name, alias or None) of ``given``: an id or ARN, maybe ``:$SAVED``."""
    flow_id, _colon, alias = api.instance.resource_id("contact-flow", given).partition(":")
    for name in _names(api):
        if api.instance.id_of("contact-flow", name) == flow_id:
            if alias and alias != SAVED:
                raise api.not_found("flow version (the testbed keeps no versions)", given)
            return name, alias or None
    raise api.not_found("flow", given)


def _content_of(api: Api, name: str, flow: Flow) -> str:
    """The published content of ``flow``: as deployed, or its export."""
    source = api.tb.switchboard.flow_sources.get(name)
    if source is not None and source.content is not None and source.flow is flow:
        return source.content
    try:
        return export_flow(flow, _arns(api))
    except NotExportable as exc:
        raise ApiError("InvalidRequestException", f"{exc}; the testbed cannot show its "
                                                  f"content") from None


def _arns(api: Api) -> Arns:
    board, instance = api.tb.switchboard, api.instance
    hours = {key: instance.arn_of("operating-hours", h.name) for key, h in board.hours.items()}
    return Arns(queues={q: instance.arn_of("queue", q) for q in board.queues
                        if not q.startswith("agent/")},
                flows={f: instance.arn_of("contact-flow", f) for f in _names(api)},
                hours=hours,
                agents={u: instance.arn_of("agent", u) for u in usernames(api)})


def _compile(api: Api, name: str, content: str) -> Flow:
    _check_content(content)
    board, instance = api.tb.switchboard, api.instance
    names: dict[str, str] = {}
    queues = {q for q in board.queues if not q.startswith("agent/")}
    flows = {*_names(api), name}
    hours = {h.name for h in board.hours.values()}
    for kind, found in (("queue", queues), ("contact-flow", flows),
                        ("operating-hours", hours), ("agent", set(usernames(api)))):
        for item in found:
            names[instance.id_of(kind, item)] = item
            names[instance.arn_of(kind, item)] = item
    return compile_flow(name, content, names, queues, flows, set(board.hours))


def _check_content(content: str) -> None:
    if not 1 <= len(content) <= MAX_CONTENT:
        raise ApiError("InvalidParameterException",
                       f"Content: has {len(content)} characters; a flow's content has 1 to "
                       f"{MAX_CONTENT}")


def _sha(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()


@operation("ListContactFlows")
def list_contact_flows(api: Api, params: dict[str, Any]) -> dict[str, Any]:
    wanted = set(params.get("ContactFlowTypes", ()))
    by_use = _types_by_use(api)
    flows = api.tb.switchboard.flows
    summaries = []
    for name in _names(api):
        kind = _type_of(api, name, by_use)
        if wanted and kind not in wanted:
            continue
        summaries.append({"Id": api.instance.id_of("contact-flow", name),
                          "Arn": api.instance.arn_of("contact-flow", name),
                          "Name": name, "ContactFlowType": kind, "ContactFlowState": "ACTIVE",
                          "ContactFlowStatus": "PUBLISHED" if name in flows else "SAVED"})
    return page(api, params, summaries, "ContactFlowSummaryList")


@operation("DescribeContactFlow")
def describe_contact_flow(api: Api, params: dict[str, Any]) -> dict[str, Any]:
    name, alias = _find(api, params["ContactFlowId"])
    source = api.tb.switchboard.flow_sources.get(name)
    flow = api.tb.switchboard.flows.get(name)
    if alias == SAVED and source is not None and source.saved is not None:
        content, status = source.saved, "SAVED"
    elif flow is None:
        raise ApiError("ContactFlowNotPublishedException",
                       f"flow {name!r} is saved, not published; describe "
                       f"{params['ContactFlowId']}:{SAVED} for its saved content")
    else:
        content, status = _content_of(api, name, flow), "PUBLISHED"
    described: dict[str, Any] = {
        "Arn": api.instance.arn_of("contact-flow", name),
        "Id": api.instance.id_of("contact-flow", name),
        "Name": name, "Type": _type_of(api, name), "State": "ACTIVE", "Status": status,
        "Content": content, "FlowContentSha256": _sha(content),
        "LastModifiedRegion": api.instance.region}
    if source is not None:
        if source.description is not None:
            described["Description"] = source.description
        if source.tags:
            described["Tags"] = dict(source.tags)
        described["LastModifiedTime"] = api.tb.wall(source.modified_s)
    return {"ContactFlow": described}


def _check_name(api: Api, name: str) -> None:
    if "/" in name or not name.strip():
        raise ApiError("InvalidParameterException",
                       f"Name {name!r}: the testbed's flow names must have a character other "
                       f"than a space and no '/' (flows name each other by the last part of "
                       f"an ARN)")
    if name in api.tb.switchboard.flows or name in api.tb.switchboard.flow_sources:
        raise ApiError("DuplicateResourceException", f"a flow named {name!r} exists already")


def _check_tags(tags: dict[str, str]) -> None:
    for key, value in tags.items():
        if key.startswith("aws:") or len(key) > 128 or len(value) > 256:
            raise ApiError("InvalidParameterException",
                           f"Tags: {key!r} is not allowed (keys of 1 to 128 characters, not "
                           f"starting with 'aws:'; values up to 256)")


@operation("CreateContactFlow")
def create_contact_flow(api: Api, params: dict[str, Any]) -> dict[str, Any]:
    name, content = params["Name"], params["Content"]
    _check_name(api, name)
    _check_tags(params.get("Tags", {}))
    source = FlowSource(name, params["Type"], None, description=params.get("Description"),
                        tags=params.get("Tags", {}), modified_s=api.tb.now)
    if params.get("Status") == "SAVED":
        _check_content(content)
        api.tb.switchboard.save_flow_source(replace(source, saved=content))
    else:
        flow = _compile(api, name, content)
        api.tb.switchboard.publish_flow(flow, replace(source, content=content))
    return {"ContactFlowId": api.instance.id_of("contact-flow", name),
            "ContactFlowArn": api.instance.arn_of("contact-flow", name),
            "FlowContentSha256": _sha(content)}


@operation("UpdateContactFlowContent")
def update_contact_flow_content(api: Api, params: dict[str, Any]) -> dict[str, Any]:
    name, alias = _find(api, params["ContactFlowId"])
    content = params["Content"]
    board = api.tb.switchboard
    source = board.flow_sources.get(name) or FlowSource(name, _type_of(api, name), None)
    if alias == SAVED:
        _check_content(content)
        board.save_flow_source(replace(source, saved=content, modified_s=api.tb.now))
        return {}
    flow = _compile(api, name, content)
    board.publish_flow(flow, replace(source, content=content, saved=None,
                                     modified_s=api.tb.now))
    return {}

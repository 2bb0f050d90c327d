"""The FlowHost side of the Switchboard for Connect's other actions.

Contact data and references (``$.External.x``), contact updates (tags,
recording, voice, routing priority, callback number), Lambda and Lex
stand-ins, hours of operation, tasks and transfers to outside numbers.
Each leaves its events in the log as it happens: UPDATED for record fields,
LAMBDA and BOT for each call, FLOW_ACTION for what no field shows.
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

from testbed.centre.contacts import Contact, ContactData, ContactState
from testbed.centre.switchboard_core import SwitchboardCore
from testbed.core.messages import Connected, Disconnected, Ringing, is_phone_number
from testbed.core.native import trait
from testbed.flows import Block, FlowRun, Participant
from testbed.flows.blocks import UpdateContact
from testbed.flows.lambdas import (
    LambdaContext,
    LambdaFailure,
    LambdaFunction,
    call,
    contact_flow_event,
    validate_response,
)
from testbed.flows.services import CreateTask, GetBotInput, InvokeLambda, TransferToPhone
from testbed.flows.values import dig, name_of, split_path, text_of
from testbed.records.contact_record import DisconnectReason, EventKind, InitiationMethod

# Enum members read on the hot path, as Final names: the compiled build reads
# these as constants (an enum class's attribute is a dictionary lookup there).
_API: Final = InitiationMethod.API
_BOT: Final = EventKind.BOT
_CONNECTED_TO_SYSTEM: Final = EventKind.CONNECTED_TO_SYSTEM
_CONTACT_FLOW_DISCONNECT: Final = DisconnectReason.CONTACT_FLOW_DISCONNECT
_FLOW_ACTION: Final = EventKind.FLOW_ACTION
_LAMBDA: Final = EventKind.LAMBDA
_PARTY_CUSTOMER: Final = Participant.CUSTOMER
_STATE_ENDED: Final = ContactState.ENDED
_STATE_IN_FLOW: Final = ContactState.IN_FLOW
_STATE_SCHEDULED: Final = ContactState.SCHEDULED
_STATE_THIRD_PARTY: Final = ContactState.THIRD_PARTY
_THIRD_PARTY_DISCONNECT: Final = DisconnectReason.THIRD_PARTY_DISCONNECT
_TRANSFERRED: Final = EventKind.TRANSFERRED
_UPDATED: Final = EventKind.UPDATED

__all__ = ["FlowServices"]

#: The (made-up) instance the testbed plays; ARNs in events and references use it.
DEFAULT_VOICE: Final = "Joanna"
DEFAULT_PRIORITY: Final = 5


@trait
class FlowServices:
    """FlowHost methods of the Switchboard beyond queues and prompts."""

    # -- contact data -------------------------------------------------------
    def _data(self: SwitchboardCore, contact: Contact) -> ContactData:
        data = contact.data
        if data is None:
            data = contact.data = ContactData()
        return data

    def contact_value(self: SwitchboardCore, contact: Contact, path: str) -> str | None:
        """The value of a reference for ``contact`` (see docs/flows.md for the list)."""
        try:
            parts = split_path(path)
        except ValueError:
            return None
        root, rest = parts[0], parts[1:]
        data = contact.data
        if root == "Attributes":
            return contact.attributes.get(rest[0]) if len(rest) == 1 else None
        if root == "External":
            return None if data is None else text_of(dig(data.external, rest))
        if root == "Lex":
            lex = None if data is None else data.lex
            return None if lex is None or not rest else lex.value(".".join(rest))
        if root == "FlowAttributes":
            return None if data is None or len(rest) != 1 else data.flow_attributes.get(rest[0])
        if root == "Metrics":
            return None if data is None else text_of(dig(data.metrics, rest))
        if root == "Tags":
            return None if data is None or len(rest) != 1 else data.tags.get(rest[0])
        if root == "References":
            return None if data is None else text_of(dig(data.references, rest))
        value = _CONTACT_VALUES.get(".".join(parts))
        return None if value is None else value(self, contact)

    def contact_data(self: SwitchboardCore, contact: Contact) -> dict[str, Any]:
        """``Details.ContactData`` of the event a Lambda gets, with Connect's names."""
        queue = contact.queue_name
        data = contact.data
        return {
            "Attributes": dict(contact.attributes),
            "Channel": _channel(self, contact),
            "ContactId": contact.id,
            "CustomerEndpoint": None if not contact.phone.number else {
                "Address": contact.phone.number, "Type": "TELEPHONE_NUMBER"},
            "CustomerId": None if data is None else data.customer_id,
            "Description": None if data is None else data.description,
            "InitialContactId": contact.initial_id,
            "InitiationMethod": str(contact.method),
            "InstanceARN": self.instance.arn,
            "LanguageCode": "en-US" if data is None else data.language_code,
            "MediaStreams": {"Customer": {"Audio": None}},
            "Name": None if data is None else data.name,
            "PreviousContactId": contact.previous_id,
            "Queue": None if queue is None else {"ARN": self.instance.arn_of("queue", queue),
                                                 "Name": queue, "OutboundCallerId": None},
            "References": {} if data is None else dict(data.references),
            "SystemEndpoint": None if contact.system_endpoint is None else {
                "Address": contact.system_endpoint, "Type": "TELEPHONE_NUMBER"},
        }

    def store_input(self: SwitchboardCore, contact: Contact, value: str) -> None:
        self._data(contact).stored_input = value

    def percent(self: SwitchboardCore) -> int:
        return self.percent_rng.randint(1, 100)

    def flow_action(self: SwitchboardCore, run: FlowRun, block: Block, detail: Any) -> None:
        action = getattr(block, "action", type(block).__name__)
        self._log(run.contact.id, _FLOW_ACTION, (run.flow.name, block.id, action, detail))

    # -- contact updates -----------------------------------------------------
    def update_contact(self: SwitchboardCore, run: FlowRun, block: UpdateContact,
                       values: dict[str, Any]) -> str | None:
        contact: Contact = run.contact
        data = self._data(contact)
        action = block.action
        fields: list[tuple[str, Any]] = []
        if action == "TagContact":
            tags = values.get("Tags")
            if not isinstance(tags, dict) or any(k.startswith("aws:") for k in tags):
                return "NoMatchingError"
            data.tags.update({str(k): str(v) for k, v in tags.items()})
            fields.append(("Tags", dict(data.tags)))
        elif action == "UnTagContact":
            for key in values.get("TagKeys") or ():
                data.tags.pop(str(key), None)
            fields.append(("Tags", dict(data.tags)))
        elif action == "UpdateContactData":
            for key in ("Name", "Description"):
                if values.get(key) is not None:
                    setattr(data, key.lower(), str(values[key]))
                    fields.append((key, str(values[key])))
            if values.get("LanguageCode"):
                data.language_code = str(values["LanguageCode"])
            if values.get("CustomerId"):
                data.customer_id = str(values["CustomerId"])
            if isinstance(values.get("References"), dict):
                data.references.update(values["References"])
        elif action == "UpdateContactTextToSpeechVoice":
            data.voice = str(values.get("TextToSpeechVoice") or DEFAULT_VOICE)
        elif action == "UpdateFlowAttributes":
            attributes = values.get("FlowAttributes")
            if not isinstance(attributes, dict):
                return "NoMatchingError"
            for key, value in attributes.items():
                value = value.get("Value") if isinstance(value, dict) else value
                data.flow_attributes[str(key)] = "" if value is None else str(value)
        elif action == "UpdateContactCallbackNumber":
            number = values.get("CallbackNumber")
            if not isinstance(number, str) or not is_phone_number(number):
                return "InvalidCallbackNumber"
            data.callback_number = number
        elif action == "UpdateContactRoutingBehavior":
            error = self._set_routing(contact, values)
            if error is not None:
                return error
        elif action in ("UpdateContactRecordingBehavior",
                        "UpdateContactRecordingAndAnalyticsBehavior"):
            fields.extend(_recording_fields(values))
        elif action == "GetMetricData":
            metrics = self._queue_metrics(contact, values.get("QueueId"))
            if metrics is None:
                return "NoMatchingError"
            data.metrics = metrics
        if fields:
            self._log(contact.id, _UPDATED, tuple(fields))
        else:
            self.flow_action(run, block, values)
        return None

    def _set_routing(self: SwitchboardCore, contact: Contact,
                     values: dict[str, Any]) -> str | None:
        try:
            if "QueuePriority" in values:
                priority = int(values["QueuePriority"])
                if priority < 1:
                    return "NoMatchingError"
                contact.priority = priority
            elif "QueueTimeAdjustmentSeconds" in values:
                contact.age_adjust_s = float(values["QueueTimeAdjustmentSeconds"])
            else:
                return None  # routing proficiencies: not simulated
        except (TypeError, ValueError):
            return "NoMatchingError"
        queue = contact.queue
        if queue is not None:  # waiting now: take the new place in line
            queue.remove(contact)
            queue.add(contact)
            self._route_queue(queue)
        return None

    def _queue_metrics(self: SwitchboardCore, contact: Contact,
                       queue_ref: Any) -> dict[str, Any] | None:
        name = name_of(str(queue_ref)) if queue_ref else contact.queue_name
        queue = self.queues.get(name or "")
        if queue is None:
            return None
        def count(metric: str) -> str:
            value = self.queue_metric(contact, metric, queue.name)
            return f"{value or 0:g}"
        return {"Queue": {"Name": queue.name, "ARN": self.instance.arn_of("queue", queue.name),
                          "Size": count("NumberOfContactsInQueue"),
                          "OldestContactAge": count("OldestContactInQueueAgeSeconds")},
                "Agents": {"Online": {"Count": count("NumberOfAgentsOnline")},
                           "Available": {"Count": count("NumberOfAgentsAvailable")},
                           "Staffed": {"Count": count("NumberOfAgentsStaffed")}}}

    # -- hours of operation --------------------------------------------------
    def hours_open(self: SwitchboardCore, contact: Contact, hours: str | None) -> bool | None:
        if hours is None:
            queue = self.queues.get(contact.queue_name or "")
            hours = None if queue is None else queue.hours
            if hours is None:
                return None
        found = self.hours.get(name_of(hours))
        return None if found is None else found.is_open(self.clock.wall())

    # -- Lambda ----------------------------------------------------------------
    def invoke_lambda(self: SwitchboardCore, run: FlowRun, block: InvokeLambda,
                      parameters: dict[str, str]) -> None:
        name = run.text(block.function)
        function = self.lambdas.get(name)
        contact: Contact = run.contact
        if function is None:
            self._log(contact.id, _LAMBDA, {"function": name, "parameters": parameters,
                                              "duration_s": 0.0,
                                              "error": f"no Lambda function {name!r} is known"})
            self.call_later(0, run.proceed, "NoMatchingError")
            return
        job = asyncio.ensure_future(self._run_lambda(run, block, function, name, parameters))
        self.jobs.add(job)
        job.add_done_callback(self.jobs.discard)
        if block.invocation_type == "ASYNCHRONOUS":
            data = self._data(contact)
            data.invocation_id = f"{contact.id}-{data.invocations}"
            data.invocations += 1
            self.call_later(0, run.proceed)

    async def _run_lambda(self: SwitchboardCore, run: FlowRun, block: InvokeLambda,
                          function: LambdaFunction, name: str,
                          parameters: dict[str, str]) -> None:
        contact: Contact = run.contact
        started = self._now()
        limit = block.time_limit_s
        context = LambdaContext(name, now=self._now, deadline_s=started + limit,
                                rng=self.lambda_rng, log_date=self.clock.wall().date())
        event = contact_flow_event(self.contact_data(contact), parameters)
        error: str | None = None
        response: dict[str, Any] = {}
        try:
            async with asyncio.timeout(limit):  # testbed seconds
                raw = await call(function, event, context, time_limit_s=limit)
                if function.latency_s > 0:
                    await asyncio.sleep(function.latency_s)
            response = validate_response(raw, block.response_type, name=function.name)
        except TimeoutError:
            error = f"no answer within InvocationTimeLimitSeconds ({limit:g} s)"
        except LambdaFailure as exc:
            error = str(exc)
        entry: dict[str, Any] = {"function": name, "parameters": parameters,
                                 "duration_s": round(self._now() - started, 3)}
        if error is None:
            entry["response"] = response
        else:
            entry["error"] = error
        self._log(contact.id, _LAMBDA, entry)
        if block.invocation_type == "ASYNCHRONOUS" or run.done or run.block is not block:
            return
        if error is not None:
            run.proceed("NoMatchingError")
            return
        self._data(contact).external = response
        run.proceed()

    # -- Lex -------------------------------------------------------------------
    def recognize(self: SwitchboardCore, run: FlowRun, block: GetBotInput,
                  text: str) -> str | None:
        name = run.text(block.bot)
        bot = self.bots.get(name)
        contact: Contact = run.contact
        if bot is None:
            self._log(contact.id, _BOT, {"bot": name, "input": text,
                                           "error": f"no bot {name!r} is known"})
            return None
        session = {key: run.text(value) for key, value in block.session_attributes.items()}
        result = bot.recognize(text, session)
        self._data(contact).lex = result
        self._log(contact.id, _BOT, {"bot": name, "input": text,
                                       "intent": result.intent_name,
                                       "slots": dict(result.slots)})
        return result.intent_name

    # -- tasks -------------------------------------------------------------------
    def create_task(self: SwitchboardCore, run: FlowRun, block: CreateTask,
                    values: dict[str, Any]) -> str | None:
        flow = self.flows.get(values["flow"])
        if flow is None:
            return "NoMatchingError"
        creator: Contact = run.contact
        task = self._new_contact(_API, self.task_phone, system=None)
        task.customer_on_line = False
        task.related_id = creator.id
        data = self._data(task)
        data.name, data.description = values["name"], values["description"]
        fields: list[tuple[str, Any]] = [
            ("Channel", "TASK"), ("RelatedContactId", creator.id), ("Name", data.name),
            ("Description", data.description or None)]
        if block.delay_s > 0:
            fields.append(("ScheduledTimestamp", self._now() + block.delay_s))
        self._log(task.id, _UPDATED, tuple(fields))
        if values["attributes"]:
            self.set_attributes(task, dict(values["attributes"]))
        if block.delay_s > 0:
            task.state = _STATE_SCHEDULED
            task.timer = self.call_later(block.delay_s, self._start_task, task, flow.name)
        else:
            self.call_later(0, self._start_task, task, flow.name)
        return None

    def _start_task(self: SwitchboardCore, task: Contact, flow_name: str) -> None:
        task.timer = None
        if task.state is _STATE_ENDED:
            return
        task.state = _STATE_IN_FLOW
        self._log(task.id, _CONNECTED_TO_SYSTEM)
        self._run_flow(task, self.flows[flow_name], _PARTY_CUSTOMER)

    # -- transfer to an outside number -----------------------------------------------
    def transfer_to_phone(self: SwitchboardCore, run: FlowRun, block: TransferToPhone,
                          number: str) -> None:
        contact: Contact = run.contact
        if not is_phone_number(number):
            self.flow_action(run, block, f"{number!r} is not an E.164 phone number")
            self.call_later(0, self._third_party_failed, run, block, "CallFailed")
            return
        contact.timer = self.call_later(block.timeout_s, self._third_party_failed, run, block,
                                        "ConnectionTimeLimitExceeded")
        self._ring_third_party(contact, number,
                               run.text(block.caller_id) if block.caller_id else None)

    def _ring_third_party(self: SwitchboardCore, contact: Contact, number: str,
                          caller_id: str | None = None) -> None:
        """Ring the outside ``number`` for ``contact`` (a caller connected with it may
        answer; the caller id shown is ``caller_id`` or the number the customer dialled)."""
        third = self.phones.get(number)
        contact.third = third
        contact.third_number = number
        if third is not None:
            third.legs[contact.id] = contact
            third.line.send(Ringing(contact.id, caller_id or contact.system_endpoint or ""))

    def _third_party_failed(self: SwitchboardCore, run: FlowRun, block: TransferToPhone,
                            error: str) -> None:
        contact: Contact = run.contact
        contact.timer = None
        self._drop_third_party(contact, "NO_ANSWER")
        if run.done or run.block is not block:
            return
        if block.continue_flow:
            run.proceed(error)
        else:
            run.stop()
            contact.run = None
            self._end(contact, _CONTACT_FLOW_DISCONNECT)

    def _third_party_answered(self: SwitchboardCore, contact: Contact) -> None:
        run = contact.run  # None: an agent's transfer (no flow waits for it)
        third = contact.third
        assert third is not None and contact.third_number is not None
        contact.cancel_timer()
        contact.state = _STATE_THIRD_PARTY
        self._log(contact.id, _TRANSFERRED, contact.third_number)
        third.line.send(Connected(contact.id, contact.phone.number))
        contact.phone.line.send(Connected(contact.id, contact.third_number))
        if run is not None:
            block = run.block
            assert isinstance(block, TransferToPhone)
            if not block.continue_flow:
                run.stop()
                contact.run = None

    def _third_party_hung_up(self: SwitchboardCore, contact: Contact) -> None:
        """The outside party left: back to the flow (ContinueFlowExecution), or the end."""
        run = contact.run
        self._drop_third_party(contact, str(_THIRD_PARTY_DISCONNECT))
        if run is None:
            self._end(contact, _THIRD_PARTY_DISCONNECT)
            return
        contact.state = _STATE_IN_FLOW
        run.proceed()

    def _drop_third_party(self: SwitchboardCore, contact: Contact, reason: str) -> None:
        """Let the outside party's line go (it hears ``reason``)."""
        third = contact.third
        contact.third = None
        if third is not None and third.legs.pop(contact.id, None) is not None:
            third.line.send(Disconnected(contact.id, reason))


def _recording_fields(values: dict[str, Any]) -> list[tuple[str, Any]]:
    """Recording and ContactLens record fields from a recording-behavior action."""
    voice = values.get("VoiceBehavior") or {}
    recording = values.get("RecordingBehavior") or voice.get("VoiceRecordingBehavior") or {}
    analytics = values.get("AnalyticsBehavior") or voice.get("VoiceAnalyticsBehavior") or {}
    fields: list[tuple[str, Any]] = []
    participants = recording.get("RecordedParticipants")
    if participants is not None:
        fields.append(("Recording", None if not participants else {
            "Type": "AUDIO", "Status": "AVAILABLE", "Location": None,
            "RecordedParticipants": list(participants),
            "IVRRecordingBehavior": recording.get("IVRRecordingBehavior", "Disabled")}))
    if analytics:
        enabled = str(analytics.get("Enabled", "False")).lower() == "true"
        modes = analytics.get("AnalyticsModes") or (
            (analytics.get("ChannelConfiguration") or {}).get("Voice") or {}
        ).get("AnalyticsModes") or []
        fields.append(("ContactLens", None if not enabled else {"ConversationalAnalytics": {
            "Configuration": {"Enabled": True, "ChannelConfiguration": {"AnalyticsModes":
                                                                        list(modes)},
                              "LanguageLocale": analytics.get("AnalyticsLanguage", "en-US")}}}))
    return fields


def _channel(sb: SwitchboardCore, contact: Contact) -> str:
    """The contact's Channel: TASK for a contact of the task line (CreateTask,
    StartTaskContact and their transfers), VOICE for a caller's (an outbound call
    the API started is InitiationMethod API too)."""
    return "TASK" if contact.phone is sb.task_phone else "VOICE"


def _voice(_sb: Any, contact: Contact) -> str | None:
    data = contact.data
    return DEFAULT_VOICE if data is None or data.voice is None else data.voice


_CONTACT_VALUES: Final[dict[str, Any]] = {
    "Queue.Name": lambda sb, c: c.queue_name,
    "Queue.ARN": lambda sb, c: None if c.queue_name is None
    else sb.instance.arn_of("queue", c.queue_name),
    "CustomerEndpoint.Address": lambda sb, c: c.phone.number or None,
    "CustomerEndpoint.Type": lambda sb, c: "TELEPHONE_NUMBER" if c.phone.number else None,
    "SystemEndpoint.Address": lambda sb, c: c.system_endpoint,
    "SystemEndpoint.Type": lambda sb, c: "TELEPHONE_NUMBER" if c.system_endpoint else None,
    "Channel": _channel,
    "ContactId": lambda sb, c: c.id,
    "InitialContactId": lambda sb, c: c.initial_id,
    "PreviousContactId": lambda sb, c: c.previous_id,
    "InitiationMethod": lambda sb, c: str(c.method),
    "StoredCustomerInput": lambda sb, c: None if c.data is None else c.data.stored_input,
    "TextToSpeechVoiceId": _voice,
    "LanguageCode": lambda sb, c: "en-US" if c.data is None else c.data.language_code,
    "Name": lambda sb, c: None if c.data is None else c.data.name,
    "Description": lambda sb, c: None if c.data is None else c.data.description,
    "CustomerId": lambda sb, c: None if c.data is None else c.data.customer_id,
    "InstanceARN": lambda sb, c: sb.instance.arn,
    "AwsRegion": lambda sb, c: sb.instance.region,
    "LambdaInvocation.InvocationId": lambda sb, c: None if c.data is None
    else c.data.invocation_id,
}


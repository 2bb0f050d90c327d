"""The wire codec: round trips, and bad input named precisely."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from testbed import ProtocolError
from testbed.core.messages import (
    MAX_MESSAGE_BYTES,
    MAX_TEXT_CHARS,
    Ack,
    Answer,
    Dial,
    Error,
    Offered,
    Prompt,
    Say,
    SendDigits,
)
from testbed.core.wire import decode, encode

text = st.text(max_size=200)
seconds = st.floats(min_value=0, max_value=1e6, allow_nan=False)
messages = st.one_of(
    st.builds(Dial, to=text),
    st.builds(SendDigits, contact_id=text, digits=text),
    st.builds(Say, contact_id=text, text=st.text(min_size=1, max_size=200).filter(str.strip)),
    st.builds(Prompt, contact_id=text, text=text, duration_s=seconds,
              collects_input=st.booleans()),
    st.builds(Offered, contact_id=text, queue=text, initiation_method=text, timeout_s=seconds),
    st.builds(Error, code=text, detail=text, field=st.none() | text,
              contact_id=st.none() | text),
)


@given(messages)
def test_every_message_survives_a_round_trip(message: object) -> None:
    assert decode(encode(message)) == message  # type: ignore[arg-type]


@given(st.dictionaries(st.text(max_size=20), st.none() | st.booleans() | st.integers()
                       | st.floats() | st.text(max_size=50), max_size=6))
def test_arbitrary_objects_decode_or_fail_with_protocol_error(body: dict[str, object]) -> None:
    with contextlib.suppress(ProtocolError):
        decode(json.dumps(body))


@pytest.mark.parametrize(("wire", "field", "says"), [
    ('{"type": "dial"', None, "malformed JSON"),
    ('[1, 2]', None, "must be a JSON object"),
    ('{"type": "teleport"}', "type", "unknown message type 'teleport'"),
    ('{"type": "dial"}', "to", "missing field 'to'"),
    ('{"type": "dial", "to": 42}', "to", "field 'to' must be a string, got 42"),
    ('{"type": "prompt", "contact_id": "c", "text": "t", "duration_s": "10"}', "duration_s",
     "must be a number"),
    ('{"type": "dial", "to": "1", "colour": "red"}', "colour", "unknown field 'colour'"),
    ('{"v": 9, "type": "dial", "to": "1"}', "v", "unsupported protocol version 9"),
    ('{"type": "say", "text": "hello"}', "contact_id", "say: missing field 'contact_id'"),
    ('{"type": "say", "contact_id": "c"}', "text", "say: missing field 'text'"),
    ('{"type": "say", "contact_id": "c", "text": 42}', "text",
     "field 'text' must be a string, got 42"),
    ('{"type": "say", "contact_id": 7, "text": "hi"}', "contact_id",
     "field 'contact_id' must be a string, got 7"),
    ('{"type": "say", "contact_id": "c", "text": ""}', "text",
     "say: field 'text' must not be empty"),
    ('{"type": "say", "contact_id": "c", "text": " \\t\\n"}', "text",
     "say: field 'text' must not be empty"),
    ('{"type": "say", "contact_id": "c", "text": "hi", "lang": "en"}', "lang",
     "unknown field 'lang'"),
])
def test_bad_input_names_the_field_and_value(wire: str, field: str | None, says: str) -> None:
    with pytest.raises(ProtocolError, match=None) as info:
        decode(wire)
    assert says in str(info.value)
    assert info.value.field == field


def test_said_text_may_be_as_long_as_the_text_limit_and_no_longer() -> None:
    longest = Say("c1", "a" * MAX_TEXT_CHARS)
    assert decode(encode(longest)) == longest
    with pytest.raises(ProtocolError, match="'text' is 4097 characters, over the limit") as info:
        decode(encode(Say("c1", "a" * (MAX_TEXT_CHARS + 1))))
    assert info.value.field == "text"


def test_say_is_a_caller_message_on_the_wire() -> None:
    wire = encode(Say("c1", "I want to check my balance"), t=12.5)
    assert json.loads(wire) == {"v": 1, "type": "say", "t": 12.5, "contact_id": "c1",
                                "text": "I want to check my balance"}


def test_oversized_message_is_refused_before_parsing() -> None:
    wire = json.dumps({"type": "dial", "to": "x" * MAX_MESSAGE_BYTES})
    with pytest.raises(ProtocolError, match="over the limit of 65536"):
        decode(wire)


def test_messages_compare_hash_and_show_by_their_fields() -> None:
    from testbed.core.messages import AgentStatus, Hangup

    # Defaults, keywords and positions as __init__ declares them.
    assert AgentStatus("Busy") == AgentStatus(state="Busy", contact_id=None)
    assert Error("bad", "why", contact_id="c1") == Error("bad", "why", None, "c1")
    assert Error("bad", "why") != Error("bad", "why", "f")
    assert Hangup("c1") != Answer("c1")  # same fields, another message
    assert Hangup("c1") != "c1"
    assert hash(Hangup("c1")) == hash(Hangup("c1"))
    assert len({Hangup("c1"), Hangup("c1"), Answer("c1")}) == 2
    assert repr(Prompt("c1", "Hello", 2.0)) == (
        "Prompt(contact_id='c1', text='Hello', duration_s=2.0, collects_input=False, "
        "voice=None)")
    assert repr(Ack()) == "Ack()" and Ack() == Ack()
    with pytest.raises(TypeError):
        Dial()  # type: ignore[call-arg]


def test_the_wire_types_agree_with_the_declared_fields() -> None:
    # The codec reads a field's JSON type from its name and __init__'s default (the
    # compiled build keeps no annotations); here they are checked against the source.
    import ast

    from testbed.core import messages
    from testbed.core.wire import MESSAGE_TYPES, wire_fields

    as_json: dict[str, tuple[type, ...]] = {"str": (str,), "float": (float, int), "bool": (bool,)}
    source = (Path(__file__).parents[1] / "testbed" / "core" / "messages.py").read_text()
    declared: dict[str, list[tuple[str, tuple[type, ...]]]] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef) and node.name != "Message":
            declared[node.name] = []
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and "Final" in ast.unparse(item.annotation):
                    assert isinstance(item.target, ast.Name)
                    inner = ast.unparse(item.annotation)[len("Final["):-1]
                    accepted = as_json[inner.removesuffix(" | None")]
                    if inner.endswith(" | None"):
                        accepted = (*accepted, type(None))
                    declared[node.name].append((item.target.id, accepted))
    assert sorted(declared) == sorted(cls.__name__ for cls in MESSAGE_TYPES.values())
    for cls in MESSAGE_TYPES.values():
        assert getattr(messages, cls.__name__) is cls
        specs = {name: accepted for name, accepted, _required in wire_fields(cls)}
        assert specs == dict(declared[cls.__name__]), cls.__name__


def test_records_keep_their_dataclass_manners() -> None:
    from dataclasses import FrozenInstanceError, dataclass, field
    from datetime import UTC, datetime

    from testbed.core.frozen import quick_init
    from testbed.records.contact_record import ContactRecord, InitiationMethod

    start = datetime(2022, 4, 8, 11, 35, tzinfo=UTC)
    one = ContactRecord("c1", InitiationMethod.INBOUND, start)
    with pytest.raises(FrozenInstanceError):
        one.contact_id = "c2"  # type: ignore[misc]
    two = ContactRecord("c2", InitiationMethod.INBOUND, start)
    assert one.attributes == {} and one.attributes is not two.attributes  # a factory each
    assert one.channel == "VOICE" and one.queue is None

    with pytest.raises(TypeError, match="__post_init__"):
        @quick_init
        @dataclass(frozen=True, slots=True)
        class Checked:
            n: int

            def __post_init__(self) -> None: ...

    @quick_init
    @dataclass(frozen=True, slots=True)
    class Bag:
        items: list[int] = field(default_factory=list)

    assert Bag().items == [] and Bag([1]).items == [1]

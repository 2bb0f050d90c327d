"""Lex V2 bot stand-ins, and callers who speak to them."""

from __future__ import annotations

import asyncio
import re
import string
from collections.abc import Callable, Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fakes import MockCaller
from testbed import ConfigError, LineEnd, Testbed, line_pair
from testbed.core.messages import CallStarted, Connected, Message, Say
from testbed.flows.lex import (
    FALLBACK_INTENT,
    Bot,
    BotRegistry,
    Intent,
    LexResult,
    Slot,
    SlotKind,
    bot_name,
)

from .conftest import JOHN

ALIAS_ARN = "arn:aws:lex:us-east-1:111122223333:bot-alias/BOTID1234/ALIASID12"


def banking() -> Bot:
    return Bot.of("Banking", {
        "CheckBalance": ["check my balance", "what is my {Account} balance",
                         "balance of my {Account} please"],
        "PayBill": ["pay {Amount} dollars to {Payee}", "pay my {Payee} bill"],
        "Transfer": ["move {Amount} from {Account} to savings"],
        "LeaveNote": ["leave a note saying {Note}"],
        "SpeakToAgent": ["agent", "speak to a person"],
    }, slots={
        "Account": ["checking=current|cheque account", "credit card=card", "mortgage"],
        "Payee": ["electric=power|electricity company", "water", "gas company=gas"],
        "Amount": "AMAZON.Number",
        "Note": "AMAZON.FreeFormInput",
    })


BANKING = banking()


# -- simple matching ------------------------------------------------------------
def test_an_utterance_said_matches_whatever_the_case_punctuation_and_spacing() -> None:
    result = banking().recognize("  Check MY balance, please?! ".replace(", please", ""))
    assert result == LexResult("CheckBalance", {}, 1.0, "Fulfilled", {})


def test_custom_slot_synonyms_resolve_to_their_value() -> None:
    bot = banking()
    assert bot.recognize("What is my cheque account balance?").slots == {"Account": "checking"}
    assert bot.recognize("pay my Power bill").slots == {"Payee": "electric"}
    assert bot.recognize("pay my water bill").slots == {"Payee": "water"}


@pytest.mark.parametrize(("said", "amount"), [
    ("25", "25"),
    ("1,250", "1250"),
    ("19.99", "19.99"),
    ("zero", "0"),
    ("twenty-five", "25"),
    ("a hundred and five", "105"),
    ("two thousand and twelve", "2012"),
    ("one million three hundred thousand", "1300000"),
])
def test_number_slots_take_digits_or_number_words_and_give_digits(said: str,
                                                                  amount: str) -> None:
    result = banking().recognize(f"pay {said} dollars to gas")
    assert result.intent_name == "PayBill"
    assert result.slots == {"Amount": amount, "Payee": "gas company"}


@pytest.mark.parametrize("said", ["pay twenty twenty dollars to gas",
                                  "pay hundred dollars to gas",
                                  "pay five and dollars to gas"])
def test_words_that_are_no_number_do_not_fill_a_number_slot(said: str) -> None:
    assert banking().recognize(said).confidence < 1.0


def test_free_form_slots_keep_the_text_as_said() -> None:
    result = banking().recognize("Leave a note saying: call me back after 5, OK?")
    assert result.intent_name == "LeaveNote"
    assert result.slots == {"Note": "call me back after 5, OK"}


def test_slots_fill_from_the_left_taking_the_fewest_words_that_fit() -> None:
    bot = Bot.of("Notes", {"Note": ["note {Text} for {Who}"]},
                 slots={"Text": "AMAZON.FreeFormInput", "Who": ["me", "the team=team"]})
    assert bot.recognize("note lunch for two for the team").slots == {
        "Text": "lunch for two", "Who": "the team"}


def test_a_near_miss_scores_the_overlap_of_content_words() -> None:
    bot = banking()
    # {pay, {Payee}, bill, today} against "pay my {Payee} bill": 3 of 4.
    result = bot.recognize("I'd like to pay my power bill today")
    assert result == LexResult("PayBill", {"Payee": "electric"}, 0.75, "Fulfilled", {})
    # Only stop words differ: as close as a near miss gets, but not exact.
    assert bot.recognize("check balance").confidence == 0.99


def test_below_min_confidence_the_bot_falls_back() -> None:
    bot = Bot.of("Strict", {"CheckBalance": ["check my balance"]}, min_confidence=1.0)
    assert bot.recognize("check balance").intent_name == FALLBACK_INTENT
    assert bot.recognize("check my balance").intent_name == "CheckBalance"
    usual = Bot.of("Usual", {"CheckBalance": ["check my balance"]})  # min_confidence 0.5
    assert usual.recognize("check my balance and savings history").confidence == 0.5
    assert usual.recognize("check my loan history").intent_name == FALLBACK_INTENT  # 1 of 4
    lenient = Bot.of("Lenient", {"CheckBalance": ["check my balance"]}, min_confidence=0.2)
    assert lenient.recognize("check my loan history").confidence == 0.25


def test_text_the_bot_does_not_understand_is_fallback_intent() -> None:
    for said in ("Tell me a joke", "", "?!", "the my to"):
        assert banking().recognize(said, {"callId": "c1"}) == LexResult(
            FALLBACK_INTENT, {}, 0.0, "Failed", {"callId": "c1"})


def test_ties_go_to_the_intent_defined_first() -> None:
    bot = Bot.of("Tied", {"First": ["open account"], "Second": ["close account"]})
    assert bot.recognize("account").intent_name == "First"  # 1 of 2 words each
    assert Bot.of("Tied", {"Second": ["close account"], "First": ["open account"]}) \
        .recognize("account").intent_name == "Second"


def test_intents_and_slots_can_be_given_in_full() -> None:
    bot = Bot("Banking", [
        Intent("CheckBalance", ("check my {Account} balance",),
               (Slot("Account", ("checking=current",)),)),
        Intent("Callback", ("call me back at {Hour}",), (Slot("Hour", kind=SlotKind.NUMBER),)),
    ])
    assert bot.recognize("check my current balance").slots == {"Account": "checking"}
    assert bot.recognize("call me back at three").slots == {"Hour": "3"}
    assert [intent.name for intent in bot.intents] == ["CheckBalance", "Callback"]


def test_the_module_example_reads_as_documented() -> None:
    bot = Bot.of("Banking", {
        "CheckBalance": ["check my balance", "what is my balance"],
        "PayBill": ["pay {Amount} dollars", "pay my {Bill} bill"],
    }, slots={"Amount": "AMAZON.Number", "Bill": ["electric=power|electricity", "water"]})
    paid = bot.recognize("Pay twenty-five dollars!")
    assert (paid.intent_name, paid.slots, paid.confidence) == ("PayBill", {"Amount": "25"}, 1.0)
    near = bot.recognize("I'd like to pay my power bill today")
    assert (near.intent_name, near.slots, near.confidence) == (
        "PayBill", {"Bill": "electric"}, 0.75)
    assert bot.recognize("Tell me a joke").intent_name == FALLBACK_INTENT


# -- what a flow reads: $.Lex.* -----------------------------------------------------
def test_a_result_gives_each_lex_path_as_flow_text() -> None:
    result = LexResult("PayBill", {"Amount": "25"}, 0.75, "Fulfilled",
                       {"callId": "c1", "odd key": "x"}, "POSITIVE",
                       {"Positive": 0.9, "Negative": 0.02, "Neutral": 0.07, "Mixed": 0.01})
    assert {path: result.value(path) for path in [
        "IntentName", "DialogState", "IntentConfidence.Score", "Slots.Amount",
        "$.Lex.Slots.Amount", "Slots.Payee", "SessionAttributes.callId",
        "SessionAttributes.['odd key']", "SentimentResponse.Label",
        "SentimentResponse.Scores.Positive", "SentimentResponse.Scores.Sad", "Nonsense",
    ]} == {
        "IntentName": "PayBill", "DialogState": "Fulfilled", "IntentConfidence.Score": "0.75",
        "Slots.Amount": "25", "$.Lex.Slots.Amount": "25", "Slots.Payee": None,
        "SessionAttributes.callId": "c1", "SessionAttributes.['odd key']": "x",
        "SentimentResponse.Label": "POSITIVE", "SentimentResponse.Scores.Positive": "0.9",
        "SentimentResponse.Scores.Sad": None, "Nonsense": None,
    }
    assert LexResult(FALLBACK_INTENT, {}, 0.0, "Failed", {}).value(
        "SentimentResponse.Label") is None


def test_the_flows_session_attributes_come_back() -> None:
    result = banking().recognize("agent", {"callerNumber": JOHN})
    assert result.session_attributes == {"callerNumber": JOHN}
    assert result.value("SessionAttributes.callerNumber") == JOHN


# -- bots of your own -----------------------------------------------------------
def test_a_recognizer_may_answer_with_an_intent_name_or_none() -> None:
    def recognizer(text: str, attributes: Mapping[str, str]) -> str | None:
        return "SpeakToAgent" if "human" in text else None

    bot = Bot("Desk", recognizer=recognizer)
    assert bot.recognize("a human please", {"k": "v"}) == LexResult(
        "SpeakToAgent", {}, 1.0, "Fulfilled", {"k": "v"})
    assert bot.recognize("hello").intent_name == FALLBACK_INTENT


def test_a_recognizer_result_keeps_its_own_session_attributes_on_top_of_the_flows() -> None:
    seen: list[Mapping[str, str]] = []

    def recognizer(text: str, attributes: Mapping[str, str]) -> LexResult:
        seen.append(attributes)
        return LexResult("Book", {"Day": text.split()[-1]}, 0.8, "Fulfilled",
                         {"lang": "en", "tier": "gold"})

    result = Bot("Booker", recognizer=recognizer).recognize(
        "book Monday", {"tier": "silver", "callId": "c1"})
    assert seen == [{"tier": "silver", "callId": "c1"}]
    assert result == LexResult("Book", {"Day": "Monday"}, 0.8, "Fulfilled",
                               {"tier": "gold", "callId": "c1", "lang": "en"})


@pytest.mark.parametrize(("answer", "says"), [
    (42, "recognizer returned 42; expected a LexResult, an intent name or None"),
    ("", "recognizer returned an empty intent name"),
    (LexResult("X", {}, 1.5, "Fulfilled", {}), "confidence 1.5 for intent 'X'"),
])
def test_a_recognizer_answer_that_makes_no_sense_is_a_config_error(answer: object,
                                                                   says: str) -> None:
    bot = Bot("Odd", recognizer=lambda text, attributes: answer)  # type: ignore[arg-type,return-value]
    with pytest.raises(ConfigError, match=re.escape(says)) as info:
        bot.recognize("hello")
    assert "bot 'Odd'" in str(info.value)


def test_a_sentiment_function_labels_what_the_caller_says() -> None:
    def sentiment(text: str) -> tuple[str, Mapping[str, float]] | str:
        if "thanks" in text:
            return "POSITIVE", {"Positive": 0.97, "Negative": 0.01}
        return "NEUTRAL"

    bot = Bot("Moody", recognizer=lambda text, attributes: None, sentiment=sentiment)
    happy = bot.recognize("thanks a lot")
    assert happy.value("SentimentResponse.Label") == "POSITIVE"
    assert happy.value("SentimentResponse.Scores.Positive") == "0.97"
    assert bot.recognize("meh").sentiment_scores is None
    with pytest.raises(ConfigError, match="sentiment label 'HAPPY' is not one of POSITIVE"):
        Bot("Moody", sentiment=lambda text: "HAPPY").recognize("hi")


# -- definitions ----------------------------------------------------------------
@pytest.mark.parametrize(("make", "says"), [
    (lambda: Bot("B", [Intent("A", ("hi",)), Intent("A", ("hello",))]),
     "bot 'B': intent 'A' is defined twice"),
    (lambda: Bot.of("B", {"Pay": ["pay {Amount}"]}),
     "bot 'B': intent 'Pay': utterance 'pay {Amount}' names slot 'Amount', which the intent "
     "does not have"),
    (lambda: Bot.of("B", {"Hi": ["hello", "  ?! "]}),
     "bot 'B': intent 'Hi': utterance '  ?! ' is empty"),
    (lambda: Bot.of("B", {"Hi": []}), "bot 'B': intent 'Hi' has no utterances"),
    (lambda: Bot.of("B", {"Hi": ["pay {Amount"]}),
     "bot 'B': intent 'Hi': utterance 'pay {Amount' has an unmatched brace"),
    (lambda: Bot.of("B", {"Hi": ["{A} and {A}"]}, slots={"A": ["x"]}),
     "utterance '{A} and {A}' names slot 'A' twice"),
    (lambda: Bot.of("B", {"One": ["check balance"], "Two": ["Check balance!"]}),
     "bot 'B': intent 'Two': utterance 'Check balance!' is an utterance of intent 'One' too"),
    (lambda: Bot.of("B", {FALLBACK_INTENT: ["hmm"]}),
     "bot 'B': intent 'FallbackIntent' is built in"),
    (lambda: Bot.of("B", {"Pay": ["pay {Amount}"]}, slots={"Amount": "AMAZON.Date"}),
     "bot 'B': intent 'Pay': slot 'Amount': 'AMAZON.Date' is not a slot type"),
    (lambda: Bot("B", [Intent("Pay", ("pay {A}",), (Slot("A", kind="AMAZON.Date"),))]),
     "bot 'B': intent 'Pay': slot 'A' has unknown type 'AMAZON.Date'; known: custom, "
     "AMAZON.Number, AMAZON.FreeFormInput"),
    (lambda: Bot.of("B", {"Pay": ["pay {Payee}"]}, slots={"Payee": []}),
     "bot 'B': intent 'Pay': custom slot 'Payee' has no values"),
    (lambda: Bot.of("B", {"Pay": ["pay {Payee}"]}, slots={"Payee": ["gas", "power=gas"]}),
     "bot 'B': intent 'Pay': slot 'Payee': 'gas' in 'power=gas' is value 'gas' already"),
    (lambda: Bot.of("B", {"Pay": ["pay {Payee}"]}, slots={"Payee": ["gas=|fuel"]}),
     "bot 'B': intent 'Pay': slot 'Payee': value 'gas=|fuel' has an empty value or synonym"),
    (lambda: Bot("B", [Intent("Pay", ("pay {A}",), (Slot("A", ("1",), SlotKind.NUMBER),))]),
     "bot 'B': intent 'Pay': slot 'A' of type AMAZON.Number takes no values"),
    (lambda: Bot.of("B", {"Hi": ["hello"]}, slots={"Payee": ["gas"]}),
     "bot 'B': slot 'Payee' is in no utterance"),
    (lambda: Bot.of("B", {"Hi": ["hello"]}, min_confidence=1.5),
     "bot 'B': min_confidence must be between 0 and 1, got 1.5"),
    (lambda: Bot("B", [Intent("Hi", ("hello",))], recognizer=lambda text, attributes: None),
     "bot 'B': give intents or a recognizer, not both"),
    (lambda: Bot(" "), "a Lex bot needs a name, got ' '"),
])
def test_a_bad_definition_is_a_config_error_naming_bot_intent_and_value(
        make: Callable[[], Bot], says: str) -> None:
    with pytest.raises(ConfigError) as info:
        make()
    assert says in str(info.value)


# -- finding bots -----------------------------------------------------------------
def test_an_alias_arn_names_its_bot_by_id() -> None:
    assert bot_name(ALIAS_ARN) == "BOTID1234"
    assert bot_name(" Banking ") == "Banking"
    with pytest.raises(ConfigError, match="'arn:aws:lex:us-east-1:1:bot/X' is not a Lex V2 bot "
                                          "alias ARN"):
        bot_name("arn:aws:lex:us-east-1:1:bot/X")
    with pytest.raises(ConfigError, match="needs a name or an alias ARN"):
        bot_name("")


def test_a_registry_finds_a_bot_by_name_by_alias_arn_or_by_the_arns_bot_id() -> None:
    registry = BotRegistry()
    by_name = registry.add("Banking", banking())
    by_arn = registry.add(ALIAS_ARN, Bot.of("Prod", {"Hi": ["hello"]}))
    by_id = registry.add("OTHERBOT", Bot.of("Other", {"Hi": ["hello"]}))
    assert registry.get("Banking") is by_name
    assert registry.get(ALIAS_ARN) is by_arn
    assert registry.get(ALIAS_ARN.replace("ALIASID12", "TSTALIASID")) is None
    assert registry.get(ALIAS_ARN.replace("BOTID1234", "OTHERBOT")) is by_id
    assert registry.get("Nobody") is None
    with pytest.raises(ConfigError, match="registered as 'Banking' already"):
        registry.add("Banking", banking())


# -- properties -------------------------------------------------------------------
_ONES = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def spoken(n: int, with_and: bool, hyphen: bool) -> str:
    """``n`` in English words, as a caller might say it."""
    def below_1000(k: int, lead: bool) -> list[str]:
        hundreds, rest = divmod(k, 100)
        words = [_ONES[hundreds], "hundred"] if hundreds else []
        if rest and (hundreds or lead) and with_and:
            words.append("and")
        if rest >= 20:
            tens, ones = divmod(rest, 10)
            words += ([f"{_TENS[tens]}-{_ONES[ones]}"] if hyphen and ones
                      else [_TENS[tens], _ONES[ones]] if ones else [_TENS[tens]])
        elif rest:
            words.append(_ONES[rest])
        return words

    if n == 0:
        return "zero"
    words: list[str] = []
    for scale, name in ((10**9, "billion"), (10**6, "million"), (1000, "thousand")):
        if n >= scale:
            words += [*below_1000(n // scale, False), name]
            n %= scale
    if n:
        words += below_1000(n, bool(words))
    return " ".join(words)


@st.composite
def amounts(draw: st.DrawFn) -> tuple[str, str]:
    n = draw(st.integers(0, 10**12 - 1))
    form = draw(st.sampled_from(["digits", "commas", "words"]))
    said = (str(n) if form == "digits" else f"{n:,}" if form == "commas"
            else spoken(n, draw(st.booleans()), draw(st.booleans())))
    return said, str(n)


free_text = st.lists(st.text(string.ascii_letters, min_size=1, max_size=8), min_size=1,
                     max_size=6).map(" ".join)
_SLOT_VALUES: dict[str, list[tuple[str, str]]] = {
    "Account": [("checking", "checking"), ("current", "checking"),
                ("Cheque Account", "checking"), ("credit card", "credit card"),
                ("card", "credit card"), ("mortgage", "mortgage")],
    "Payee": [("electric", "electric"), ("power", "electric"),
              ("electricity company", "electric"), ("water", "water"),
              ("gas company", "gas company"), ("gas", "gas company")],
}
_PLACE = re.compile(r"\{(\w+)\}")


@st.composite
def said_utterances(draw: st.DrawFn) -> tuple[str, str, dict[str, str]]:
    """(text, intent, slots): an utterance of the banking bot with its slots filled."""
    intent = draw(st.sampled_from(BANKING.intents))
    utterance = draw(st.sampled_from(intent.utterances))
    case = draw(st.sampled_from([str.lower, str.upper, str.title, str.capitalize]))
    pieces, slots, at = [], {}, 0
    for match in _PLACE.finditer(utterance):
        pieces.append(case(utterance[at:match.start()]))
        name = match[1]
        if name == "Amount":
            said, value = draw(amounts())
            said = case(said)
        elif name == "Note":
            said = value = draw(free_text)
        else:
            said, value = draw(st.sampled_from(_SLOT_VALUES[name]))
            said = case(said)
        pieces.append(said)
        slots[name] = value
        at = match.end()
    pieces.append(case(utterance[at:]))
    ending = draw(st.sampled_from(["", ".", "?", "!", " ..."]))
    return "".join(pieces) + ending, intent.name, slots


@given(said_utterances())
def test_any_utterance_with_its_slots_filled_is_its_intent(
        said: tuple[str, str, dict[str, str]]) -> None:
    text, intent, slots = said
    result = BANKING.recognize(text)
    assert (result.intent_name, result.slots, result.confidence, result.dialog_state) == (
        intent, slots, 1.0, "Fulfilled")


@st.composite
def made_up_bots(draw: st.DrawFn) -> tuple[Bot, str, str, dict[str, str]]:
    """A bot whose intents use words of their own, some utterances with a number slot;
    and one utterance of it said, with its intent and slots."""
    intents = []
    count = draw(st.integers(1, 4))
    for i in range(count):
        prefix = f"q{i}"  # intents share no word
        words = st.text(string.ascii_lowercase, min_size=1, max_size=6).map(prefix.__add__)
        utterances = []
        for _ in range(draw(st.integers(1, 3))):
            literal = draw(st.lists(words, min_size=1, max_size=5))
            if draw(st.booleans()):
                literal.insert(draw(st.integers(0, len(literal))), "{N}")
            utterances.append(" ".join(literal))
        intents.append(Intent(f"Intent{i}", tuple(utterances),
                              (Slot("N", kind=SlotKind.NUMBER),)))
    intent = draw(st.sampled_from(intents))
    utterance = draw(st.sampled_from(intent.utterances))
    number = str(draw(st.integers(0, 10**6)))
    slots = {"N": number} if "{N}" in utterance else {}
    return Bot("MadeUp", intents), utterance.replace("{N}", number), intent.name, slots


@given(made_up_bots())
def test_any_utterance_of_any_bot_is_its_intent(
        made: tuple[Bot, str, str, dict[str, str]]) -> None:
    bot, text, intent, slots = made
    result = bot.recognize(text)
    assert (result.intent_name, result.slots, result.confidence) == (intent, slots, 1.0)


unknown_words = st.lists(st.text("bcdfghjklmnpqrstvwxz", min_size=2, max_size=9),  # no vowel
                         min_size=1, max_size=8).map(" ".join)


@given(unknown_words, st.sampled_from([0.0, 0.2, 0.5, 1.0]))
def test_text_of_only_unknown_words_is_fallback_intent(text: str, min_confidence: float) -> None:
    bot = Bot("Banking", BANKING.intents, min_confidence=min_confidence)
    result = bot.recognize(text)
    assert (result.intent_name, result.slots, result.confidence, result.dialog_state) == (
        FALLBACK_INTENT, {}, 0.0, "Failed")


# -- callers who speak ------------------------------------------------------------
def _call(testbed: Testbed, caller: MockCaller) -> tuple[LineEnd, list[tuple[float, Message]]]:
    """Attach ``caller`` to a bare line and start a call on it: the switchboard's end,
    and what the caller sends there, with testbed times."""
    endpoint, board = line_pair(asyncio.get_running_loop(), caller.number)
    heard: list[tuple[float, Message]] = []
    board.on_receive(lambda message: heard.append((testbed.clock.now, message)))
    caller.attach(endpoint, testbed.clock)
    board.send(CallStarted("c1", "+18005550100"))
    return board, heard


async def test_a_caller_says_its_script_that_long_into_the_call(testbed: Testbed) -> None:
    john = MockCaller(JOHN, say=[(5, "check my balance"), (12.5, "agent")])
    _board, heard = _call(testbed, john)
    await testbed.advance(60)
    assert heard == [(5.0, Say("c1", "check my balance")), (12.5, Say("c1", "agent"))]
    assert john.speech == ((5, "check my balance"), (12.5, "agent"))


async def test_speech_still_to_come_is_dropped_once_the_caller_reaches_an_agent(
        testbed: Testbed) -> None:
    john = MockCaller(JOHN, say=[(5, "agent"), (30, "hello?")])
    board, heard = _call(testbed, john)
    await testbed.advance(10)
    board.send(Connected("c1", "alice"))
    await testbed.advance(60)
    assert heard == [(5.0, Say("c1", "agent"))]


async def test_a_hook_can_say_anything_at_any_time(testbed: Testbed) -> None:
    def on_message(caller: MockCaller, message: Message) -> None:
        if isinstance(message, CallStarted):
            caller.say(message.contact_id, "I want to pay my bill")

    _board, heard = _call(testbed, MockCaller(JOHN, on_message=on_message))
    await testbed.advance(1)
    assert heard == [(0.0, Say("c1", "I want to pay my bill"))]

"""Lex V2 bot stand-ins: what a flow's "Get customer input" with Lex understands.

A ``Bot`` turns what a caller says (text in place of speech) into a
``LexResult``: an intent, its slots, a confidence score and a dialog state,
which a flow reads as ``$.Lex.*`` (``LexResult.value``).  A bot either lists
its intents, understood by the simple matching below, or hands the text to
a ``recognizer`` function of your own.

Simple matching is deterministic:

1. Text is cut into words: runs of letters (apostrophes inside them dropped:
   "What's" is "whats") or of digits (commas inside dropped: "1,000" is
   "1000"; a decimal point kept), compared without case.  Everything else
   separates words.  Utterances and slot values are cut the same way.
2. Exact match, confidence 1.0: the words are an utterance's, each
   ``{Slot}`` standing for one or more words that are a value of its type:
   a custom value or one of its synonyms (resolved to the value), a number
   (``AMAZON.Number``: one run of digits, or English number words up to the
   billions such as "twenty five" or "a hundred and five", resolved to
   digits; no signs), or any words
   (``AMAZON.FreeFormInput``, resolved to the text as said).  Slots fill
   from the left, each taking the fewest words that let the rest match.
   Intents are tried in order, and their utterances in order: the first
   exact match wins.
3. Otherwise overlap: for each utterance, the Jaccard index of the content
   words (``STOP_WORDS`` such as "i", "my", "to", "please" left out) of the
   text and of the utterance, where a ``{Slot}`` is a word of the text when
   a value of its type appears in it (the first from the left, the longest
   there; free-form slots never do).  An intent scores its best utterance,
   rounded to two places and at most 0.99 (1.0 means an exact match); the
   best intent wins (ties go to the intent defined first), with the slots
   found, if its score is above 0 and at least the bot's ``min_confidence``.
4. Otherwise ``FallbackIntent`` (Lex V2's built-in): no slots, confidence
   0.0, dialog state "Failed".  A match has dialog state "Fulfilled".

For example, with ::

    bot = Bot.of("Banking", {
        "CheckBalance": ["check my balance", "what is my balance"],
        "PayBill": ["pay {Amount} dollars", "pay my {Bill} bill"],
    }, slots={"Amount": "AMAZON.Number", "Bill": ["electric=power|electricity", "water"]})

"Pay twenty-five dollars!" is PayBill with Amount "25", confidence 1.0.
"I'd like to pay my power bill today" is no utterance, but its content words
{pay, {Bill}, bill, today} share three of four with those of "pay my {Bill}
bill", so it is PayBill with Bill "electric", confidence 0.75.  "Tell me a
joke" is FallbackIntent.

Custom slot values are written ``"value"`` or ``"value=synonym|synonym"``.
Bots are registered by name or by Lex V2 alias ARN (``BotRegistry``); a
flow's alias ARN finds the bot registered as that ARN, or else the one
registered under the ARN's bot id (``bot_name``), which so answers for every
alias of the bot.  Mistakes in a bot's definition (an intent defined twice
or with no utterances, an empty utterance, one two intents share, a
``{Slot}`` the intent does not have, a bad slot type or value) raise
ConfigError naming the bot, the intent and the value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple

from testbed.core.errors import ConfigError

__all__ = [
    "FALLBACK_INTENT",
    "SENTIMENT_LABELS",
    "STOP_WORDS",
    "Bot",
    "BotRegistry",
    "Intent",
    "LexResult",
    "Recognizer",
    "Sentiment",
    "Slot",
    "SlotKind",
    "bot_name",
]

#: The intent a bot answers with when it understands nothing (Lex V2's built-in).
FALLBACK_INTENT = "FallbackIntent"
#: Amazon Comprehend's sentiment labels, as ``$.Lex.SentimentResponse.Label`` gives them.
SENTIMENT_LABELS = ("POSITIVE", "NEGATIVE", "NEUTRAL", "MIXED")
_SCORE_NAMES = ("Positive", "Negative", "Neutral", "Mixed")
#: Words that carry no intent; overlap scoring leaves them out (exact matching does not).
STOP_WORDS = frozenset((
    "a", "am", "an", "and", "are", "as", "at", "be", "by", "can", "could", "do", "does",
    "for", "from", "i", "id", "im", "is", "it", "its", "ive", "just", "like", "me", "my",
    "of", "on", "or", "our", "please", "so", "that", "the", "this", "to", "um", "uh", "us",
    "want", "was", "we", "will", "with", "would", "you", "your",
))

_EMPTY: Mapping[str, str] = MappingProxyType({})
_FULFILLED, _FAILED = "Fulfilled", "Failed"


class SlotKind(StrEnum):
    """The slot types a stand-in bot understands."""

    CUSTOM = "custom"                         # a list of values, with synonyms
    NUMBER = "AMAZON.Number"                  # digits or number words, resolved to digits
    FREE_FORM = "AMAZON.FreeFormInput"        # any words, resolved to the text as said


@dataclass(frozen=True, slots=True)
class Slot:
    """A slot and its type: ``values`` for a custom type, each ``"value"`` or
    ``"value=synonym|synonym"``; ``kind`` a ``SlotKind`` (or its text)."""

    name: str
    values: tuple[str, ...] = ()
    kind: str = SlotKind.CUSTOM

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", _strings(self.values))


@dataclass(frozen=True, slots=True)
class Intent:
    """An intent: sample ``utterances`` with ``{Slot}`` placeholders, as Lex writes them,
    and the ``slots`` they name."""

    name: str
    utterances: tuple[str, ...]
    slots: tuple[Slot, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "utterances", _strings(self.utterances))
        object.__setattr__(self, "slots", tuple(self.slots))


@dataclass(frozen=True, slots=True)
class LexResult:
    """What a bot understood, as a flow sees it afterwards under ``$.Lex``.

    ``confidence`` is 0 to 1; ``dialog_state`` is "Fulfilled" for a matched
    intent and "Failed" for FallbackIntent; ``session_attributes`` are the
    flow's ``LexSessionAttributes`` with the bot's on top.
    """

    intent_name: str
    slots: Mapping[str, str]
    confidence: float
    dialog_state: str
    session_attributes: Mapping[str, str]
    sentiment_label: str | None = None
    sentiment_scores: Mapping[str, float] | None = None

    def value(self, path: str) -> str | None:
        """The value at ``path`` under ``$.Lex.`` as flow text, None if there is none.

        ``IntentName``, ``DialogState``, ``IntentConfidence.Score`` (e.g. "0.75"),
        ``Slots.<name>``, ``SessionAttributes.<key>`` (``['key']`` also),
        ``SentimentResponse.Label`` and ``SentimentResponse.Scores.<Positive|
        Negative|Neutral|Mixed>``; a leading ``$.Lex.`` is allowed.
        """
        path = path.removeprefix("$.").removeprefix("Lex.")
        head, _dot, rest = path.partition(".")
        if not rest:
            if head == "IntentName":
                return self.intent_name
            if head == "DialogState":
                return self.dialog_state
            return None
        if head == "Slots":
            return self.slots.get(_key(rest))
        if head == "SessionAttributes":
            return self.session_attributes.get(_key(rest))
        if head == "IntentConfidence" and rest == "Score":
            return str(round(self.confidence, 2))
        if head == "SentimentResponse":
            if rest == "Label":
                return self.sentiment_label
            score = None
            if rest.startswith("Scores.") and self.sentiment_scores is not None:
                score = self.sentiment_scores.get(rest.removeprefix("Scores."))
            return None if score is None else str(score)
        return None


#: A bot's own understanding: (text, session attributes) -> a result, an intent
#: name (confidence 1.0), or None (FallbackIntent).
Recognizer = Callable[[str, Mapping[str, str]], LexResult | str | None]
#: A bot's sentiment analysis: text -> a label (``SENTIMENT_LABELS``), a label with
#: scores by ``Positive`` / ``Negative`` / ``Neutral`` / ``Mixed``, or None.
Sentiment = Callable[[str], str | tuple[str, Mapping[str, float]] | None]


class Bot:
    """A Lex V2 bot stand-in: ``intents`` for simple matching (see the module), or a
    ``recognizer`` of your own; with neither it understands nothing.

    ``min_confidence`` (0 to 1) is the overlap score an intent needs short of an
    exact match; ``sentiment`` optionally labels each text.
    """

    def __init__(
        self,
        name: str,
        intents: Iterable[Intent] = (),
        *,
        recognizer: Recognizer | None = None,
        min_confidence: float = 0.5,
        sentiment: Sentiment | None = None,
    ) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"a Lex bot needs a name, got {name!r}")
        self.name = name
        self.intents = tuple(intents)
        if self.intents and recognizer is not None:
            raise ConfigError(f"bot {name!r}: give intents or a recognizer, not both")
        if isinstance(min_confidence, bool) or not isinstance(min_confidence, int | float) \
                or not 0 <= min_confidence <= 1:
            raise ConfigError(
                f"bot {name!r}: min_confidence must be between 0 and 1, got {min_confidence!r}")
        self.min_confidence = float(min_confidence)
        self.recognizer = recognizer
        self.sentiment = sentiment
        self._compiled = _compile_intents(name, self.intents)

    def __repr__(self) -> str:
        return f"<Bot {self.name!r}: {len(self.intents)} intents>"

    @classmethod
    def of(
        cls,
        name: str,
        intents: Mapping[str, Sequence[str]],
        slots: Mapping[str, str | Sequence[str]] = _EMPTY,
        *,
        min_confidence: float = 0.5,
    ) -> Bot:
        """The short form: utterances by intent name, and slot types by slot name (a
        ``SlotKind`` such as ``"AMAZON.Number"``, or a list of custom values); each
        intent gets the slots its utterances name."""
        used: set[str] = set()
        built: list[Intent] = []
        for intent_name, utterances in intents.items():
            said = _strings(utterances)
            names = list(dict.fromkeys(
                slot for utterance in said for slot in _PLACEHOLDER.findall(utterance)))
            used.update(names)
            built.append(Intent(intent_name, said, tuple(
                _slot_of(name, intent_name, slot, slots[slot])
                for slot in names if slot in slots)))
        bot = cls(name, built, min_confidence=min_confidence)
        unused = sorted(set(slots) - used)
        if unused:
            raise ConfigError(f"bot {name!r}: slot {unused[0]!r} is in no utterance")
        return bot

    def recognize(self, text: str, session_attributes: Mapping[str, str] = _EMPTY) -> LexResult:
        """What the bot makes of ``text``, with the flow's ``session_attributes``."""
        attributes = dict(session_attributes)
        if self.recognizer is not None:
            result = self._recognized(self.recognizer(text, MappingProxyType(attributes)),
                                      attributes)
        else:
            result = self._match(text, attributes)
        if self.sentiment is not None and result.sentiment_label is None:
            label, scores = self._sentiment(text)
            result = replace(result, sentiment_label=label, sentiment_scores=scores)
        return result

    # -- understanding ------------------------------------------------------
    def _match(self, text: str, attributes: dict[str, str]) -> LexResult:
        words = _words(text)
        if not words:
            return _fallback(attributes)
        for intent in self._compiled:
            for utterance in intent.utterances:
                slots = utterance.exact(words, text)
                if slots is not None:
                    return LexResult(intent.name, slots, 1.0, _FULFILLED, attributes)
        best: tuple[float, str, dict[str, str]] | None = None
        for intent in self._compiled:
            for utterance in intent.utterances:
                score, slots = utterance.overlap(words, text)
                score = min(round(score, 2), 0.99)
                if best is None or score > best[0]:
                    best = (score, intent.name, slots)
        if best is None or best[0] <= 0 or best[0] < self.min_confidence:
            return _fallback(attributes)
        score, intent_name, slots = best
        return LexResult(intent_name, slots, score, _FULFILLED, attributes)

    def _recognized(self, answer: object, attributes: dict[str, str]) -> LexResult:
        if answer is None or answer == FALLBACK_INTENT:
            return _fallback(attributes)
        if isinstance(answer, str):
            if not answer.strip():
                raise ConfigError(f"bot {self.name!r}: recognizer returned an empty intent name")
            return LexResult(answer, {}, 1.0, _FULFILLED, attributes)
        if not isinstance(answer, LexResult):
            raise ConfigError(f"bot {self.name!r}: recognizer returned {answer!r}; expected a "
                              f"LexResult, an intent name or None")
        if not answer.intent_name.strip():
            raise ConfigError(f"bot {self.name!r}: recognizer returned an empty intent name")
        if not 0 <= answer.confidence <= 1:
            raise ConfigError(f"bot {self.name!r}: recognizer returned confidence "
                              f"{answer.confidence!r} for intent {answer.intent_name!r}; "
                              f"it must be between 0 and 1")
        return replace(answer, session_attributes={**attributes, **answer.session_attributes})

    def _sentiment(self, text: str) -> tuple[str | None, Mapping[str, float] | None]:
        assert self.sentiment is not None
        answer = self.sentiment(text)
        if answer is None:
            return None, None
        label, scores = (answer, None) if isinstance(answer, str) else answer
        if label not in SENTIMENT_LABELS:
            raise ConfigError(f"bot {self.name!r}: sentiment label {label!r} is not one of "
                              f"{', '.join(SENTIMENT_LABELS)}")
        if scores is not None:
            for key, score in scores.items():
                if key not in _SCORE_NAMES or isinstance(score, bool) \
                        or not isinstance(score, int | float) or not 0 <= score <= 1:
                    raise ConfigError(
                        f"bot {self.name!r}: sentiment score {key!r}: {score!r} is not a "
                        f"score from 0 to 1 named {', '.join(_SCORE_NAMES)}")
            scores = dict(scores)
        return label, scores


def _fallback(attributes: dict[str, str]) -> LexResult:
    return LexResult(FALLBACK_INTENT, {}, 0.0, _FAILED, attributes)


# -- registry -------------------------------------------------------------------
_ALIAS_ARN = re.compile(
    r"arn:aws[\w-]*:lex:[\w-]+:\d+:bot-alias/(?P<bot>[0-9A-Za-z]+)/(?P<alias>[0-9A-Za-z]+)")


def bot_name(name_or_alias_arn: str) -> str:
    """The name a bot answers to: a Lex V2 alias ARN's bot id
    (``arn:aws:lex:us-east-1:111122223333:bot-alias/BOTID1234/ALIASID12`` gives
    ``BOTID1234``), or the name itself."""
    name = name_or_alias_arn.strip() if isinstance(name_or_alias_arn, str) else ""
    if not name:
        raise ConfigError(f"a Lex bot needs a name or an alias ARN, got {name_or_alias_arn!r}")
    if name.startswith("arn:"):
        match = _ALIAS_ARN.fullmatch(name)
        if match is None:
            raise ConfigError(f"{name!r} is not a Lex V2 bot alias ARN (arn:aws:lex:REGION:"
                              f"ACCOUNT:bot-alias/BOT_ID/ALIAS_ID)")
        return match["bot"]
    return name


class BotRegistry:
    """The bots a contact centre's flows can talk to, by name or alias ARN.

    ``get`` finds the bot added as exactly that name or ARN; for an alias ARN
    added as nothing, the bot added under its bot id (``bot_name``).
    """

    def __init__(self) -> None:
        self._bots: dict[str, Bot] = {}

    def __repr__(self) -> str:
        return f"<BotRegistry {sorted(self._bots)}>"

    def add(self, name_or_alias_arn: str, bot: Bot) -> Bot:
        """Register ``bot`` as ``name_or_alias_arn``; a name or ARN taken already is refused."""
        bot_name(name_or_alias_arn)  # refuses an empty name and a malformed ARN
        key = name_or_alias_arn.strip()
        if key in self._bots:
            raise ConfigError(f"a Lex bot is registered as {key!r} already")
        self._bots[key] = bot
        return bot

    def get(self, name_or_alias_arn: str) -> Bot | None:
        """The bot registered as ``name_or_alias_arn``, or under its bot id; None if none."""
        key = name_or_alias_arn.strip()
        bot = self._bots.get(key)
        if bot is None and key.startswith("arn:"):
            match = _ALIAS_ARN.fullmatch(key)
            if match is not None:
                bot = self._bots.get(match["bot"])
        return bot


# -- words ----------------------------------------------------------------------
_WORD = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_DECIMAL = re.compile(r"\d+(?:\.\d+)?")
_MAX_NUMBER_WORDS = 23  # "nine hundred and ninety nine billion ... and ninety nine"


class _Word(NamedTuple):
    text: str        # compared: case folded, apostrophes and digit commas dropped
    start: int       # where it is in the text said
    end: int


def _words(text: str) -> tuple[_Word, ...]:
    words = []
    for match in _WORD.finditer(text):
        word = match.group()
        if word[0].isdigit():
            word = word.replace(",", "")
        else:
            word = word.replace("'", "").replace("\u2019", "").casefold()
        words.append(_Word(word, match.start(), match.end()))
    return tuple(words)


def _plain(text: str) -> tuple[str, ...]:
    return tuple(word.text for word in _words(text))


def _key(rest: str) -> str:
    """``name`` from ``name``, ``['name']`` or ``["name"]``."""
    if len(rest) >= 4 and rest[0] == "[" and rest[-1] == "]" and rest[1] == rest[-2] \
            and rest[1] in "'\"":
        return rest[2:-2]
    return rest


# -- numbers --------------------------------------------------------------------
_UNITS = {word: n for n, word in enumerate((
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"), start=1)}
_TEENS = {word: n for n, word in enumerate((
    "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
    "eighteen", "nineteen"), start=10)}
_TENS = {word: n * 10 for n, word in enumerate((
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"), start=2)}
_SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_NUMBER_WORDS = frozenset({*_UNITS, *_TEENS, *_TENS, *_SCALES, "zero", "hundred", "and", "a"})


def _below_100(words: Sequence[str]) -> int | None:
    if len(words) == 1:
        word = words[0]
        return _UNITS.get(word) or _TEENS.get(word) or _TENS.get(word)
    if len(words) == 2 and words[0] in _TENS and words[1] in _UNITS:
        return _TENS[words[0]] + _UNITS[words[1]]
    return None


def _below_1000(words: Sequence[str]) -> int | None:
    if "hundred" not in words:
        return _below_100(words)
    at = words.index("hundred")
    head, rest = words[:at], list(words[at + 1:])
    hundreds = 1 if list(head) == ["a"] else (_UNITS.get(head[0]) if len(head) == 1 else None)
    if hundreds is None:
        return None
    if rest and rest[0] == "and":
        rest = rest[1:]
        if not rest:
            return None
    below = _below_100(rest) if rest else 0
    return None if below is None else hundreds * 100 + below


def _number_words(words: Sequence[str]) -> int | None:
    """The number English words say ("two thousand and five"), None if they say none."""
    if list(words) == ["zero"]:
        return 0
    total, last_scale, chunk = 0, math.inf, []
    for word in words:
        scale = _SCALES.get(word)
        if scale is None:
            chunk.append(word)
            continue
        count = 1 if chunk == ["a"] else _below_1000(chunk)
        if not count or scale >= last_scale:
            return None
        total, last_scale, chunk = total + count * scale, scale, []
    if chunk:
        if chunk[0] == "and" and total:
            chunk = chunk[1:]
        rest = _below_1000(chunk) if chunk else None
        if not rest:
            return None
        total += rest
    return total or None


# -- compiled bots --------------------------------------------------------------
class _SlotType:
    """A slot's type, ready to say whether words are one of its values."""

    __slots__ = ("kind", "max_words", "name", "values")

    def __init__(self, name: str, kind: SlotKind, values: dict[tuple[str, ...], str]) -> None:
        self.name = name
        self.kind = kind
        self.values = values
        self.max_words = max(map(len, values)) if kind is SlotKind.CUSTOM else 0

    def reach(self, words: Sequence[_Word], start: int) -> int:
        """Where a value starting at ``words[start]`` could end, at the furthest."""
        if self.kind is SlotKind.CUSTOM:
            return min(len(words), start + self.max_words)
        if self.kind is SlotKind.FREE_FORM:
            return len(words)
        if words[start].text[0].isdigit():
            return start + 1
        end = start
        while end < len(words) and end - start < _MAX_NUMBER_WORDS \
                and words[end].text in _NUMBER_WORDS:
            end += 1
        return end

    def resolve(self, words: Sequence[_Word], start: int, end: int, text: str) -> str | None:
        """The slot value ``words[start:end]`` say, None if they are not one."""
        if self.kind is SlotKind.CUSTOM:
            return self.values.get(tuple(word.text for word in words[start:end]))
        if self.kind is SlotKind.NUMBER:
            if end - start == 1 and _DECIMAL.fullmatch(words[start].text):
                return words[start].text
            number = _number_words([word.text for word in words[start:end]])
            return None if number is None else str(number)
        return text[words[start].start:words[end - 1].end]


class _Utterance:
    """A sample utterance: literal words and slot types, in order."""

    __slots__ = ("content", "parts", "placeholders", "slots")

    def __init__(self, parts: tuple[str | _SlotType, ...]) -> None:
        self.parts = parts
        self.slots = tuple(part for part in parts if isinstance(part, _SlotType))
        self.placeholders = frozenset("{" + slot.name + "}" for slot in self.slots)
        self.content = frozenset(part for part in parts
                                 if isinstance(part, str) and part not in STOP_WORDS) \
            | self.placeholders

    def exact(self, words: Sequence[_Word], text: str) -> dict[str, str] | None:
        """The slots if ``words`` are this utterance, else None."""
        parts = self.parts
        if len(words) < len(parts) or (not self.slots and len(words) != len(parts)):
            return None
        return self._fill(0, 0, words, text, {})

    def _fill(self, part_at: int, word_at: int, words: Sequence[_Word], text: str,
              slots: dict[str, str]) -> dict[str, str] | None:
        parts = self.parts
        while part_at < len(parts) and isinstance(parts[part_at], str):
            if word_at >= len(words) or words[word_at].text != parts[part_at]:
                return None
            part_at, word_at = part_at + 1, word_at + 1
        if part_at == len(parts):
            return slots if word_at == len(words) else None
        slot = parts[part_at]
        assert isinstance(slot, _SlotType)
        if word_at >= len(words):
            return None
        last = min(len(words) - (len(parts) - part_at - 1), slot.reach(words, word_at))
        for end in range(word_at + 1, last + 1):
            value = slot.resolve(words, word_at, end, text)
            if value is not None:
                filled = self._fill(part_at + 1, end, words, text, {**slots, slot.name: value})
                if filled is not None:
                    return filled
        return None

    def overlap(self, words: Sequence[_Word], text: str) -> tuple[float, dict[str, str]]:
        """Jaccard index of content words (slots as words), and the slots found."""
        taken = [False] * len(words)
        slots: dict[str, str] = {}
        for slot in self.slots:
            if slot.kind is SlotKind.FREE_FORM:
                continue
            found = _find(slot, words, text, taken)
            if found is not None:
                slots[slot.name] = found
        said = {word.text for word, used in zip(words, taken, strict=True)
                if not used and word.text not in STOP_WORDS}
        said.update("{" + name + "}" for name in slots)
        union = len(said | self.content)
        return (len(said & self.content) / union if union else 0.0), slots


def _find(slot: _SlotType, words: Sequence[_Word], text: str, taken: list[bool]) -> str | None:
    """The first value of ``slot`` among the words not ``taken`` (the longest where it
    starts), marking its words taken."""
    for start in range(len(words)):
        for end in range(slot.reach(words, start), start, -1):
            if any(taken[start:end]):
                continue
            value = slot.resolve(words, start, end, text)
            if value is not None:
                taken[start:end] = [True] * (end - start)
                return value
    return None


class _CompiledIntent(NamedTuple):
    name: str
    utterances: tuple[_Utterance, ...]


def _compile_intents(bot: str, intents: tuple[Intent, ...]) -> tuple[_CompiledIntent, ...]:
    compiled: list[_CompiledIntent] = []
    seen_utterances: dict[tuple[str | None, ...], str] = {}
    for intent in intents:
        if not isinstance(intent, Intent):
            raise ConfigError(f"bot {bot!r}: {intent!r} is not an Intent")
        where = f"bot {bot!r}: intent {intent.name!r}"
        if not intent.name.strip():
            raise ConfigError(f"bot {bot!r}: an intent needs a name, got {intent.name!r}")
        if intent.name == FALLBACK_INTENT:
            raise ConfigError(f"{where} is built in: it takes no utterances")
        if any(other.name == intent.name for other in compiled):
            raise ConfigError(f"{where} is defined twice")
        if not intent.utterances:
            raise ConfigError(f"{where} has no utterances")
        types = _compile_slots(where, intent.slots)
        utterances = []
        for utterance in intent.utterances:
            parts = _compile_utterance(where, utterance, types)
            shape = tuple(part if isinstance(part, str) else None for part in parts)
            other = seen_utterances.setdefault(shape, intent.name)
            if other != intent.name and all(isinstance(part, str) for part in parts):
                raise ConfigError(
                    f"{where}: utterance {utterance!r} is an utterance of intent {other!r} too")
            utterances.append(_Utterance(parts))
        compiled.append(_CompiledIntent(intent.name, tuple(utterances)))
    return tuple(compiled)


def _compile_slots(where: str, slots: tuple[Slot, ...]) -> dict[str, _SlotType]:
    types: dict[str, _SlotType] = {}
    for slot in slots:
        if not isinstance(slot, Slot):
            raise ConfigError(f"{where}: {slot!r} is not a Slot")
        if not slot.name.strip() or slot.name != slot.name.strip() \
                or "{" in slot.name or "}" in slot.name:
            raise ConfigError(f"{where}: bad slot name {slot.name!r}")
        if slot.name in types:
            raise ConfigError(f"{where}: slot {slot.name!r} is defined twice")
        try:
            kind = SlotKind(slot.kind)
        except ValueError:
            raise ConfigError(
                f"{where}: slot {slot.name!r} has unknown type {slot.kind!r}; known: "
                f"{', '.join(SlotKind)}") from None
        values: dict[tuple[str, ...], str] = {}
        if kind is SlotKind.CUSTOM:
            if not slot.values:
                raise ConfigError(f"{where}: custom slot {slot.name!r} has no values")
            for written in slot.values:
                _add_value(f"{where}: slot {slot.name!r}", written, values)
        elif slot.values:
            raise ConfigError(f"{where}: slot {slot.name!r} of type {kind} takes no values, "
                              f"got {list(slot.values)!r}")
        types[slot.name] = _SlotType(slot.name, kind, values)
    return types


def _add_value(where: str, written: str, values: dict[tuple[str, ...], str]) -> None:
    value, _eq, synonyms = written.partition("=")
    value = value.strip()
    for said in (value, *(synonyms.split("|") if _eq else ())):
        words = _plain(said)
        if not words:
            raise ConfigError(f"{where}: value {written!r} has an empty value or synonym")
        other = values.setdefault(words, value)
        if other != value:
            raise ConfigError(f"{where}: {said.strip()!r} in {written!r} is value {other!r} "
                              f"already")


def _compile_utterance(where: str, utterance: str,
                       types: Mapping[str, _SlotType]) -> tuple[str | _SlotType, ...]:
    parts: list[str | _SlotType] = []
    at = 0
    for match in _PLACEHOLDER.finditer(utterance):
        parts.extend(_literal(where, utterance, utterance[at:match.start()]))
        slot = types.get(match[1])
        if slot is None:
            known = ", ".join(types) or "none"
            raise ConfigError(f"{where}: utterance {utterance!r} names slot {match[1]!r}, "
                              f"which the intent does not have (its slots: {known})")
        if slot in parts:
            raise ConfigError(f"{where}: utterance {utterance!r} names slot {match[1]!r} twice")
        parts.append(slot)
        at = match.end()
    parts.extend(_literal(where, utterance, utterance[at:]))
    if not parts:
        raise ConfigError(f"{where}: utterance {utterance!r} is empty")
    return tuple(parts)


def _literal(where: str, utterance: str, piece: str) -> tuple[str, ...]:
    if "{" in piece or "}" in piece:
        raise ConfigError(f"{where}: utterance {utterance!r} has an unmatched brace")
    return _plain(piece)


def _slot_of(bot: str, intent: str, name: str, spec: str | Sequence[str]) -> Slot:
    if isinstance(spec, str):
        if spec not in set(SlotKind) - {SlotKind.CUSTOM}:
            raise ConfigError(
                f"bot {bot!r}: intent {intent!r}: slot {name!r}: {spec!r} is not a slot type "
                f"({SlotKind.NUMBER}, {SlotKind.FREE_FORM}); give custom values as a list")
        return Slot(name, kind=spec)
    return Slot(name, tuple(spec))


def _strings(items: str | Iterable[str]) -> tuple[str, ...]:
    """A lone string is one item, not its characters."""
    return (items,) if isinstance(items, str) else tuple(items)

"""The quantity facts of a situation: sums of money and counts (AMOUNT), percentages and
ratios (PROPORTION), each with what it measures (`topic`) and, for a change ("from 3.9% to
4.6%", or "held 7.2% ... raised its stake to 8.6%"), the value before.

Counts of things ("15,000 shares") are AMOUNTs whose `unit` is the counted noun
("shares"): they are compared only with rules that count the same thing, never with money.
A figure written as a bound ("both under USD 200,000") has `value` "<USD 200000" (">" for
"over"): `quantity` is the bound, not the figure."""

from __future__ import annotations

import dataclasses
import re

from arbiter_text.sentences import iter_sentence_spans

from arbiter_audit.facts import numbers
from arbiter_audit.facts.numbers import Figure
from arbiter_audit.facts.quantities_topics import Phrase, after, before, preceding_word
from arbiter_audit.model import Fact, FactKind, Span
from arbiter_audit.topics import overlap

_FROM = re.compile(r"\bfrom\s+(?:about\s+|around\s+|approximately\s+)?$", re.IGNORECASE)
_TO = re.compile(r"^\s+to\s+(?:about\s+|around\s+|approximately\s+)?$", re.IGNORECASE)
_CHANGED_TO = re.compile(
    r"\b(?:rose|raised|increased|grew|climbed|jumped|lifted|fell|dropped|declined|"
    r"decreased|reduced|cut|lowered|sold down|brought)\b[\w\s'\u2019-]{0,40}?\bto\s+"
    r"(?:about\s+|around\s+|approximately\s+)?$",
    re.IGNORECASE,
)
"""A change stated by its new value only: "raised its stake to 8.6%"."""
MAX_FACTS = 200
"""Figures read from one situation: a description of a case states a handful."""
_UPPER = frozenset({"under", "below", "beneath", "within", "max", "maximum"})
_LOWER = frozenset({"over", "above", "exceeding", "least"})
_APPROX = frozenset({"about", "approximately", "around", "roughly", "nearly", "almost", "some"})
_DETERMINER = frozenset({"a", "an", "the", "its", "their", "one"})


def read(situation: str) -> list[Fact]:
    """The AMOUNT and PROPORTION facts of `situation`, in order, `id` left empty."""
    facts: list[Fact] = []
    for start, end in iter_sentence_spans(situation):
        facts.extend(_sentence_facts(situation[start:end], start, facts))
        if len(facts) >= MAX_FACTS:
            return facts[:MAX_FACTS]
    return facts


def _sentence_facts(sentence: str, offset: int, earlier: list[Fact]) -> list[Fact]:
    found = numbers.figures(sentence) + numbers.counts(sentence)
    found.sort(key=lambda f: f.start)
    out: list[Fact] = []
    i = 0
    while i < len(found):
        figure, was = found[i], None
        if i + 1 < len(found) and _is_change(sentence, figure, found[i + 1]):
            figure, was = found[i + 1], found[i]
            i += 1
        fact = _fact(sentence, offset, figure, was)
        if was is None and _CHANGED_TO.search(sentence[max(0, figure.start - 60) : figure.start]):
            fact = _with_implied_before(fact, earlier + out)
        out.append(fact)
        i += 1
    return out


def _is_change(sentence: str, first: Figure, second: Figure) -> bool:
    return (
        first.unit == second.unit
        and bool(_FROM.search(sentence[max(0, first.start - 20) : first.start]))
        and bool(_TO.match(sentence[first.end : second.start]))
    )


def _fact(sentence: str, offset: int, figure: Figure, was: Figure | None) -> Fact:
    first = was or figure
    said_of = before(sentence, first.start)
    thing = after(sentence, figure.end, bare=_after_determiner(sentence, figure))
    topic, lo, hi = _topic(figure, said_of, thing)
    lo, hi = min(lo, first.start), max(hi, figure.end)
    bound = _bound(sentence, first)
    approx = preceding_word(sentence, first.start) in _APPROX
    words = numbers.amount_words(figure.value, figure.unit)
    if was is not None:
        words = f"from {numbers.amount_words(was.value, was.unit)} to {words}"
    elif bound:
        words = f"{'under' if bound == '<' else 'over'} {words}"
    elif approx:
        words = f"about {words}"
    if figure.unit in numbers.COUNTED:
        # A count names what it counts: "fourteen employees" is 14 employees.
        topic, words = figure.unit, f"{figure.value:,g} {figure.unit}"
    kind = FactKind.PROPORTION if figure.unit in ("%", "ratio") else FactKind.AMOUNT
    return Fact(
        kind=kind,
        text=f"{topic or 'a figure'}: {words}",
        span=Span(offset + lo, offset + hi),
        value=bound + numbers.normalised(figure.value, figure.unit),
        topic=topic,
        quantity=figure.value,
        unit=figure.unit,
        before=was.value if was is not None else None,
    )


def _after_determiner(sentence: str, figure: Figure) -> bool:
    """ "a USD 100,000 long position": the words after the sum name what it is."""
    return figure.unit not in ("%", "ratio") and (
        preceding_word(sentence, figure.start) in _DETERMINER
    )


def _topic(figure: Figure, said_of: Phrase | None, thing: Phrase | None) -> tuple[str, int, int]:
    """What the figure measures, and the span of the words that say so. A sum of money
    is what follows it when something does ("USD 3,000 of cash margin"); a percentage
    is its noun phrase of its base ("borrowings" of "the gross asset value")."""
    spans = [p for p in (said_of, thing) if p is not None]
    lo = min((p.start for p in spans), default=figure.start)
    hi = max((p.end for p in spans), default=figure.end)
    if figure.unit in ("%", "ratio"):
        text = " of ".join(p.text for p in spans)
        return text, lo, hi
    chosen = thing or said_of
    if chosen is None:
        return "", figure.start, figure.end
    return chosen.text, min(chosen.start, figure.start), max(chosen.end, figure.end)


def _bound(sentence: str, figure: Figure) -> str:
    """ "<" when the figure is an upper bound ("under USD 200,000"), ">" a lower one."""
    word = preceding_word(sentence, figure.start)
    if word == "than":
        head = sentence[max(0, figure.start - 12) : figure.start].lower()
        return "<" if "less" in head or "fewer" in head else ">" if "more" in head else ""
    if word in _UPPER or sentence[max(0, figure.start - 7) : figure.start].lower() == "up to ":
        return "<"
    return ">" if word in _LOWER else ""


def _with_implied_before(fact: Fact, earlier: list[Fact]) -> Fact:
    """ "held 7.2% ... raised its stake to 8.6%": the stake was 7.2% before. Only a figure
    of the same unit said of the same thing, and not itself a change, is taken."""
    for prior in reversed(earlier[-4:]):
        if (
            prior.unit == fact.unit
            and prior.before is None
            and prior.value[:1] not in ("<", ">")
            and prior.quantity is not None
            and fact.topic
            and overlap(fact.topic, prior.topic) == 1.0
        ):
            was = numbers.amount_words(prior.quantity, prior.unit)
            text = fact.text.replace(": ", f": from {was} to ", 1)
            return dataclasses.replace(fact, text=text, before=prior.quantity)
    return fact

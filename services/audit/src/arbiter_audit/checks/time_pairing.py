"""Which of a situation's dated events a timed duty counts from (its anchor) and which is
the duty done (its action): each event's topic against the rule's words through
`topics.overlap`, year and quarter ends against anchors that name them, and the order the
template needs (a deadline's action comes after its anchor, advance notice before)."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from arbiter_audit.facts.time import FINANCIAL_YEAR_END, QUARTER_END
from arbiter_audit.model import Condition, Fact, FactKind, Template
from arbiter_audit.topics import overlap

_TIME_WORDS = re.compile(
    r"\b(?i:date|dates|day|days|time|period|occurrence|event|events|having|any|each)\b"
)
"""Words of a rule's anchor that say "when", not "what": no situation's event names them."""
_YEAR_END = re.compile(r"(?i:financial\s+year|year[\s-]end|accounting\s+reference\s+date)")
_PERIOD_END = re.compile(r"(?i:\bend\s+of\s+(?:each|the|every|a)\s+(?:\w+\s+)?(?:period|quarter))")


MAX_EVENTS = 40
"""More dated events than this are not paired (CANNOT_TELL): no described situation has
so many, and pairing is quadratic in them."""


@functools.lru_cache(maxsize=8192)
def _named(rule_words: str, topic: str) -> float:
    """`overlap` of the rule's words (time words taken out) with an event's topic; the
    checks ask the same pairs again and again, so answers are kept."""
    return overlap(_TIME_WORDS.sub(" ", rule_words), topic)


@dataclass(frozen=True)
class Pairing:
    """The anchor event and the action event a condition is checked on."""

    anchor: Fact
    action: Fact
    how: str
    """Why these two, when it is not that both name the rule's words."""


def dated_events(facts: Sequence[Fact]) -> list[Fact]:
    """The events that happened, with a known day, month or year."""
    return [f for f in facts if f.kind is FactKind.EVENT and not f.negated and f.when]


def anchor_score(condition: Condition, event: Fact) -> float:
    """How well `event` is what the condition's time counts from."""
    if _YEAR_END.search(condition.anchor):
        return 1.0 if event.topic == FINANCIAL_YEAR_END else 0.0
    names_period_end = _PERIOD_END.search(condition.anchor) or "quarter" in condition.anchor.lower()
    if names_period_end and event.topic == QUARTER_END:
        return 1.0
    if event.topic in (FINANCIAL_YEAR_END, QUARTER_END):
        return 0.0
    return _named(condition.anchor, event.topic)


def action_score(condition: Condition, event: Fact) -> float:
    """How well `event` is the duty done."""
    if event.topic in (FINANCIAL_YEAR_END, QUARTER_END):
        return 0.0
    return _named(condition.action, event.topic)


def resolve_year_ends(condition: Condition, facts: Sequence[Fact]) -> list[Fact]:
    """The dated events, with a financial year end stated without a year ("whose
    financial year ends on 31 March") placed in each year the situation's events fall
    in, so that the one before the action can be its anchor."""
    events = dated_events(facts)
    recurring = [
        f
        for f in facts
        if f.kind is FactKind.EVENT and f.topic == FINANCIAL_YEAR_END and not f.when
    ]
    if not recurring or not _YEAR_END.search(condition.anchor):
        return events
    years = {e.when.year for e in events if e.when} | {e.until.year for e in events if e.until}
    placed: list[Fact] = []
    for fact in recurring:
        month, day = int(fact.value[2:4]), int(fact.value[5:7])
        for year in sorted(years | {y - 1 for y in years}):
            try:
                when = dt.date(year, month, day)
            except ValueError:
                continue
            if not any(e.topic == FINANCIAL_YEAR_END and e.when == when for e in events):
                placed.append(_placed(fact, when))
    return events + placed


def _placed(fact: Fact, when: dt.date) -> Fact:
    return Fact(
        kind=fact.kind,
        text=f"the financial year ended on {when.day} {when:%B %Y}",
        span=fact.span,
        value=when.isoformat(),
        topic=fact.topic,
        when=when,
        until=when,
        id=fact.id,
    )


def pair(condition: Condition, events: Sequence[Fact]) -> Pairing | None:
    """The one best (anchor, action) pair in the template's order, or None when no pair
    names the rule's words or two pairs do equally well. The action must name the rule's
    words; an anchor that names none of them ("the occurrence of any of the events
    prescribed") stands only when it is the single dated event on its side of the action."""
    if len(events) > MAX_EVENTS:
        return None
    after = condition.template is not Template.ADVANCE_NOTICE
    scored: list[tuple[float, Fact, Fact]] = []
    action_scores = {id(b): action_score(condition, b) for b in events}
    for a in events:
        sa = anchor_score(condition, a)
        for b in events:
            if a is b or a.when is None or b.when is None or a.until is None or b.until is None:
                continue
            if b.topic in (FINANCIAL_YEAR_END, QUARTER_END):
                continue
            in_order = a.when <= b.until if after else b.when <= a.until
            if not in_order or (after and b.until < a.when):
                continue
            sb = action_scores[id(b)]
            if sa > 0 or sb > 0:
                scored.append((sa + sb, a, b))
    if not scored:
        return None
    # Of two year or quarter ends equally named, the duty counts from the latest one.
    scored.sort(key=lambda t: (t[0], _period_end_day(t[1])), reverse=True)
    best, a, b = scored[0]
    tied = len(scored) > 1 and scored[1][0] == best
    if tied and (b is not scored[1][2] or _period_end_day(a) == dt.date.min):
        return None
    sa, sb = anchor_score(condition, a), action_score(condition, b)
    if sa > 0 and sb > 0:
        return Pairing(a, b, "")
    if sb == 0:
        return None  # the duty done must be named: an unrelated later event is not it
    others = {id(t[1]) for t in scored if t[2] is b}
    if len(others) == 1:
        return Pairing(a, b, f"the only dated event {'before' if after else 'after'} it")
    return None


def _period_end_day(event: Fact) -> dt.date:
    if event.topic in (FINANCIAL_YEAR_END, QUARTER_END) and event.until:
        return event.until
    return dt.date.min

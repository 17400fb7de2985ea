"""The LIMIT and MINIMUM conditions of a rule's text: "must not exceed 25% of its Tier 1",
"an NSFR of at least 100%", "not less than USD 10 million", lists of minimums ("at least the
following proportion of the value of the exposure: (a) 3.33% for major currency pairs; ..."),
("The base capital requirement for a Captive Insurer is: (a) for a Class 1 Captive
Insurer: $150,000; ..."). Also the threshold that sets off a notification or approval
(`read_trigger`): "notify ... if its Capital Resources fall below 120% of its Capital
Requirement" is MINIMUM(capital resources, 120% of capital requirement): met, nothing is
due.

A figure in a conditional clause ("where it is involved in a Transaction in cash of
USD15,000 or more", "if its NSFR falls below 100%") is never a condition by itself: it says
when a duty arises, which `read_trigger` reads for the duty's reader."""

from __future__ import annotations

import re

from arbiter_text.sentences import iter_sentence_spans

from arbiter_audit.facts import numbers
from arbiter_audit.facts.numbers import Figure
from arbiter_audit.facts.quantities_topics import Phrase, after, before
from arbiter_audit.model import Condition, Quantity, Span, Template
from arbiter_audit.templates.quantities_lists import ListFrame, list_frame, list_item
from arbiter_audit.templates.quantities_words import (
    CLAUSE_WINDOW,
    DUTY,
    LIMIT_FRAME,
    MINIMUM_FRAME,
    NEGATED,
    TRIGGER_LIMIT,
    TRIGGER_MINIMUM,
    conditional_before,
    exceptions_in,
    is_change,
    measure_of,
    party_in,
)

_OR_MORE = re.compile(r"\s*or\s+(?:more|above|greater|higher)\b", re.IGNORECASE)
MAX_RULE_CHARS = 50_000
"""Longer rule texts are read up to here: no rule in the corpus comes near it."""
MAX_FIGURES = 200
"""Figures read in one text (or sentence): the densest rule has a few dozen, and a text
of thousands of figures is not a rule."""


def read(rule_text: str) -> list[Condition]:
    """The LIMIT and MINIMUM conditions `rule_text` sets, in order."""
    text = rule_text[:MAX_RULE_CHARS]
    found: list[Condition] = []
    frame: ListFrame | None = None
    bound = False  # the list being read is under a duty ("must ensure that:")
    for start, end in iter_sentence_spans(text):
        sentence = text[start:end]
        item = list_item(sentence)
        if frame is not None and item is not None:
            condition = frame.condition(sentence, start, item)
            if condition is not None:
                found.append(condition)
                continue
        elif item is None:
            # A sentence that is not an item of a list ends it, and may start another.
            frame = list_frame(sentence, start)
            bound = (
                sentence.rstrip().endswith(":")
                and bool(DUTY.search(sentence))
                and not conditional_before(sentence, len(sentence))
            )
            if frame is not None:
                continue
        found.extend(_sentence_conditions(sentence, start, bound=bound and item is not None))
    return found


def _sentence_conditions(sentence: str, offset: int, *, bound: bool) -> list[Condition]:
    if not bound and not DUTY.search(sentence):
        return []
    found: list[Condition] = []
    for figure in numbers.figures(sentence)[:MAX_FIGURES]:
        frame = _frame_before(sentence, figure)
        if frame is None or conditional_before(sentence, figure.start):
            continue
        template, frame_start, subject = frame
        found.append(_condition(sentence, offset, template, figure, frame_start, subject))
    return found


def _frame_before(sentence: str, figure: Figure) -> tuple[Template, int, bool] | None:
    """The template the words before `figure` set, where they start, and whether they
    carry their own verb ("borrowings must not exceed": the subject is the measure)."""
    head = sentence[max(0, figure.start - 90) : figure.start]
    shift = figure.start - len(head)
    limit, minimum = LIMIT_FRAME.search(head), MINIMUM_FRAME.search(head)
    if limit and (minimum is None or limit.start() > minimum.start()):
        return Template.LIMIT, shift + limit.start(), limit.group("modal") is not None
    if minimum:
        return Template.MINIMUM, shift + minimum.start(), minimum.group("modal") is not None
    return None


def _condition(
    sentence: str, offset: int, template: Template, figure: Figure, frame_start: int, subject: bool
) -> Condition:
    base = after(sentence, figure.end) if figure.unit == "%" else None
    measure = measure_of(sentence, frame_start, subject=subject)
    clause_end = base.end if base else figure.end
    return Condition(
        template=template,
        text=sentence,
        span=Span(offset, offset + len(sentence)),
        measure=measure,
        limit=Quantity(figure.value, figure.unit),
        base=base.text if base else "",
        party=party_in(sentence[:frame_start]),
        exceptions=exceptions_in(sentence[: max(clause_end, frame_start)]),
    )


def read_triggers(clause: str) -> list[Condition]:
    """Every threshold in `clause` that sets off a duty ("if", "where", "upon" ...), each
    as the condition that holds while nothing is due: "if its NSFR falls below 100%" ->
    MINIMUM(NSFR, 100%); "upon ... an increase or decrease of at least 1% of the level of
    interest previously reported" -> LIMIT(increase or decrease, 1%); "a Transaction in cash
    that amounts to USD15,000 or more" -> LIMIT(Transaction in cash, USD 15,000)."""
    text = clause[:MAX_RULE_CHARS]
    found: list[Condition] = []
    for figure in numbers.figures(text)[:MAX_FIGURES]:
        if not conditional_before(text, figure.start):
            continue
        head = text[max(0, figure.start - 80) : figure.start]
        shift = figure.start - len(head)
        below, above = TRIGGER_MINIMUM.search(head), TRIGGER_LIMIT.search(head)
        or_more = _OR_MORE.match(text, figure.end)
        frame = below or above
        if (frame is None and or_more is None) or NEGATED.search(head):
            continue
        at = frame.start() + shift if frame else figure.start
        said_of = before(text, at) or _over_one_word(text, at)
        base = after(text, figure.end) if figure.unit == "%" else None
        clause_start = _clause_start(text, said_of.start if said_of else at)
        end = base.end if base else figure.end
        found.append(
            Condition(
                template=Template.MINIMUM if below is not None else Template.LIMIT,
                text=text[clause_start:end],
                span=Span(clause_start, end),
                measure=said_of.text if said_of else "",
                limit=Quantity(figure.value, figure.unit),
                base=base.text if base else "",
            )
        )
    return found


def read_trigger(clause: str) -> Condition | None:
    """The threshold that sets off the duty `clause` states, or None. Of several ("upon:
    (a) acquiring or ceasing to hold more than 5%; (b) an increase or decrease of at least
    1%"), the change: it is the one a holder already past the first threshold meets."""
    triggers = read_triggers(clause)
    changes = [t for t in triggers if is_change(t.measure)]
    chosen = changes or triggers
    return chosen[0] if chosen else None


def _over_one_word(text: str, at: int) -> Phrase | None:
    """ "voting Securities carrying more than 5%", "a Transaction in cash that amounts to":
    the phrase before the one verb or pronoun between it and the threshold."""
    word = re.search(r"[\w'-]+\s*$", text[:at])
    return before(text, word.start()) if word else None


def _clause_start(text: str, at: int) -> int:
    window = max(0, at - CLAUSE_WINDOW)
    breaks = [m.end() for m in re.finditer(r"[;:\n]", text[window:at])]
    start = window + breaks[-1] if breaks else window
    while start < at and text[start].isspace():
        start += 1
    return start

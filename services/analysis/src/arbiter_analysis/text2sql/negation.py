"""Negations a question puts on what it filters by: "not", "n't" or "never" before a state
("haven't been closed", "not remediated"), and a value said not to hold ("audits that are
not routine", "findings not closed", "non-critical findings"), read only where the reading
is unambiguous; anything else leaves the "not" unread, so the question is refused."""

from __future__ import annotations

import re

from arbiter_analysis.text2sql.meaning import Condition

Span = tuple[int, int]

_VALUE_NEGATION = re.compile(r"(?:\bnot|n't)(?: (?:be|been|being))? $|\bnon-? ?$")
_EQUALS = re.compile(r"(\w+\.\w+) = ('[^']*')")


def state_negation(text: str, position: int) -> re.Match[str] | None:
    """ "not", "n't" or "never" up to two words before `position` ("haven't been closed")."""
    return re.search(r"(?:\bnot|n't|\bnever)(?: \w+){0,2} $", text[:position])


def value_negation(text: str, span: Span, alternatives: str) -> int | None:
    """Where the "not" (or "n't", "non-") negating the value at `span` starts; None when
    the value is not negated, or when the negation could reach another value of the same
    column said right after it ("not high or critical": neither, or critical only?).
    `alternatives` is a pattern for the column's other values."""
    said = _VALUE_NEGATION.search(text[: span[0]])
    if said is None:
        return None
    if re.match(rf"(?:,? (?:or|and|nor)|,) (?:{alternatives})", text[span[1] :]):
        return None
    return said.start()


def column_of(condition: Condition) -> str | None:
    """The column an equality condition tests (`f.status` of `f.status = 'open'`)."""
    m = _EQUALS.fullmatch(condition.sql)
    return m.group(1) if m else None


def negated(condition: Condition) -> Condition:
    """`column <> value` for a `column = value` condition (the enumerated columns are
    NOT NULL, so no row is lost to NULL)."""
    m = _EQUALS.fullmatch(condition.sql)
    if m is None:
        raise ValueError(f"not an equality: {condition.sql}")  # a bug in the caller
    label = condition.label.replace(" is ", " is not ", 1)
    return Condition(f"{m.group(1)} <> {m.group(2)}", condition.tables, label, condition.position)

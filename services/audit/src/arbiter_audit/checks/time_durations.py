"""A timed duty checked against a length of time the situation states instead of two
dates: "filed the report 40 days later", "keeps the records for seven years after the report
is filed", "giving investors 30 days' written notice". The length stands for the duty when
its clause names the rule's action (or, for notice, what the notice is of)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from arbiter_audit.checks.calendar import days_range, quantity_words
from arbiter_audit.checks.time_pairing import action_score, anchor_score
from arbiter_audit.model import Check, Compliance, Condition, Fact, FactKind, Quantity, Template

_AT_MOST = re.compile(r"^(?i:within|in\s+(?:less|under)|under|less\s+than|no\s+more\s+than)\b")
_AT_LEAST = re.compile(r"^(?i:for\s+)?(?i:at\s+least|more\s+than|over|no\s+less\s+than)\b")
_MINIMUM_TEMPLATES = frozenset({Template.ADVANCE_NOTICE, Template.RETENTION})


def stated_check(condition: Condition, facts: Sequence[Fact]) -> Check | None:
    """The check on the stated length that best names the duty, or None when there is
    none (or two name it equally well and differ)."""
    limit = condition.limit
    if limit is None:
        return None
    scored = [
        (_score(condition, f), f)
        for f in facts
        if f.kind is FactKind.DURATION and not f.negated and f.quantity and f.unit
    ]
    scored = sorted((t for t in scored if t[0] > 0), key=lambda t: t[0], reverse=True)
    if not scored:
        return None
    best, fact = scored[0]
    if any(s == best and f.value != fact.value for s, f in scored[1:]):
        return None
    assert fact.quantity is not None
    stated = Quantity(fact.quantity, fact.unit)
    low, high = _compare(stated, limit)
    said = (
        f"the situation states {fact.text}; the rule "
        f"{'requires at least' if condition.template in _MINIMUM_TEMPLATES else 'allows'} "
        f"{quantity_words(limit)}"
    )
    words = fact.text.lower()
    if condition.template in _MINIMUM_TEMPLATES:
        if low >= 0:
            return Check(Compliance.MET, said, (fact.id,))
        if high < 0 and not _AT_LEAST.match(words):
            return Check(Compliance.NOT_MET, said, (fact.id,))
    else:
        if high <= 0:
            return Check(Compliance.MET, said, (fact.id,))
        if low > 0 and not _AT_MOST.match(words):
            return Check(Compliance.NOT_MET, said, (fact.id,))
    return Check(
        Compliance.CANNOT_TELL,
        f"{said}; the two cannot be compared exactly",
        (fact.id,),
        missing=f"the exact dates behind {fact.text}",
    )


def _score(condition: Condition, fact: Fact) -> float:
    score = action_score(condition, fact)
    if condition.template is Template.ADVANCE_NOTICE and score > 0:
        score += anchor_score(condition, fact)
    return score


def _compare(stated: Quantity, limit: Quantity) -> tuple[float, float]:
    """The least and the most `stated` can exceed `limit` by, in calendar days (exact
    when both are in one unit)."""
    if stated.unit == limit.unit:
        gap = stated.value - limit.value
        return gap, gap
    s_low, s_high = days_range(stated)
    l_low, l_high = days_range(limit)
    return s_low - l_high, s_high - l_low

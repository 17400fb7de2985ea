"""A periodic duty ("at least annually") against the situation's dated occurrences of
it: every gap between two must be within the period, and the last must still be within it
at the latest date the situation mentions (a visit, an inspection), unless the situation
says nothing more was done, in which case the gap runs to that statement's date."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from arbiter_audit.checks.calendar import add, describe_day, elapsed_words, quantity_words
from arbiter_audit.checks.time_pairing import MAX_EVENTS, action_score
from arbiter_audit.facts.time import FINANCIAL_YEAR_END, QUARTER_END
from arbiter_audit.model import Check, Compliance, Condition, Fact, FactKind

MIN_SCORE = 0.25
"""The share of the duty's words an event must name to count as one doing of it."""


def periodic_check(condition: Condition, facts: Sequence[Fact]) -> Check:
    """MET when the occurrences keep within the period up to the latest date; NOT_MET
    when a gap, or the time since the last one the situation says was not repeated,
    exceeds it; else CANNOT_TELL."""
    limit = condition.limit
    if limit is None:
        return Check(
            Compliance.CANNOT_TELL,
            'the rule sets no period ("regularly"), so no interval can be said to breach it',
            missing=f"how often the rule expects {condition.action}",
        )
    events = [
        f
        for f in facts
        if f.kind is FactKind.EVENT
        and f.when
        and f.until
        and f.topic not in (FINANCIAL_YEAR_END, QUARTER_END)
    ]
    if len(events) > MAX_EVENTS:
        return Check(
            Compliance.CANNOT_TELL,
            f"the situation dates more than {MAX_EVENTS} events; they are not read one by one",
            missing=f"when {condition.action} was last done",
        )
    done = [e for e in events if not e.negated and action_score(condition, e) >= MIN_SCORE]
    done = [e for e in done if not any(_within(o, e) for o in done if o is not e)]
    done.sort(key=lambda e: (e.when, e.until))
    not_since = [e for e in events if e.negated and action_score(condition, e) >= MIN_SCORE]
    period = quantity_words(limit)
    if not done:
        return Check(
            Compliance.CANNOT_TELL,
            f"the situation gives no date on which the firm did this: {condition.action}",
            missing=f"when {condition.action} was last done",
        )
    for first, second in itertools.pairwise(done):
        assert first.when and first.until and second.when and second.until
        if second.when > add(first.until, limit):
            gap = elapsed_words(first.until, second.when, limit.unit)
            return Check(
                Compliance.NOT_MET,
                f"{gap} passed between {_at(first)} and {_at(second)}; the rule requires it at "
                f"least every {period}",
                (first.id, second.id),
            )
    last = done[-1]
    assert last.when and last.until
    for gap_end in not_since:
        assert gap_end.when and gap_end.until
        if gap_end.when > last.until and gap_end.when > add(last.until, limit):
            gap = elapsed_words(last.until, gap_end.when, limit.unit)
            return Check(
                Compliance.NOT_MET,
                f"after {_at(last)}, {gap_end.text}: {gap} without it; the rule requires it at "
                f"least every {period}",
                (last.id, gap_end.id),
            )
    as_of = max(e.until for e in events if e.until)
    latest = describe_day(as_of, as_of)
    if len(done) > 1 and as_of <= add(last.when, limit):
        steps = ", ".join(_at(e) for e in done)
        return Check(
            Compliance.MET,
            f"done {steps}: never more than {period} apart, and the last is within {period} "
            f"of the latest date the situation mentions ({latest})",
            tuple(e.id for e in done),
        )
    return Check(
        Compliance.CANNOT_TELL,
        f"the situation dates it {', '.join(_at(e) for e in done)} but does not say whether it "
        f"was done again within {period}",
        tuple(e.id for e in done),
        missing=f"whether {condition.action} was done again within {period} of "
        f"{describe_day(last.when, last.until)}",
    )


def _within(outer: Fact, inner: Fact) -> bool:
    """`inner` only restates a coarser date `outer` already pins down ("2023" around
    "March 2023"): the coarser one is dropped."""
    assert outer.when and outer.until and inner.when and inner.until
    wider = (inner.until - inner.when) > (outer.until - outer.when)
    return wider and inner.when <= outer.when and outer.until <= inner.until


def _at(event: Fact) -> str:
    assert event.when and event.until
    return f"{event.topic} ({describe_day(event.when, event.until)})"

"""The time checks: a deadline, an advance notice, a retention period or a periodic duty
against the situation's dated events and stated durations. Elapsed time is counted in the
rule's unit (calendar days, UAE business days, months by the calendar); a date known only
to the month or year decides only when its first and last possible days agree; nothing is
guessed: a missing event or an ambiguous pairing is CANNOT_TELL naming what would decide."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from arbiter_audit.checks.calendar import (
    HOLIDAYS_NOTE,
    add,
    add_business_days,
    describe_day,
    elapsed_words,
    quantity_words,
)
from arbiter_audit.checks.time_durations import stated_check
from arbiter_audit.checks.time_never import never_done
from arbiter_audit.checks.time_pairing import (
    MAX_EVENTS,
    Pairing,
    anchor_score,
    dated_events,
    pair,
    resolve_year_ends,
)
from arbiter_audit.checks.time_periodic import periodic_check
from arbiter_audit.facts.time import OTHER_PERIOD
from arbiter_audit.model import Check, Compliance, Condition, Fact, Quantity, Template

TEMPLATES = frozenset(
    {Template.DEADLINE, Template.ADVANCE_NOTICE, Template.RETENTION, Template.PERIODIC}
)
HOLIDAY_MARGIN = 3
"""Business days a finding of lateness must exceed the limit by, since public holidays
(which would extend it) are not known to the check."""
PROMPT_DAYS = 7
"""A reading of "promptly" / "immediately" with no number: the next business day is met,
a week or more is not; in between, and "as soon as practicable", cannot be told."""
_STRICT_PROMPT = re.compile(r"\b(?i:promptly|immediately|forthwith|without\s+(?:undue\s+)?delay)\b")
_DESTROYED = re.compile(
    r"\b(?i:destroy\w*|delet\w*|dispos\w*|purg\w*|eras\w*|shred\w*|discard\w*|clean-?up|"
    r"wip(?:e|ed|ing)|remov\w*)\b"
)


def check(condition: Condition, facts: Sequence[Fact]) -> Check:
    """How the situation's facts stand against one time condition."""
    if condition.template is Template.PERIODIC:
        return periodic_check(condition, facts)
    if condition.template is Template.RETENTION:
        found = _retention(condition, facts)
    else:
        found = _timed(condition, facts)
    return _alternative_period(condition, facts, found)


def _timed(condition: Condition, facts: Sequence[Fact]) -> Check:
    events = resolve_year_ends(condition, facts)
    paired = pair(condition, events)
    if paired is None:
        stated = stated_check(condition, facts)
        if stated is None and condition.template is Template.DEADLINE:
            stated = never_done(condition, facts)
        return stated if stated is not None else _unpaired(condition, events)
    if condition.limit is None:
        return _prompt(condition, paired)
    if condition.template is Template.ADVANCE_NOTICE:
        return _advance(condition.limit, paired)
    return _deadline(condition.limit, paired)


def _deadline(limit: Quantity, p: Pairing) -> Check:
    a, b = p.anchor, p.action
    assert a.when and a.until and b.when and b.until
    earliest_due, latest_due = add(a.when, limit), add(a.until, limit)
    said = _said(limit, a, b, p.how)
    ids = (a.id, b.id)
    if b.until <= earliest_due:
        return Check(Compliance.MET, f"{said}; due by {_day(earliest_due)}", ids)
    late_from = latest_due
    if limit.unit == "business day":
        late_from = add_business_days(latest_due, HOLIDAY_MARGIN)
    if b.when > late_from:
        return Check(Compliance.NOT_MET, f"{said}; it was due by {_day(latest_due)}", ids)
    return Check(
        Compliance.CANNOT_TELL,
        f"{said}; the dates given do not settle whether that is within the limit",
        ids,
        missing=f"the exact dates of {b.topic} and of {a.topic}",
    )


def _advance(limit: Quantity, p: Pairing) -> Check:
    """Notice `p.action` must come at least `limit` before `p.anchor`."""
    a, b = p.anchor, p.action
    assert a.when and a.until and b.when and b.until
    said = _said(limit, b, a, p.how, before=True)
    ids = (b.id, a.id)
    latest_notice, earliest_notice = add(a.when, limit, sign=-1), add(a.until, limit, sign=-1)
    if limit.unit == "business day":
        latest_notice = add_business_days(latest_notice, -HOLIDAY_MARGIN)
    if b.until <= latest_notice:
        return Check(Compliance.MET, f"{said}; notice was due by {_day(latest_notice)}", ids)
    if b.when > earliest_notice:
        return Check(Compliance.NOT_MET, f"{said}; notice was due by {_day(earliest_notice)}", ids)
    return Check(
        Compliance.CANNOT_TELL,
        f"{said}; the dates given do not settle whether that is enough notice",
        ids,
        missing=f"the exact dates of {b.topic} and of {a.topic}",
    )


def _prompt(condition: Condition, p: Pairing) -> Check:
    a, b = p.anchor, p.action
    assert a.when and a.until and b.when and b.until
    said = _said(Quantity(1, "business day"), a, b, p.how, limit_words="no number of days")
    ids = (a.id, b.id)
    if b.until <= add_business_days(a.when, 1):
        return Check(Compliance.MET, f"{said}; by the next business day reads as prompt", ids)
    if _STRICT_PROMPT.search(condition.text) and (b.when - a.until).days >= PROMPT_DAYS:
        return Check(Compliance.NOT_MET, f"{said}; a week or more is not prompt or immediate", ids)
    return Check(
        Compliance.CANNOT_TELL,
        f"{said}; whether that was prompt enough depends on the circumstances",
        ids,
        missing=f"what the rule accepts as prompt for {condition.action}",
    )


def _retention(condition: Condition, facts: Sequence[Fact]) -> Check:
    """Records kept from the anchor until destroyed, or a stated retention period."""
    limit = condition.limit
    events = dated_events(facts)[:MAX_EVENTS]
    destroyed = [e for e in events if _DESTROYED.search(e.topic)]
    pairs = [
        (anchor_score(condition, a), a, d)
        for d in destroyed
        for a in events
        if a is not d and a.until and d.when and a.until <= d.when
    ]
    pairs = [t for t in pairs if t[0] > 0]
    if limit is not None and pairs:
        pairs.sort(key=lambda t: t[0], reverse=True)
        if len(pairs) == 1 or pairs[1][0] < pairs[0][0]:
            _, a, d = pairs[0]
            return _kept(limit, a, d)
    stated = stated_check(condition, facts)
    if stated is not None:
        return stated
    return Check(
        Compliance.CANNOT_TELL,
        "the situation says neither how long the records were kept nor when they were "
        f"destroyed, counted from {condition.anchor or 'the rule anchor'}",
        missing=f"how long {condition.action or 'the records'} were kept after "
        f"{condition.anchor or 'the event the rule counts from'}",
    )


def _kept(limit: Quantity, a: Fact, d: Fact) -> Check:
    assert a.when and a.until and d.when and d.until
    kept = f"{d.topic} ({describe_day(d.when, d.until)}) came " + elapsed_words(
        a.until, d.when, limit.unit
    )
    said = f"{kept} after {a.topic} ({describe_day(a.when, a.until)}); the rule requires at "
    said += f"least {quantity_words(limit)}"
    ids = (a.id, d.id)
    if d.when >= add(a.until, limit):
        return Check(Compliance.MET, said, ids)
    if d.until < add(a.when, limit):
        return Check(Compliance.NOT_MET, said, ids)
    return Check(
        Compliance.CANNOT_TELL,
        f"{said}; the dates given do not settle it",
        ids,
        missing=f"the exact dates of {a.topic} and of {d.topic}",
    )


def _alternative_period(condition: Condition, facts: Sequence[Fact], found: Check) -> Check:
    """A rule that allows "such other time period as may be specified" decides only when
    the situation says no other period was set."""
    alternative = next((x for x in condition.exceptions if "such" in x.lower()), "")
    if not alternative or found.compliance is Compliance.CANNOT_TELL:
        return found
    none_set = [f for f in facts if f.negated and f.topic == OTHER_PERIOD]
    if none_set:
        return Check(
            found.compliance,
            f"{found.reason}; no other period was set",
            (*found.fact_ids, none_set[0].id),
        )
    return Check(
        Compliance.CANNOT_TELL,
        f"{found.reason}; but the rule allows {alternative}, and the situation does not say "
        "whether one was",
        found.fact_ids,
        missing=f"whether {alternative.removeprefix('or ')}",
    )


def _unpaired(condition: Condition, events: Sequence[Fact]) -> Check:
    anchored = [e for e in events if anchor_score(condition, e) > 0]
    if not anchored:
        missing = f"the date of {condition.anchor}" if condition.anchor else "the date counted from"
    else:
        missing = f"the date on which the firm did this: {condition.action}"
    return Check(
        Compliance.CANNOT_TELL,
        f"the situation does not give both the date of {condition.anchor or 'the event'} "
        f"and the date of {condition.action or 'the action'} in a way that pairs them",
        tuple(e.id for e in anchored[:1]),
        missing=missing,
    )


def _said(
    limit: Quantity,
    first: Fact,
    second: Fact,
    how: str,
    *,
    before: bool = False,
    limit_words: str = "",
) -> str:
    assert first.when and first.until and second.when and second.until
    gap = elapsed_words(first.until, second.when, limit.unit)
    when_first = describe_day(first.when, first.until)
    when_second = describe_day(second.when, second.until)
    relation = "before" if before else "after"
    text = (
        f"{first.topic if before else second.topic} came {gap} {relation} "
        f"{second.topic if before else first.topic} ({when_first} -> {when_second})"
    )
    if how:
        text += f" [{how}]"
    verb = "sets" if limit_words else "requires at least" if before else "allows"
    text += f"; the rule {verb} {limit_words or quantity_words(limit)}"
    if limit.unit == "business day":
        text += f" (Saturday and Sunday are not business days; {HOLIDAYS_NOTE})"
    return text


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"

"""The offline rules' three readings, each family of patterns (time, quantities, actions
and parties) joined into one: the facts of a situation, the conditions of a rule's text,
and the check of one condition against the facts."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import arbiter_audit.checks.actions as action_checks
import arbiter_audit.checks.quantities as quantity_checks
import arbiter_audit.checks.time as time_checks
import arbiter_audit.facts.actions as action_facts
import arbiter_audit.facts.parties as party_facts
import arbiter_audit.facts.quantities as quantity_facts
import arbiter_audit.facts.time as time_facts
import arbiter_audit.templates.actions as action_templates
import arbiter_audit.templates.quantities as quantity_templates
import arbiter_audit.templates.time as time_templates
from arbiter_audit.model import Check, Compliance, Condition, Fact, Template

FACT_READERS = (time_facts.read, quantity_facts.read, action_facts.read, party_facts.read)
CONDITION_READERS = (time_templates.read, quantity_templates.read, action_templates.read)
CHECKS: dict[Template, Callable[[Condition, Sequence[Fact]], Check]] = {
    t: family.check
    for family in (time_checks, quantity_checks, action_checks)
    for t in family.TEMPLATES
}
TRIGGERED = frozenset({Template.NOTIFICATION, Template.APPROVAL})
QUANTITATIVE = frozenset({Template.LIMIT, Template.MINIMUM})


def extract_facts(situation: str) -> list[Fact]:
    """Every family's facts of `situation`, in order of appearance, numbered f1, f2, ..."""
    found = [fact for read in FACT_READERS for fact in read(situation)]
    found.sort(key=lambda f: (f.span.start, f.span.end))
    # Two readings of one fact ("a payment service provider" named twice) are one fact.
    unique = {(f.kind, f.text.casefold(), f.negated): f for f in reversed(found)}
    kept = sorted(unique.values(), key=lambda f: (f.span.start, f.span.end))
    return [dataclasses.replace(f, id=f"f{i}") for i, f in enumerate(kept, 1)]


def read_conditions(rule_text: str) -> list[Condition]:
    """Every family's conditions of `rule_text`, in order. A notification or approval set
    off by a quantity ("notify ... if its capital resources fall below 120% ...") gets
    that quantity as its trigger, and the quantity is no longer a condition of its own:
    falling below is what makes the duty due, not a breach in itself."""
    found = [c for read in CONDITION_READERS for c in read(rule_text)]
    triggered: list[Condition] = []
    for condition in found:
        if condition.template in TRIGGERED and condition.trigger is None:
            trigger = quantity_templates.read_trigger(condition.text)
            if trigger is not None:
                condition = dataclasses.replace(condition, trigger=trigger)
        triggered.append(condition)
    duties = [c for c in triggered if c.trigger is not None]
    kept = [
        c
        for c in triggered
        if not (c.template in QUANTITATIVE and any(_overlaps(c, d) for d in duties))
    ]
    return sorted(kept, key=lambda c: (c.span.start, c.span.end))


def _overlaps(a: Condition, b: Condition) -> bool:
    return a.span.start < b.span.end and b.span.start < a.span.end


def check(condition: Condition, facts: Sequence[Fact]) -> Check:
    """How the facts stand against `condition`. A triggered duty is checked in two
    steps: was it due (its trigger not met), then was it done."""
    if condition.trigger is None:
        return _family_check(condition, facts)
    due = _family_check(condition.trigger, facts)
    if due.compliance is Compliance.MET:
        return Check(Compliance.MET, f"nothing was due: {due.reason}", due.fact_ids)
    if due.compliance is Compliance.CANNOT_TELL:
        return Check(
            Compliance.CANNOT_TELL,
            f"whether it was due cannot be told: {due.reason}",
            due.fact_ids,
            missing=due.missing,
        )
    # The duty's own check is handed the condition whole; it reads only whether the duty
    # was done, the trigger having been settled here.
    done = _family_check(condition, facts)
    return Check(
        done.compliance,
        f"it was due ({due.reason}); {done.reason}",
        tuple(dict.fromkeys(due.fact_ids + done.fact_ids)),
        missing=done.missing,
    )


def _family_check(condition: Condition, facts: Sequence[Fact]) -> Check:
    checker = CHECKS.get(condition.template)
    if checker is None:
        return Check(
            Compliance.CANNOT_TELL,
            f"no offline check reads a {condition.template.value} condition",
            missing=f"a way to check: {condition.describe()}",
        )
    return checker(condition, facts)

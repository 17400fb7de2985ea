"""The check of a LIMIT or MINIMUM against a situation's figures: the stated figure for
what the rule measures, or the share it computes from two stated amounts (USD 19 million of
Tier 1 capital of USD 60 million is 31.7%, against 25%), or the change between two stated
levels (7.2% -> 8.6%, against a 1% threshold). A limit set for one kind of firm, with an
exception or for some things only is NOT_MET only when the situation says it is that firm,
outside the exception, and about those things; CANNOT_TELL otherwise, naming what would
decide it. Without the figure it never guesses: CANNOT_TELL names the figure."""

from __future__ import annotations

import re
from collections.abc import Sequence

from arbiter_audit.checks.quantities_pairing import (
    Figure,
    Finding,
    Standing,
    best,
    closeness,
    comparable,
    exception_standing,
    names_base,
    party_standing,
    scope_standing,
    share,
    stated,
)
from arbiter_audit.facts import numbers
from arbiter_audit.model import Check, Compliance, Condition, Fact, Quantity, Template
from arbiter_audit.templates.quantities_lists import scope_of
from arbiter_audit.templates.quantities_words import is_change

TEMPLATES = frozenset({Template.LIMIT, Template.MINIMUM})
_CROSSING = re.compile(r"\bceas(?:e|es|ed|ing)\b", re.IGNORECASE)
""""acquiring or ceasing to hold more than 5%": a threshold crossed either way."""
_MET, _NOT_MET, _UNSURE = Compliance.MET, Compliance.NOT_MET, Compliance.CANNOT_TELL


def check(condition: Condition, facts: Sequence[Fact]) -> Check:
    """MET, NOT_MET or CANNOT_TELL for `condition` (LIMIT or MINIMUM) given all the
    situation's facts, with the deciding fact ids and the reason in words."""
    limit = condition.limit
    if limit is None:
        return Check(_UNSURE, "the rule states no figure", missing="the rule's figure")
    known = list(facts)
    scope = scope_of(condition.measure)
    party = party_standing(condition.party, known) if condition.party else None
    if party is not None and party.standing is Standing.NO:
        return Check(
            _MET, f"the figure is set for a {condition.party}; {party.words}", party.fact_ids
        )
    for exception in condition.exceptions:
        held = exception_standing(exception, known)
        if held.standing is Standing.YES:
            return Check(_MET, f"the rule's exception holds: {held.words}", held.fact_ids)
    covered = scope_standing(scope.alternatives, scope.exclusions, known)
    if scope.alternatives and covered.standing is Standing.NO:
        return Check(
            _MET,
            f"the figure is not set for this: {covered.words} ({condition.measure})",
            covered.fact_ids,
        )
    figure = _figure(condition, scope.head, known)
    if isinstance(figure, str):
        return Check(_UNSURE, f"the situation states no {figure}", missing=figure)
    verdict = _compare(condition, limit, figure)
    if verdict.compliance is not _NOT_MET:
        return verdict
    return _unless_undecided(condition, verdict, party, scope.alternatives, covered, known)


def _figure(condition: Condition, head: str, facts: list[Fact]) -> Figure | str:
    """The situation's figure for the condition, or the words for the missing one."""
    assert condition.limit is not None
    unit, base = condition.limit.unit, condition.base
    if unit == "%" and (is_change(head) or _CROSSING.search(condition.text)):
        return _changed(condition, facts)
    if unit == "%":
        for fact in sorted(facts, key=lambda f: closeness(head, f.topic), reverse=True):
            if fact.unit != "%" or fact.quantity is None or not comparable(head, fact.topic):
                continue
            if closeness(head, fact.topic)[0] > 0 and (not base or names_base(base, fact.topic)):
                return stated(fact, head)
        if base:
            return _computed(head, base, facts)
        return f"figure for the {head}"
    found, _ = best(facts, head, unit=unit)
    if found is None:
        return f"figure for the {head}" if head else "figure the rule measures"
    return stated(found, head)


def _computed(head: str, base: str, facts: list[Fact]) -> Figure | str:
    """The share `head` is of `base`, from two stated amounts in one currency."""
    for currency in dict.fromkeys(f.unit for f in facts if f.unit.isupper()):
        whole, _ = best(facts, base, unit=currency)
        if whole is None or not whole.quantity:
            continue
        part, _ = best(facts, head, unit=currency, exclude=whole.id)
        if part is not None and whole.value[:1] not in ("<", ">"):
            return share(part, whole, head)
    return f"figure for the {head} as a share of the {base} (or both amounts)"


def _changed(condition: Condition, facts: list[Fact]) -> Figure | str:
    """A stated change of a percentage ("from 3.9% to 4.6%"), the one whose words are
    closest to the rule's when there are several."""
    changes = [f for f in facts if f.unit == "%" and f.quantity is not None and f.topic]
    changes.sort(key=lambda f: closeness(condition.text, f.topic), reverse=True)
    for fact in changes:
        if fact.before is not None:
            return stated(fact, "")
    if changes:
        first = changes[0]
        return f"level of the {first.topic} before it became {first.value} ({first.id})"
    return f"level of the {condition.base or condition.measure} before and after the change"


def _compare(condition: Condition, limit: Quantity, figure: Figure) -> Check:
    rule = _rule_words(condition, limit)
    ids = figure.fact_ids
    if figure.before is not None and (is_change(condition.measure) or _crossing(condition)):
        if _crossing(condition):
            crossed = (figure.before > limit.value) != (figure.value > limit.value)
            said = f"{figure.words}: {'crosses' if crossed else 'does not cross'} {rule}"
            return Check(_NOT_MET if crossed else _MET, said, ids)
        change = abs(figure.value - figure.before)
        within = round(change, 6) <= limit.value
        said = f"{figure.words}: a change of {change:.2f} points; {rule}"
        return Check(_MET if within else _NOT_MET, said, ids)
    ceiling = condition.template is Template.LIMIT
    over, under = figure.value > limit.value, figure.value < limit.value
    said = f"{figure.words}; {rule}"
    if figure.bound == "<":
        if ceiling and not over:
            return Check(_MET, said, ids)
        if not ceiling and not over and figure.value <= limit.value:
            return Check(_NOT_MET, said, ids)
        return Check(_UNSURE, said, ids, missing=f"the exact {condition.measure}")
    if figure.bound == ">":
        if (ceiling and figure.value >= limit.value) or (not ceiling and not under):
            return Check(_NOT_MET if ceiling else _MET, said, ids)
        return Check(_UNSURE, said, ids, missing=f"the exact {condition.measure}")
    met = not over if ceiling else not under
    if figure.partial and (met if ceiling else not met):
        # One part within a ceiling on the sum (or under a floor on it) decides nothing.
        return Check(_UNSURE, said, ids, missing=f"the {condition.measure} in total")
    return Check(_MET if met else _NOT_MET, said, ids)


def _crossing(condition: Condition) -> bool:
    return bool(_CROSSING.search(condition.text))


def _rule_words(condition: Condition, limit: Quantity) -> str:
    amount = numbers.amount_words(limit.value, limit.unit)
    of = f" of {condition.base}" if condition.base and limit.unit == "%" else ""
    if is_change(condition.measure):
        return f"the rule's threshold is a change of {amount}{of}"
    if _crossing(condition):
        return f"the rule's threshold of {amount}{of}"
    if condition.template is Template.LIMIT:
        return f"the rule allows at most {amount}{of}"
    return f"the rule requires at least {amount}{of}"


def _unless_undecided(
    condition: Condition,
    verdict: Check,
    party: Finding | None,
    alternatives: tuple[str, ...],
    covered: Finding,
    facts: list[Fact],
) -> Check:
    """A figure on the wrong side of the limit is NOT_MET only when nothing the situation
    leaves open could take the case outside the limit."""
    if party is not None and party.standing is Standing.UNKNOWN:
        return _undecided(verdict, f"whether the firm is a {condition.party}")
    for exception in condition.exceptions:
        if exception_standing(exception, facts).standing is Standing.UNKNOWN:
            return _undecided(verdict, f"whether the rule's exception holds: {exception}")
    if alternatives and covered.standing is Standing.UNKNOWN:
        head = condition.measure.partition(" for ")[0]
        return _undecided(verdict, f"whether the {head} is for {', '.join(alternatives)}")
    ids = tuple(dict.fromkeys(verdict.fact_ids + covered.fact_ids))
    return Check(_NOT_MET, verdict.reason, ids)


def _undecided(verdict: Check, missing: str) -> Check:
    return Check(
        _UNSURE, f"{verdict.reason}, but {missing} is not stated", verdict.fact_ids, missing
    )

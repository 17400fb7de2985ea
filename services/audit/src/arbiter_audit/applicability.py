"""Whether a rule governs this firm and situation: the scope its text names (kinds of
firm, statuses such as run-off or listed, prudential categories, captive classes, fund
types, retail clients, high-risk customers and PEPs) against the situation's PARTY facts.
APPLIES when the facts are in scope (or the rule names no scope), DOES_NOT_APPLY when they
contradict it (a Category 2 firm and a rule for Category 3B, 3C or 4; a Public Fund and a
rule for Qualified Investor Funds), CANNOT_TELL only when the scope turns on something the
situation does not state, naming it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from arbiter_audit.applicability_scope import Scope, scope_of
from arbiter_audit.facts.parties_words import (
    FIRM,
    FIRM_TYPES,
    FUND,
    FUND_TYPES,
    INVESTS_IN,
    STATUS,
    STATUSES,
    fund_types,
    named,
    wider,
)
from arbiter_audit.model import Applicability, Applies, Fact, FactKind
from arbiter_audit.topics import overlap

_DISTINCT_FIRMS = frozenset(
    {
        "insurer",
        "bank",
        "broker",
        "dnfbp",
        "fund manager",
        "credit rating agency",
        "payment service provider",
        "third party provider",
        "recognised body",
    }
)
"""Kinds of firm no firm is two of: one stated rules out a rule for another."""


@dataclass(frozen=True)
class _Finding:
    applicability: Applicability
    reason: str
    fact_ids: tuple[str, ...] = ()
    missing: str = ""


def applicability(
    rule_text: str, facts: Sequence[Fact], *, rulebook: str = "", title: str = ""
) -> Applies:
    """Whether the rule of `rule_text` applies to the situation of `facts`, and why."""
    del rulebook  # the scope is in the rule's own words; the rulebook adds none yet
    scope = scope_of(rule_text, title)
    parties = [f for f in facts if f.kind is FactKind.PARTY]
    unknowns = [f for f in facts if f.kind is FactKind.UNKNOWN]
    findings = [
        finding
        for finding in (
            _firm(scope, parties),
            *_statuses(scope, parties, unknowns),
            _categories(scope, parties),
            _coded(scope.classes, parties, "captive_class", "class", "the captive insurer's class"),
            _funds(scope, parties, unknowns),
            _clients(scope, parties),
            _customer(scope, parties, unknowns),
        )
        if finding is not None
    ]
    for wanted in (Applicability.DOES_NOT_APPLY, Applicability.CANNOT_TELL):
        chosen = [f for f in findings if f.applicability is wanted]
        if chosen:
            return Applies(
                wanted,
                "; ".join(f.reason for f in chosen),
                tuple(i for f in chosen for i in f.fact_ids),
                missing="; ".join(f.missing for f in chosen if f.missing),
            )
    if not findings:
        return Applies(Applicability.APPLIES, "the rule names no scope the situation contradicts")
    return Applies(
        Applicability.APPLIES,
        "; ".join(f.reason for f in findings),
        tuple(i for f in findings for i in f.fact_ids),
    )


def _stated(parties: list[Fact], attribute: str) -> list[Fact]:
    return [f for f in parties if f.attribute == attribute and not f.negated]


def _firm(scope: Scope, parties: list[Fact]) -> _Finding | None:
    if not scope.firm_types:
        return None
    stated = _stated(parties, "firm_type")
    kinds = {k for f in stated for k in wider(f.value)}
    wanted = " or ".join(sorted(scope.firm_types))
    hits = [f for f in stated if wider(f.value) & scope.firm_types]
    if "fund manager" in scope.firm_types:
        hits += _stated(parties, "fund_type")  # a fund is run by its Fund Manager
    if hits:
        return _Finding(
            Applicability.APPLIES, f"the rule is for {_a(wanted)}; {hits[0].text}", (hits[0].id,)
        )
    if kinds & _DISTINCT_FIRMS and scope.firm_types <= _DISTINCT_FIRMS:
        return _Finding(
            Applicability.DOES_NOT_APPLY,
            f"the rule is for {_a(wanted)}; {stated[0].text}",
            tuple(f.id for f in stated),
        )
    return _Finding(
        Applicability.CANNOT_TELL,
        f"the rule is for {_a(wanted)}; the situation does not say the firm is one",
        missing=f"whether the firm is {_a(wanted)}",
    )


def _statuses(scope: Scope, parties: list[Fact], unknowns: list[Fact]) -> list[_Finding]:
    found = []
    for status in sorted(scope.statuses):
        facts = [f for f in parties if f.attribute == "status" and f.value == status]
        yes = [f for f in facts if not f.negated]
        if yes:
            found.append(
                _Finding(
                    Applicability.APPLIES,
                    f"the rule is for a firm that is {status}; {yes[0].text}",
                    (yes[0].id,),
                )
            )
        elif facts:
            found.append(
                _Finding(
                    Applicability.DOES_NOT_APPLY,
                    f"the rule is for a firm that is {status}; {facts[0].text}",
                    (facts[0].id,),
                )
            )
        else:
            found.append(_unknown(f"whether the firm is {status}", status, unknowns))
    return found


def _categories(scope: Scope, parties: list[Fact]) -> _Finding | None:
    if scope.excluded_categories and not scope.categories:
        stated = _stated(parties, "category")
        for fact in stated:
            code = fact.value.split()[-1]
            if code in scope.excluded_categories:
                return _Finding(
                    Applicability.DOES_NOT_APPLY,
                    f"the rule excludes Category {code}; {fact.text}",
                    (fact.id,),
                )
        return None
    return _coded(
        scope.categories, parties, "category", "category", "the firm's prudential category"
    )


def _coded(
    codes: frozenset[str], parties: list[Fact], attribute: str, word: str, missing: str
) -> _Finding | None:
    if not codes:
        return None
    listed = ", ".join(sorted(codes))
    stated = _stated(parties, attribute)
    if not stated:
        return _Finding(
            Applicability.CANNOT_TELL,
            f"the rule turns on the {word} ({word.title()} {listed}); the situation states none",
            missing=f"{missing} ({word.title()} {listed})",
        )
    hit = [f for f in stated if f.value.split()[-1].upper() in codes]
    if hit:
        return _Finding(
            Applicability.APPLIES,
            f"{hit[0].text} (the rule names {word.title()} {listed})",
            (hit[0].id,),
        )
    return _Finding(
        Applicability.DOES_NOT_APPLY,
        f"the rule is for {word.title()} {listed}; {stated[0].text}",
        tuple(f.id for f in stated),
    )


def _funds(scope: Scope, parties: list[Fact], unknowns: list[Fact]) -> _Finding | None:
    if not scope.funds and not scope.excepted_funds:
        return None
    stated = {f.value: f for f in _stated(parties, "fund_type")}
    for mention in scope.excepted_funds:
        clash = _clash(mention, stated)
        if clash:
            return _Finding(
                Applicability.APPLIES,
                f"the rule excepts a {_name(mention)}; {clash[0].text}",
                (clash[0].id,),
            )
        if any(t not in stated for t, _ in mention):
            first = next(t for t, _ in mention if t not in stated)
            return _unknown(f"whether the fund is a {first.title()}", first, unknowns)
    unsure: list[str] = []
    contradicted: list[Fact] = []
    for mention in scope.funds:
        missing = [t for t, axis in mention if t not in stated]
        if not missing:
            fact = stated[mention[0][0]]
            return _Finding(
                Applicability.APPLIES, f"the rule names a {_name(mention)}; {fact.text}", (fact.id,)
            )
        clash = _clash(mention, stated)
        if clash:
            contradicted += clash
        else:
            unsure += missing
    if unsure:
        first = unsure[0]
        return _unknown(f"whether the fund is a {first.title()}", first, unknowns)
    return _Finding(
        Applicability.DOES_NOT_APPLY,
        f"the rule is for a {' or '.join(_name(m) for m in scope.funds)}; {contradicted[0].text}",
        tuple(dict.fromkeys(f.id for f in contradicted)),
    )


def _clash(mention: tuple[tuple[str, str], ...], stated: dict[str, Fact]) -> list[Fact]:
    """The stated fund types that rule out a mention: another type on the same axis."""
    return [stated[v] for v in stated for t, axis in mention if axis == _axis(v) and v != t]


def _axis(fund_type: str) -> str:
    if fund_type.startswith(INVESTS_IN):
        return "assets"
    return next((axis for value, axis in FUND_TYPES.values() if value == fund_type), "")


def _name(mention: tuple[tuple[str, str], ...]) -> str:
    return " ".join(t.removesuffix(" fund") for t, _ in mention).title() + " Fund"


def _clients(scope: Scope, parties: list[Fact]) -> _Finding | None:
    if not scope.client_types:
        return None
    (wanted,) = scope.client_types
    stated = _stated(parties, "client_type")
    hit = [f for f in stated if f.value == wanted]
    if hit:
        return _Finding(
            Applicability.APPLIES, f"the rule is for {_a(wanted)}; {hit[0].text}", (hit[0].id,)
        )
    if stated:
        return _Finding(
            Applicability.DOES_NOT_APPLY,
            f"the rule is for {_a(wanted)}; {stated[0].text}",
            (stated[0].id,),
        )
    return _Finding(
        Applicability.CANNOT_TELL,
        f"the rule is for {_a(wanted)}; the situation does not say what kind of client",
        missing=f"whether the client is a {wanted}",
    )


def _customer(scope: Scope, parties: list[Fact], unknowns: list[Fact]) -> _Finding | None:
    if not scope.customer:
        return None
    ratings = [f for f in parties if f.attribute == "risk_rating"]
    peps = [f for f in parties if f.attribute == "pep"]
    yes = [f for f in ratings if f.value == "high" and "high risk" in scope.customer]
    yes += [f for f in peps if f.value == "yes" and "pep" in scope.customer]
    if yes:
        return _Finding(
            Applicability.APPLIES,
            f"the rule is for high-risk customers or PEPs; {yes[0].text}",
            (yes[0].id,),
        )
    missing = []
    if "high risk" in scope.customer and not ratings:
        missing.append("the risk rating assigned to the customer")
    if "pep" in scope.customer and not peps:
        missing.append("whether the customer or a beneficial owner is a PEP")
    if missing:
        gap = next((u for u in unknowns if overlap(u.topic, " ".join(missing)) > 0), None)
        return _Finding(
            Applicability.CANNOT_TELL,
            "the rule is for high-risk customers or PEPs; the situation does not say "
            + " or ".join(missing)
            + (f" ({gap.id})" if gap else ""),
            (gap.id,) if gap else (),
            missing="; ".join(missing),
        )
    said = ratings + peps
    return _Finding(
        Applicability.DOES_NOT_APPLY,
        "the rule is for high-risk customers or PEPs; " + "; ".join(f.text for f in said),
        tuple(f.id for f in said),
    )


def _unknown(missing: str, value: str, unknowns: list[Fact]) -> _Finding:
    """CANNOT_TELL naming what is missing, in the situation's words when it says it does
    not know it ("does not say whether the insurer is in run-off")."""
    gap = next((u for u in unknowns if value in _named_in(u.topic)), None)
    if gap is not None:
        return _Finding(
            Applicability.CANNOT_TELL,
            f"the situation does not say {gap.topic} ({gap.id})",
            (gap.id,),
            missing=gap.topic,
        )
    return _Finding(
        Applicability.CANNOT_TELL, f"the situation does not say {missing}", missing=missing
    )


def _named_in(words: str) -> set[str]:
    """The kinds of firm, statuses and fund types `words` name."""
    found = {named(m, FIRM_TYPES) for m in FIRM.finditer(words)}
    found |= {named(m, STATUSES) for m in STATUS.finditer(words)}
    found |= {t for m in FUND.finditer(words) for t, _ in fund_types(m["kinds"])}
    return found


def _a(words: str) -> str:
    return f"{'an' if words[:1].lower() in 'aeiou' else 'a'} {words}"

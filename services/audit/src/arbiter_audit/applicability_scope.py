"""Whom and what a rule's text addresses: the kinds of firm and statuses its duty is on (the
subject before its first modal, "No ADGM Incorporated Insurer that is in run off may",
"This Section applies to ..."), and the prudential categories, captive classes, fund types,
client types, customer risk and PEPs it names anywhere (with those it excludes: "other
than a Category 1 firm")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from arbiter_audit.facts.parties_words import (
    CATEGORY,
    CLASS,
    CLIENT,
    CLIENT_TYPES,
    CODES,
    FIRM,
    FIRM_TYPES,
    FUND,
    STATUS,
    STATUSES,
    fund_types,
    named,
)
from arbiter_audit.templates.actions_words import DUTY, FORBIDDEN

_NO_SUBJECT = re.compile(r"^\s*No\s+(?P<s>[^;:]{2,160}?)\s+(?:may|shall|must)\b")
_APPLIES_TO = re.compile(
    r"\b(?:applies|apply)\s+(?:only\s+)?(?:to|in\s+relation\s+to)[,\s]+(?:or\s+in\s+relation\s+"
    r"to[,\s]+)?(?P<s>[^.;:]{2,160})",
    re.IGNORECASE,
)
_EXCLUDED = re.compile(
    r"\b(?:other\s+than|except|excluding|not\s+in|apart\s+from)\s+(?:an?\s+|the\s+)?"
    r"(?:\w+\s+){0,6}$",
    re.IGNORECASE,
)
_GENERIC_PERSON = re.compile(r"\b(?:authorised|relevant)\s+persons?\b|^\s*(?:a\s+)?person\b", re.I)
_QUALIFIER = re.compile(r"\b(?:that|which|who|being)\b|\bas\s+an?\b", re.IGNORECASE)
_HIGH_RISK = re.compile(
    r"\bhigh[\s-]risk\s+(?:rating|customers?|clients?|business\s+relationships?)\b"
    r"|\b(?:customers?|clients?)\s+(?:assigned|rated|categorised\s+as)\s+(?:a\s+|as\s+)?high",
    re.IGNORECASE,
)
_PEP = re.compile(r"\b(?:is|are|be)\s+(?:an?\s+)?PEPs?\b|\bPEPs?\b", re.IGNORECASE)
_GENERIC_STATUSES = frozenset({"authorised person", "exempt person", "adgm incorporated"})
_SCAN = 6000
"""How much of a long rule's text its scope is looked for in: the scope is stated first."""


@dataclass(frozen=True)
class Scope:
    """What a rule's text names as its addressees."""

    firm_types: frozenset[str] = frozenset()
    statuses: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    excluded_categories: frozenset[str] = frozenset()
    classes: frozenset[str] = frozenset()
    funds: tuple[tuple[tuple[str, str], ...], ...] = ()
    """Each fund mention: its (type, axis) pairs ("Public Property Fund": two)."""
    excepted_funds: tuple[tuple[tuple[str, str], ...], ...] = ()
    """Fund mentions the rule excepts ("except in the case of a Property Fund")."""
    client_types: frozenset[str] = frozenset()
    customer: frozenset[str] = field(default_factory=frozenset)
    """"high risk" and / or "pep": the customers an enhanced duty is for."""


def scope_of(rule_text: str, title: str = "") -> Scope:
    """The scope `rule_text` (and its title) names."""
    text = f"{title}\n{rule_text[:_SCAN]}" if title else rule_text[:_SCAN]
    who = " ".join(_subjects(text))
    categories, excluded = _codes(text)
    customer = set()
    if _HIGH_RISK.search(text):
        customer.add("high risk")
    if _PEP.search(text):
        customer.add("pep")
    clients = {named(m, CLIENT_TYPES) for m in CLIENT.finditer(text)}
    generic = _GENERIC_PERSON.search(who)
    if generic:
        # "An Authorised Person or Recognised Body": any firm; "A Relevant Person that is a
        # DNFBP": the kinds its qualifier names
        qualifier = _QUALIFIER.search(who, generic.end())
        who = who[qualifier.end() :] if qualifier else ""
    funds = [(m, tuple(fund_types(m["kinds"]))) for m in FUND.finditer(text)]
    firms = frozenset(named(m, FIRM_TYPES) for m in FIRM.finditer(who))
    if not firms and not generic:
        firms = _addressed(text)
    return Scope(
        firm_types=firms,
        statuses=frozenset(named(m, STATUSES) for m in STATUS.finditer(who)) - _GENERIC_STATUSES,
        categories=frozenset(categories),
        excluded_categories=frozenset(excluded),
        classes=frozenset(
            code for m in CLASS.finditer(text) for code in CODES.findall(m["codes"] or m["after"])
        ),
        funds=tuple(kinds for m, kinds in funds if not _excepted(text, m.start())),
        excepted_funds=tuple(kinds for m, kinds in funds if _excepted(text, m.start())),
        client_types=frozenset(clients) if len(clients) == 1 else frozenset(),
        customer=frozenset(customer),
    )


def _addressed(text: str) -> frozenset[str]:
    """The kind of firm a rule without a firm for subject still speaks to by name: "All
    complaints must be resolved ... after the day on which the Third Party Provider received
    the complaint" is a duty of Third Party Providers. Only "the <kind>" counts: "a bank" in
    such a rule is usually someone else (a counterparty, a bank the money is held at)."""
    return frozenset(
        named(m, FIRM_TYPES)
        for m in FIRM.finditer(text)
        if text[max(0, m.start() - 4) : m.start()].lower() == "the "
    )


def _subjects(text: str) -> list[str]:
    """Who the rule's duties are on: the words before its first modal, and what it says
    it applies to."""
    found = [m["s"] for m in _APPLIES_TO.finditer(text)]
    first = text.split("\n")
    for line in first:
        no = _NO_SUBJECT.match(line)
        if no:
            found.append(no["s"])
            break
        modal = DUTY.search(line) or FORBIDDEN.search(line)
        if modal:
            found.append(line[: modal.start()])
            break
    return found


def _excepted(text: str, at: int) -> bool:
    return bool(_EXCLUDED.search(text[max(0, at - 40) : at]))


def _codes(text: str) -> tuple[set[str], set[str]]:
    named_codes: set[str] = set()
    excluded: set[str] = set()
    for m in CATEGORY.finditer(text):
        codes = {c.upper() for c in CODES.findall(m["codes"])}
        if _excepted(text, m.start()):
            excluded |= codes
        else:
            named_codes |= codes
    return named_codes, excluded

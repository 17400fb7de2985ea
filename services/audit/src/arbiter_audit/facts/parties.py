"""The PARTY facts of a situation: who the firm is (kind of firm, prudential category, fund
type, captive class, statuses such as run-off or listed, what its licence or permission
covers), who holds its roles and where they live, and who its customer is (client type,
risk rating, PEP). Words inside a statement of what the situation does not know ("does not
say whether the fund is a Public Fund") are not facts; words after "neither", "not" or
"no" are negated ones."""

from __future__ import annotations

import re
from collections.abc import Iterator

from arbiter_audit.facts import actions_unknown
from arbiter_audit.facts.parties_residence import residences
from arbiter_audit.facts.parties_words import (
    CATEGORY,
    CLASS,
    CLIENT,
    CLIENT_TYPES,
    CODES,
    FIRM,
    FIRM_TYPES,
    FUND,
    INVESTING,
    INVESTS_IN,
    ROLE,
    ROLES,
    STATUS,
    STATUSES,
    UAE_PLACES,
    fund_types,
    named,
)
from arbiter_audit.model import Fact, FactKind, Span

_NEGATION = re.compile(
    r"\b(?:not|neither|nor|never|no|non|isn't|wasn't|without)\b[\w\s,'-]{0,30}$", re.IGNORECASE
)
_CLAUSE_START = re.compile(r"[.;:]|\b(?:but|and|while|whereas)\b", re.IGNORECASE)
_AGENT = re.compile(r"\b(?:by|no|from|any|another)\s+(?:an?\s+)?(?:ADGM\s+|UAE\s+)?$", re.I)
"""Words before "Authorised Person" that make it another party ("approved by an ADGM
Authorised Person"), not what the firm is."""
_RISK = re.compile(
    r"\brated\s+(?:\w+\s+){0,3}?(?:as\s+)?(?:an?\s+)?(?P<r1>high|medium|low|moderate)\b"
    r"|\b(?P<r2>high|medium|low|moderate)[\s-]risk\s+(?:rating|score|grade)\b"
    r"|\b(?:risk\s+rating|rating)\s+(?:of|was|is|as)\s+(?P<r3>high|medium|low|moderate)\b"
    r"|\b(?:an?|as)\s+(?P<r4>high|medium|low|moderate)[\s-]risk\s+(?:customer|client|person)\b",
    re.IGNORECASE,
)
_PEP = re.compile(
    r"\bPEP\s+(?:screening|check|checks)\s+(?:was|were|came\s+back|returned|proved)\s+"
    r"(?P<screen>negative|clear|positive|a\s+match|no\s+match)"
    r"|\b(?P<verb>is|was|are|were|as)\s+(?P<not>not\s+)?an?\s+(?:PEP|politically\s+exposed\s+"
    r"person)\b"
    r"|\b(?P<none>not\s+a|no)\s+(?:PEP|politically\s+exposed\s+person)s?\b",
    re.IGNORECASE,
)
_LICENCE = re.compile(
    r"\b(?P<no>no|without\s+(?:a|any))\s+(?P<where>(?:(?-i:[A-Z][\w.]*)\s+){0,2})"
    r"(?:licen[cs]e|permission|authori[sz]ation|FSP)\b"
    r"(?P<tail>\s+(?:in|from)(?:\s+(?:(?-i:[A-Z][\w.]*)|or|and|elsewhere|the|any|other|of|in)\b){1,8})?"
    r"|\b(?:permission|licen[cs]e|FSP)\s+(?:only\s+)?(?:covers|extends\s+to|is\s+limited\s+to|"
    r"allows|permits|is\s+for)\s+(?P<scope>[^,.;]{3,100}?)"
    r"(?=[,.;]|\s+(?:shows|has|had|is|was|operates|offers|displays|runs|sent|sends|took|did|"
    r"and\s+(?:is|has|was))\b|$)"
    r"|\b(?:licen[cs]ed|authori[sz]ed|regulated)\s+(?:and\s+supervised\s+)?(?:by|in)\s+"
    r"(?P<by>[^,.;]{3,60})",
    re.IGNORECASE,
)


def read(situation: str) -> list[Fact]:
    """The PARTY facts of `situation`, each with the exact words it was read from."""
    gaps = actions_unknown.spans(situation)
    found = [f for f in _all(situation) if not actions_unknown.inside(f.span, gaps)]
    found.extend(f for f in residences(situation) if not actions_unknown.inside(f.span, gaps))
    return found


def _all(text: str) -> Iterator[Fact]:
    for m in FIRM.finditer(text):
        kind = named(m, FIRM_TYPES)
        if _is_not_the_firm(text, m):
            continue
        yield _fact(text, m, "firm_type", kind, f"the firm is {_an(kind)}")
    for m in FUND.finditer(text):
        for fund_type, _axis in fund_types(m["kinds"]):
            yield _fact(text, m, "fund_type", fund_type, f"the fund is {_an(fund_type)}")
    for m in INVESTING.finditer(text):
        assets = m["assets"].strip()
        kinds = fund_types(assets)  # "investing in real estate": a property fund
        value = kinds[0][0] if kinds and kinds[0][1] == "assets" else INVESTS_IN + assets
        yield _fact(text, m, "fund_type", value, f"the fund invests in {assets}")
    for m in CATEGORY.finditer(text):
        for code in CODES.findall(m["codes"]):
            value = f"category {code.upper()}"
            yield _fact(text, m, "category", value, f"the firm is in prudential {value}")
    for m in CLASS.finditer(text):
        for code in CODES.findall(m["codes"] or m["after"]):
            value = f"class {code}"
            yield _fact(text, m, "captive_class", value, f"the captive insurer is {value}")
    for m in STATUS.finditer(text):
        status = named(m, STATUSES)
        if _AGENT.search(text[max(0, m.start() - 30) : m.start()]):
            continue
        yield _fact(text, m, "status", status, f"the firm is {_article(status)}{status}")
    for m in ROLE.finditer(text):
        role = named(m, ROLES)
        yield _fact(text, m, "role", role, f"the firm has a {role}")
    for m in CLIENT.finditer(text):
        client = named(m, CLIENT_TYPES)
        yield _fact(text, m, "client_type", client, f"the client is a {client}")
    for m in _RISK.finditer(text):
        rating = next(m[g] for g in ("r1", "r2", "r3", "r4") if m[g]).lower()
        rating = "medium" if rating == "moderate" else rating
        yield _fact(text, m, "risk_rating", rating, f"the customer is rated {rating} risk")
    yield from _peps(text)
    yield from _licences(text)


def _peps(text: str) -> Iterator[Fact]:
    for m in _PEP.finditer(text):
        if m["screen"]:
            yes = m["screen"].lower() in ("positive", "a match")
        elif m["verb"]:
            yes = not m["not"] and not _negated(text, m.start())
        else:
            yes = False
        words = "is" if yes else "is not"
        yield Fact(
            kind=FactKind.PARTY,
            text=f"the customer {words} a politically exposed person",
            span=Span(m.start(), m.end()),
            value="yes" if yes else "no",
            topic="whether the customer is a PEP",
            attribute="pep",
        )


def _licences(text: str) -> Iterator[Fact]:
    for m in _LICENCE.finditer(text):
        if m["no"]:
            where = f"{m['where'] or ''}licence{m['tail'] or ''}".strip()
            value = "UAE licence" if UAE_PLACES.search(where) else where
            yield _fact(text, m, "licence", value, f"the firm holds no {where}", negated=True)
        elif m["scope"]:
            scope = m["scope"].strip()
            yield _fact(text, m, "licence", scope, f"the firm's permission covers {scope}")
        elif not _negated(text, m.start()):
            by = m["by"].strip()
            yield _fact(text, m, "licence", f"licensed by {by}", f"the firm is licensed by {by}")


def _fact(
    text: str, m: re.Match[str], attribute: str, value: str, words: str, *, negated: bool = False
) -> Fact:
    negated = negated or _negated(text, m.start())
    if negated and not words.startswith("the firm holds no"):
        words = words.replace(" is ", " is not ", 1).replace(" has a ", " has no ", 1)
    return Fact(
        kind=FactKind.PARTY,
        text=words,
        span=Span(m.start(), m.end()),
        value=value,
        negated=negated,
        topic=attribute.replace("_", " "),
        attribute=attribute,
    )


def _negated(text: str, at: int) -> bool:
    """Whether the words just before `at`, in the same clause, deny what follows."""
    before = text[max(0, at - 60) : at]
    clause = _CLAUSE_START.split(before)[-1]
    return bool(_NEGATION.search(clause))


def _is_not_the_firm(text: str, m: re.Match[str]) -> bool:
    """A kind of firm used as a modifier ("bank deposits", "bank transfer", "broker's
    client"): not a statement of what a firm is."""
    after = text[m.end() : m.end() + 14].lower()
    return after.startswith((" deposit", " transfer", " account", " guarantee", " holiday"))


def _article(status: str) -> str:
    return "" if status in ("run off", "adgm incorporated") else _an(status)[: -len(status)]


def _an(words: str) -> str:
    return f"{'an' if words[:1] in 'aeiou' else 'a'} {words}"

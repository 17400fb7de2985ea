"""The words for who a firm or person is, shared by the situation's PARTY facts and a
rule's scope: kinds of firm (with the wider kind each is one of), fund types on their two
axes, prudential categories, captive classes, statuses, roles, client types and the places
of the U.A.E. One table each, so a situation and a rule are read with the same words."""

from __future__ import annotations

import re

FIRM_TYPES: dict[str, str] = {
    r"captive(?:\s+insurer|\s+insurance\s+(?:company|firm))?": "captive insurer",
    r"re-?insurer|insurer|insurance\s+(?:company|firm|undertaking)": "insurer",
    r"private\s+bank|bank": "bank",
    r"broker[\s/-]*dealer|broker|dealer(?!\s+in\s+(?:precious|any))": "broker",
    r"dealer\s+in\s+precious\s+(?:metals|stones)|(?:gold|bullion|jewel\w*)\s+dealer": (
        "dealer in precious metals"
    ),
    r"real\s+estate\s+agen(?:cy|t)": "real estate agency",
    r"DNFBP|designated\s+non-financial\s+business(?:es)?(?:\s+(?:and|or)\s+professions?)?": (
        "dnfbp"
    ),
    r"fund\s+manager|manager\s+of\s+(?:a|the)\s+[\w\s]{0,30}?fund": "fund manager",
    r"asset\s+manager|investment\s+manager|portfolio\s+manager": "asset manager",
    r"arranger": "arranger",
    r"advis(?:er|or|ory\s+firm)": "adviser",
    r"credit\s+rating\s+agency": "credit rating agency",
    r"payment\s+service\s+provider|PSP": "payment service provider",
    r"third[\s-]+party\s+(?:service\s+)?provider|TPP": "third party provider",
    r"custodian": "custodian",
    r"recognised\s+(?:body|investment\s+exchange|clearing\s+house)": "recognised body",
    r"multilateral\s+trading\s+facility|MTF": "mtf",
}
"""Pattern -> the kind of firm it names."""

WIDER: dict[str, str] = {
    "captive insurer": "insurer",
    "dealer in precious metals": "dnfbp",
    "real estate agency": "dnfbp",
}
"""A kind of firm -> the wider kind it is one of (a captive insurer is an insurer)."""

FUND_TYPES: dict[str, tuple[str, str]] = {
    r"public": ("public fund", "offer"),
    r"exempt": ("exempt fund", "offer"),
    r"qualified\s+investor": ("qualified investor fund", "offer"),
    r"property|real\s+estate(?:\s+investment)?": ("property fund", "assets"),
    r"venture\s+capital": ("venture capital fund", "assets"),
    r"private\s+credit": ("private credit fund", "assets"),
    r"hedge": ("hedge fund", "assets"),
    r"money\s+market": ("money market fund", "assets"),
    r"islamic": ("islamic fund", "faith"),
    r"domestic": ("domestic fund", "domicile"),
    r"foreign": ("foreign fund", "domicile"),
}
"""Pattern (before "Fund") -> (the fund type, its axis). A fund has one type per axis: a
Public Fund is not a Qualified Investor Fund, but may be a Property Fund."""

FUND = re.compile(
    r"\b(?P<kinds>(?:(?:" + "|".join(FUND_TYPES) + r")[\s,]+(?:or\s+|and\s+)?){1,3})"
    r"(?:funds?|fund\s+manager)\b",
    re.IGNORECASE,
)
INVESTS_IN = "a fund investing in "
"""The fund type of a fund the situation says what it invests in (its asset axis)."""
INVESTING = re.compile(
    r"\bfunds?\b[^.;,]{0,40}?\b(?:investing|invests|invested)\s+(?:mainly\s+|only\s+|"
    r"primarily\s+|exclusively\s+)?in\s+(?P<assets>[^.;,]{3,60}?)(?=\s+(?:drew|had|has|"
    r"was|is|and|with|which|that)\b|[.;,]|$)",
    re.IGNORECASE,
)
CATEGORY = re.compile(
    r"\bcategor(?:y|ies)\s+(?P<codes>[1-5][A-C]?(?:\s*(?:,|or|and|and/or)\s*[1-5][A-C]?)*)\b",
    re.IGNORECASE,
)
CLASS = re.compile(
    r"\bclass\s+(?P<codes>[1-4](?:\s*(?:,|or|and)\s*[1-4])*)\s+captive"
    r"|\bcaptive\s+(?:insurer\s+)?(?:of|in)\s+class\s+(?P<after>[1-4])\b",
    re.IGNORECASE,
)
CODES = re.compile(r"[1-5][A-C]?", re.IGNORECASE)

STATUSES: dict[str, str] = {
    r"in\s+run[\s-]?off|running\s+off|runs?\s+off|run[\s-]off\s+(?:firm|insurer|book)"
    r"|(?:stopped|ceased|stops|ceases)\s+(?:writing|accepting|underwriting)\s+new\s+business"
    r"|closed\s+to\s+new\s+business|no\s+longer\s+(?:writes|writing|accepts)\s+new\s+business": (
        "run off"
    ),
    r"listed\s+entit(?:y|ies)|listed\s+(?:company|issuer)": "listed entity",
    r"reporting\s+entit(?:y|ies)": "reporting entity",
    r"islamic\s+financial\s+business|islamic\s+window": "islamic financial business",
    r"authorised\s+persons?": "authorised person",
    r"exempt\s+persons?": "exempt person",
    r"adgm[\s-]incorporated|incorporated\s+in\s+(?:the\s+)?adgm": "adgm incorporated",
}
"""Pattern -> the status it names."""

ROLES: dict[str, str] = {
    r"senior\s+executive\s+officer|SEO": "senior executive officer",
    r"compliance\s+officer": "compliance officer",
    r"money\s+laundering\s+reporting\s+officer|MLRO": "money laundering reporting officer",
    r"finance\s+officer|chief\s+financial\s+officer|CFO": "finance officer",
    r"licensed\s+director": "licensed director",
    r"(?:the\s+)?(?:fund\s+)?auditor": "auditor",
    r"actuary": "actuary",
}
"""Pattern -> the role it names (the Approved Person functions first)."""

APPROVED_PERSON_ROLES = frozenset(
    {
        "senior executive officer",
        "compliance officer",
        "money laundering reporting officer",
        "finance officer",
        "licensed director",
    }
)

CLIENT_TYPES: dict[str, str] = {
    r"retail\s+(?:clients?|customers?|investors?)": "retail client",
    r"professional\s+(?:clients?|investors?)": "professional client",
    r"market\s+counterpart(?:y|ies)": "market counterparty",
}

UAE_PLACES = re.compile(
    r"\b(?:U\.?A\.?E\.?|United\s+Arab\s+Emirates|Emirates|Abu\s+Dhabi|Dubai|Sharjah|Ajman|"
    r"Al\s+Ain|Ras\s+Al[\s-]Khaimah|Fujairah|Umm\s+Al[\s-]Quwain|ADGM|Al\s+Reem|Khalifa\s+City)"
    r"\b",
    re.IGNORECASE,
)


def alternation(table: dict[str, str] | dict[str, tuple[str, str]]) -> re.Pattern[str]:
    """One pattern over a table's keys, each alternative a named group `g<i>`."""
    parts = [f"(?P<g{i}>{key})" for i, key in enumerate(table)]
    return re.compile(r"\b(?:" + "|".join(parts) + r")\b", re.IGNORECASE)


def named(match: re.Match[str], table: dict[str, str]) -> str:
    """The table's value for the alternative `match` took."""
    values = list(table.values())
    for name, text in match.groupdict().items():
        if text is not None and name.startswith("g"):
            return values[int(name[1:])]
    return ""


FIRM = alternation(FIRM_TYPES)
STATUS = alternation(STATUSES)
ROLE = re.compile(
    r"\b(?:" + "|".join(f"(?P<g{i}>{k})" for i, k in enumerate(ROLES)) + r")\b",
    re.IGNORECASE,
)
CLIENT = alternation(CLIENT_TYPES)


def fund_types(kinds: str) -> list[tuple[str, str]]:
    """The (fund type, axis) pairs named in the words before "Fund" ("Public Property")."""
    found = []
    for pattern, value in FUND_TYPES.items():
        if re.search(rf"\b(?:{pattern})\b", kinds, re.IGNORECASE):
            found.append(value)
    return found


def wider(kind: str) -> set[str]:
    """A kind of firm and every wider kind it is one of."""
    kinds = {kind}
    while kind in WIDER:
        kind = WIDER[kind]
        kinds.add(kind)
    return kinds

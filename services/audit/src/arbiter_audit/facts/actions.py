"""The ACTION facts of a situation (what was done, or, negated, not done: approval or
consent obtained, by whom; notification, notice or report made, to whom; appointments;
waivers; meetings and resolutions; and other acts such as "sent brochures inviting
residents to invest") and its UNKNOWN facts (what it says it does not know).

An ACTION fact's `value` is its kind ("approval", "notification", ... or "act"), with
" only" when the words say those parties alone acted; its `topic` is the kind and the
party ("approval by the head of sales", "notification to the FSRA") or the act's words.
`party_of` and `kind_of` read them back, for the checks."""

from __future__ import annotations

import re
from collections.abc import Iterator

from arbiter_audit.facts import actions_unknown
from arbiter_audit.facts.actions_words import ACT, kind_in, party_in
from arbiter_audit.model import Fact, FactKind, Span

_REST = r"(?=(?P<rest>(?:[^.;:,]|[.,](?=\d)){0,140}))"
"""The words after a verb, up to the clause's end (a decimal point does not end it); a
lookahead, so that a later verb in them is read too."""
_NEGATED_VERB = re.compile(
    r"\b(?P<neg>(?:did|does|do|has|have|had|was|were|is|are)\s*(?:n['\u2019]t|\s+not)|never|"
    r"failed\s+to|fails\s+to|without)\s+(?:(?:yet|first|ever|been|once|even|any|formally)\s+)*"
    r"(?P<verb>[a-z][a-z-]+)\b" + _REST,
    re.IGNORECASE,
)
_NO_NOUN = re.compile(
    r"\b(?P<neg>no|none|nor)\s+(?:record|evidence|trace|sign)?\s*(?:of\s+)?(?:any\s+)?"
    r"(?P<mods>(?:[\w'\u2019-]+\s+){0,4}?)"
    r"(?P<verb>approval|consent|sign-off|waiver|notification|notice|resolution|meeting|"
    r"appointment|permission|authori[sz]ation|report)s?\b" + _REST,
    re.IGNORECASE,
)
_NO_SUBJECT = re.compile(
    r"\b(?P<neg>No|Nobody|None\s+of|Neither)\s+(?P<mods>(?:[\w'\u2019-]+\s+){0,12}?)"
    r"(?P<verb>approved|consented|signed\s+off|authori[sz]ed|notified|appointed|reviewed|"
    r"informed)\b" + _REST,
)
_BY = re.compile(
    r"\b(?P<verb>(?:reviewed\s+and\s+)?(?:approved|signed\s+off|authori[sz]ed|cleared|"
    r"appointed)|(?:consented\s+to)|(?:sign-?off|approval|consent|authori[sz]ation))\s+"
    r"(?=(?P<rest>(?:by|from|of)\s+(?:[^.;:,]|[.,](?=\d)){2,120}))",
    re.IGNORECASE,
)
_SUBJECT_VERB = re.compile(
    r"(?P<mods>\b(?:[\w'\u2019-]+\s+){0,3}?(?:board|management|committee|[Rr]egulator|FSRA|"
    r"unitholders|shareholders|[Oo]fficer|director|MLRO|manager))\s+(?:has\s+|had\s+)?"
    r"(?:formally\s+|also\s+)?(?P<verb>approved|consented\s+to|signed\s+off|authori[sz]ed|"
    r"granted)\b" + _REST
)
_DONE = re.compile(
    r"\b(?P<verb>notified|informed|told|reported|disclosed|wrote\s+to|gave|giving|"
    r"sent|sending|submitted|filed|emailed|emailing|communicated|published|displayed|"
    r"displays|shows|showed|matches|matched|purchased|bought|paid|entered\s+into|agreed\s+to|"
    r"onboarded|opened|accepted|executed|sold|distributed|invited|inviting|offered|marketed|"
    r"promoted|raised|increased|introduced|appointed|obtained|held|granted|made|has|holds)\b"
    + _REST,
    re.IGNORECASE,
)
_CUT = re.compile(
    r",\s*(?:but|and|while|whereas|although)\b|\s+(?:but|while|whereas|although|because)\s"
    r"|,\s+(?:adding|reasoning|saying|citing|giving|flying|visiting)\b"
    r"|\s+without\b|\s+and\s+(?=(?:has|have|had|did|does|was|were|is|never|not|then)\b)",
    re.IGNORECASE,
)
_DENIED = re.compile(
    r"\b(?:not|never|no|nor|without|neither)\b(?:\s+[\w'-]+){0,3}\s*$", re.IGNORECASE
)
_SPACE = re.compile(r"\s+")
_OBJECT_NAMES_KIND = frozenset({"has", "holds", "held", "obtained", "granted", "made"})
"""Verbs whose object says what the action was ("obtained the Regulator's consent")."""
_HAS_OBJECT = re.compile(
    r"^\s*(?:an?\s+|the\s+|its\s+|any\s+)?(?:[\w-]+\s+){0,3}?(?:waiver|relief|consent|"
    r"approval|permission|meeting|resolution|notice)\b",
    re.IGNORECASE,
)


def read(situation: str) -> list[Fact]:
    """The ACTION and UNKNOWN facts of `situation`, each with its exact span."""
    facts = actions_unknown.read(situation)
    gaps = [f.span for f in facts]
    claimed: list[Span] = list(gaps)
    for fact in _actions(situation):
        if any(c.start < fact.span.end and fact.span.start < c.end for c in claimed):
            continue
        claimed.append(fact.span)
        facts.append(fact)
    return sorted(facts, key=lambda f: (f.span.start, f.span.end))


def _actions(text: str) -> Iterator[Fact]:
    for pattern in (_NO_SUBJECT, _NO_NOUN, _NEGATED_VERB):
        for m in pattern.finditer(text):
            fact = _fact(text, m, negated=True)
            if fact is not None:
                yield fact
    for pattern in (_BY, _SUBJECT_VERB, _DONE):
        for m in pattern.finditer(text):
            if _DENIED.search(_clause_before(text, m.start())):
                continue
            fact = _fact(text, m, negated=False)
            if fact is not None:
                yield fact


def _fact(text: str, m: re.Match[str], *, negated: bool) -> Fact | None:
    verb = _SPACE.sub(" ", m["verb"])
    rest = m["rest"] or ""
    cut = _CUT.search(rest)
    if cut:
        rest = rest[: cut.start()]
    rest = rest.rstrip(" ,")
    groups = m.groupdict()
    mods = (groups.get("mods") or "").strip()
    kind = kind_in(verb)
    if verb.lower() in _OBJECT_NAMES_KIND:
        kind = kind_in(rest)
    elif kind == ACT:
        # "never asked for the Regulator's consent" is a consent not sought; but "sent only
        # in the approved form" is a sending, not an approval: a done act's kind is in the
        # first words of its object
        kind = kind_in(rest if negated else " ".join(rest.split()[:3]))
        if verb.lower() in ("has", "holds") and not _HAS_OBJECT.match(rest):
            return None  # "has a USD 2 million ..." is not an action
    party, alone = party_in(verb, rest)
    if mods and not party:
        party = mods
    if kind == ACT and (negated and not rest.strip()):
        return None
    start = m.start("mods") if mods and groups.get("mods") else m.start()
    if groups.get("neg"):
        start = min(start, m.start("neg"))
    end = m.start("rest") + len(rest) if "rest" in groups and m["rest"] is not None else m.end()
    words = _SPACE.sub(" ", text[start:end]).strip()
    if not words:
        return None
    end = start + len(text[start:end].rstrip())
    return Fact(
        kind=FactKind.ACTION,
        text=words,
        span=Span(start, end),
        value=f"{kind} only" if alone else kind,
        negated=negated,
        topic=_topic(kind, party, verb, rest),
    )


def _topic(kind: str, party: str, verb: str, rest: str) -> str:
    if kind == ACT:
        return _SPACE.sub(" ", f"{verb} {rest}").strip()
    if not party:
        return _SPACE.sub(" ", f"{kind}: {verb} {rest}").strip()
    relation = "to" if kind in ("notification", "report", "disclosure", "notice") else "by"
    if kind == "appointment":
        relation = "of"
    return f"{kind} {relation} {party}"


def _clause_before(text: str, at: int) -> str:
    before = text[max(0, at - 50) : at]
    return re.split(r"[.;:,]", before)[-1]


def kind_of(fact: Fact) -> str:
    """An ACTION fact's kind: "approval", "notification", ..., or "act"."""
    return fact.value.removesuffix(" only")


def alone(fact: Fact) -> bool:
    """Whether the words say the fact's party alone acted ("approved by X alone")."""
    return fact.value.endswith(" only")


def party_of(fact: Fact) -> str:
    """Who an ACTION fact's action is by or to ("" when the words do not say)."""
    head = f"{kind_of(fact)} "
    if not fact.topic.startswith(head):
        return ""
    rest = fact.topic[len(head) :]
    for relation in ("by ", "to ", "of "):
        if rest.startswith(relation):
            return rest[len(relation) :]
    return ""

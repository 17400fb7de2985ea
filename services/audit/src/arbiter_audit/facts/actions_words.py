"""The words of actions, shared by the situation's ACTION facts and a rule's conditions:
the kinds of action the checks pair (approval, consent, notification, appointment,
waiver, ...), how a kind is named in a verb or a noun, and who an action is by or to."""

from __future__ import annotations

import re

KINDS: dict[str, str] = {
    "consent": r"consent\w*",
    "approval": r"approv\w*|sign(?:ed|s)?[\s-]+off|sign-?off|authori[sz]\w*|clearance",
    "waiver": r"waiv\w*|relief|modification|exemption",
    "resolution": r"resolutions?",
    "meeting": r"meetings?",
    "notification": r"notif\w*|inform\w*|told|tell",
    "report": r"report\w*",
    "disclosure": r"disclos\w*",
    "notice": r"notice|wrote\s+to|written\s+to|letters?",
    "appointment": r"appoint\w*|replac\w*|hired|recruited|designated|named",
}
"""A kind of action -> the words that name it (a verb or a noun), most specific first:
"asked for the Regulator's consent" is a consent, "sent a notice" a notice."""

APPROVAL_KINDS = frozenset({"approval", "consent", "resolution", "meeting"})
NOTIFICATION_KINDS = frozenset({"notification", "report", "disclosure", "notice"})
ACT = "act"
"""The kind of an action none of KINDS names ("sent brochures inviting residents ...")."""

_KIND = re.compile(
    "|".join(f"(?P<{kind}>\\b(?:{words})\\b)" for kind, words in KINDS.items()), re.IGNORECASE
)
_OWNER = re.compile(
    r"(?:the\s+|its\s+|their\s+)?(?P<p>(?:[A-Z][\w-]*\s+){0,3}[A-Z][\w-]*|[a-z][\w-]*"
    r"(?:\s+management)?)['\u2019]s?\s+(?:prior\s+|written\s+|formal\s+|express\s+)*"
    r"(?:consent|approval|permission|sign-off|authori[sz]ation)",
)
_OF = re.compile(
    r"\b(?:consent|approval|permission|sign-?off|authori[sz]ation|notice|notification|"
    r"approved|signed\s+off|authori[sz]ed|appointed|cleared)\s+(?:of|from|by)\s+"
    r"(?P<p>[^,.;]{2,80}?)(?P<only>\s+(?:alone|only))?"
    r"(?=\s+(?:for|before|to|about|on|in|within|after|but|while|who|when)\b|[,.;]|$)",
    re.IGNORECASE,
)
_OBJECT = re.compile(
    r"^\s*(?:the\s+|its\s+|their\s+|all\s+|an?\s+|new\s+)*(?P<p>(?:ADGM\s+|UAE\s+)?(?:[A-Z][\w-]*\s+){0,3}"
    r"[A-Z][\w-]*|unitholders?|investors?|shareholders?|clients?|customers?|members?|"
    r"(?:senior\s+)?management|the\s+board|board|regulator|auditors?)\b",
)
_TO = re.compile(
    r"\bto\s+(?:the\s+|its\s+|their\s+|all\s+)?(?P<p>(?:[A-Z][\w-]*\s+){0,3}[A-Z][\w-]*|"
    r"unitholders?|investors?|shareholders?|clients?|customers?|members?|regulator)\b"
)
_ONLY = re.compile(r"\b(?:alone|only|solely)\b", re.IGNORECASE)
_ARTICLE = re.compile(r"^(?:the|a|an|its|their|any|all)\s+", re.IGNORECASE)


def kind_in(words: str) -> str:
    """The first kind of action `words` name, or ACT."""
    m = _KIND.search(words)
    if not m:
        return ACT
    return next(kind for kind, text in m.groupdict().items() if text is not None)


def party_in(verb: str, rest: str) -> tuple[str, bool]:
    """Who an action is by or to, in the words after its verb, and whether the words say
    that party alone ("approved by the head of sales alone")."""
    for pattern in (_OWNER, _OF):
        m = pattern.search(f"{verb} {rest}")
        if m:
            return _ARTICLE.sub("", m["p"].strip()), bool(_ONLY.search(rest[: m.end() + 12]))
    if kind_in(verb) in ("notification", "notice", "appointment") or verb.lower() in (
        "ask",
        "asked",
        "asking",
    ):
        m = _OBJECT.match(rest)
        if m:
            return _ARTICLE.sub("", m["p"]), False
    m = _TO.search(rest)
    if m:
        return _ARTICLE.sub("", m["p"]), False
    m = _OBJECT.match(rest)
    if m and kind_in(rest) in NOTIFICATION_KINDS and kind_in(verb) != ACT:
        return _ARTICLE.sub("", m["p"]), False
    return "", False

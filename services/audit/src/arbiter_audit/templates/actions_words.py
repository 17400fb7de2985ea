"""The language of duties to act in a rule's text: the modal that makes a duty or a
prohibition, the words of approval, notification, appointment and residence, the
exceptions ("unless", "except where", "other than") and how a rule's text falls into
clauses, with list items under a header ("it must: (a) ...; (e) obtain the approval of
Senior Management ...") taking the header's duty."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

DUTY = re.compile(
    r"\b(?:must|shall|is\s+required\s+to|are\s+required\s+to|has\s+to|have\s+to)\b", re.I
)
FORBIDDEN = re.compile(
    r"\b(?:must|shall|may)\s+not\b|\bcannot\b|\b(?:is|are)\s+(?:prohibited|forbidden)\s+from\b"
    r"|\b(?:is|are)\s+not\s+(?:permitted|allowed)\s+to\b|^\s*No\s+[^,;:]{2,120}?\s+(?:may|shall)"
    r"\b|^\s*not\s+",
    re.IGNORECASE,
)
QUANTITATIVE = re.compile(
    r"\d|%|\bper\s*cent\b|\b(?:exceed|exceeds|fall\s+below|more\s+than|less\s+than|"
    r"later\s+than|within|before\s+the\s+end|after\s+the\s+end|days?|months?|years?)\b",
    re.IGNORECASE,
)
"""What a figure or a time limit is said in: the quantities' or the time family's."""
EXCEPTION = re.compile(
    r"\b(?:unless|except\s+(?:where|when|if|in\s+the\s+case\s+of|with|for|as|that|to\s+the\s+"
    r"extent)|save\s+(?:where|that|as))\s+(?P<x>[^;.:]{2,240})"
    r"|\bsubject\s+to\s+(?P<y>[^,;.:]{2,120})|\bother\s+than\s+(?P<z>[^,;.:()]{2,120})",
    re.IGNORECASE,
)
RESIDENCE = re.compile(
    r"\b(?:must|shall)\s+(?:at\s+all\s+times\s+)?be\s+(?:ordinarily\s+)?resident\s+in\s+"
    r"(?:the\s+)?(?P<where>U\.?A\.?E\.?|United\s+Arab\s+Emirates|State|Abu\s+Dhabi|ADGM)",
    re.IGNORECASE,
)
_AUTHORITY = r"(?:approval|consent|permission|authori[sz]ation|sanction|clearance|sign-?off)"
WITHOUT_APPROVAL = re.compile(
    r"\bwithout\s+(?:first\s+)?(?:obtaining\s+|having\s+obtained\s+|seeking\s+|receiving\s+)?"
    r"(?:the\s+|its\s+)?(?:prior\s+|written\s+|express\s+|formal\s+)*(?:(?P<owner>[\w\s]{2,40}?)"
    r"['\u2019]s?\s+)?(?:prior\s+|written\s+)*" + _AUTHORITY + r"(?:\s+(?:of|from)\s+(?:the\s+)?"
    r"(?P<party>[^,;.:()]{2,60}?))?(?=\s*(?:[,;.:()]|\b(?:to|for|and|or|in|unless|except|before)\b"
    r"|$))",
    re.IGNORECASE,
)
OBTAIN_APPROVAL = re.compile(
    r"\b(?:obtain|seek|get|receive|secure)\s+(?:the\s+)?(?:prior\s+|written\s+|express\s+)*"
    r"(?:(?P<owner>[A-Za-z][\w\s]{1,40}?)\s+)?"
    + _AUTHORITY
    + r"(?:\s+(?:of|from)\s+(?:the\s+|its\s+)?"
    r"(?P<party>[^,;.:()]{2,60}?))?(?:\s+(?:to|for|before|prior\s+to|in\s+respect\s+of|in\s+"
    r"relation\s+to)\s+(?P<action>[^;.]{2,160}))?"
    r"(?=\s*[,;.:]|\s+(?:and|or)\b|$)",
    re.IGNORECASE,
)
APPROVED_BY = re.compile(
    r"\b(?P<party>(?:the\s+)?(?:(?!and\b|or\b)[\w-]+\s+){0,3}?(?:unitholders|shareholders|members|investors|"
    r"holders|board|[Rr]egulator|management|committee))\s+(?:have\s+|has\s+)?"
    r"(?:approve|approves|approved|consent\s+to|consents\s+to|sanction)\s+(?P<what>[^;.]{0,120}?)"
    r"(?:\s+by\s+(?P<how>(?:a\s+|an\s+)?(?:special|ordinary|extraordinary|unanimous)\s+"
    r"resolution))?(?=[;.,]|$)"
    r"|\b(?:must|shall)\s+be\s+(?:first\s+)?(?:approved|authori[sz]ed|sanctioned)\s+by\s+"
    r"(?:the\s+|a\s+|an\s+)?(?P<party2>[^,;.:]{2,60}?)(?=\s+(?:before|prior\s+to|in\s+writing|"
    r"in\s+advance|for)\b|\s*[,;.:]|$)",
    re.IGNORECASE,
)
NOTIFY = re.compile(
    r"\b(?P<verb>notify|inform|advise|disclose|report|give|send|provide|deliver|submit)\s+"
    r"(?P<rest>[^;:]{2,240})",
    re.IGNORECASE,
)
NOTIFY_PARTY = re.compile(
    r"^(?:promptly\s+|immediately\s+)?(?:the\s+|its\s+|all\s+|each\s+|every\s+|any\s+)?"
    r"(?P<party>(?:[A-Z][\w-]*\s+){0,3}[A-Z][\w-]*|unitholders|shareholders|clients|customers|"
    r"investors|members|participants|holders|regulator)\b",
)
TO_PARTY = re.compile(
    r"\bto\s+(?:the\s+|its\s+|all\s+|each\s+|every\s+|any\s+|relevant\s+)?(?P<party>(?:[A-Z][\w-]*"
    r"\s+){0,3}[A-Z][\w-]*|unitholders|shareholders|clients|customers|investors|members|"
    r"participants|holders|regulator)\b"
)
NOTICE_WORDS = re.compile(r"\b(?:notice|notification|report|disclos\w*|details)\b", re.I)
APPOINT = re.compile(
    r"\b(?:appoint|designate|nominate)\s+(?:and\s+maintain\s+)?(?:an?\s+|the\s+|one\s+or\s+more"
    r"\s+)?(?:(?:individual|person|natural\s+person|someone)\s+(?:to\s+act\s+)?as\s+"
    r"(?:an?\s+|the\s+|its\s+)?)?(?P<party>[^,;.:()]{2,80}?)(?=\s*[,;.:()]|\s+(?:who|which|to|that|with|and|in)\b|$)"
    r"|\bmake\s+the\s+following\s+appointments\b"
    r"|\bhave\s+(?:an?\s+|at\s+least\s+one\s+)(?P<role>(?:[\w-]+\s+){0,4}?(?:officer|director|"
    r"auditor|actuary|committee|function|MLRO|custodian|trustee|representative|"
    r"oversight\s+arrangements))\b",
    re.IGNORECASE,
)
_ITEM = re.compile(r"^\s*\(?(?:[a-z]{1,4}|\d{1,2})[.)]\s*|^\s*\([a-z]{1,4}\)\s*", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.;])\s+(?=[A-Z(])|(?<=[a-z])\.\s+(?=[A-Z])")
_ARTICLE = re.compile(r"^(?:the|a|an|its|any|each|every)\s+", re.IGNORECASE)
_HEADER_KEPT = 600
"""How much of a list's (nested) header an item keeps: its nearest words."""


@dataclass(frozen=True)
class Clause:
    """One sentence or list item of a rule's text, with the duty its header states."""

    start: int
    end: int
    text: str
    header: str = ""
    """The list's header ("it must:") when this clause is one of its items."""
    header_duty: bool = False
    """Whether the header states a duty or a prohibition its items take."""

    @property
    def item(self) -> bool:
        return bool(self.header)


def clauses(rule_text: str) -> Iterator[Clause]:
    """The sentences and list items of `rule_text`, each list item with its header."""
    header, header_duty = "", False
    offset = 0
    for line in rule_text.split("\n"):
        line_start = offset
        offset += len(line) + 1
        if not line.strip():
            continue
        is_item = bool(_ITEM.match(line))
        if not is_item and not line.lstrip()[:1].islower():
            header = ""  # a lower-case line goes on with the item before it
        pieces = [0] + [m.end() for m in _SENTENCE.finditer(line)] + [len(line)]
        for a, b in itertools.pairwise(pieces):
            text = line[a:b]
            if not text.strip():
                continue
            if is_item and header:
                yield Clause(line_start + a, line_start + b, text, header, header_duty)
            else:
                yield Clause(line_start + a, line_start + b, text)
        stripped = line.rstrip()
        if stripped.endswith((":", "\u2014", "-", "\u2013")):
            # an item that opens a list of its own keeps the duty of the list it is in
            header = f"{header} {stripped}"[-_HEADER_KEPT:] if is_item and header else stripped
            header_duty = bool(DUTY.search(header) or FORBIDDEN.search(header))


def subject(text: str) -> str:
    """The words before a clause's first modal: who the duty is on ("An Authorised Person
    in Category 3B, 3C or 4")."""
    m = DUTY.search(text) or FORBIDDEN.search(text)
    words = text[: m.start()] if m else ""
    return _ARTICLE.sub("", words.strip(" ,;:\t"))


def body(clause: Clause) -> str:
    """A list item's words without its marker, or the clause's own words."""
    m = _ITEM.match(clause.text)
    return clause.text[m.end() :] if m else clause.text


def exceptions_of(text: str) -> tuple[str, ...]:
    """The "unless" / "except where" / "subject to" clauses of `text`, in its words."""
    return tuple((m["x"] or m["y"] or m["z"]).strip() for m in EXCEPTION.finditer(text))


def party_words(words: str) -> str:
    """A party's words without articles and trailing connectives."""
    words = _ARTICLE.sub("", words.strip(" ,;:"))
    return re.sub(r"\s+(?:and|or|to|for|in|of)$", "", words, flags=re.IGNORECASE)

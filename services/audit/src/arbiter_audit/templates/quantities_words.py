"""The words rules use around a limit or a minimum: the phrases that frame the figure
("must not exceed", "of at least"), the duty that makes it binding, the conditional words
that make it a trigger instead ("if", "where"), what is measured, for whom, and the
exceptions ("except in the case of a Property Fund", "unless the Regulator sets a
different amount")."""

from __future__ import annotations

import re

from arbiter_audit.facts.quantities_topics import LINKS, after, before

_ARTICLE = r"(?:(?:a|an|the|its|their)\s+)?(?:total\s+of\s+)?(?:about\s+)?"
_MODAL = r"(?P<modal>\b(?:must|shall|does|do|will|may|should|can|is|are)\s+)?"
_WHEN = (
    r"(?:at\s+any\s+time\s+|on\s+any\s+day\s+|in\s+(?:aggregate|total|any\s+case)\s+|"
    r"ever\s+)?"
)

LIMIT_FRAME = re.compile(
    rf"{_MODAL}(?:\bnot(?:\s*,[^,]{{1,40}},)?\s+{_WHEN}(?:exceed(?:\s+a\s+maximum\s+of)?|be\s+(?:more|greater|higher)\s+than|be\s+above|"
    r"rise\s+above|go\s+above|be\s+in\s+excess\s+of)|\bnot\s+exceeding|"
    r"\b(?:no|not)\s+(?:more|greater|higher)\s+than|\b(?:a\s+|the\s+)?maximum\s+(?:of|is)|"
    r"\bcapped\s+at|\blimited\s+to|\bup\s+to(?:\s+a\s+maximum\s+of)?|"
    rf"\b(?:that|which)\s+exceeds?|\bexceeding)\s+{_ARTICLE}$",
    re.IGNORECASE,
)
"""The words that make the figure after them a ceiling."""
MINIMUM_FRAME = re.compile(
    rf"{_MODAL}(?:\bat\s+least|\b(?:not|no)\s+less\s+than|\b(?:a\s+|the\s+)?minimum\s+(?:of|is)|"
    rf"\bnot\s+{_WHEN}(?:fall|drop|go|be)\s+below|\bequal\s+to\s+or\s+(?:greater|more)\s+than|"
    rf"\bnot\s+be\s+lower\s+than)\s+{_ARTICLE}$",
    re.IGNORECASE,
)
"""The words that make the figure after them a floor."""
DUTY = re.compile(
    r"\b(?:must|shall|required\s+to|ensure|may\s+not|may\s+only|limited\s+to|cannot)\b",
    re.IGNORECASE,
)
"""A sentence with none of these states no limit (it defines or describes)."""
_DUTY_BEFORE = re.compile(r"\b(?:must|shall|ensure|may|cannot|does|do|will)\b", re.IGNORECASE)
_CONDITIONAL = re.compile(
    r"\b(?:if|where|whenever|when|upon|once|in\s+the\s+event)\b|\bwho(?:se)?\b", re.IGNORECASE
)
TRIGGER_MINIMUM = re.compile(
    r"\b(?:falls?|fell|drops?|dropped|goes|went|is|are|be|becomes?)\s+(?:below|under|"
    rf"less\s+than|lower\s+than)\s+{_ARTICLE}$",
    re.IGNORECASE,
)
"""A trigger set off by going under the figure: "if its NSFR falls below 100%"."""
TRIGGER_LIMIT = re.compile(
    r"(?:\b(?:exceeds?|exceeded|rises?\s+above|goes\s+above|is\s+(?:more|greater)\s+than|"
    r"more\s+than|greater\s+than|in\s+excess\s+of|at\s+least|amounts?\s+to)\s+"
    rf"|\bof\s+at\s+least\s+){_ARTICLE}$",
    re.IGNORECASE,
)
"""A trigger set off by going over (or reaching) the figure."""
NEGATED = re.compile(r"\bnot\s+(?:\w+\s+){0,3}?$", re.IGNORECASE)
"""A threshold word negated ("does not exceed"): a requirement, not a trigger."""
_CHANGE = re.compile(
    r"\b(?:increase|decrease|change|rise|fall|movement|reduction|variation)s?\b", re.IGNORECASE
)
_HOLDING_VERB = re.compile(
    r"\b(?:maintain|maintains|hold|holds|have|has|keep|keeps|posted|post|incur|incurs|"
    r"invest|invests|borrow|borrows|retain|retains|grant|grants|own|owns)\s+(?:any\s+)?",
    re.IGNORECASE,
)
_EXCEPTION = re.compile(
    r"\b(?:except|excluding|other\s+than|save)\s+(?:in\s+the\s+case\s+of\s+|for\s+|where\s+|"
    r"when\s+|that\s+)?(?:an?\s+|the\s+)?(?P<x>(?:[^,;:.()]|\.(?=\d))+)|"
    r"\bunless\s+(?P<y>(?:[^,;:.()]|\.(?=\d))+)",
    re.IGNORECASE,
)
_REFERENCE = re.compile(
    r"^(?:as\s+(?:provided|set\s+out|specified|permitted)\s+(?:in|by|under)\s+)?"
    r"(?:Rules?|sections?|paragraphs?|chapters?|Part|Schedule|Article)\b",
    re.IGNORECASE,
)
_PARTY = re.compile(
    r"\b(?:for|of|by|to)\s+(?:a|an|each|every|any)\s+(?P<p>(?:(?:[A-Z][\w-]*|\d[A-C]?)\s+){0,4}"
    r"(?:Fund|Insurer|Firm|Person|Bank|Manager|Entity|Company|Broker|Operator|Provider))\b"
)
_NEGATING = re.compile(r"\b(?:except|excluding|other\s+than|unless|save)\b[^,;]*$", re.IGNORECASE)


CLAUSE_WINDOW = 600
"""How far before a figure its duty and "if"/"upon" are looked for: a header and an item
or two of a list, so that "upon: (a) ...; (b) an increase of at least 1%" is one clause."""


def conditional_before(sentence: str, at: int) -> bool:
    """Whether the figure at `at` sits in an "if"/"where" clause of the duty, so that it
    says when the duty arises rather than what it requires."""
    window = max(0, at - CLAUSE_WINDOW)
    duties = list(_DUTY_BEFORE.finditer(sentence, window, at))
    start = duties[-1].end() if duties else window
    return bool(_CONDITIONAL.search(sentence, start, at))


def measure_of(sentence: str, frame_start: int, *, subject: bool) -> str:
    """What the limit at `frame_start` is of. With a negated verb of its own ("aggregate
    borrowings must not exceed", `subject`) it is that verb's subject; otherwise the
    object of the duty's verb ("maintain an NSFR of at least", "incur any Large Exposures
    ... that exceeds", "have posted margin ... of at least") or the phrase before it."""
    head = sentence[:frame_start]
    if not subject:
        duties = list(_DUTY_BEFORE.finditer(head))
        verbs = list(_HOLDING_VERB.finditer(head, duties[-1].end() if duties else 0))
        thing = after(head, verbs[-1].end(), bare=True) if verbs else None
        if thing is not None and not _is_person(thing.text):
            return _trimmed(thing.text)
    said_of = before(sentence, frame_start)
    return _trimmed(said_of.text) if said_of and not _is_person(said_of.text) else ""


def _trimmed(phrase: str) -> str:
    words = phrase.split()
    while words and words[-1].lower() in LINKS:
        words.pop()
    return " ".join(words)


def _is_person(phrase: str) -> bool:
    return bool(re.search(r"\b(?:Person|Manager|Firm|firm|Insurer|Bank|Operator)$", phrase))


def is_change(measure: str) -> bool:
    """Whether a measure is a change in something ("an increase or decrease")."""
    return bool(_CHANGE.search(measure))


def party_in(text: str) -> str:
    """The kind of firm or fund a limit is set for ("The Fund Manager of a Public Property
    Fund may borrow ...": "Public Property Fund"), not one an exception names."""
    for m in _PARTY.finditer(text):
        if not _NEGATING.search(text[max(0, m.start() - 40) : m.start()]):
            return m.group("p")
    return ""


def exceptions_in(text: str) -> tuple[str, ...]:
    """The "except ..." and "unless ..." clauses of `text`, in the rule's words. One that
    only points to another rule ("except as provided in Rule 9.3.7") is that rule's to
    say, not a fact a situation could state."""
    clauses = (" ".join((m.group("x") or m.group("y")).split()) for m in _EXCEPTION.finditer(text))
    return tuple(c for c in clauses if c and not _REFERENCE.match(c))

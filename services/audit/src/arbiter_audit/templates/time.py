"""The time conditions of a rule's text: deadlines ("within four months of the financial
year end", "at the latest fifteen days after the day on which ...", "promptly"), advance
notice ("at least ten Business Days in advance of ...", "not less than 90 days written notice
of ..."), retention ("for a period of at least six (6) years after ...") and periodic duties
("at least annually", "every 12 months", "on a regular basis"), each with the action the
rule requires and the anchor its time counts from."""

from __future__ import annotations

import re

from arbiter_audit.facts.numbers import NUMBER, parse_number
from arbiter_audit.model import Condition, Quantity, Span, Template
from arbiter_audit.templates.time_words import (
    action_of,
    anchor_of,
    exceptions_of,
    sentence_spans_of,
)

_NUM = rf"(?P<num>{NUMBER}|\b(?i:a|an|one)\b)(?:\s*\(\d+\))?"
_UNIT = (
    r"(?P<kind>(?i:business|working|calendar|clear)\s+)?"
    r"(?P<unit>(?i:days?|weeks?|months?|years?))\b['\u2019]?"
)
_DEADLINE = re.compile(
    r"\b(?i:within(?:\s+a\s+period\s+of)?|at\s+the\s+latest|not\s+later\s+than|"
    r"no\s+later\s+than|not\s+more\s+than|no\s+more\s+than)\s+"
    rf"{_NUM}\s+{_UNIT}"
    r"(?:\s+(?P<rel>(?i:of|after|from|following|beginning\s+with|starting\s+with|"
    r"commencing\s+(?:on|with)|before|prior\s+to)))?"
)
_ADVANCE = re.compile(
    r"\b(?i:at\s+least|not\s+less\s+than|no\s+less\s+than|a\s+minimum\s+of)\s+"
    rf"{_NUM}\s+{_UNIT}"
    r"(?:\s+(?i:prior\s+)?(?i:written\s+|advance\s+|prior\s+)*(?P<notice>(?i:notice))"
    r"(?:\s+(?i:in\s+writing))?)?"
    r"(?:\s+(?P<rel>(?i:in\s+advance\s+of|in\s+advance|before|prior\s+to|ahead\s+of|of)))?"
)
_RETENTION = re.compile(
    r"\b(?:(?i:for\s+)?(?:(?i:a\s+(?:minimum\s+)?period\s+of)\s+)?"
    r"(?i:at\s+least|not\s+less\s+than|no\s+less\s+than|a\s+minimum\s+of)|(?i:for))\s+"
    rf"{_NUM}\s+{_UNIT}"
    r"(?:\s+(?P<rel>(?i:after|from|following|of|beginning\s+with|starting\s+with)))?"
)
_KEEP = re.compile(
    r"\b(?i:retain|retained|keep|kept|maintain|maintained|preserve|preserved|store|stored)\b"
)
_PERIODIC_WORDS: dict[str, tuple[float, str] | None] = {
    "annually": (1, "year"),
    "once a year": (1, "year"),
    "once in every year": (1, "year"),
    "every year": (1, "year"),
    "each year": (1, "year"),
    "yearly": (1, "year"),
    "twice a year": (6, "month"),
    "semi-annually": (6, "month"),
    "half-yearly": (6, "month"),
    "quarterly": (3, "month"),
    "once a quarter": (3, "month"),
    "monthly": (1, "month"),
    "once a month": (1, "month"),
    "weekly": (1, "week"),
    "daily": (1, "day"),
    "on a regular basis": None,
    "regularly": None,
    "periodically": None,
    "on a periodic basis": None,
}
_PERIODIC = re.compile(
    r"\b(?i:at\s+least\s+(?P<word>annually|once\s+a\s+year|once\s+in\s+every\s+year|"
    r"twice\s+a\s+year|semi-annually|half-yearly|quarterly|once\s+a\s+quarter|monthly|"
    r"once\s+a\s+month|weekly|daily)"
    r"|(?:at\s+least\s+)?(?:once\s+)?every\s+" + _NUM + r"\s+" + _UNIT + r"|"
    r"on\s+an?\s+(?P<basis>annual|yearly|quarterly|monthly)\s+basis|"
    r"at\s+(?:a\s+minimum|least)\s+(?:an?\s+)?(?P<freq>annual|yearly|quarterly|monthly|weekly|daily)"
    r"\s+frequency|"
    r"(?P<vague>on\s+a\s+regular\s+basis|regularly|periodically|on\s+a\s+periodic\s+basis))"
)
_PROMPT = re.compile(
    r"\b(?i:promptly|forthwith|without\s+(?:undue\s+)?delay|"
    r"immediately(?!\s+(?:preceding|following|before|after|prior|upon|on\s+becoming))|"
    r"as\s+soon\s+as\s+(?:is\s+)?(?:reasonably\s+)?(?:practicable|possible))\b"
)
_MODAL = re.compile(
    r"\b(?i:must|shall|is\s+required\s+to|are\s+required\s+to|has\s+to|have\s+to)\b"
)
_LIST_ITEM = re.compile(r"\s*\(?(?:[a-z]|[ivx]+|\d+)\)")
_CONDITIONAL = re.compile(r"\s*(?:\(\w+\)\s*)?(?i:if|where|when|unless|in\s+the\s+event)\b")
_NOTIFY = re.compile(r"\b(?i:notif\w*|notice|inform\w*|disclos\w*|report\w*|submit\w*)\b")
MAX_RULE_CHARS = 60_000
"""A longer text is read up to here: no rule passage comes close."""


def read(rule_text: str) -> list[Condition]:
    """The DEADLINE, ADVANCE_NOTICE, RETENTION and PERIODIC conditions of `rule_text`, in
    order; none is read from a sentence that sets no duty (no "must", "shall", ...)."""
    text = rule_text[:MAX_RULE_CHARS]
    found: list[Condition] = []
    lead_in: list[re.Match[str]] = []
    for start, end in sentence_spans_of(text):
        modals = list(_MODAL.finditer(text, start, end)) or lead_in
        if modals:
            found += _sentence_conditions(text, start, end, modals)
        if text[start:end].rstrip().endswith(":"):
            lead_in = modals  # "must be: (1) retained ...": the items share its duty
        elif _LIST_ITEM.match(text, start) is None:
            lead_in = []
    return found


def _sentence_conditions(
    text: str, start: int, end: int, modals: list[re.Match[str]]
) -> list[Condition]:
    sentence = text[start:end]
    taken: list[tuple[int, int]] = []
    out: list[Condition] = []

    def free(m: re.Match[str]) -> bool:
        return not any(m.start() < e and s < m.end() for s, e in taken)

    keeps = _KEEP.search(sentence) is not None
    for m in _ADVANCE.finditer(text, start, end):
        if not free(m) or (keeps and m["unit"].lower().startswith("year")):
            continue
        rel = (m["rel"] or "").lower()
        if m["notice"] is None and rel in ("", "of"):
            continue  # "at least six months" alone is a length, not notice
        taken.append(m.span())
        out.append(_condition(Template.ADVANCE_NOTICE, text, (start, end), modals, m))
    for m in _RETENTION.finditer(text, start, end):
        if free(m) and keeps:
            taken.append(m.span())
            out.append(_condition(Template.RETENTION, text, (start, end), modals, m))
    conditional = _CONDITIONAL.match(text, start, end) is not None
    for m in _DEADLINE.finditer(text, start, end):
        if not free(m) or (conditional and m.end() <= modals[0].start()):
            continue  # "Where it is unable to ... within 20 days, it must": what sets the duty off
        taken.append(m.span())
        before = (m["rel"] or "").lower() in ("before", "prior to")
        template = Template.ADVANCE_NOTICE if before else Template.DEADLINE
        out.append(_condition(template, text, (start, end), modals, m))
    periodic = [m for m in _PERIODIC.finditer(text, start, end) if free(m)]
    if any(not m["vague"] for m in periodic):  # "periodically, at least monthly": monthly
        periodic = [m for m in periodic if not m["vague"]]
    for m in periodic:
        taken.append(m.span())
        out.append(_condition(Template.PERIODIC, text, (start, end), modals, m))
    if not out:
        for m in _PROMPT.finditer(text, start, end):
            out.append(_condition(Template.DEADLINE, text, (start, end), modals, m))
            break
    return out


def _limit(m: re.Match[str]) -> Quantity | None:
    word = m["num"].lower()
    number = 1.0 if word in ("a", "an", "one") else parse_number(m["num"])
    if number is None or number <= 0:
        return None
    unit = m["unit"].lower().rstrip("s'\u2019")
    if (m["kind"] or "").strip().lower() in ("business", "working"):
        unit = "business day"
    return Quantity(number, unit)


def _period(m: re.Match[str]) -> Quantity | None:
    if m["vague"]:
        return None
    if m["num"]:
        return _limit(m)
    key = " ".join((m["word"] or m["basis"] or m["freq"] or "").lower().split())
    key = {"annual": "annually", "yearly": "yearly"}.get(key, key)
    period = _PERIODIC_WORDS.get(key) or _PERIODIC_WORDS.get(f"{key}ly")
    return Quantity(*period) if period else None


def _condition(
    template: Template,
    text: str,
    sentence: tuple[int, int],
    modals: list[re.Match[str]],
    m: re.Match[str],
) -> Condition:
    start, end = sentence
    if template is Template.PERIODIC:
        limit = _period(m)
    else:
        limit = _limit(m) if _has(m, "num") and m["num"] else None
    anchor, anchor_end = "", m.end()
    if _has(m, "rel") and m["rel"] and m["rel"].lower() != "in advance":
        notice = _has(m, "notice") and bool(m["notice"])
        anchor, anchor_end = anchor_of(text, sentence, m.end(), notice=notice)
    # The duty is the one whose "must" governs these timing words: the nearest before them.
    modal = next((d for d in reversed(modals) if d.end() <= m.start()), modals[0])
    action = action_of(text, start, end, modal, (m.start(), anchor_end))
    if template is Template.ADVANCE_NOTICE and not _NOTIFY.search(action):
        action = "give written notice"  # "must not increase ... unless it has given notice"
    return Condition(
        template=template,
        text=text[start:end],
        span=Span(start, end),
        action=action,
        anchor=anchor,
        limit=limit,
        exceptions=exceptions_of(text, start, end, (m.start(), anchor_end)),
    )


def _has(m: re.Match[str], group: str) -> bool:
    return group in m.re.groupindex

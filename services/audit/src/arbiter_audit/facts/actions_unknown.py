"""What a situation says it does not know: "The case summary does not say whether the
insurer is in run-off", "is silent on whether the firm holds a licence", "omits the page
showing the risk rating", "says nothing about whether the FSRA granted relief". Each is an
UNKNOWN fact whose topic is the missing fact in words; the words inside such a statement
are not facts of their own (the parties reader skips them)."""

from __future__ import annotations

import re

from arbiter_audit.model import Fact, FactKind, Span

_SOURCE = r"(?:summary|file|record|extract|description|case|report|documents?|audit|it|this)"
_UNKNOWN = re.compile(
    r"\b(?:(?:does|do|did)\s+not|doesn't|don't|didn't|cannot|can't|fails?\s+to|neither)\s+"
    r"(?:say|state|show|indicate|mention|specify|disclose|reveal|record|tell\s+us|confirm|"
    r"establish|identify|explain)\s+(?P<topic>(?:whether|if|what|which|who|when|how|where)\b"
    r"[^.;]{3,300})"
    r"|\b(?:is|are|was|were|remains?)\s+(?:silent|unclear|not\s+known|unknown|not\s+stated)"
    r"\s+(?:on|about|as\s+to|regarding)?\s*(?P<topic2>(?:whether|if|what|which|who|when|how)\b"
    r"[^.;]{3,300})"
    r"|\b(?:says|said|states|stated|records|recorded|shows|showed)\s+nothing\s+"
    r"(?:about|on|of|as\s+to)\s+(?P<topic3>[^.;]{3,300})"
    r"|\b(?:omits|omitted|leaves?\s+out|left\s+out|is\s+missing|lacks)\s+(?:the\s+)?"
    r"(?:page|section|part|record|document|extract)?\s*(?:showing|recording|stating|with|on|"
    r"that\s+shows?)?\s*(?P<topic4>[^.;]{3,300})"
    r"|\b(?:it\s+is\s+)?not\s+(?:known|stated|clear|recorded)\s+(?P<topic5>(?:whether|if|what|"
    r"which|who|when|how)\b[^.;]{3,300})"
    r"|\bno\s+information\s+(?:is\s+given\s+|was\s+given\s+)?(?:on|about|as\s+to)\s+"
    r"(?P<topic6>[^.;]{3,300})",
    re.IGNORECASE,
)
_SOURCE_BEFORE = re.compile(rf"\b{_SOURCE}\b", re.IGNORECASE)
_LEADING = re.compile(r"^(?:whether|if)\s+", re.IGNORECASE)
_TRAILING = re.compile(r"[\s,]+$")


def read(situation: str) -> list[Fact]:
    """The UNKNOWN facts of `situation`, each with the statement's exact span."""
    found: list[Fact] = []
    for m in _UNKNOWN.finditer(situation):
        name = next(g for g in ("topic", "topic2", "topic3", "topic4", "topic5", "topic6") if m[g])
        start, end = m.start(name), m.end(name)
        topic = _TRAILING.sub("", situation[start:end])
        if name == "topic4" and not _SOURCE_BEFORE.search(
            situation[max(0, m.start() - 60) : m.start()]
        ):
            continue  # "lacks capital": only what a document omits is a gap in the facts
        end = start + len(topic)
        found.append(
            Fact(
                kind=FactKind.UNKNOWN,
                text=f"the description does not say {topic}",
                span=Span(m.start(), end),
                value="unknown",
                topic=_LEADING.sub("whether ", topic) if name != "topic4" else topic,
            )
        )
    return found


def spans(situation: str) -> list[Span]:
    """Where the situation speaks of what it does not know."""
    return [fact.span for fact in read(situation)]


def inside(span: Span, gaps: list[Span]) -> bool:
    """Whether `span` lies within one of `gaps`."""
    return any(g.start <= span.start and span.end <= g.end for g in gaps)

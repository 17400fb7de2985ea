"""Splits a compound question into independent sub-queries, and only where each part
can stand on its own: a part too thin to search for is kept with its neighbour."""

from __future__ import annotations

import re

from arbiter_text import keywords

MAX_SUB_QUERIES = 6
MIN_KEYWORDS = 3
"""A part with fewer content words leans on its neighbour..."""
MIN_QUESTION_KEYWORDS = 2
"""...unless it is asked as a question of its own ("what is the trend?" still leans)."""

_QUESTION_WORD = (
    r"(?:is|are|was|were|what|which|who|how|when|where|why|does|do|did|can|could|should|"
    r"must|would|will|may)"
)
_BOUNDARY = re.compile(
    r"(?<=\?)\s+"  # after a question mark
    r"|;\s+"
    r"|\n+\s*(?:[-*\u2022]|\d+[.)])?\s*"  # new line or list item
    r"|\s*\b(?:and also|and additionally|as well as that)\b\s*"
    r"|(?<=[.!])\s+(?=(?:also|additionally|furthermore|separately|secondly|second)\b)"
    rf"|,\s+(?:and|but)\s+(?={_QUESTION_WORD}\b)",
    re.IGNORECASE,
)
_QUESTION_START = re.compile(rf"^\s*(?:[-*\u2022]|\d+[.)])?\s*{_QUESTION_WORD}\b", re.IGNORECASE)
_LIST_MARK = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+")
_LEADING = re.compile(
    r"^(?:and|also|additionally|furthermore|separately|secondly|second|then|plus|but)\b[,:]?\s*",
    re.IGNORECASE,
)


class QueryDecomposer:
    """Finds the independent sub-queries of a question."""

    def split(self, question: str) -> list[str]:
        text = question.strip()
        spans: list[tuple[int, int]] = []
        start = 0
        for match in _BOUNDARY.finditer(text):
            if text[start : match.start()].strip():
                spans.append((start, match.start()))
            start = match.end()
        if text[start:].strip():
            spans.append((start, len(text)))
        # A thin part leans on its neighbour: join it back, with the words between them.
        merged: list[tuple[int, int]] = []
        for span in spans:
            if merged and _thin(text[span[0] : span[1]]):
                merged[-1] = (merged[-1][0], span[1])
            else:
                merged.append(span)
        if len(merged) > 1 and _thin(text[merged[0][0] : merged[0][1]]):
            merged[0:2] = [(merged[0][0], merged[1][1])]
        if len(merged) > MAX_SUB_QUERIES:
            merged[MAX_SUB_QUERIES - 1 :] = [(merged[MAX_SUB_QUERIES - 1][0], merged[-1][1])]
        parts = [_clean(text[a:b]) for a, b in merged]
        return [p for p in parts if p] or [text]


def is_question(part: str) -> bool:
    """Whether a part asks something (ends with "?" or starts with a question word),
    rather than states it."""
    return part.rstrip().endswith("?") or _QUESTION_START.match(part) is not None


def _thin(part: str) -> bool:
    needed = MIN_QUESTION_KEYWORDS if _QUESTION_START.match(part) else MIN_KEYWORDS
    return len(keywords(part)) < needed


def _clean(part: str) -> str:
    text = _LEADING.sub("", _LIST_MARK.sub("", part).strip(" \t\n,;:-"))
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    return text

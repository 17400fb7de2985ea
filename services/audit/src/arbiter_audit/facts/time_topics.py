"""What a dated event or a stated duration is about: the clause around it, in the
situation's own words, with every date taken out ("The PSP logged the complaint and sent
its final resolution on 29 June 2023" -> "sent its final resolution"). A check pairs these
topics with a rule's anchor and action through `topics.overlap`."""

from __future__ import annotations

import re
from collections.abc import Sequence

from arbiter_text.sentences import sentence_spans
from arbiter_text.words import keywords

# Past tenses that are not "-ed" words, so that "... and sent ..." starts a new clause.
_IRREGULAR_PAST = (
    "sent|made|paid|gave|wrote|took|held|sold|bought|kept|told|met|did|began|became|found|"
    "left|put|set|spent|brought|chose|drew|got|knew|led|lost|read|ran|saw|sought|spoke|"
    "stood|went|withdrew|undertook|overtook|forgot"
)
_CLAUSE_BREAK = re.compile(
    r";|:\s|,\s+and\s+|,\s+but\s+|\s\u2014\s|\s-\s"
    rf"|\s(?:and|then|but)\s+(?=(?:[a-z]+ed|{_IRREGULAR_PAST})\b)"
    r"|\b(?i:because|whereas|while|although|though)\b"
)
_LEADING = re.compile(
    r"^(?:(?i:on|in|at|by|during|from|since|until|of|the|and|then|but|only)\b[\s,]*)+"
)
_TRAILING = re.compile(r"(?:[\s,]+(?i:on|in|at|by|during|from|since|until|of|the|only|and))+$")
_SPACE = re.compile(r"\s+")


def clause_bounds(text: str, sentences: Sequence[tuple[int, int]], at: int) -> tuple[int, int]:
    """`(start, end)` of the clause of `text` holding offset `at`."""
    start, end = 0, len(text)
    for s, e in sentences:
        if s <= at < e:
            start, end = s, e
            break
    lo, hi = start, end
    for m in _CLAUSE_BREAK.finditer(text, start, end):
        if m.end() <= at:
            lo = m.end()
        elif m.start() >= at:
            hi = m.start()
            break
    return lo, hi


def topic_of(
    text: str,
    sentences: Sequence[tuple[int, int]],
    span: tuple[int, int],
    dates: Sequence[tuple[int, int]] = (),
    cut: Sequence[tuple[int, int]] = (),
    *,
    both_sides: bool = False,
) -> str:
    """What the words at `span` (a date or a duration) are about: the stretch of its
    clause between the previous date and it ("wrote to the FSRA on 4 September saying it
    would stop trading on 28 September": "saying it would stop trading"), or, when little
    stands before it, the stretch after it. A stretch that points back ("the previous
    one", "a similar module") gets the clause's opening words too. `cut` (a negation the
    date bounds, say) is left out. A duration (`both_sides`) is about both what comes
    before it and what it runs from ("30 days after it wrote to unitholders")."""
    lo, hi = clause_bounds(text, sentences, span[0])
    inside = sorted(d for d in dates if lo <= d[0] and d[1] <= hi and d != span)
    before_end = max((e for s, e in inside if e <= span[0]), default=lo)
    after_start = min((s for s, e in inside if s >= span[1]), default=hi)
    holes = [c for c in cut if c != span]
    topic = _without(text, before_end, span[0], holes)
    if both_sides or len(keywords(topic)) < _ENOUGH_WORDS:
        topic = " ".join(p for p in (topic, _without(text, span[1], after_start, holes)) if p)
    points_back = _BACK_REFERENCE.search(text, before_end, span[0]) or _BACK_REFERENCE.search(topic)
    if points_back and inside and inside[0][0] < span[0]:
        opening = _without(text, lo, inside[0][0], holes)
        topic = f"{opening} {topic}"
    return topic.strip(" ,.")


_ENOUGH_WORDS = 2
_BACK_REFERENCE = re.compile(
    r"\b(?i:previous|prior|earlier|last|similar|same|former|preceding|again|then|"
    r"subsequently|once\s+more)\b"
)


def _without(text: str, lo: int, hi: int, holes: Sequence[tuple[int, int]]) -> str:
    """`text[lo:hi]` with the stretches in `holes` left out, trimmed."""
    pieces: list[str] = []
    at = lo
    for s, e in sorted(holes):
        if e <= at or s >= hi:
            continue
        if s > at:
            pieces.append(_trim(text[at:s]))
        at = max(at, e)
    if at < hi:
        pieces.append(_trim(text[at:hi]))
    return " ".join(p for p in pieces if p)


def _trim(piece: str) -> str:
    piece = _SPACE.sub(" ", piece).strip(" ,.")
    piece = _TRAILING.sub("", piece)
    return _LEADING.sub("", piece).strip(" ,.")


def sentences_of(text: str) -> list[tuple[int, int]]:
    """The sentence spans of a situation (one reading shared by every fact of it)."""
    return sentence_spans(text)

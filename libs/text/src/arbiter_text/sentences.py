"""Sentences: where they end (abbreviations, list items and citation markers allowed
for), and the segments an answer is streamed in."""

from __future__ import annotations

import re
from collections.abc import Iterator

MARKER = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")
"""A citation marker: `[n]` or `[n, m]`, n counted from 1."""

# Words after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    "e.g i.e etc no nos art arts para paras s ss cf vs viz approx incl fig rule rules ch".split()  # noqa: SIM905
)
_SENTENCE_END = re.compile(
    r"(?P<stop>[.!?][\"'\u201d\u2019)\]]*)\s+(?=[\"'\u201c\u2018(\[]?[A-Z0-9])|\n\s*"
)
_LETTER_ITEM = re.compile(r"\(?[a-z]\)?\.")
_SOFT_BREAK = re.compile(r"(?<=[;:])\s+")
# A sentence end, with the citation marker a writer may put after its full stop.
_SENTENCE_DONE = re.compile(rf"[.!?][\"'\u201d\u2019)\]]*(?:\s*{MARKER.pattern})?[.]?\s+|\n+")
MAX_SENTENCE_CHARS = 600


def iter_sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    """`(start, end)` of each sentence of `text`, whitespace trimmed, so that
    `text[start:end]` is the sentence verbatim. Over-long sentences are split at `;`/`:`.
    Lazy, so a caller may stop early in a long text."""
    start = 0
    for match in _SENTENCE_END.finditer(text):
        stop = match.end("stop") if match.group("stop") else match.start()
        if match.group("stop") and _ends_with_abbreviation(text[start:stop]):
            continue
        yield from _pieces(text, start, stop)
        start = match.end()
    yield from _pieces(text, start, len(text))


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """All of `iter_sentence_spans`."""
    return list(iter_sentence_spans(text))


def _ends_with_abbreviation(sentence: str) -> bool:
    last = sentence[-12:].rsplit(None, 1)[-1] if sentence.strip() else ""
    return last.lower().rstrip(".") in _ABBREVIATIONS or bool(_LETTER_ITEM.fullmatch(last))


def sentences(text: str) -> list[str]:
    """The sentences of `text`, verbatim."""
    return [text[a:b] for a, b in iter_sentence_spans(text)]


def _pieces(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start >= end:
        return
    if end - start <= MAX_SENTENCE_CHARS:
        yield start, end
        return
    cut = start
    for match in _SOFT_BREAK.finditer(text, start, end):
        if match.start() - cut >= MAX_SENTENCE_CHARS // 3:
            yield from _hard_pieces(text, cut, match.start())
            cut = match.end()
    yield from _hard_pieces(text, cut, end)


def _hard_pieces(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Cut a span with no natural break into pieces of at most MAX_SENTENCE_CHARS, at spaces."""
    while end - start > MAX_SENTENCE_CHARS:
        cut = text.rfind(" ", start, start + MAX_SENTENCE_CHARS)
        cut = cut if cut > start else start + MAX_SENTENCE_CHARS
        yield start, cut
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        yield start, end


def segments(text: str, *, max_words: int = 12) -> list[str]:
    """Consecutive pieces of `text` (they concatenate back to it exactly), each ending at
    a sentence end or after at most `max_words` words: the deltas of a streamed answer."""
    pieces: list[str] = []
    start = 0
    count = 0
    for match in re.finditer(r"\S+\s*", text):
        count += 1
        token = match.group()
        ends_sentence = token.rstrip()[-1:] in ".!?" or "\n" in token
        if ends_sentence or count >= max_words:
            pieces.append(text[start : match.end()])
            start = match.end()
            count = 0
    if start < len(text):
        if pieces and not text[start:].strip():
            pieces[-1] += text[start:]
        else:
            pieces.append(text[start:])
    return pieces


def complete_sentences(text: str) -> int:
    """How many characters at the start of `text` form complete sentences (up to and
    including the whitespace after the last sentence end): what a gate may release."""
    end = 0
    for match in _SENTENCE_DONE.finditer(text):
        end = match.end()
    return end

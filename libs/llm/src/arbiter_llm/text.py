"""Plain-text tools the offline rules share: words, keywords, light stemming, sentences,
and the segments an answer is streamed in."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator

from arbiter_llm.citations import MARKER

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'\u2019]*(?:-[A-Za-z0-9]+)*|\d+(?:\.\d+)*")

STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each either else ever every few for from further had
    hadn't has hasn't have haven't having he her here hers herself him himself his how i if in
    into is isn't it it's its itself just let me more most mustn't my myself neither no nor not
    now of off on once only or other ought our ours ourselves out over own same shall she
    should shouldn't so some such than that that's the their theirs them themselves then there
    these they this those through to too under until up upon very was wasn't we were weren't
    what when where which while who whom whose why will with within without won't would
    wouldn't you your yours yourself yourselves also please tell me us one may might
    """.split()  # noqa: SIM905 - a word list reads better as prose
)

_SUFFIXES = (
    "ations",
    "ation",
    "ments",
    "ment",
    "ings",
    "ing",
    "ies",
    "ied",
    "ness",
    "ers",
    "er",
    "ed",
    "es",
    "ly",
    "s",
)

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


def words(text: str) -> list[str]:
    """The words of `text`, lower-cased, in order."""
    return [w.lower().replace("\u2019", "'") for w in _WORD.findall(text)]


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light suffix-stripping stem: enough to match `reports`, `reported`, `reporting`."""
    w = word.lower()
    for _ in range(2):
        for suffix in _SUFFIXES:
            if w.endswith(suffix) and len(w) - len(suffix) >= 4:
                if suffix == "s" and w.endswith("ss"):
                    continue
                w = w[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
                break
        else:
            break
    return w


def keywords(text: str, *, ignore: Iterable[str] = ()) -> list[str]:
    """The content words of `text` (no stopwords, no one-letter words), unique, in order."""
    skip = STOPWORDS.union(w.lower() for w in ignore) if ignore else STOPWORDS
    out: dict[str, None] = {}
    for w in words(text):
        if len(w) > 1 and w not in skip:
            out[w] = None
    return list(out)


def stems(text: str, *, ignore: Iterable[str] = ()) -> set[str]:
    """The stems of the content words of `text`."""
    return {stem(w) for w in keywords(text, ignore=ignore)}


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

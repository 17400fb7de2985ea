"""Words: splitting text into them, stop words, light stemming and keywords. The
offline rules of every service match text by these, with no model."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

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


def words(text: str) -> list[str]:
    """The words of `text`, lower-cased, in order."""
    return [w.lower().replace("\u2019", "'") for w in _WORD.findall(text)]


MAX_CACHED_WORD_CHARS = 32
"""Longer words are stemmed afresh each time: a caller's text must not fill the cache."""


def stem(word: str) -> str:
    """A light suffix-stripping stem: enough to match `reports`, `reported`, `reporting`."""
    if len(word) <= MAX_CACHED_WORD_CHARS:
        return _cached_stem(word)
    return _stem(word)


@functools.lru_cache(maxsize=16384)
def _cached_stem(word: str) -> str:
    return _stem(word)


def _stem(word: str) -> str:
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

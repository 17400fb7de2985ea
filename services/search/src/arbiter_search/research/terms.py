"""What a question asks about, as words the passages can be checked against: its key
terms (content-word stems less the words every question in this domain uses), its word
pairs, and the rule numbers it cites. The reranker, the validator and the strategy
decider read questions through this one module."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from itertools import pairwise

from arbiter_text import STOPWORDS, stem, words

# Words nearly every regulatory question carries: they neither rank passages nor say
# what a passage is missing.
GENERIC = frozenset(
    stem(w)
    for w in """
    adgm abu dhabi global market fsra regulator regulators regulatory regulation regulations
    authority authorities financial services firm firms entity entities person persons
    relevant specific specifically particular requirement requirements required require
    requires rule rules rulebook rulebooks guidance provision provisions apply applies
    applicable applicability accordance according regard regarding respect context under
    must need needs needed should would could ensure ensuring consider considered
    considerations expected expect expectations outlined outline set forth described
    specified stated state provide provided provides include includes including detail
    details certain various ways way kind kinds type types take taken make made
    happen happens case cases circumstances situation situations scenario instance
    example also terms term long much many often whether""".split()  # noqa: SIM905 - a word list reads better as prose
)

_RULE_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){1,5})(?![\w])")
_ABBREVIATION = re.compile(r"(?<![\w-])([A-Z]{2,6})(?:s)?(?![\w-])")


@dataclass(frozen=True)
class QuestionTerms:
    """The parts of a question that passages are matched against."""

    key: tuple[str, ...]
    """Stems of the content words, generic ones dropped, unique, in order."""
    words: dict[str, str]
    """For each key stem, the first word of the question it came from (for messages)."""
    pairs: frozenset[tuple[str, str]]
    """Adjacent content-word stem pairs (`money`, `launder`): phrases, loosely."""
    rule_numbers: tuple[str, ...]
    """Dotted numbers the question cites, like `8.3.1`."""
    abbreviations: tuple[str, ...]
    """Upper-case words of 2-6 letters (`AML`, `COBS`): rulebook names, often."""


@functools.lru_cache(maxsize=4096)
def question_terms(text: str) -> QuestionTerms:
    """The terms of `text` (cached: one question is read by several stages)."""
    content = [w for w in words(text) if len(w) > 1 and w not in STOPWORDS]
    stems = [stem(w) for w in content]
    key: dict[str, str] = {}
    for word, s in zip(content, stems, strict=True):
        if s not in GENERIC and not s.replace(".", "").isdigit():
            key.setdefault(s, word)
    return QuestionTerms(
        key=tuple(key),
        words=key,
        pairs=frozenset(pairwise(stems)),
        rule_numbers=tuple(dict.fromkeys(_RULE_NUMBER.findall(text))),
        abbreviations=tuple(dict.fromkeys(_ABBREVIATION.findall(text))),
    )


@dataclass(frozen=True)
class PassageTerms:
    """The stems of a passage, as a set and as adjacent pairs."""

    stems: frozenset[str]
    pairs: frozenset[tuple[str, str]]
    length: int
    """Words in the passage."""


@functools.lru_cache(maxsize=4096)
def passage_terms(text: str) -> PassageTerms:
    """The terms of a passage's text (cached: rounds and stages see the same passages)."""
    content = [stem(w) for w in words(text) if w not in STOPWORDS]
    return PassageTerms(
        stems=frozenset(content),
        pairs=frozenset(pairwise(content)),
        length=len(content),
    )


def hit_stems(text: str, title: str, reference: str) -> frozenset[str]:
    """Every stem a passage holds, in its text, title or reference."""
    return passage_terms(text).stems | passage_terms(f"{title} {reference}").stems

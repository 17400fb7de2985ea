"""How many rows a superlative with no number asks for: "which rulebooks have the most
findings" wants a ranked list, "which rulebook has the most findings" (or "in which year
were the most audits started") one row. Read from the question as typed, since
normalising folds plurals ("findings", "breaches") into one spelling."""

from __future__ import annotations

import re

RANKED_ROWS = 10
"""Rows a plural superlative with no number returns ("which rules are most often breached")."""

_ASKS = re.compile(r"\b(?:which|what)\b(.*)")
_LEADS = frozenset({"show", "list", "give", "name", "tell", "me", "us", "the"})
_PLURAL_VERBS = frozenset({"are", "were", "have", "do", "aren't", "weren't", "don't"})
_SINGULAR_VERBS = frozenset({"is", "was", "has", "does", "isn't", "wasn't", "doesn't"})
_CONTRACTED_IS = re.compile(r"\b(what|which|who|that|there)'s\b")
"""'s after a question word is "is" ("what's the firm with ..."), not a plural or a possessive."""
_ENDS_PHRASE = frozenset(
    {"the", "a", "an", "of", "in", "with", "by", "for", "to", "from", "at", "most", "least",
     "fewest", "highest", "lowest", "largest", "biggest", "smallest", "had", "did", "saw", "got",
     "received", "produced", "often", "frequently"}
)  # fmt: skip


def _plural_noun(word: str) -> bool:
    return word.endswith("s") and not word.endswith(("ss", "us", "is"))


def asks_for_several(question: str) -> bool:
    """Whether the thing the question asks about is plural: the last noun of the phrase
    after "which"/"what" (or at the start: "rules most often breached"), else its verb."""
    said = _CONTRACTED_IS.sub(r"\1 is", question.lower().replace("\u2019", "'"))
    words = re.findall(r"[a-z][a-z'-]*", said)
    asked = _ASKS.search(" ".join(words))
    rest = asked.group(1).split() if asked else [w for w in words if w not in _LEADS]
    nouns: list[str] = []
    for word in rest[:4]:
        if word in _PLURAL_VERBS or word in _SINGULAR_VERBS:
            return _plural_noun(nouns[-1]) if nouns else word in _PLURAL_VERBS
        if word in _ENDS_PHRASE or word.endswith("ed"):
            break
        nouns.append(word)
    return bool(nouns) and _plural_noun(nouns[-1])


def rows_wanted(question: str) -> int:
    """The LIMIT of a superlative that names no number."""
    return RANKED_ROWS if asks_for_several(question) else 1

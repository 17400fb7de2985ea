"""The words of a timed duty: what it requires (the action, from the rule's "must" on),
what its time counts from (the anchor, after "of" / "after" / "in advance of"), and the
alternatives and exceptions the rule allows ("or such other time period as may be specified",
"unless ...")."""

from __future__ import annotations

import re

from arbiter_text.sentences import sentence_spans

MAX_ANCHOR_CHARS = 200
MAX_ACTION_CHARS = 240
_ANCHOR_STOP = re.compile(
    r"[;:\n]|,\s|\.(?!\d)|\s(?=(?i:or\s+such\s+other|whichever|unless|except|save\s+where|"
    r"(?:and\s+|it\s+|they\s+)?(?:must|shall)|in\s+accordance\s+with)\b)"
)
_ADDRESSEE = re.compile(r"\s(?=to\s+(?:the|its|each|all|every|any)\s)")
"""Where "notice of <anchor> to the Unitholders" turns from what to whom."""
_GENERIC_ANCHOR = re.compile(
    r"\b(?i:event|events|occurrence|matter|matters|circumstance|circumstances|it|this|that)\b"
)
_CONDITIONAL = re.compile(r"^\s*(?:\(\w+\)\s*)?(?i:if|where|when|upon|on|following)\b[^,]{3,300},")
_EXCEPTION = re.compile(
    r"\b(?P<clause>(?i:or\s+such\s+(?:other|longer|shorter)\s+(?:time\s+)?(?:period|time|date)"
    r"|unless|except|save\s+where|other\s+than\s+where)\b[^,;.]{3,200})"
)
_ALTERNATIVE = re.compile(r"^(?i:or\s+such\s+(?:other|longer|shorter))[^,]*,")
_SPACE = re.compile(r"\s+")
_REPEATED_COMMA = re.compile(r"\s*,(?:\s*,)+")
_TRAILING_JOIN = re.compile(r"(?:\s+(?i:and|or|to|of|the|in|by|within))+$")
_SUBJECT_WORDS = 8


def sentence_spans_of(text: str) -> list[tuple[int, int]]:
    """The sentences (and list items) of a rule's text."""
    return sentence_spans(text)


def anchor_of(
    text: str, sentence: tuple[int, int], at: int, *, notice: bool = False
) -> tuple[str, int]:
    """The anchor that begins at `at` (just after "of", "after", ...) in the sentence
    `text[sentence[0]:sentence[1]]`, and where it ends. A generic anchor ("the event
    causing the vacancy", "it") is completed with the sentence's "If ..." clause, which
    names the event. With `notice`, the anchor stops where the addressee begins."""
    start, end = sentence
    stop = _ANCHOR_STOP.search(text, at, min(end, at + MAX_ANCHOR_CHARS))
    anchor_end = stop.start() if stop else min(end, at + MAX_ANCHOR_CHARS)
    addressee = _ADDRESSEE.search(text, at, anchor_end) if notice else None
    anchor_end = addressee.start() if addressee else anchor_end
    anchor = _clean(text[at:anchor_end])
    if anchor and _GENERIC_ANCHOR.search(anchor):
        conditional = _CONDITIONAL.match(text, start, end)
        if conditional:
            anchor = f"{anchor} ({_clean(conditional[0])})"
    return anchor, anchor_end


def action_of(
    text: str, start: int, end: int, modal: re.Match[str], timing: tuple[int, int]
) -> str:
    """What the duty requires: the sentence from its "must" / "shall" on, without the
    timing words; a passive duty ("must be resolved") keeps its subject ("complaints")."""
    lo, hi = timing
    if modal.end() <= lo:
        predicate = f"{text[modal.end() : lo]} {text[hi:end]}"
    else:
        predicate = text[max(modal.end(), hi) : end]
    predicate = _clean(_ALTERNATIVE.sub("", _clean(predicate)))
    if re.match(r"(?i)be\b", predicate):
        subject = text[start : modal.start()].split()[-_SUBJECT_WORDS:]
        predicate = f"{' '.join(subject)} {predicate}"
    return predicate[:MAX_ACTION_CHARS].strip(" ,.")


def exceptions_of(
    text: str, start: int, end: int, timing: tuple[int, int] = (0, 0)
) -> tuple[str, ...]:
    """The alternatives and exceptions of the sentence `text[start:end]`, in its words;
    the clause holding the duty's own timing words is not one."""
    found = []
    for m in _EXCEPTION.finditer(text, start, end):
        if m.start() <= timing[0] < m.end():
            continue
        found.append(_clean(m["clause"]))
    return tuple(found)


def _clean(words: str) -> str:
    words = _REPEATED_COMMA.sub(",", _SPACE.sub(" ", words)).strip(" ,.;:")
    return _TRAILING_JOIN.sub("", words).strip(" ,.;:")

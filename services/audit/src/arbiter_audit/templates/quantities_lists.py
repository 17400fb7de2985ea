"""Limits and minimums a rule sets as a list: a header that frames the figures ("of at
least the following proportion of the value of the exposure:", "The base capital
requirement for a Captive Insurer is:") and items that give one figure each, for one kind
of firm ("(b) for a Class 2 Captive Insurer: $250,000") or one kind of thing ("(b) 5% for
non-major currency pairs, gold and major equity indices"). Also how a measure's "for ..."
scope reads, for the check."""

from __future__ import annotations

import re
from dataclasses import dataclass

from arbiter_audit.facts import numbers
from arbiter_audit.model import Condition, Quantity, Span, Template
from arbiter_audit.templates.quantities_words import exceptions_in, measure_of

_ITEM = re.compile(r"^\s*(?:\(\s*(?:[a-z]{1,4}|\d{1,2})\s*\)|[a-z]\.|\d{1,2}\.)\s*")
_FOLLOWING = re.compile(
    r"(?P<frame>at\s+least|not\s+less\s+than|no\s+less\s+than|a\s+minimum\s+of|"
    r"not\s+(?:to\s+)?exceed|no\s+more\s+than|not\s+more\s+than|up\s+to|a\s+maximum\s+of)\s+"
    r"(?:the\s+)?following\s*(?:proportions?|percentages?|amounts?|ratios?|limits?|levels?)?"
    r"\s*(?:of\s+(?:the\s+)?(?P<base>[^:]+?))?\s*:\s*$",
    re.IGNORECASE,
)
_REQUIREMENT = re.compile(
    r"^(?:the\s+)?(?P<what>[\w\s-]{0,60}?)\s*(?P<kind>requirement|limit)\s+(?:for|of)\s+"
    r"(?:an?\s+|the\s+|each\s+)?(?P<who>[^:]{1,80}?)\s+(?:is|are|shall\s+be)\s*:\s*$",
    re.IGNORECASE,
)
_QUALIFIERS = frozenset({"minimum", "maximum", "base", "required", "applicable"})
_WHO_FIRST = re.compile(
    r"^(?:for|in\s+the\s+case\s+of)\s+(?:an?\s+|the\s+|each\s+)?(?P<who>[^:]+?)\s*[:,\u2013-]?\s*$",
    re.IGNORECASE,
)
_WHAT_AFTER = re.compile(r"^\s*(?:for|in\s+respect\s+of)\s+(?P<what>[^;.]+)", re.IGNORECASE)
_ENDING = re.compile(r"[\s,;]*(?:\b(?:and|or)\b)?[\s,;]*$", re.IGNORECASE)
_EXCLUDING = re.compile(r"\b(?:excluding|except|other\s+than)\s+(?P<x>[^,;]+)", re.IGNORECASE)
_ALTERNATIVES = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+", re.IGNORECASE)


def list_item(sentence: str) -> int | None:
    """Where an item's text starts after its marker ("(b) ", "ii) "), or None."""
    m = _ITEM.match(sentence)
    return m.end() if m else None


@dataclass(frozen=True)
class ListFrame:
    """What a list's header says of every item's figure."""

    template: Template
    measure: str
    base: str = ""
    party: str = ""

    def condition(self, sentence: str, offset: int, item_start: int) -> Condition | None:
        """The condition one item sets, or None when it gives no figure."""
        body = sentence[item_start:]
        figures = numbers.figures(body)
        if not figures:
            return None
        figure = figures[0]
        measure, party, exceptions = self.measure, self.party, exceptions_in(body)
        who = _WHO_FIRST.match(body[: figure.start])
        what = _WHAT_AFTER.match(body[figure.end :])
        if who:
            party = who.group("who")
        elif what:
            measure = f"{self.measure} for {_ENDING.sub('', what.group('what'))}"
            exceptions = ()  # "excluding gold" narrows what the item covers: its scope
        return Condition(
            template=self.template,
            text=sentence,
            span=Span(offset, offset + len(sentence)),
            measure=measure,
            limit=Quantity(figure.value, figure.unit),
            base=self.base if figure.unit == "%" else "",
            party=party,
            exceptions=exceptions,
        )


def list_frame(sentence: str, offset: int) -> ListFrame | None:
    """The frame a list's header sets, or None when `sentence` heads no list of figures."""
    following = _FOLLOWING.search(sentence)
    if following:
        frame = following.group("frame").lower()
        minimum = frame.startswith(("at", "not less", "no less", "a minimum"))
        return ListFrame(
            template=Template.MINIMUM if minimum else Template.LIMIT,
            measure=measure_of(sentence, following.start(), subject=False),
            base=" ".join((following.group("base") or "").split()),
        )
    requirement = _REQUIREMENT.match(sentence.strip())
    if requirement:
        what = requirement.group("what").split()
        measure = " ".join(w for w in what if w.lower() not in _QUALIFIERS or w == what[-1])
        return ListFrame(
            template=(
                Template.MINIMUM
                if requirement.group("kind").lower() == "requirement"
                else Template.LIMIT
            ),
            measure=measure,
            party=requirement.group("who"),
        )
    return None


@dataclass(frozen=True)
class Scope:
    """A measure read as what is measured and the things it is limited to: "margin for
    commodities, excluding gold, and non-major equity indices" is "margin" for
    ("commodities", "non-major equity indices"), not for ("gold",)."""

    head: str
    alternatives: tuple[str, ...] = ()
    exclusions: tuple[str, ...] = ()


def scope_of(measure: str) -> Scope:
    """`measure` split into what it measures and its "for ..." scope."""
    head, sep, rest = measure.partition(" for ")
    if not sep:
        return Scope(measure)
    exclusions = tuple(m.group("x").strip() for m in _EXCLUDING.finditer(rest))
    remaining = _EXCLUDING.sub("", rest)
    alternatives = tuple(a.strip() for a in _ALTERNATIVES.split(remaining) if a.strip())
    return Scope(head.strip(), alternatives, exclusions)

"""Which of a situation's facts a limit or minimum is about: the figure for its measure
(stated, or computed as a share of its base), and whether the kind of firm it is set for,
its exceptions and the things it covers are the situation's. Every pairing of words goes
through `topics.overlap`, with acronyms spelled out ("NSFR" is "net stable funding
ratio" when the other side says so)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from arbiter_audit.facts import numbers
from arbiter_audit.model import Fact, FactKind
from arbiter_audit.topics import overlap, topic_stems

_ACRONYM = re.compile(r"\b[A-Z]{2,6}\b")
_WORD = re.compile(r"[A-Za-z][\w-]*")
_SUM = re.compile(r"\b(?:sum|total|combined|all)\b", re.IGNORECASE)
_CODE = re.compile(r"\b(?P<kind>class|category)\s+(?P<code>\d[A-Za-z]?|[A-Z])\b", re.IGNORECASE)
_PREPOSITION = re.compile(r"\s+(?:of|on|in|to|for|at|against|under)\s+", re.IGNORECASE)
_GENERAL = topic_stems("value amount level size total sum number aggregate")
"""Words whose phrase is named by what they are "of"."""
_REQUIREMENT = topic_stems("requirement requirements limit minimum threshold charge component")
_CONTRASTS = tuple(
    (a, b)
    for x, y in (("gross", "net"), ("long", "short"), ("secured", "unsecured"), ("buy", "sell"))
    for a, b in ((x, y), (y, x))
)
"""Words that make the same measure another one ("gross asset value", "net asset value")."""
_GENERIC_PARTY = frozenset({"authoris", "authorised", "person", "firm", "entity", "relevant"})


def spelled_out(text: str, other: str) -> str:
    """`text` with each acronym replaced by the words of `other` whose initials spell it."""
    acronyms = _ACRONYM.findall(text)
    if not acronyms:
        return text
    words = _WORD.findall(other)
    initials = "".join(w[0].upper() for w in words)
    for acronym in acronyms:
        at = initials.find(acronym)
        if at >= 0:
            text = text.replace(acronym, " ".join(words[at : at + len(acronym)]))
    return text


def closeness(rule_words: str, fact_words: str) -> tuple[float, float]:
    """How well a fact's words name a rule's: the share of the rule's stems the fact names,
    then the share of the fact's the rule names (fewer extra words is closer)."""
    rule = spelled_out(rule_words, fact_words)
    fact = spelled_out(fact_words, rule_words)
    return overlap(rule, fact), overlap(fact, rule)


def is_sum(words: str) -> bool:
    """Whether a phrase names a sum of several things ("the sum of all its exposures")."""
    return bool(_SUM.search(words))


def comparable(rule_words: str, topic: str) -> bool:
    """Whether a fact's topic can stand for a rule's measure at all: not a total when the
    rule measures each thing on its own, not a requirement when the rule measures what is
    required ("capital requirement" is not "capital"), and one of the two phrases naming
    the other's head ("capital resources" and "capital requirement" name different
    things)."""
    if not topic or (is_sum(topic) and not is_sum(rule_words)):
        return False
    rule, fact = spelled_out(rule_words, topic), spelled_out(topic, rule_words)
    rule_stems, fact_stems = topic_stems(rule), topic_stems(fact)
    if (fact_stems & _REQUIREMENT) - rule_stems:
        return False
    if _contrasted(rule_stems, fact_stems):
        return False
    rule_head, fact_head = head(rule), head(fact)
    return not rule_head or not fact_head or rule_head in fact_stems or fact_head in rule_stems


def names_base(base: str, topic: str) -> bool:
    """Whether a percentage's topic ("borrowings of gross asset value of the fund") is a
    share of the rule's base ("gross asset value of the Fund Property"): most of the
    base's words, and none that make it another measure ("net asset value")."""
    rule, fact = spelled_out(base, topic), spelled_out(topic, base)
    contrasted = _contrasted(topic_stems(rule), topic_stems(fact))
    return not contrasted and overlap(rule, fact) >= 0.5


def _contrasted(rule_stems: set[str], fact_stems: set[str]) -> bool:
    return any(a in rule_stems and b in fact_stems for a, b in _CONTRASTS)


def head(phrase: str) -> str:
    """The stem of a phrase's head noun: the last word before its first preposition, or
    what a general word is "of" ("value of the exposure": "exposure")."""
    fallback = ""
    for part in _PREPOSITION.split(phrase):
        last = next((w for w in reversed(part.split()) if topic_stems(w)), "")
        if not last:
            continue
        word = min(topic_stems(last))
        if word not in _GENERAL:
            return word
        fallback = fallback or word
    return fallback


@dataclass(frozen=True)
class Figure:
    """The situation's figure for a measure, and the facts it comes from."""

    value: float
    unit: str
    words: str
    """How it was found, for the reason: "USD 19,000,000 (f2) / USD 60,000,000 (f1)"."""
    fact_ids: tuple[str, ...]
    before: float | None = None
    bound: str = ""
    """"<" or ">" when the fact states only a bound ("under USD 200,000")."""
    partial: bool = False
    """True when the fact is one part of the sum the rule measures."""


def best(
    facts: list[Fact], words: str, *, unit: str, exclude: str = ""
) -> tuple[Fact | None, float]:
    """The fact of `unit` whose topic names `words` best (none when no stem is shared)."""
    chosen: Fact | None = None
    score = (0.0, 0.0)
    for fact in facts:
        if fact.unit != unit or fact.quantity is None or fact.id == exclude:
            continue
        if not comparable(words, fact.topic):
            continue
        close = closeness(words, fact.topic)
        if close[0] > 0 and close > score:
            chosen, score = fact, close
    return chosen, score[0]


def stated(fact: Fact, rule_words: str) -> Figure:
    """A fact's own figure."""
    bound = fact.value[:1] if fact.value[:1] in ("<", ">") else ""
    assert fact.quantity is not None
    return Figure(
        value=fact.quantity,
        unit=fact.unit,
        words=f"{fact.text} ({fact.id})",
        fact_ids=(fact.id,),
        before=fact.before,
        bound=bound,
        partial=is_sum(rule_words) and not is_sum(fact.topic),
    )


def share(part: Fact, whole: Fact, rule_words: str) -> Figure:
    """`part` as a percentage of `whole` (both stated, same currency)."""
    assert part.quantity is not None and whole.quantity is not None
    value = 100 * part.quantity / whole.quantity
    before = 100 * part.before / whole.quantity if part.before is not None else None
    words = (
        f"{part.topic} {numbers.amount_words(part.quantity, part.unit)} ({part.id}) is "
        f"{value:.1f}% of {whole.topic} {numbers.amount_words(whole.quantity, whole.unit)}"
        f" ({whole.id})"
    )
    return Figure(
        value=value,
        unit="%",
        words=words,
        fact_ids=(part.id, whole.id),
        before=before,
        partial=is_sum(rule_words) and not is_sum(part.topic),
    )


class Standing(Enum):
    """Whether the situation shows something a condition turns on."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Finding:
    standing: Standing
    fact_ids: tuple[str, ...] = ()
    words: str = ""


def party_standing(party: str, facts: list[Fact]) -> Finding:
    """Whether the firm is the kind the limit is set for ("Class 2 Captive Insurer",
    "Public Property Fund"). A kind that names no class, category or type beyond a firm is
    the lead's applicability, not this check's: YES."""
    parties = [f for f in facts if f.kind is FactKind.PARTY]
    code = _CODE.search(party)
    if code:
        kind, wanted = code.group("kind").lower(), code.group("code").upper()
        for fact in parties:
            stated_code = _CODE.search(f"{fact.value} {fact.text}")
            if stated_code and stated_code.group("kind").lower() == kind and not fact.negated:
                same = stated_code.group("code").upper() == wanted
                return Finding(Standing.YES if same else Standing.NO, (fact.id,), fact.text)
        return Finding(Standing.UNKNOWN)
    wanted_stems = topic_stems(party) - _GENERIC_PARTY
    if len(wanted_stems) < 2:
        return Finding(Standing.YES)
    for fact in parties:
        if wanted_stems <= topic_stems(f"{fact.value} {fact.text}"):
            return Finding(Standing.NO if fact.negated else Standing.YES, (fact.id,), fact.text)
    return Finding(Standing.UNKNOWN)


def exception_standing(exception: str, facts: list[Fact]) -> Finding:
    """Whether an exception holds: a firm or an action the situation states (or says is
    not so) that names it."""
    for fact in facts:
        if fact.kind not in (FactKind.PARTY, FactKind.ACTION):
            continue
        words = f"{fact.value} {fact.text} {fact.topic}"
        if overlap(exception, words) >= 0.75:
            return Finding(Standing.NO if fact.negated else Standing.YES, (fact.id,), fact.text)
    return Finding(Standing.UNKNOWN)


def scope_standing(
    alternatives: tuple[str, ...], exclusions: tuple[str, ...], facts: list[Fact]
) -> Finding:
    """Whether the situation's facts name one of the things a figure is set for ("gold")
    and none it excludes."""
    for fact in facts:
        words = topic_stems(f"{fact.text} {fact.topic}")
        if any(topic_stems(x) and topic_stems(x) <= words for x in exclusions):
            return Finding(Standing.NO, (fact.id,), fact.text)
    for fact in facts:
        words = topic_stems(f"{fact.text} {fact.topic}")
        if any(topic_stems(a) and topic_stems(a) <= words for a in alternatives):
            return Finding(Standing.YES, (fact.id,), fact.text)
    return Finding(Standing.UNKNOWN)

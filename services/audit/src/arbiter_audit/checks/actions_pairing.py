"""Which of a situation's facts speak of a duty to act: an action by or to the rule's party
(every word of the party named: "senior executive" is not "Senior Management"), a stated
act that is the rule's act, an exception that holds, and a statement that the situation
does not know something the duty turns on. Every pairing of words goes through
`topics.overlap`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from arbiter_audit.facts.actions import kind_of, party_of
from arbiter_audit.model import Fact, FactKind
from arbiter_audit.topics import overlap, topic_stems

_GENERIC = topic_stems("prior written express formal relevant appropriate its their")
_MANNER = re.compile(r"\s+by\s+(?:a\s+|an\s+)?\w+\s+resolution$", re.IGNORECASE)
SAME_ACT = 0.5
"""The share of a rule's act's words a stated act must name to be that act."""
EXCEPTION_HOLDS = 0.6
"""The share of an exception's words a stated fact must name for it to hold."""
_GAP_WORDS = topic_stems(
    "licence licensed permission authorised waiver waived relief exemption exempt approval consent"
)
"""What an unknown that may lift a prohibition speaks of."""


def party_core(party: str) -> str:
    """A rule's party without the manner of its act ("Unitholders by Special Resolution")."""
    return _MANNER.sub("", party).strip()


def names_party(rule_party: str, fact_party: str) -> bool:
    """Whether a fact's party is the rule's: every content word of the rule's named."""
    wanted = topic_stems(party_core(rule_party)) - _GENERIC
    return bool(wanted) and wanted <= topic_stems(fact_party)


def actions(facts: Sequence[Fact], kinds: Iterable[str]) -> list[Fact]:
    """The ACTION facts of the given kinds."""
    wanted = frozenset(kinds)
    return [f for f in facts if f.kind is FactKind.ACTION and kind_of(f) in wanted]


def by_party(facts: Sequence[Fact], rule_party: str) -> list[Fact]:
    """The actions whose party is the rule's."""
    return [f for f in facts if names_party(rule_party, party_of(f))]


def same_act(rule_act: str, facts: Sequence[Fact]) -> tuple[list[Fact], list[Fact]]:
    """The stated acts that are the rule's act: (done, said not done)."""
    done: list[Fact] = []
    not_done: list[Fact] = []
    if not topic_stems(rule_act):
        return done, not_done
    for fact in facts:
        if fact.kind is not FactKind.ACTION:
            continue
        if overlap(rule_act, f"{fact.topic} {fact.text}") >= SAME_ACT:
            (not_done if fact.negated else done).append(fact)
    return done, not_done


def holding(exception: str, facts: Sequence[Fact]) -> Fact | None:
    """A stated fact (not negated) that makes the exception hold."""
    for fact in facts:
        if fact.kind not in (FactKind.ACTION, FactKind.PARTY) or fact.negated:
            continue
        if overlap(exception, f"{fact.value} {fact.topic} {fact.text}") >= EXCEPTION_HOLDS:
            return fact
    return None


def unknown_about(words: str, facts: Sequence[Fact], *, share: float = 0.3) -> Fact | None:
    """A statement that the situation does not know something the words speak of."""
    for fact in facts:
        if fact.kind is FactKind.UNKNOWN and overlap(fact.topic, words) >= share:
            return fact
    return None


def gap_that_may_exempt(facts: Sequence[Fact]) -> Fact | None:
    """A statement of something unknown that could lift a prohibition: a licence, a
    permission, a waiver, an exemption or an approval the situation does not know of."""
    for fact in facts:
        if fact.kind is FactKind.UNKNOWN and topic_stems(fact.topic) & _GAP_WORDS:
            return fact
    return None


def ids(facts: Iterable[Fact]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f.id for f in facts if f.id))


def quoted(facts: Iterable[Fact]) -> str:
    """The facts' words with their ids, for a reason."""
    return "; ".join(f'"{f.text}" ({f.id})' if f.id else f'"{f.text}"' for f in facts)

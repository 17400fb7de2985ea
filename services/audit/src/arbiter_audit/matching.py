"""SOP stage 2, regulation matching: which rules govern these facts. Candidates come from
the passages the research step found and from the service's own searches, one per
sentence that carries facts; each candidate's conditions are read by the templates, and
it is ranked by how well it was retrieved (reciprocal rank fusion over every list it was
in) and how well its conditions speak of what the situation describes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from arbiter.common.v1 import common_pb2
from arbiter_text.sentences import sentence_spans

from arbiter_audit.model import Condition, Fact, FactKind
from arbiter_audit.reading import read_conditions
from arbiter_audit.topics import overlap

RRF_K = 60
"""Reciprocal rank fusion's constant, as search uses it."""
GIVEN_WEIGHT = 2.0
"""The research step's passages count this many times a search of the service's own:
that step searched for the whole situation, with its adaptive loop."""
FIT_WEIGHT = 0.05
"""How much a rule's conditions speaking of the situation's words weighs against its
retrieval rank (a fit of 1.0 is worth about three first places)."""
MAX_QUERY_CHARS = 600
"""Longest query sent to search; longer sentences are cut."""
FACT_KINDS_WORTH_A_SEARCH = frozenset(
    {FactKind.EVENT, FactKind.ACTION, FactKind.AMOUNT, FactKind.PROPORTION}
)


@dataclass
class Candidate:
    """A passage that may govern the situation."""

    passage: common_pb2.Passage
    retrieval: float = 0.0
    """Reciprocal rank fusion over the lists it was found in."""
    conditions: tuple[Condition, ...] = ()
    fit: float = 0.0
    """How well its conditions' words name what the situation describes (0..1)."""
    found_by: list[str] = field(default_factory=list)
    """Which lists found it: "research", "search 1", ..."""

    @property
    def score(self) -> float:
        return self.retrieval + FIT_WEIGHT * self.fit

    @property
    def reference(self) -> str:
        return reference_of(self.passage)


def reference_of(passage: common_pb2.Passage) -> str:
    """How a reader names a passage: "COBS 19.22.1.(2)"."""
    return " ".join(p for p in (passage.rulebook, passage.passage_ref) if p) or passage.title


def is_precedent(passage: common_pb2.Passage) -> bool:
    return passage.doc_type == "finding"


def search_queries(situation: str, facts: Sequence[Fact], *, limit: int) -> list[str]:
    """One query per sentence that carries an event, an action, an amount or a
    proportion, in order, at most `limit`: searching by fact finds the rule each part of
    a long situation falls under, which one query for the whole may miss."""
    starts = [f.span.start for f in facts if f.kind in FACT_KINDS_WORTH_A_SEARCH]
    queries: list[str] = []
    for start, end in sentence_spans(situation):
        if len(queries) >= limit:
            break
        if any(start <= s < end for s in starts):
            queries.append(situation[start:end].strip()[:MAX_QUERY_CHARS])
    return queries


def rank(
    situation: str,
    given: Sequence[common_pb2.Passage],
    searched: Sequence[Sequence[common_pb2.Passage]],
) -> list[Candidate]:
    """The rule passages among `given` and `searched`, one per source passage, best
    first; precedents are left out (see `is_precedent`)."""
    by_source: dict[str, Candidate] = {}
    lists = [("research", given, GIVEN_WEIGHT)]
    lists += [(f"search {i}", found, 1.0) for i, found in enumerate(searched, 1)]
    for name, passages, weight in lists:
        seen: set[str] = set()
        for position, passage in enumerate(p for p in passages if not is_precedent(p)):
            key = passage.source_id or passage.id
            if key in seen:
                continue  # a passage's other chunks in the same list add nothing
            seen.add(key)
            candidate = by_source.setdefault(key, Candidate(passage=passage))
            candidate.retrieval += weight / (RRF_K + position + 1)
            candidate.found_by.append(name)
    for candidate in by_source.values():
        candidate.conditions = tuple(read_conditions(candidate.passage.text))
        candidate.fit = _fit(candidate.conditions, situation)
    return sorted(by_source.values(), key=lambda c: c.score, reverse=True)


def _fit(conditions: Sequence[Condition], situation: str) -> float:
    """The best share of a condition's words the situation names too."""
    best = 0.0
    for condition in conditions:
        words = " ".join(
            (condition.action, condition.anchor, condition.measure, condition.base, condition.party)
        )
        best = max(best, overlap(words, situation))
    return best


def governing(candidates: Sequence[Candidate], *, limit: int) -> list[Candidate]:
    """The best-ranked candidates with a condition the templates could read, at most
    `limit`: a passage that sets no readable condition cannot be checked."""
    return [c for c in candidates if c.conditions][:limit]

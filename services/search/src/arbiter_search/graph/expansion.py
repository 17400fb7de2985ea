"""Graph expansion (DESIGN §3 step 3): from the retrieved passages, follow cross-references
(either way) and optionally the passage_ref hierarchy 1-2 hops, and offer what is reached
as extra candidates, each scored by the passage it was reached from, discounted per hop."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import ClassVar, Protocol

from arbiter_kit.deadline import Deadline
from arbiter_kit.errors import InvalidArgument

from arbiter_search.graph.store import GraphStore
from arbiter_search.store.base import Hit
from arbiter_search.store.filters import Condition

MAX_HOPS = 2
MAX_CAP = 100


class PassageSource(Protocol):
    """Where the text of an expanded passage comes from (the vector store)."""

    async def fetch(
        self,
        *,
        tenant: str,
        source_ids: Sequence[str],
        conditions: Sequence[Condition] = (),
        deadline: Deadline | None = None,
    ) -> list[Hit]:
        """The first chunk of each of `source_ids` that exists and meets every condition
        (score 0)."""
        ...


@dataclass(frozen=True)
class ExpansionSettings:
    """How far expansion reaches and what it may add (`SEARCH_GRAPH_<FIELD>`)."""

    default: ClassVar[ExpansionSettings]

    hops: int = 1
    """1 or 2."""
    cap: int = 10
    """Most candidates added per expansion."""
    discount: float = 0.5
    """A candidate scores its origin's score times `discount ** hops`."""
    hierarchy: bool = False
    """Also step to siblings and the parent by passage_ref, not only cross-references."""

    def __post_init__(self) -> None:
        # Checked on construction, so settings read from the environment are refused
        # naming their variable before an expander can use them.
        if not 1 <= self.hops <= MAX_HOPS:
            raise InvalidArgument("SEARCH_GRAPH_HOPS", f"must be 1..{MAX_HOPS}")
        if not 0 <= self.cap <= MAX_CAP:
            raise InvalidArgument("SEARCH_GRAPH_CAP", f"must be 0..{MAX_CAP}")
        if not 0.0 < self.discount <= 1.0:
            raise InvalidArgument("SEARCH_GRAPH_DISCOUNT", "must be in (0, 1]")


ExpansionSettings.default = ExpansionSettings()


class GraphExpander:
    """Extra candidates for a set of hits, from one graph and one passage source."""

    def __init__(
        self,
        graph: GraphStore,
        passages: PassageSource,
        settings: ExpansionSettings | None = None,
    ) -> None:
        self._graph = graph
        self._passages = passages
        self.settings = settings or ExpansionSettings.default

    async def expand(
        self,
        hits: Sequence[Hit],
        *,
        tenant: str,
        hops: int | None = None,
        cap: int | None = None,
        discount: float | None = None,
        conditions: Sequence[Condition] = (),
        deadline: Deadline | None = None,
    ) -> list[Hit]:
        """Passages within `hops` of `hits` and not among them that meet every condition
        (the search's hard filters), best first, at most `cap`; each scores its best
        origin's score times `discount` per hop."""
        settings = replace(
            self.settings,
            hops=self.settings.hops if hops is None else hops,
            cap=self.settings.cap if cap is None else cap,
            discount=self.settings.discount if discount is None else discount,
        )
        if not hits or settings.cap == 0:
            return []
        frontier: dict[str, float] = {}
        for hit in hits:
            frontier[hit.source_id] = max(hit.score, frontier.get(hit.source_id, hit.score))
        seen = set(frontier)
        found: dict[str, float] = {}
        for _ in range(settings.hops):
            reached = await self._step(list(frontier), tenant, settings.hierarchy, deadline)
            scored: dict[str, float] = {}
            for origin, target in reached:
                if target in seen:
                    continue
                score = frontier[origin] * settings.discount
                if score > scored.get(target, float("-inf")):
                    scored[target] = score
            if not scored:
                break
            seen.update(scored)
            found.update(scored)
            # The next hop starts from the best of this one only, so a hub cannot flood it.
            frontier = dict(_best(scored, settings.cap))
        chosen = _best(found, settings.cap)
        fetched = await self._passages.fetch(
            tenant=tenant,
            source_ids=[s for s, _ in chosen],
            conditions=conditions,
            deadline=deadline,
        )
        by_source = {hit.source_id: hit for hit in fetched}
        return [
            replace(by_source[source_id], score=score)
            for source_id, score in chosen
            if source_id in by_source
        ]

    async def _step(
        self, source_ids: list[str], tenant: str, hierarchy: bool, deadline: Deadline | None
    ) -> list[tuple[str, str]]:
        neighbours = await self._graph.neighbours(
            tenant=tenant, source_ids=source_ids, deadline=deadline
        )
        if hierarchy:
            neighbours += await self._graph.relatives(
                tenant=tenant, source_ids=source_ids, deadline=deadline
            )
        return [(n.of, n.source_id) for n in neighbours]


def merge(hits: Sequence[Hit], extra: Sequence[Hit]) -> list[Hit]:
    """Hits and expansion candidates as one list, best score first (hits first on ties)."""
    known = {hit.source_id for hit in hits}
    pool = list(hits) + [hit for hit in extra if hit.source_id not in known]
    return sorted(pool, key=lambda hit: -hit.score)


def _best(scores: dict[str, float], n: int) -> list[tuple[str, float]]:
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:n]

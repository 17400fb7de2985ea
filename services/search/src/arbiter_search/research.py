"""The research loop (DESIGN §3): select fields, retrieve, decide whether to go again.

Today one round: there is no validator or query rewriter yet, so a second round would
repeat the first. Issue 3 fills in `_select_fields` and `_decide` (and adds graph
expansion and reranking between them); the loop and its trace stay as they are.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from arbiter_kit.deadline import Deadline
from arbiter_kit.errors import InvalidArgument

from arbiter_search.filters import Condition
from arbiter_search.graph.expansion import GraphExpander, merge
from arbiter_search.retrieval import RetrievalQuery, Retriever
from arbiter_search.store import Hit

DEFAULT_MAX_ROUNDS = 1
MAX_ROUNDS = 5


@dataclass(frozen=True)
class Stage:
    """A step of the loop worth telling the caller about."""

    name: str
    """Machine-readable: `select_fields`, `retrieve`, `expand`, `decide`."""
    message: str
    percent: float | None = None


@dataclass(frozen=True)
class Round:
    """What one round tried, what it found, and what the loop made of it."""

    number: int
    query: str
    conditions: tuple[Condition, ...]
    hits: int
    decision: str


@dataclass(frozen=True)
class Findings:
    """The loop's result: the passages to answer from and the trace of rounds."""

    hits: tuple[Hit, ...]
    rounds: tuple[Round, ...]


@dataclass(frozen=True)
class _Decision:
    stop: bool
    reason: str


def rounds_allowed(max_rounds: int) -> int:
    """The round budget a request asks for (0: the default); InvalidArgument if out of range."""
    if not 0 <= max_rounds <= MAX_ROUNDS:
        raise InvalidArgument("max_rounds", f"must be 0..{MAX_ROUNDS} (0 means the default)")
    return max_rounds or DEFAULT_MAX_ROUNDS


class ResearchLoop:
    """Retrieval rounds until the passages suffice or the round budget is spent."""

    def __init__(self, retriever: Retriever, *, graph: GraphExpander | None = None) -> None:
        self._retriever = retriever
        self._graph = graph

    async def run(
        self,
        query: RetrievalQuery,
        *,
        max_rounds: int,
        tenant: str,
        deadline: Deadline | None = None,
        disable_graph: bool = False,
    ) -> AsyncIterator[Stage | Findings]:
        """Yield a Stage for every step taken, then exactly one Findings. Graph expansion
        runs when the loop has a graph and the request did not switch it off."""
        query = self._select_fields(query)
        yield Stage("select_fields", _describe_fields(query.conditions), percent=10.0)
        rounds: list[Round] = []
        hits: list[Hit] = []
        for number in range(1, max_rounds + 1):
            hits = await self._retriever.retrieve(query, tenant=tenant, deadline=deadline)
            yield Stage(
                "retrieve",
                f"round {number}: BM25 top {query.top_k}: {len(hits)} passages",
                percent=_progress(number, max_rounds, 0.8),
            )
            if self._graph is not None and not disable_graph:
                hits, message = await self._expand(hits, query, tenant, deadline)
                yield Stage(
                    "expand",
                    f"round {number}: {message}",
                    percent=_progress(number, max_rounds, 0.9),
                )
            decision = self._decide(query, hits, number=number, max_rounds=max_rounds)
            rounds.append(Round(number, query.text, query.conditions, len(hits), decision.reason))
            yield Stage(
                "decide",
                f"round {number}: {decision.reason}",
                percent=_progress(number, max_rounds, 1.0),
            )
            if decision.stop:
                break
        yield Findings(tuple(hits), tuple(rounds))

    async def _expand(
        self, hits: list[Hit], query: RetrievalQuery, tenant: str, deadline: Deadline | None
    ) -> tuple[list[Hit], str]:
        """The hits with the passages the graph reaches from them, best `top_k` kept."""
        assert self._graph is not None
        extra = await self._graph.expand(hits, tenant=tenant, deadline=deadline)
        kept = merge(hits, extra)[: query.top_k]
        added = sum(1 for hit in kept if hit in extra)
        settings = self._graph.settings
        return kept, (
            f"graph: {len(extra)} passages within {settings.hops} hop(s) of the hits "
            f"(score x{settings.discount} per hop), {added} kept in the top {query.top_k}"
        )

    def _select_fields(self, query: RetrievalQuery) -> RetrievalQuery:
        """The caller's validated filters, as given; no fields are inferred yet."""
        return query

    def _decide(
        self, query: RetrievalQuery, hits: list[Hit], *, number: int, max_rounds: int
    ) -> _Decision:
        del query, number, max_rounds  # used once a validator and rewriter exist
        if not hits:
            return _Decision(True, "stop: nothing matched, and no rewriter exists yet")
        return _Decision(True, "stop: no validator yet, so the first round's passages stand")


def _describe_fields(conditions: tuple[Condition, ...]) -> str:
    if not conditions:
        return "no metadata filters: searching every field"
    parts = [
        f"{c.field} in [{', '.join(c.values[:5])}{', ...' if len(c.values) > 5 else ''}]"
        for c in conditions
    ]
    return "filters: " + "; ".join(parts)


def _progress(number: int, max_rounds: int, within: float) -> float:
    """Percent done after `within` (0..1) of round `number`, counting the field selection
    as the first 10% and the round budget as the rest."""
    return round(10.0 + 90.0 * ((number - 1) + within) / max_rounds, 1)

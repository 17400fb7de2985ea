"""One retrieval pass: a validated query with its metadata conditions and the stages it
asks for, run against the store by BM25, dense vectors, or both fused."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from arbiter_kit.deadline import Deadline
from arbiter_kit.errors import InvalidArgument
from arbiter_kit.validation import FilterSpec, required_text

from arbiter_search.store.base import Hit, RetrievalMode, VectorStore
from arbiter_search.store.filters import Condition, FilterCompiler

MAX_QUERY_CHARS = 4000
DEFAULT_TOP_K = 10
MAX_TOP_K = 50


@dataclass(frozen=True)
class RetrievalOptions:
    """Which retrieval stages a caller wants (evaluation ablations, or less work)."""

    mode: RetrievalMode | None = None
    """Which retrievers run; None: the service's default (hybrid when it has an embedder)."""
    disable_graph: bool = False
    """Skip knowledge-graph expansion of the hits."""
    disable_rerank: bool = False
    """Skip reranking of the candidates."""


@dataclass(frozen=True)
class RetrievalQuery:
    """What to look for, where, how many passages to return, and by which stages."""

    text: str
    conditions: tuple[Condition, ...] = ()
    top_k: int = DEFAULT_TOP_K
    options: RetrievalOptions = RetrievalOptions()


def parse_query(
    *,
    text: str,
    filters: Sequence[FilterSpec],
    top_k: int,
    compiler: FilterCompiler,
    options: RetrievalOptions = RetrievalOptions(),
) -> RetrievalQuery:
    """A RetrievalQuery from request fields; InvalidArgument names the field at fault."""
    text = required_text("query", text, max_chars=MAX_QUERY_CHARS)
    if not 0 <= top_k <= MAX_TOP_K:
        raise InvalidArgument("top_k", f"must be 0..{MAX_TOP_K} (0 means {DEFAULT_TOP_K})")
    return RetrievalQuery(
        text=text,
        conditions=tuple(compiler.validate(filters)),
        top_k=top_k or DEFAULT_TOP_K,
        options=options,
    )


class Retriever:
    """Runs retrieval passes for one tenant's view of the store."""

    def __init__(self, store: VectorStore) -> None:
        self._store = store
        self.default_mode = (
            RetrievalMode.HYBRID if store.embedder_name is not None else RetrievalMode.SPARSE
        )
        """What a query that names no mode gets: hybrid when the store has an embedder."""

    def mode_of(self, query: RetrievalQuery) -> RetrievalMode:
        """The retrievers `query` runs with."""
        return query.options.mode or self.default_mode

    async def retrieve(
        self, query: RetrievalQuery, *, tenant: str, deadline: Deadline | None = None
    ) -> list[Hit]:
        """The best chunk of each of the `top_k` best-matching passages, best first."""
        return await self._store.search(
            tenant=tenant,
            text=query.text,
            conditions=query.conditions,
            limit=query.top_k,
            mode=self.mode_of(query),
            deadline=deadline,
        )

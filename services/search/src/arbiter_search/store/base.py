"""The `VectorStore` interface the search service writes chunks to and retrieves them
from, the records that cross it, and how a chunk's stored text holds the passage a
reader sees."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from arbiter_kit.deadline import Deadline

from arbiter_search.store.filters import Condition

CONTEXT_END = "\x1e"
"""ASCII record separator: ends a chunk's context header in its stored text. Analyzers
skip it; passages never need it."""


def indexed_text(header: str, passage: str) -> str:
    """What the store indexes: the header, CONTEXT_END, then the passage. The mark is
    there even without a header, so `passage_text` never mistakes a passage for one."""
    return f"{header}\n{CONTEXT_END}{passage}" if header else f"{CONTEXT_END}{passage}"


def passage_text(indexed: str) -> str:
    """The passage a reader sees, from what the store indexed (text stored before
    context injection existed comes back as it is)."""
    _, mark, passage = indexed.partition(CONTEXT_END)
    return passage if mark else indexed


class RetrievalMode(Enum):
    """Which retrievers feed a search's candidates."""

    SPARSE = "sparse"
    """BM25 over the built-in sparse field only."""
    DENSE = "dense"
    """The embedder's vectors only."""
    HYBRID = "hybrid"
    """Both, fused by rank (RRF) or by weighted scores."""


@dataclass(frozen=True)
class Chunk:
    """One stored piece of a source document: a row of the collection."""

    id: str
    """Deterministic from tenant, source and position (see `documents.chunk_id`)."""
    tenant: str
    source_id: str
    chunk_index: int
    document_id: str
    rulebook: str
    passage_ref: str
    title: str
    document_file: str
    doc_type: str
    content_hash: str
    """Hash of the whole source document as ingested; the same on all its chunks."""
    text: str
    dense: tuple[float, ...] | None = None
    """Embedding of `text`; the store embeds chunks that come without one."""


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk and its relevance score (higher is better)."""

    id: str
    source_id: str
    chunk_index: int
    document_id: str
    rulebook: str
    passage_ref: str
    title: str
    doc_type: str
    text: str
    score: float
    similarity: float = 0.0
    """Cosine of the question and the passage under the embedder, when the search had a
    dense leg (else 0)."""


class VectorStore(Protocol):
    """Chunks of source documents, searchable by BM25 and, when the store has an
    embedder, by dense vectors and by both fused."""

    @property
    def embedder_name(self) -> str | None:
        """The embedder that fills the dense field, or None when there is none."""
        ...

    async def stored_hashes(
        self, *, tenant: str, source_ids: Sequence[str]
    ) -> Mapping[str, Mapping[str, str]]:
        """For each source id that has chunks: chunk id -> content hash."""
        ...

    async def write(self, *, tenant: str, upserts: Sequence[Chunk], deletes: Sequence[str]) -> None:
        """Upsert `upserts` (the tenant's chunks), delete the tenant's chunks among the ids
        `deletes`, and make both searchable."""
        ...

    async def search(
        self,
        *,
        tenant: str,
        text: str,
        conditions: Sequence[Condition],
        limit: int,
        mode: RetrievalMode = RetrievalMode.SPARSE,
        deadline: Deadline | None = None,
    ) -> list[Hit]:
        """The best chunk of each of the `limit` best-matching sources, best first, found
        by `mode` with `conditions` applied to every retriever; each call the store makes
        ends by `deadline`. FailedPrecondition when `mode` needs an embedder it lacks."""
        ...

    async def count(self, *, tenant: str, deadline: Deadline | None = None) -> int:
        """How many chunks the tenant has."""
        ...

    async def fetch(
        self,
        *,
        tenant: str,
        source_ids: Sequence[str],
        conditions: Sequence[Condition] = (),
        deadline: Deadline | None = None,
    ) -> list[Hit]:
        """The first chunk of each of `source_ids` the tenant has and that meets every
        condition, in that order, scored 0 (for passages reached other than by search,
        e.g. through the knowledge graph)."""
        ...

    async def close(self) -> None: ...

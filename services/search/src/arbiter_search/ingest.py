"""Ingestion: documents in, chunks written in batches, a tally after every batch.

A document whose stored chunks already carry its content hash is left alone; a changed
one has its chunks upserted under the same deterministic ids and its surplus chunks
deleted. Upserts land before deletes, so a crash between them leaves the old surplus,
which no longer matches the new hash and is cleaned up by the next run.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from arbiter_kit.errors import InvalidArgument

from arbiter_search.documents import DocumentPreparer, PreparedDocument, Rejection, SourceDocument
from arbiter_search.store import Chunk, VectorStore

if TYPE_CHECKING:
    from arbiter_search.graph.indexer import GraphIndexer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestTally:
    """What an ingestion has done so far."""

    documents: int = 0
    """Documents received, rejected ones included."""
    chunks_written: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejections: tuple[tuple[str, int], ...] = ()
    """(reason, count) pairs."""


@dataclass
class _Counts:
    documents: int = 0
    chunks_written: int = 0
    unchanged: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    def tally(self) -> IngestTally:
        return IngestTally(
            documents=self.documents,
            chunks_written=self.chunks_written,
            unchanged=self.unchanged,
            rejected=sum(self.reasons.values()),
            rejections=tuple(sorted(self.reasons.items())),
        )


class Ingestor:
    """Writes documents to a store in batches; one ingestion's batches never interleave
    with another's, so two streams carrying the same document cannot leave a mix."""

    def __init__(
        self,
        store: VectorStore,
        preparer: DocumentPreparer,
        *,
        batch_size: int,
        graph: GraphIndexer | None = None,
    ) -> None:
        self._store = store
        self._preparer = preparer
        self._batch_size = batch_size
        self._graph = graph
        self._lock = asyncio.Lock()

    async def ingest(
        self, documents: AsyncIterable[SourceDocument], *, tenant: str
    ) -> AsyncIterator[IngestTally]:
        """Consume `documents`; yield the running tally after every `batch_size` documents
        received and once more at the end if anything arrived since.

        When a document is malformed (InvalidArgument), the valid ones before it are
        written before the error propagates, so the sender loses nothing it sent right.
        """
        counts = _Counts()
        batch: dict[str, PreparedDocument] = {}
        reported = 0
        try:
            async for document in documents:
                counts.documents += 1
                prepared = self._preparer.prepare(document, tenant=tenant)
                if isinstance(prepared, Rejection):
                    counts.reasons[prepared.reason] += 1
                    log.warning(
                        "document rejected",
                        extra={"source_id": prepared.source_id[:128], "reason": prepared.reason},
                    )
                else:
                    if prepared.source_id in batch:
                        # One id twice in one batch would be two upserts of one key at once.
                        await self._write(batch, counts, tenant)
                        batch = {}
                    batch[prepared.source_id] = prepared
                if counts.documents - reported >= self._batch_size:
                    await self._write(batch, counts, tenant)
                    batch = {}
                    reported = counts.documents
                    yield counts.tally()
        except InvalidArgument:
            await self._write(batch, counts, tenant)
            raise
        if counts.documents > reported or counts.documents == 0:
            await self._write(batch, counts, tenant)
            yield counts.tally()
        tally = counts.tally()
        log.info(
            "ingested",
            extra={
                "documents": tally.documents,
                "chunks_written": tally.chunks_written,
                "unchanged": tally.unchanged,
                "rejections": dict(tally.rejections),
            },
        )

    async def _write(
        self, batch: dict[str, PreparedDocument], counts: _Counts, tenant: str
    ) -> None:
        if not batch:
            return
        async with self._lock:
            stored = await self._store.stored_hashes(tenant=tenant, source_ids=list(batch))
            upserts: list[Chunk] = []
            deletes: list[str] = []
            for source_id, prepared in batch.items():
                wanted = {c.id: prepared.content_hash for c in prepared.chunks}
                have = stored.get(source_id, {})
                if have == wanted:
                    counts.unchanged += 1
                    continue
                upserts.extend(prepared.chunks)
                deletes.extend(chunk for chunk in have if chunk not in wanted)
            await self._store.write(upserts=upserts, deletes=deletes)
            if self._graph is not None:
                # Unchanged documents too: the graph skips what it has, and rebuilds what
                # it lost, on a re-run.
                await self._graph.index(batch.values(), tenant=tenant)
        counts.chunks_written += len(upserts)

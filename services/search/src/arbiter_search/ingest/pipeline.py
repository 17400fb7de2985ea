"""Ingestion: documents in, chunks written in batches, a tally after every batch.

A document whose stored chunks already carry its content hash is left alone; a changed
one has its chunks upserted under the same deterministic ids and its surplus chunks
deleted. Upserts land before deletes, so a crash between them leaves the old surplus,
which no longer matches the new hash and is cleaned up by the next run.

While one batch is being written (embedded, upserted, flushed), the next is read and
chunked; batches are still written one after another, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import threading
from collections import Counter
from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from arbiter_kit.errors import InvalidArgument

from arbiter_search.ingest.documents import (
    DocumentPreparer,
    PreparedDocument,
    Rejection,
    SourceDocument,
)
from arbiter_search.store.base import Chunk, VectorStore

if TYPE_CHECKING:
    from arbiter_search.graph.indexer import GraphIndexer

log = logging.getLogger(__name__)

T = TypeVar("T")

INLINE_CHARS = 16_384
"""Documents up to this long are chunked on the event loop; longer ones off it."""
REJECTION_EXAMPLES = 10
"""Rejected documents an ingestion remembers by id (all are logged and counted)."""
REJECTIONS_KEY = "arbiter-rejections-bin"
"""Trailing metadata of an Ingest call: JSON `[{"id", "reason"}]` of its first rejections.
A stand-in until IngestSummary carries them (the contract has only the count)."""


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
    examples: tuple[Rejection, ...] = ()
    """The first REJECTION_EXAMPLES rejected documents, with their reasons."""


@dataclass
class _Counts:
    documents: int = 0
    chunks_written: int = 0
    unchanged: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    examples: list[Rejection] = field(default_factory=list)

    def reject(self, rejection: Rejection) -> None:
        self.reasons[rejection.reason] += 1
        if len(self.examples) < REJECTION_EXAMPLES:
            self.examples.append(rejection)
        log.warning(
            "document rejected",
            extra={"source_id": rejection.source_id[:128], "reason": rejection.reason},
        )

    def tally(self, *, documents: int | None = None) -> IngestTally:
        return IngestTally(
            documents=self.documents if documents is None else documents,
            chunks_written=self.chunks_written,
            unchanged=self.unchanged,
            rejected=sum(self.reasons.values()),
            rejections=tuple(sorted(self.reasons.items())),
            examples=tuple(self.examples),
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
        """Consume `documents`; yield the running tally after each batch of `batch_size`
        documents received is written, and once more at the end if anything arrived
        since. A document repeated within a batch is written once, as its last version.

        When a document is malformed (InvalidArgument), the valid ones before it are
        written before the error propagates, so the sender loses nothing it sent right.
        """
        counts = _Counts()
        batch: dict[str, PreparedDocument] = {}
        reported = 0
        writing: asyncio.Task[int] | None = None
        try:
            async for document in documents:
                path = f"documents[{counts.documents}]"
                prepared = await self._prepare(document, tenant=tenant, path=path)
                counts.documents += 1
                if isinstance(prepared, Rejection):
                    counts.reject(prepared)
                else:
                    batch.pop(prepared.source_id, None)
                    batch[prepared.source_id] = prepared
                if writing is not None and writing.done():
                    yield counts.tally(documents=await writing)
                    writing = None
                if counts.documents - reported >= self._batch_size:
                    if writing is not None:
                        yield counts.tally(documents=await writing)
                    writing = asyncio.create_task(
                        self._write(batch, counts, tenant, received=counts.documents)
                    )
                    batch, reported = {}, counts.documents
            if writing is not None:
                yield counts.tally(documents=await writing)
                writing = None
        except InvalidArgument:
            if writing is not None:
                await writing
                writing = None
            await self._write(batch, counts, tenant, received=counts.documents)
            raise
        finally:
            if writing is not None:
                # Leaving early (the caller went away, a write failed): let the write in
                # flight end before the lock it holds could pass to another stream.
                await asyncio.shield(_settled(writing))
        if counts.documents > reported or counts.documents == 0:
            await self._write(batch, counts, tenant, received=counts.documents)
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

    async def _prepare(
        self, document: SourceDocument, *, tenant: str, path: str
    ) -> PreparedDocument | Rejection:
        """`document` chunked: on the event loop when it is short (milliseconds at most),
        else in a daemon thread, so health checks and other callers are answered while a
        large one is cut (linear, but seconds for megabytes of one-letter words)."""
        if len(document.text) <= INLINE_CHARS:
            return self._preparer.prepare(document, tenant=tenant, path=path)
        return await in_daemon_thread(self._preparer.prepare, document, tenant=tenant, path=path)

    async def _write(
        self, batch: dict[str, PreparedDocument], counts: _Counts, tenant: str, *, received: int
    ) -> int:
        """Write one batch; returns `received`, the documents received when it was cut."""
        if not batch:
            return received
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
            await self._store.write(tenant=tenant, upserts=upserts, deletes=deletes)
            if self._graph is not None:
                # Unchanged documents too: the graph skips what it has, and rebuilds what
                # it lost, on a re-run.
                await self._graph.index(batch.values(), tenant=tenant)
        counts.chunks_written += len(upserts)
        return received


def rejections_metadata(examples: tuple[Rejection, ...]) -> tuple[tuple[str, bytes], ...]:
    """The REJECTIONS_KEY trailing metadata for `examples` (ids cut to 128 characters)."""
    listed = [{"id": r.source_id[:128], "reason": r.reason} for r in examples]
    return ((REJECTIONS_KEY, json.dumps(listed, ensure_ascii=False).encode()),)


async def in_daemon_thread(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` in a daemon thread of its own. Unlike `asyncio.to_thread`,
    the process never waits for it at exit: SIGTERM during a large document ends the
    service within its grace, abandoning the document (nothing of it is written yet)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(outcome: Callable[[], object]) -> None:
        if not done.done():  # a cancelled caller no longer waits for it
            outcome()

    def run() -> None:
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            report = functools.partial(settle, functools.partial(done.set_exception, exc))
        else:
            report = functools.partial(settle, functools.partial(done.set_result, result))
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
            loop.call_soon_threadsafe(report)

    threading.Thread(target=run, name="ingest-prepare", daemon=True).start()
    return await done


async def _settled(task: asyncio.Task[int]) -> None:
    """Wait for `task` to end, however it ends (its own error is reported elsewhere)."""
    try:
        await task
    except BaseException:
        log.debug("a batch write ended with an error", exc_info=True)

"""`VectorStore` on Milvus: a Milvus server (`http://...`) or Milvus Lite (a local file),
same code. pymilvus is synchronous, so every call runs in a worker thread.

With an embedder the collection has a dense field, filled at write time, and searches
run BM25, dense, or both fused by Milvus's `hybrid_search` (RRF or weighted scores).
The collection records its embedder's name, and refuses to be opened with another."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import grpc
from arbiter_kit.deadline import Deadline
from arbiter_kit.errors import DeadlineExceeded, FailedPrecondition, Unavailable
from pymilvus import AnnSearchRequest, MilvusClient, MilvusException, RRFRanker, WeightedRanker

from arbiter_search.embed.base import Embedder
from arbiter_search.store import schema
from arbiter_search.store.base import Chunk, Hit, RetrievalMode
from arbiter_search.store.bm25_query import bm25_query
from arbiter_search.store.collection import prepare_collection
from arbiter_search.store.config import DEFAULT_TENANT, HybridConfig
from arbiter_search.store.filters import Condition, FilterCompiler
from arbiter_search.store.rows import chunk_row, cosines, groups, hit_of, write_batches

log = logging.getLogger(__name__)

T = TypeVar("T")

QUERY_WINDOW = 16_384
"""Most rows one Milvus query returns."""
SOURCES_PER_QUERY = 256
LITE_HINT = (
    " (only one process at a time may open a Milvus Lite data directory:"
    " is another search service using it?)"
)
WRITE_TIMEOUT_SECONDS = 120.0
"""Cap on one ingestion call to Milvus, so a dead server fails a stream instead of
hanging it (pymilvus retries UNAVAILABLE with backoff until its timeout)."""
FUSION_DEPTH = 50
"""Sources each leg of a hybrid search hands to the fusion (at least the limit asked)."""


class MilvusPassageStore:
    """Chunks in one Milvus collection; writes are serialised, reads run concurrently."""

    def __init__(
        self,
        client: MilvusClient,
        *,
        collection: str,
        embedder: Embedder | None = None,
        hybrid: HybridConfig | None = None,
        compiler: FilterCompiler | None = None,
        default_tenant: str = DEFAULT_TENANT,
    ) -> None:
        self._client = client
        self._collection = collection
        self._embedder = embedder
        self._dense_dim = embedder.dim if embedder else None
        self._hybrid = hybrid or HybridConfig.default
        self._compiler = compiler or FilterCompiler(default_tenant=default_tenant)
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(
        cls,
        uri: str,
        *,
        collection: str,
        token: str = "",
        embedder: Embedder | None = None,
        hybrid: HybridConfig | None = None,
        default_tenant: str = DEFAULT_TENANT,
    ) -> MilvusPassageStore:
        """Connect (creating a Lite file's folder), then create or check and load the
        collection. Raises Unavailable when Milvus cannot be reached or the Lite file is
        held by another process, FailedPrecondition when the collection has another shape
        or was filled by another embedder. The store does not close `embedder`."""

        def connect() -> MilvusClient:
            if "://" not in uri:
                Path(uri).parent.mkdir(parents=True, exist_ok=True)
            return MilvusClient(uri=uri, token=token)

        try:
            client = await asyncio.to_thread(connect)
        except (MilvusException, OSError) as exc:
            log.error("cannot open Milvus", extra={"uri": uri, "error": str(exc)})
            hint = "" if "://" in uri else LITE_HINT
            raise Unavailable(f"cannot open Milvus at {uri}: {exc}{hint}") from exc
        store = cls(
            client,
            collection=collection,
            embedder=embedder,
            hybrid=hybrid,
            default_tenant=default_tenant,
        )
        try:
            await store._call(
                prepare_collection,
                client,
                collection,
                embedder_name=store.embedder_name,
                dense_dim=store._dense_dim,
            )
        except BaseException:
            await store.close()
            raise
        return store

    @property
    def embedder_name(self) -> str | None:
        return self._embedder.name if self._embedder else None

    async def close(self) -> None:
        await asyncio.to_thread(self._client.close)

    async def stored_hashes(
        self, *, tenant: str, source_ids: Sequence[str]
    ) -> Mapping[str, Mapping[str, str]]:
        found: dict[str, dict[str, str]] = {}
        pending = [list(dict.fromkeys(source_ids))]
        while pending:
            group = pending.pop()
            if len(group) > SOURCES_PER_QUERY:
                pending += [group[:SOURCES_PER_QUERY], group[SOURCES_PER_QUERY:]]
                continue
            rows = await self._call(self._query_hashes, tenant, group)
            if len(rows) >= QUERY_WINDOW and len(group) > 1:
                # The window may have cut rows off: ask again in halves. A single source
                # never reaches it (ingestion caps the chunks of one document).
                half = len(group) // 2
                pending += [group[:half], group[half:]]
                continue
            for row in rows:
                found.setdefault(row[schema.SOURCE_ID.name], {})[row[schema.ID.name]] = row[
                    schema.CONTENT_HASH.name
                ]
        return found

    def _query_hashes(self, tenant: str, source_ids: list[str]) -> list[dict[str, Any]]:
        where = self._compiler.sources(source_ids, tenant=tenant)
        rows: list[dict[str, Any]] = self._client.query(
            self._collection,
            filter=where,
            output_fields=[schema.ID.name, schema.SOURCE_ID.name, schema.CONTENT_HASH.name],
            limit=QUERY_WINDOW,
            timeout=WRITE_TIMEOUT_SECONDS,
        )
        return rows

    async def write(self, *, tenant: str, upserts: Sequence[Chunk], deletes: Sequence[str]) -> None:
        if any(chunk.tenant != tenant for chunk in upserts):
            raise ValueError("every chunk written must belong to the tenant writing")
        if not upserts and not deletes:
            return
        rows = [chunk_row(c, dense_dim=self._dense_dim) for c in upserts]
        if self._embedder is not None:
            unembedded = [row for row in rows if schema.DENSE not in row]
            vectors = await self._embedder.embed_documents([r[schema.TEXT] for r in unembedded])
            for row, vector in zip(unembedded, vectors, strict=True):
                row[schema.DENSE] = vector
        async with self._write_lock:
            for batch in write_batches(rows):
                await self._call(
                    self._client.upsert, self._collection, batch, timeout=WRITE_TIMEOUT_SECONDS
                )
            for group in groups(list(deletes), SOURCES_PER_QUERY):
                # By an expression of our own: pymilvus's `delete(ids=...)` writes the ids
                # into one unescaped, so an id could reach another tenant's rows.
                await self._call(
                    self._client.delete,
                    self._collection,
                    filter=self._compiler.chunks(group, tenant=tenant),
                    timeout=WRITE_TIMEOUT_SECONDS,
                )
            # Unflushed rows sit in growing segments, where every search costs ~1 s.
            await self._call(self._client.flush, self._collection, timeout=WRITE_TIMEOUT_SECONDS)

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
        where = self._compiler.compile(conditions, tenant=tenant)
        keywords = bm25_query(text) if self._hybrid.prune_query else text
        grouped = {"group_by_field": schema.SOURCE_ID.name, "group_size": 1}
        if mode is RetrievalMode.SPARSE:
            results = await self._call(
                self._client.search,
                self._collection,
                data=[keywords],
                anns_field=schema.SPARSE,
                filter=where,
                limit=limit,
                output_fields=list(schema.OUTPUT_FIELDS),
                timeout=_timeout(deadline),
                **grouped,
            )
            # A Milvus server reports BM25 scores as positive distances; Lite negates them.
            return [hit_of(found, abs(found["distance"])) for found in results[0]]
        vector = await self._require_embedder(mode).embed_query(text, deadline=deadline)
        # The passages' vectors come back too: their cosine to the question is a signal
        # the reranker weighs (fused scores keep only ranks).
        with_vectors = [*schema.OUTPUT_FIELDS, schema.DENSE]
        if mode is RetrievalMode.DENSE:
            results = await self._call(
                self._client.search,
                self._collection,
                data=[vector],
                anns_field=schema.DENSE,
                filter=where,
                limit=limit,
                output_fields=with_vectors,
                search_params={"metric_type": "COSINE"},
                timeout=_timeout(deadline),
                **grouped,
            )
        else:
            depth = max(limit, FUSION_DEPTH)
            legs = [
                AnnSearchRequest([keywords], schema.SPARSE, {}, depth, filter=where),
                AnnSearchRequest(
                    [vector], schema.DENSE, {"metric_type": "COSINE"}, depth, filter=where
                ),
            ]
            results = await self._call(
                self._client.hybrid_search,
                self._collection,
                legs,
                self._ranker(),
                limit=limit,
                output_fields=with_vectors,
                timeout=_timeout(deadline),
                **grouped,
            )
        hits = results[0]
        similarity = cosines(vector, [found["entity"][schema.DENSE] for found in hits])
        return [
            replace(hit_of(found, found["distance"]), similarity=float(cosine))
            for found, cosine in zip(hits, similarity, strict=True)
        ]

    def _require_embedder(self, mode: RetrievalMode) -> Embedder:
        if self._embedder is None:
            raise FailedPrecondition(
                f"{mode.value} retrieval needs an embedder, and this search service has none "
                f"(SEARCH_EMBEDDER=none): ask for sparse retrieval"
            )
        return self._embedder

    def _ranker(self) -> RRFRanker | WeightedRanker:
        if self._hybrid.fusion == "weighted":
            dense = self._hybrid.dense_weight
            return WeightedRanker(1.0 - dense, dense)
        return RRFRanker(self._hybrid.rrf_k)

    async def count(self, *, tenant: str, deadline: Deadline | None = None) -> int:
        where = self._compiler.compile([], tenant=tenant)
        rows = await self._call(
            self._client.query,
            self._collection,
            filter=where,
            output_fields=["count(*)"],
            timeout=_timeout(deadline),
        )
        return int(rows[0]["count(*)"]) if rows else 0

    async def fetch(
        self,
        *,
        tenant: str,
        source_ids: Sequence[str],
        conditions: Sequence[Condition] = (),
        deadline: Deadline | None = None,
    ) -> list[Hit]:
        wanted = list(dict.fromkeys(source_ids))[:SOURCES_PER_QUERY]
        if not wanted:
            return []
        rows = await self._call(
            self._client.query,
            self._collection,
            filter=self._compiler.first_chunks(wanted, tenant=tenant, conditions=conditions),
            output_fields=[schema.ID.name, *schema.OUTPUT_FIELDS],
            limit=len(wanted),
            timeout=_timeout(deadline),
        )
        found = {
            row[schema.SOURCE_ID.name]: hit_of(
                {"id": row[schema.ID.name], "entity": row, "distance": 0}
            )
            for row in rows
        }
        return [found[s] for s in wanted if s in found]

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking pymilvus call in a thread; Milvus failures become Unavailable,
        running out of time DeadlineExceeded."""
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except grpc.RpcError as exc:
            code = exc.code() if isinstance(exc, grpc.Call) else None
            log.error("milvus call failed", extra={"call": fn.__name__, "code": str(code)})
            if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                raise DeadlineExceeded("the vector store did not answer in time") from exc
            raise Unavailable("the vector store failed; try again") from exc
        except MilvusException as exc:
            log.error(
                "milvus call failed",
                extra={"call": fn.__name__, "error": str(exc)},
            )
            raise Unavailable("the vector store failed; try again") from exc


def _timeout(deadline: Deadline | None) -> float | None:
    """Seconds left for one Milvus call; DeadlineExceeded before starting one too late."""
    return None if deadline is None else deadline.timeout()

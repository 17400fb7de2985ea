"""`VectorStore` on Milvus: a Milvus server (`http://...`) or Milvus Lite (a local file),
same code. pymilvus is synchronous, so every call runs in a worker thread."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

import grpc
from arbiter_kit.deadline import Deadline
from arbiter_kit.errors import DeadlineExceeded, FailedPrecondition, Unavailable
from pymilvus import MilvusClient, MilvusException

from arbiter_search import schema
from arbiter_search.context import passage_text
from arbiter_search.filters import Condition, FilterCompiler
from arbiter_search.store import Chunk, Hit

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
WRITE_BATCH_BYTES = 8 * 1024 * 1024
"""Rows per upsert call are capped by size, well under Milvus's 64 MiB message limit."""


class MilvusPassageStore:
    """Chunks in one Milvus collection; writes are serialised, reads run concurrently."""

    def __init__(
        self,
        client: MilvusClient,
        *,
        collection: str,
        dense_dim: int | None = None,
        compiler: FilterCompiler | None = None,
    ) -> None:
        self._client = client
        self._collection = collection
        self._dense_dim = dense_dim
        self._compiler = compiler or FilterCompiler()
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(
        cls,
        uri: str,
        *,
        collection: str,
        token: str = "",
        dense_dim: int | None = None,
    ) -> MilvusPassageStore:
        """Connect (creating a Lite file's folder), then create or check and load the
        collection. Raises Unavailable when Milvus cannot be reached or the Lite file is
        held by another process, FailedPrecondition when the collection has another shape."""

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
        store = cls(client, collection=collection, dense_dim=dense_dim)
        try:
            await store._call(store._prepare_collection)
        except BaseException:
            await store.close()
            raise
        return store

    def _prepare_collection(self) -> None:
        c, name = self._client, self._collection
        if not c.has_collection(name):
            c.create_collection(
                name,
                schema=schema.collection_schema(c, dense_dim=self._dense_dim),
                index_params=schema.index_params(c, dense_dim=self._dense_dim),
                properties={schema.SCHEMA_PROPERTY: schema.SCHEMA_VERSION},
            )
            log.info("created collection", extra={"collection": name})
        else:
            described = c.describe_collection(name)
            fields = {f["name"] for f in described["fields"]}
            wanted = schema.expected_fields(dense_dim=self._dense_dim)
            version = (described.get("properties") or {}).get(schema.SCHEMA_PROPERTY)
            if version != schema.SCHEMA_VERSION or fields != wanted:
                raise FailedPrecondition(
                    f"collection {name!r} was built for another schema "
                    f"({version!r}, fields {sorted(fields)}); "
                    f"drop it or choose another SEARCH_COLLECTION, then re-ingest"
                )
        # A reopened Lite collection starts released; loading a loaded one is a no-op.
        c.load_collection(name)

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
        where = self._compiler.compile(
            [Condition(schema.SOURCE_ID.name, tuple(source_ids))], tenant=tenant
        )
        rows: list[dict[str, Any]] = self._client.query(
            self._collection,
            filter=where,
            output_fields=[schema.ID.name, schema.SOURCE_ID.name, schema.CONTENT_HASH.name],
            limit=QUERY_WINDOW,
            timeout=WRITE_TIMEOUT_SECONDS,
        )
        return rows

    async def write(self, *, upserts: Sequence[Chunk], deletes: Sequence[str]) -> None:
        if not upserts and not deletes:
            return
        async with self._write_lock:
            for batch in _batches([self._row(c) for c in upserts]):
                await self._call(
                    self._client.upsert, self._collection, batch, timeout=WRITE_TIMEOUT_SECONDS
                )
            if deletes:
                await self._call(
                    self._client.delete,
                    self._collection,
                    ids=list(deletes),
                    timeout=WRITE_TIMEOUT_SECONDS,
                )
            # Unflushed rows sit in growing segments, where every search costs ~1 s.
            await self._call(self._client.flush, self._collection, timeout=WRITE_TIMEOUT_SECONDS)

    def _row(self, chunk: Chunk) -> dict[str, Any]:
        row = asdict(chunk)
        dense = row.pop("dense")
        if self._dense_dim:
            if dense is None or len(dense) != self._dense_dim:
                raise ValueError(f"chunk {chunk.id} needs a {self._dense_dim}-d dense vector")
            row[schema.DENSE] = list(dense)
        return row

    async def search(
        self,
        *,
        tenant: str,
        text: str,
        conditions: Sequence[Condition],
        limit: int,
        deadline: Deadline | None = None,
    ) -> list[Hit]:
        where = self._compiler.compile(conditions, tenant=tenant)
        results = await self._call(
            self._client.search,
            self._collection,
            data=[text],
            anns_field=schema.SPARSE,
            filter=where,
            limit=limit,
            output_fields=list(schema.OUTPUT_FIELDS),
            group_by_field=schema.SOURCE_ID.name,
            group_size=1,
            timeout=_timeout(deadline),
        )
        return [_hit(found) for found in results[0]] if results else []

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
        self, *, tenant: str, source_ids: Sequence[str], deadline: Deadline | None = None
    ) -> list[Hit]:
        wanted = list(dict.fromkeys(source_ids))[:SOURCES_PER_QUERY]
        if not wanted:
            return []
        where = self._compiler.compile(
            [Condition(schema.SOURCE_ID.name, tuple(wanted))], tenant=tenant
        )
        rows = await self._call(
            self._client.query,
            self._collection,
            filter=f"{where} and {schema.CHUNK_INDEX} == 0",
            output_fields=[schema.ID.name, *schema.OUTPUT_FIELDS],
            limit=len(wanted),
            timeout=_timeout(deadline),
        )
        found = {
            row[schema.SOURCE_ID.name]: _hit(
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


def _hit(found: Mapping[str, Any]) -> Hit:
    entity = found["entity"]
    return Hit(
        id=str(found["id"]),
        source_id=entity[schema.SOURCE_ID.name],
        chunk_index=int(entity[schema.CHUNK_INDEX]),
        document_id=entity[schema.DOCUMENT_ID.name],
        rulebook=entity[schema.RULEBOOK.name],
        passage_ref=entity[schema.PASSAGE_REF.name],
        title=entity[schema.TITLE.name],
        doc_type=entity[schema.DOC_TYPE.name],
        text=passage_text(entity[schema.TEXT]),
        # A Milvus server reports BM25 scores as positive distances; Lite negates them.
        score=abs(float(found["distance"])),
    )


def _batches(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Rows grouped so that each group's text stays under WRITE_BATCH_BYTES."""
    batches: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 0
    for row in rows:
        row_size = len(row[schema.TEXT].encode()) + len(row[schema.TITLE.name].encode()) + 512
        if current and size + row_size > WRITE_BATCH_BYTES:
            batches.append(current)
            current, size = [], 0
        current.append(row)
        size += row_size
    if current:
        batches.append(current)
    return batches

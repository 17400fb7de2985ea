"""`GraphStore` on Ladybug, the maintained fork of Kùzu: an embedded Cypher engine in a
local folder, no server. Its calls block, so they run in worker threads: writes one at a
time on one connection, reads concurrently on a small pool of others."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import ladybug
from arbiter_kit.deadline import Deadline
from arbiter_kit.errors import DeadlineExceeded, Unavailable

from arbiter_search.graph import cypher
from arbiter_search.graph.model import (
    PARENT,
    SIBLING,
    DocumentNode,
    FindingNode,
    Neighbour,
    PassageNode,
    Precedent,
    Reference,
    Rel,
    node_key,
)
from arbiter_search.graph.store import (
    WRITE_TIMEOUT_SECONDS,
    GraphChange,
    GraphSnapshot,
    document_row,
    edge_row,
    finding_of,
    finding_row,
    passage_of,
    passage_row,
    violation_row,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

DATABASE_FILE = "graph.lbug"
"""The database inside the graph's data folder (the engine adds `.wal` beside it)."""
READERS = 2
DEFAULT_READ_SECONDS = 30.0
BUFFER_POOL_BYTES = 512 * 1024 * 1024
"""The engine's page cache; its default is 80% of the machine's memory. Not smaller: the
whole ObliQA graph is ~7 MB on disk, but at 64 MiB hostile ingests of 8 MiB documents
filled the pool and reads failed ("the buffer pool is full", make fuzz, docs/fuzz.md)."""
CHECKPOINT_EVERY = 16
"""Write transactions between checkpoints. Until one, the engine keeps every committed
write's row versions in memory: ~0.3 MiB per one-passage write, whatever the document's
size, while the write-ahead log grows by ~2 KB, so its automatic checkpoint (at 16 MiB of
log) came only after thousands of writes and the service grew by the number of Ingest
calls (1,000 replacements of a few documents: +200 MiB; docs/fuzz.md)."""
CHECKPOINT_WAIT_SECONDS = 5.0
"""How long a checkpoint waits for reads in flight before it is left to a later write."""
LOCK_HINT = (
    " (only one process at a time may open an embedded graph folder:"
    " is another search service using it?)"
)


class LadybugGraphStore:
    """A tenant-scoped graph in one embedded database."""

    def __init__(self, database: ladybug.Database) -> None:
        self._database = database
        self._writer = ladybug.Connection(database)
        self._readers: asyncio.Queue[ladybug.Connection] = asyncio.Queue()
        for _ in range(READERS):
            self._readers.put_nowait(ladybug.Connection(database))
        self._write_lock = asyncio.Lock()
        self._writes_since_checkpoint = 0

    @classmethod
    async def open(cls, folder: str | Path) -> LadybugGraphStore:
        """Open (creating) the graph in `folder` and its schema. Unavailable when the
        folder cannot be used or another process holds it."""
        path = Path(folder)

        def connect() -> ladybug.Database:
            path.mkdir(parents=True, exist_ok=True)
            return ladybug.Database(str(path / DATABASE_FILE), buffer_pool_size=BUFFER_POOL_BYTES)

        try:
            database = await asyncio.to_thread(connect)
        except (RuntimeError, OSError) as exc:
            log.error("cannot open the graph", extra={"path": str(path), "error": str(exc)})
            raise Unavailable(f"cannot open the graph at {path}: {exc}{LOCK_HINT}") from exc
        store = cls(database)
        try:
            await store._call(store._create_schema)
        except BaseException:
            await store.close()
            raise
        return store

    def _create_schema(self) -> None:
        for statement in cypher.LADYBUG_SCHEMA:
            self._writer.execute(statement)

    async def close(self) -> None:
        def close_all() -> None:
            while not self._readers.empty():
                self._readers.get_nowait().close()
            self._writer.close()
            self._database.close()

        await asyncio.to_thread(close_all)

    async def generation(self, *, tenant: str, deadline: Deadline | None = None) -> int:
        rows = await self._read(cypher.GENERATION, {"tenant": tenant}, deadline)
        return int(rows[0][0]) if rows else 0

    async def snapshot(self, *, tenant: str, deadline: Deadline | None = None) -> GraphSnapshot:
        def read(connection: ladybug.Connection, timeout: float) -> GraphSnapshot:
            with _timeout(connection, timeout):
                # One read transaction, so the generation matches what is read with it.
                connection.execute("BEGIN TRANSACTION READ ONLY")
                try:
                    params = {"tenant": tenant}
                    generation = _rows(connection.execute(cypher.GENERATION, params))
                    documents = _rows(connection.execute(cypher.DOCUMENTS, params))
                    passages = _rows(connection.execute(cypher.PASSAGES, params))
                    edges = _rows(connection.execute(cypher.REFERENCE_EDGES, params))
                    findings = _rows(connection.execute(cypher.FINDINGS, params))
                finally:
                    connection.execute("COMMIT")
            return GraphSnapshot(
                generation=int(generation[0][0]) if generation else 0,
                documents=tuple(DocumentNode(tenant, *row) for row in documents),
                passages=tuple(passage_of(tenant, row) for row in passages),
                references=tuple(Reference(*row) for row in edges),
                findings=tuple(finding_of(tenant, row) for row in findings),
            )

        return await self._with_reader(read, deadline)

    async def write(self, change: GraphChange) -> int:
        async with self._write_lock:
            generation = await self._call(self._write, change)
            self._writes_since_checkpoint += 1
            if self._writes_since_checkpoint >= CHECKPOINT_EVERY:
                await self._checkpoint()
            return generation

    async def _checkpoint(self) -> None:
        """Fold the committed writes into the database file, releasing the versions the
        engine keeps for them. With every reader held: beside an open read transaction
        the engine's CHECKPOINT returns without releasing anything (and writes the file
        anew each time). A failure is logged, not raised: the write it follows has
        committed, and the next write tries again."""
        taken: list[ladybug.Connection] = []

        def give_back() -> None:
            while taken:
                self._readers.put_nowait(taken.pop())

        def settled(done: asyncio.Future[None]) -> None:
            give_back()
            if not done.cancelled():
                done.exception()  # seen here when no caller is left to see it

        def checkpoint() -> None:
            _rows(self._writer.execute("CHECKPOINT"))

        try:
            async with asyncio.timeout(CHECKPOINT_WAIT_SECONDS):
                while len(taken) < READERS:
                    taken.append(await self._readers.get())
        except TimeoutError:
            give_back()
            log.info("graph checkpoint deferred: reads in flight")
            return
        except BaseException:
            give_back()
            raise
        running = asyncio.ensure_future(asyncio.to_thread(checkpoint))
        # Readers go back only once the engine is done, even if this caller is cancelled.
        running.add_done_callback(settled)
        try:
            await asyncio.shield(running)
        except RuntimeError as exc:
            log.warning("graph checkpoint failed", extra={"error": str(exc)})
            return
        self._writes_since_checkpoint = 0

    def _write(self, change: GraphChange) -> int:
        tenant, c = change.tenant, self._writer
        with _timeout(c, WRITE_TIMEOUT_SECONDS):
            c.execute("BEGIN TRANSACTION")
            try:
                if change.documents:
                    rows = [document_row(d) for d in change.documents]
                    c.execute(cypher.UPSERT_DOCUMENTS, {"rows": rows})
                if change.passages:
                    self._upsert_passages(tenant, change.passages)
                if change.removed:
                    edges = [edge_row(tenant, r) for r in change.removed]
                    c.execute(cypher.DELETE_REFERENCES, {"edges": edges, "tenant": tenant})
                if change.added:
                    edges = [edge_row(tenant, r) for r in change.added]
                    c.execute(cypher.LADYBUG_CREATE_REFERENCES, {"edges": edges})
                if change.findings:
                    self._replace_findings(tenant, change.findings)
                if change.violations:
                    edges = [violation_row(tenant, f, p) for f, p in change.violations]
                    c.execute(cypher.CREATE_VIOLATIONS, {"edges": edges})
                generation = _rows(c.execute(cypher.BUMP_GENERATION, {"tenant": tenant}))
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise
        return int(generation[0][0])

    def _upsert_passages(self, tenant: str, passages: Sequence[PassageNode]) -> None:
        c = self._writer
        keys = [p.key for p in passages]
        existing = {row[0] for row in _rows(c.execute(cypher.EXISTING_PASSAGES, {"keys": keys}))}
        new = [passage_row(p) for p in passages if p.key not in existing]
        old = [passage_row(p) for p in passages if p.key in existing]
        if new:
            c.execute(cypher.LADYBUG_CREATE_PASSAGES, {"rows": new})
        if old:
            # A changed passage may have moved to another document: attach it afresh.
            c.execute(cypher.UPDATE_PASSAGES, {"rows": old})
            old_keys = [row["key"] for row in old]
            c.execute(cypher.DETACH_FROM_DOCUMENTS, {"keys": old_keys, "tenant": tenant})
            c.execute(cypher.LADYBUG_ATTACH_TO_DOCUMENTS, {"rows": old})

    def _replace_findings(self, tenant: str, findings: Sequence[FindingNode]) -> None:
        c = self._writer
        keys = {"keys": [f.key for f in findings], "tenant": tenant}
        c.execute(cypher.DELETE_DISPOSITIONS, keys)
        c.execute(cypher.DELETE_FINDINGS, keys)
        rows = [finding_row(f) for f in findings]
        c.execute(cypher.CREATE_FINDINGS, {"rows": rows})
        disposed = [row for row in rows if row["disposed"]]
        if disposed:
            c.execute(cypher.CREATE_DISPOSITIONS, {"rows": disposed})

    async def neighbours(
        self, *, tenant: str, source_ids: Sequence[str], deadline: Deadline | None = None
    ) -> list[Neighbour]:
        """Passages by reference either way, and findings and the passages they cite by
        VIOLATES either way (a source id is a passage's or a finding's, never both)."""

        def related(relation: str) -> Callable[[str, list[Any]], Neighbour]:
            return lambda source_id, row: Neighbour(source_id, row[0], relation)

        found: list[Neighbour] = []
        for query, relation in (
            (cypher.NEIGHBOURS_OF_ONE, Rel.REFERENCES),
            (cypher.FINDINGS_OF_ONE, Rel.VIOLATES),
            (cypher.RULES_OF_ONE, Rel.VIOLATES),
        ):
            found += await self._per_key(
                query, related(relation.value), tenant, source_ids, deadline
            )
        return found

    async def precedents(
        self, *, tenant: str, source_ids: Sequence[str], deadline: Deadline | None = None
    ) -> list[Precedent]:
        def precedent(source_id: str, row: list[Any]) -> Precedent:
            return Precedent(source_id, finding_of(tenant, row))

        found = await self._per_key(
            cypher.PRECEDENTS_OF_ONE, precedent, tenant, source_ids, deadline
        )
        order = {source_id: n for n, source_id in enumerate(dict.fromkeys(source_ids))}
        return sorted(found, key=lambda p: (order[p.passage_id], p.finding.source_id))

    async def relatives(
        self, *, tenant: str, source_ids: Sequence[str], deadline: Deadline | None = None
    ) -> list[Neighbour]:
        def relative(source_id: str, row: list[Any]) -> Neighbour:
            other, is_parent = row
            return Neighbour(source_id, other, PARENT if is_parent else SIBLING)

        return await self._per_key(cypher.RELATIVES_OF_ONE, relative, tenant, source_ids, deadline)

    async def _per_key(
        self,
        query: str,
        make: Callable[[str, list[Any]], T],
        tenant: str,
        source_ids: Sequence[str],
        deadline: Deadline | None,
    ) -> list[T]:
        """`query` run once per source, each row made into a record of it. One lookup
        per key: the engine plans UNWIND-then-MATCH as a scan (~8 ms per key on the full
        corpus against 0.3 ms for a key lookup)."""

        def read(connection: ladybug.Connection, timeout: float) -> list[T]:
            found: list[T] = []
            with _timeout(connection, timeout):
                for source_id in dict.fromkeys(source_ids):
                    params = {"key": node_key(tenant, source_id), "tenant": tenant}
                    found += [
                        make(source_id, row) for row in _rows(connection.execute(query, params))
                    ]
            return found

        return await self._with_reader(read, deadline)

    async def _read(
        self, statement: str, params: dict[str, Any], deadline: Deadline | None
    ) -> list[list[Any]]:
        def read(connection: ladybug.Connection, timeout: float) -> list[list[Any]]:
            with _timeout(connection, timeout):
                return _rows(connection.execute(statement, params))

        return await self._with_reader(read, deadline)

    async def _with_reader(
        self, fn: Callable[[ladybug.Connection, float], T], deadline: Deadline | None
    ) -> T:
        deadline = deadline or Deadline.after(DEFAULT_READ_SECONDS)
        try:
            async with asyncio.timeout(deadline.timeout()):
                connection = await self._readers.get()
        except TimeoutError:
            raise DeadlineExceeded("the graph store had no free connection in time") from None
        try:
            return await self._call(fn, connection, deadline.timeout())
        finally:
            self._readers.put_nowait(connection)

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking engine call in a thread; an interrupted query becomes
        DeadlineExceeded, any other engine failure Unavailable."""
        try:
            return await asyncio.to_thread(fn, *args)
        except RuntimeError as exc:
            if "Interrupted" in str(exc):
                raise DeadlineExceeded("the graph store did not answer in time") from exc
            log.error("graph call failed", extra={"call": fn.__name__, "error": str(exc)})
            raise Unavailable("the graph store failed; try again") from exc


@contextmanager
def _timeout(connection: ladybug.Connection, seconds: float) -> Iterator[None]:
    """Interrupt the connection's queries after `seconds` (at least 1 ms)."""
    connection.set_query_timeout(max(1, int(seconds * 1000)))
    try:
        yield
    finally:
        connection.set_query_timeout(0)


def _rows(result: Any) -> list[list[Any]]:
    results = result if isinstance(result, list) else [result]
    rows: list[list[Any]] = []
    for one in results:
        rows.extend(one.get_all())
        one.close()
    return rows

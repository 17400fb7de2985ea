"""`GraphStore` on Neo4j through the official async driver (Bolt): parameterised Cypher,
constraints and indexes created idempotently at start-up, MERGE upserts, and every call
bounded by the caller's deadline both on the server (transaction timeout) and here."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

import neo4j
from arbiter_kit.deadline import Deadline
from arbiter_kit.errors import DeadlineExceeded, Unavailable
from neo4j.exceptions import ClientError, DriverError, Neo4jError

from arbiter_search.graph import cypher
from arbiter_search.graph.model import (
    PARENT,
    SIBLING,
    DocumentNode,
    Neighbour,
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

DEFAULT_READ_SECONDS = 30.0
CONNECT_SECONDS = 10.0


class Neo4jGraphStore:
    """A tenant-scoped graph in one Neo4j database."""

    def __init__(self, driver: neo4j.AsyncDriver, *, database: str | None = None) -> None:
        self._driver = driver
        self._database = database or None

    @classmethod
    async def open(
        cls, uri: str, *, user: str = "", password: str = "", database: str = ""
    ) -> Neo4jGraphStore:
        """Connect, check the server answers, and create constraints and indexes."""
        auth = (user, password) if user else None
        driver = neo4j.AsyncGraphDatabase.driver(
            uri,
            auth=auth,
            connection_timeout=CONNECT_SECONDS,
            connection_acquisition_timeout=CONNECT_SECONDS,
            max_transaction_retry_time=CONNECT_SECONDS,
        )
        store = cls(driver, database=database)
        try:
            await store._guard(driver.verify_connectivity(), "connect")
            for statement in cypher.NEO4J_SCHEMA:
                await store._run_write([(statement, {})], Deadline.after(CONNECT_SECONDS * 3))
        except BaseException:
            await driver.close()
            raise
        return store

    async def close(self) -> None:
        await self._driver.close()

    async def generation(self, *, tenant: str, deadline: Deadline | None = None) -> int:
        [rows] = await self._run_read([(cypher.GENERATION, {"tenant": tenant})], deadline)
        return int(rows[0][0]) if rows else 0

    async def snapshot(self, *, tenant: str, deadline: Deadline | None = None) -> GraphSnapshot:
        params = {"tenant": tenant}
        generation, documents, passages, edges, findings = await self._run_read(
            [
                (cypher.GENERATION, params),
                (cypher.DOCUMENTS, params),
                (cypher.PASSAGES, params),
                (cypher.REFERENCE_EDGES, params),
                (cypher.FINDINGS, params),
            ],
            deadline,
        )
        return GraphSnapshot(
            generation=int(generation[0][0]) if generation else 0,
            documents=tuple(DocumentNode(tenant, *row) for row in documents),
            passages=tuple(passage_of(tenant, row) for row in passages),
            references=tuple(Reference(*row) for row in edges),
            findings=tuple(finding_of(tenant, row) for row in findings),
        )

    async def write(self, change: GraphChange) -> int:
        tenant = change.tenant
        statements: list[tuple[str, dict[str, Any]]] = []
        if change.documents:
            rows = [document_row(d) for d in change.documents]
            statements.append((cypher.UPSERT_DOCUMENTS, {"rows": rows}))
        if change.passages:
            keys = [p.key for p in change.passages]
            statements.append((cypher.DETACH_FROM_DOCUMENTS, {"keys": keys, "tenant": tenant}))
            rows = [passage_row(p) for p in change.passages]
            statements.append((cypher.NEO4J_UPSERT_PASSAGES, {"rows": rows}))
        if change.removed:
            edges = [edge_row(tenant, r) for r in change.removed]
            statements.append((cypher.DELETE_REFERENCES, {"edges": edges, "tenant": tenant}))
        if change.added:
            edges = [edge_row(tenant, r) for r in change.added]
            statements.append((cypher.NEO4J_MERGE_REFERENCES, {"edges": edges}))
        if change.findings:
            replaced = {"keys": [f.key for f in change.findings], "tenant": tenant}
            rows = [finding_row(f) for f in change.findings]
            statements += [
                (cypher.DELETE_DISPOSITIONS, replaced),
                (cypher.DELETE_FINDINGS, replaced),
                (cypher.CREATE_FINDINGS, {"rows": rows}),
                (cypher.CREATE_DISPOSITIONS, {"rows": [r for r in rows if r["disposed"]]}),
            ]
        if change.violations:
            edges = [violation_row(tenant, f, p) for f, p in change.violations]
            statements.append((cypher.CREATE_VIOLATIONS, {"edges": edges}))
        statements.append((cypher.BUMP_GENERATION, {"tenant": tenant}))
        results = await self._run_write(statements, Deadline.after(WRITE_TIMEOUT_SECONDS))
        return int(results[-1][0][0])

    async def neighbours(
        self, *, tenant: str, source_ids: Sequence[str], deadline: Deadline | None = None
    ) -> list[Neighbour]:
        keys = [node_key(tenant, s) for s in dict.fromkeys(source_ids)]
        params = {"keys": keys, "tenant": tenant}
        references, findings, rules = await self._run_read(
            [
                (cypher.NEIGHBOURS, params),
                (cypher.NEO4J_FINDINGS_OF, params),
                (cypher.NEO4J_RULES_OF, params),
            ],
            deadline,
        )
        return [Neighbour(of, other, Rel.REFERENCES.value) for of, other in references] + [
            Neighbour(of, other, Rel.VIOLATES.value) for of, other in findings + rules
        ]

    async def precedents(
        self, *, tenant: str, source_ids: Sequence[str], deadline: Deadline | None = None
    ) -> list[Precedent]:
        order = {s: n for n, s in enumerate(dict.fromkeys(source_ids))}
        keys = [node_key(tenant, s) for s in order]
        [rows] = await self._run_read(
            [(cypher.NEO4J_PRECEDENTS, {"keys": keys, "tenant": tenant})], deadline
        )
        found = [Precedent(row[0], finding_of(tenant, row[1:])) for row in rows]
        return sorted(found, key=lambda p: (order[p.passage_id], p.finding.source_id))

    async def relatives(
        self, *, tenant: str, source_ids: Sequence[str], deadline: Deadline | None = None
    ) -> list[Neighbour]:
        keys = [node_key(tenant, s) for s in dict.fromkeys(source_ids)]
        [rows] = await self._run_read(
            [(cypher.RELATIVES, {"keys": keys, "tenant": tenant})], deadline
        )
        return [Neighbour(of, other, PARENT if up else SIBLING) for of, other, up in rows]

    async def _run_read(
        self, statements: list[tuple[str, dict[str, Any]]], deadline: Deadline | None
    ) -> list[list[list[Any]]]:
        deadline = deadline or Deadline.after(DEFAULT_READ_SECONDS)
        return await self._transaction(statements, deadline, neo4j.READ_ACCESS)

    async def _run_write(
        self, statements: list[tuple[str, dict[str, Any]]], deadline: Deadline
    ) -> list[list[list[Any]]]:
        return await self._transaction(statements, deadline, neo4j.WRITE_ACCESS)

    async def _transaction(
        self, statements: list[tuple[str, dict[str, Any]]], deadline: Deadline, mode: str
    ) -> list[list[list[Any]]]:
        """Run `statements` in one managed transaction (retried by the driver on transient
        errors) that the server ends at the deadline, as does this side."""
        timeout = deadline.timeout()

        @neo4j.unit_of_work(timeout=timeout)
        async def work(tx: neo4j.AsyncManagedTransaction) -> list[list[list[Any]]]:
            results = []
            for statement, params in statements:
                result = await tx.run(statement, params)
                results.append([list(record.values()) async for record in result])
            return results

        async def run() -> list[list[list[Any]]]:
            async with self._driver.session(
                database=self._database, default_access_mode=mode
            ) as session:
                if mode == neo4j.READ_ACCESS:
                    return await session.execute_read(work)
                return await session.execute_write(work)

        return await self._guard(run(), "read" if mode == neo4j.READ_ACCESS else "write", timeout)

    async def _guard(self, call: Awaitable[T], what: str, seconds: float | None = None) -> T:
        """Await a driver call within `seconds`; its failures become Arbiter errors."""
        try:
            async with asyncio.timeout(seconds):
                return await call
        except TimeoutError:
            raise DeadlineExceeded("the graph store did not answer in time") from None
        except ClientError as exc:
            if exc.code and "Timeout" in exc.code:
                raise DeadlineExceeded("the graph store did not answer in time") from exc
            log.error("neo4j rejected a statement", extra={"call": what, "code": exc.code})
            raise Unavailable("the graph store failed; try again") from exc
        except (Neo4jError, DriverError, OSError) as exc:
            log.error("neo4j call failed", extra={"call": what, "error": str(exc)})
            raise Unavailable("the graph store failed; try again") from exc

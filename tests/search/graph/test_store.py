"""The GraphStore contract through the indexer: idempotent upserts, references replaced
when a passage changes, late targets linked, tenants kept apart, reads in both directions."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from arbiter_search.graph import GraphIndexer, GraphStore, LadybugGraphStore, Reference, Rel
from arbiter_search.graph.model import PARENT, SIBLING

from tests.search.graph.conftest import prepared


def rules(tenant: str) -> list:  # type: ignore[type-arg]
    return [
        prepared(
            "r1", "8.3.1", "A firm must comply with Rule 8.3.2 and COBS Rule 9.4.1.", tenant=tenant
        ),
        prepared("r2", "8.3.2", "Records must be kept. See also Rule 8.3.1.", tenant=tenant),
        prepared("r3", "8.3.3", "Nothing here cites anything.", tenant=tenant),
        prepared("c1", "9.4.1", "Conduct rule.", document="3", rulebook="COBS", tenant=tenant),
    ]


def edges(snapshot_refs: tuple[Reference, ...]) -> set[tuple[str, str]]:
    return {(r.source_id, r.target_id) for r in snapshot_refs}


async def test_indexing_builds_nodes_and_references(graph_store: GraphStore, tenant: str) -> None:
    tally = await GraphIndexer(graph_store).index(rules(tenant), tenant=tenant)
    assert (tally.passages, tally.added, tally.removed, tally.unresolved) == (4, 3, 0, 0)
    snapshot = await graph_store.snapshot(tenant=tenant)
    assert {p.source_id for p in snapshot.passages} == {"r1", "r2", "r3", "c1"}
    assert {(d.id, d.rulebook, d.title) for d in snapshot.documents} == {
        ("1", "AML", "Anti-Money Laundering Rules (AML)"),
        ("3", "COBS", "Anti-Money Laundering Rules (COBS)"),
    }
    assert edges(snapshot.references) == {("r1", "r2"), ("r1", "c1"), ("r2", "r1")}
    assert {r.mention for r in snapshot.references if r.source_id == "r1"} == {
        "Rule 8.3.2",
        "COBS Rule 9.4.1",
    }


async def test_reingesting_changes_nothing(graph_store: GraphStore, tenant: str) -> None:
    indexer = GraphIndexer(graph_store)
    await indexer.index(rules(tenant), tenant=tenant)
    before = await graph_store.snapshot(tenant=tenant)
    tally = await indexer.index(rules(tenant), tenant=tenant)
    assert (tally.passages, tally.added, tally.removed) == (0, 0, 0)
    # A new indexer (a restarted service) finds nothing to do either.
    tally = await GraphIndexer(graph_store).index(rules(tenant), tenant=tenant)
    assert (tally.passages, tally.added, tally.removed) == (0, 0, 0)
    after = await graph_store.snapshot(tenant=tenant)
    assert after.generation == before.generation
    assert set(after.passages) == set(before.passages)
    assert set(after.references) == set(before.references)


async def test_a_changed_passage_has_its_references_replaced(
    graph_store: GraphStore, tenant: str
) -> None:
    indexer = GraphIndexer(graph_store)
    await indexer.index(rules(tenant), tenant=tenant)
    changed = prepared("r1", "8.3.1", "A firm must comply with Rule 8.3.3 only.", tenant=tenant)
    tally = await indexer.index([changed], tenant=tenant)
    assert (tally.passages, tally.added, tally.removed) == (1, 1, 2)
    snapshot = await graph_store.snapshot(tenant=tenant)
    assert edges(snapshot.references) == {("r1", "r3"), ("r2", "r1")}


async def test_a_target_ingested_later_is_linked(graph_store: GraphStore, tenant: str) -> None:
    indexer = GraphIndexer(graph_store)
    citing = prepared("r1", "8.3.1", "See Rule 8.3.9.", tenant=tenant)
    assert (await indexer.index([citing], tenant=tenant)).unresolved == 1
    target = prepared("r9", "8.3.9", "The late rule.", tenant=tenant)
    # Another indexer writes it: the first must notice the graph moved on.
    await GraphIndexer(graph_store).index([target], tenant=tenant)
    await indexer.index([citing], tenant=tenant)
    snapshot = await graph_store.snapshot(tenant=tenant)
    assert edges(snapshot.references) == {("r1", "r9")}


async def test_tenants_are_kept_apart(graph_store: GraphStore, tenant: str) -> None:
    other = tenant + "-other"
    indexer = GraphIndexer(graph_store)
    await indexer.index(rules(tenant), tenant=tenant)
    await indexer.index(
        [
            prepared("r1", "8.3.1", "Only Rule 8.3.3 here.", tenant=other),
            prepared("r3", "8.3.3", "Target.", tenant=other),
        ],
        tenant=other,
    )
    mine = await graph_store.snapshot(tenant=tenant)
    theirs = await graph_store.snapshot(tenant=other)
    assert edges(mine.references) == {("r1", "r2"), ("r1", "c1"), ("r2", "r1")}
    assert edges(theirs.references) == {("r1", "r3")}
    assert {p.source_id for p in theirs.passages} == {"r1", "r3"}
    found = await graph_store.neighbours(tenant=other, source_ids=["r1", "r2", "c1"])
    assert {(n.of, n.source_id) for n in found} == {("r1", "r3")}
    assert await graph_store.neighbours(tenant="nobody", source_ids=["r1"]) == []


async def test_neighbours_both_ways_and_relatives(graph_store: GraphStore, tenant: str) -> None:
    await GraphIndexer(graph_store).index(
        [
            *rules(tenant),
            prepared("r4-1", "8.3.4.(1)", "First.", tenant=tenant),
            prepared("r4-2", "8.3.4.(2)", "Second.", tenant=tenant),
            prepared("r4", "8.3.4", "The rule.", tenant=tenant),
        ],
        tenant=tenant,
    )
    found = await graph_store.neighbours(tenant=tenant, source_ids=["c1"])
    assert {(n.of, n.source_id, n.relation) for n in found} == {("c1", "r1", Rel.REFERENCES)}
    found = await graph_store.relatives(tenant=tenant, source_ids=["r4-1"])
    assert {(n.source_id, n.relation) for n in found} == {("r4-2", SIBLING), ("r4", PARENT)}


async def test_a_folder_held_by_another_process_is_unavailable_with_a_hint(
    tmp_path: Path,
) -> None:
    store = await LadybugGraphStore.open(tmp_path / "graph")
    script = (
        "import asyncio, sys\n"
        "from arbiter_kit.errors import Unavailable\n"
        "from arbiter_search.graph import LadybugGraphStore\n"
        "try:\n"
        "    asyncio.run(LadybugGraphStore.open(sys.argv[1]))\n"
        "except Unavailable as exc:\n"
        "    print(exc.message)\n"
    )
    try:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            script,
            str(tmp_path / "graph"),
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
        out, _ = await child.communicate()
    finally:
        await store.close()
    assert "one process at a time" in out.decode(), out

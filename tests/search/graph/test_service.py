"""The graph inside the search service: built by the real Ingest RPC, followed by
Research (and skipped when the request disables it), and expansion's order, cap and
discount over the real stores."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from arbiter.common.v1 import common_pb2
from arbiter.search.v1 import search_pb2
from arbiter_search import DocumentPreparer, Ingestor, MilvusPassageStore, SourceDocument
from arbiter_search.graph import (
    ExpansionSettings,
    GraphConfig,
    GraphExpander,
    GraphIndexer,
    LadybugGraphStore,
)
from arbiter_search.ingest.chunker import Chunker
from arbiter_search.store.base import Hit
from arbiter_search.store.filters import Condition

from tests.support.search import ingest, running_search, summary_of

# A1 is the only passage BM25 finds for "zebra crossings"; A2 is what A1 cites, A4 cites
# A1, and A3 is cited by A2 (two hops from A1).
RULES = [
    ("a1", "1.1.1", "Zebra crossings must be reported as Rule 1.1.2 requires."),
    ("a2", "1.1.2", "Reports go to the harbour master within ten days; see Rule 1.1.3."),
    ("a3", "1.1.3", "The harbour master keeps a ledger of every report."),
    ("a4", "1.1.4", "A quokka sanctuary follows the procedure in Rule 1.1.1."),
    ("a5", "1.2.1", "Lighthouses are inspected yearly."),
]


def documents() -> list[search_pb2.Document]:
    return [
        search_pb2.Document(
            id=source_id,
            title=f"Test Rules (TST) — {ref}",
            text=text,
            metadata={"document_id": "900", "passage_id": ref, "document_short": "TST"},
        )
        for source_id, ref, text in RULES
    ]


async def research(stub: object, **fields: object) -> search_pb2.ResearchResult:
    request = search_pb2.ResearchRequest(query="zebra crossings", top_k=3, **fields)
    responses = [r async for r in stub.Research(request)]  # type: ignore[attr-defined]
    return responses[-1].result


async def test_ingest_builds_the_graph_and_research_follows_it(tmp_path: Path) -> None:
    graph = GraphConfig(uri=str(tmp_path / "graph"))
    async with running_search(tmp_path / "search", graph=graph) as search:
        summary = summary_of(await ingest(search.stub, documents()))
        assert (summary.documents, summary.rejected) == (5, 0)
        again = summary_of(await ingest(search.stub, documents()))
        assert again.unchanged == 5

        plain = await research(search.stub, options=search_pb2.RetrievalOptions(disable_graph=True))
        assert [p.source_id for p in plain.passages] == ["a1"]

        # Without the reranker, so the scores are the ones expansion gave.
        unranked = search_pb2.RetrievalOptions(disable_rerank=True)
        responses = [
            r
            async for r in search.stub.Research(
                search_pb2.ResearchRequest(query="zebra crossings", top_k=3, options=unranked)
            )
        ]
        expanded = responses[-1].result
        assert [p.source_id for p in expanded.passages] == ["a1", "a2", "a4"]
        top, cited, _ = expanded.passages
        assert cited.score == pytest.approx(top.score * 0.5)
        assert cited.text == RULES[1][2] and cited.passage_ref == "1.1.2"
        assert "expand" in [r.progress.stage for r in responses[:-1]]

    # The server closed the graph: open it to see what ingestion built, once.
    store = await LadybugGraphStore.open(tmp_path / "graph")
    try:
        snapshot = await store.snapshot(tenant=search.config.tenant)
        edges = {(r.source_id, r.target_id) for r in snapshot.references}
        assert edges == {("a1", "a2"), ("a2", "a3"), ("a4", "a1")}
        assert [d.id for d in snapshot.documents] == ["900"]
        assert snapshot.generation == 1
    finally:
        await store.close()


async def test_a_callers_filter_holds_for_what_the_graph_reaches(tmp_path: Path) -> None:
    # A2 (what A1 cites) moves to another rulebook: a TST-only search must not reach it.
    moved = documents()
    moved[1].metadata["document_short"] = "OTH"
    graph = GraphConfig(uri=str(tmp_path / "graph"))
    async with running_search(tmp_path / "search", graph=graph) as search:
        summary_of(await ingest(search.stub, moved))
        unranked = search_pb2.RetrievalOptions(disable_rerank=True)
        unfiltered = await research(search.stub, options=unranked)
        assert [p.source_id for p in unfiltered.passages] == ["a1", "a2", "a4"]
        only_tst = common_pb2.MetadataFilter(field="rulebook", any_of=["TST"])
        filtered = await research(search.stub, options=unranked, filters=[only_tst])
        assert [p.source_id for p in filtered.passages] == ["a1", "a4"]
        assert {p.rulebook for p in filtered.passages} == {"TST"}


@pytest.fixture(scope="module")
async def stores(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[MilvusPassageStore, LadybugGraphStore]]:
    folder = tmp_path_factory.mktemp("expansion")
    passages = await MilvusPassageStore.open(str(folder / "milvus.db"), collection="passages")
    graph = await LadybugGraphStore.open(folder / "graph")
    preparer = DocumentPreparer(Chunker(), default_tenant="default")
    ingestor = Ingestor(passages, preparer, batch_size=10, graph=GraphIndexer(graph))

    async def sources() -> AsyncIterator[SourceDocument]:
        for d in documents():
            yield SourceDocument(d.id, d.title, d.text, dict(d.metadata))

    async for _ in ingestor.ingest(sources(), tenant="default"):
        pass
    yield passages, graph
    await graph.close()
    await passages.close()


async def top_hit(passages: MilvusPassageStore) -> Hit:
    [hit] = await passages.search(tenant="default", text="zebra crossings", conditions=[], limit=1)
    assert hit.source_id == "a1"
    return hit


async def test_one_hop_both_directions_discounted(
    stores: tuple[MilvusPassageStore, LadybugGraphStore],
) -> None:
    passages, graph = stores
    hit = await top_hit(passages)
    expander = GraphExpander(graph, passages, ExpansionSettings(hops=1, cap=10, discount=0.4))
    extra = await expander.expand([hit], tenant="default")
    assert [(h.source_id, round(h.score / hit.score, 6)) for h in extra] == [
        ("a2", 0.4),
        ("a4", 0.4),
    ]


async def test_two_hops_cap_and_no_duplicates(
    stores: tuple[MilvusPassageStore, LadybugGraphStore],
) -> None:
    passages, graph = stores
    hit = await top_hit(passages)
    expander = GraphExpander(graph, passages)
    extra = await expander.expand([hit], tenant="default", hops=2, discount=0.5)
    assert [(h.source_id, round(h.score / hit.score, 6)) for h in extra] == [
        ("a2", 0.5),
        ("a4", 0.5),
        ("a3", 0.25),
    ]
    assert [h.source_id for h in await expander.expand([hit], tenant="default", cap=1)] == ["a2"]
    # A neighbour that is itself a hit is never offered again.
    [a2] = await passages.fetch(tenant="default", source_ids=["a2"])
    extra = await expander.expand([hit, a2], tenant="default")
    assert {h.source_id for h in extra} == {"a3", "a4"}
    assert await expander.expand([hit], tenant="someone-else") == []
    assert await expander.expand([], tenant="default") == []
    # Only what meets the search's hard filters.
    only = [Condition("passage_ref", ("1.1.4",))]
    assert [
        h.source_id for h in await expander.expand([hit], tenant="default", conditions=only)
    ] == ["a4"]


async def test_hierarchy_adds_siblings(
    stores: tuple[MilvusPassageStore, LadybugGraphStore],
) -> None:
    passages, graph = stores
    [a5] = await passages.fetch(tenant="default", source_ids=["a5"])
    plain = GraphExpander(graph, passages)
    assert await plain.expand([a5], tenant="default") == []
    family = GraphExpander(graph, passages, ExpansionSettings(hierarchy=True))
    assert await family.expand([a5], tenant="default") == []
    hit = await top_hit(passages)
    found = {h.source_id for h in await family.expand([hit], tenant="default")}
    assert found == {"a2", "a3", "a4"}

"""Expansion over the real stores, with the sample's audit reports ingested beside the real
rule passages they cite: from a rule to the findings under it (text and outcome, from the
vector store), from a finding to its rule, and never past the search's doc_type filter."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from arbiter_search import DocumentPreparer, Ingestor, MilvusPassageStore, SourceDocument
from arbiter_search.graph import GraphExpander, GraphIndexer, LadybugGraphStore
from arbiter_search.ingest.chunker import Chunker
from arbiter_search.store.filters import Condition

from tests.search.ingest.test_findings import NO_CORPUS, report_documents, rule_documents
from tests.support.corpus import CORPUS

pytestmark = pytest.mark.skipif(not CORPUS.exists(), reason=NO_CORPUS)
REPORTS = 40


class Ingested:
    def __init__(self, passages: MilvusPassageStore, graph: LadybugGraphStore) -> None:
        self.passages = passages
        self.graph = graph
        self.expander = GraphExpander(graph, passages)
        self.cites: dict[str, str] = {}
        """finding id -> the passage it cites."""
        self.outcomes: dict[str, str] = {}


@pytest.fixture(scope="module")
async def ingested(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Ingested]:
    folder = tmp_path_factory.mktemp("findings")
    reports, cited = report_documents(folder / "reports", REPORTS)
    passages = await MilvusPassageStore.open(str(folder / "milvus.db"), collection="passages")
    graph = await LadybugGraphStore.open(folder / "graph")
    ingestor = Ingestor(
        passages,
        DocumentPreparer(Chunker(), default_tenant="default"),
        batch_size=16,
        graph=GraphIndexer(graph),
    )

    async def sources() -> AsyncIterator[SourceDocument]:
        # Reports first: half of them arrive before the rules they cite.
        for d in reports + rule_documents(cited, 20):
            yield SourceDocument(d.id, d.title, d.text, dict(d.metadata))

    async for _ in ingestor.ingest(sources(), tenant="default"):
        pass
    state = Ingested(passages, graph)
    for d in reports:
        state.cites[d.id] = d.metadata["cites"]
        state.outcomes[d.id] = d.metadata.get("outcome", "")
    yield state
    await graph.close()
    await passages.close()


async def test_a_rule_reaches_its_findings_and_their_outcomes(ingested: Ingested) -> None:
    rule = next(iter(ingested.cites.values()))
    under = sorted(f for f, cited in ingested.cites.items() if cited == rule)
    [hit] = await ingested.passages.fetch(tenant="default", source_ids=[rule])
    extra = await ingested.expander.expand([hit], tenant="default", cap=50)
    reached = {h.source_id: h for h in extra if h.doc_type == "finding"}
    assert sorted(reached) == under
    for finding_id, found in reached.items():
        assert found.document_id == finding_id
        assert "Sample data" in found.text and rule in found.text
        outcome = ingested.outcomes[finding_id]
        assert f"Outcome: {outcome}" in found.text if outcome else "Outcome: pending" in found.text

    precedents = await ingested.graph.precedents(tenant="default", source_ids=[rule])
    assert [p.finding.source_id for p in precedents] == under
    assert [p.finding.disposition.outcome if p.finding.disposition else "" for p in precedents] == [
        ingested.outcomes[f] for f in under
    ]

    # A search for rules only never gains a finding by expansion.
    rules_only = [Condition("doc_type", ("rule",))]
    filtered = await ingested.expander.expand(
        [hit], tenant="default", cap=50, conditions=rules_only
    )
    assert {h.doc_type for h in filtered} <= {"rule"}
    assert await ingested.expander.expand([hit], tenant="someone-else") == []


async def test_a_finding_reaches_the_rule_it_cites(ingested: Ingested) -> None:
    finding_id, rule = next(iter(ingested.cites.items()))
    [hit] = await ingested.passages.fetch(tenant="default", source_ids=[finding_id])
    assert hit.doc_type == "finding"
    extra = await ingested.expander.expand([hit], tenant="default")
    assert [(h.source_id, h.doc_type) for h in extra] == [(rule, "rule")]


async def test_every_report_is_linked_to_the_rule_it_cites(ingested: Ingested) -> None:
    snapshot = await ingested.graph.snapshot(tenant="default")
    assert {f.source_id: " ".join(f.cites) for f in snapshot.findings} == ingested.cites
    rules = sorted(set(ingested.cites.values()))
    precedents = await ingested.graph.precedents(tenant="default", source_ids=rules)
    assert sorted((p.finding.source_id, p.passage_id) for p in precedents) == sorted(
        ingested.cites.items()
    )

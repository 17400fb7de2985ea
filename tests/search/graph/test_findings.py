"""Findings in the knowledge graph: each finding linked to the passages it cites
(VIOLATES) whichever arrives first, and to its disposition (DISPOSED_AS); expansion from a
rule reaches its findings and from a finding its rules; re-indexing changes nothing."""

from __future__ import annotations

from arbiter_search.graph import GraphIndexer, GraphStore, Precedent, Rel
from arbiter_search.ingest.chunker import Chunker
from arbiter_search.ingest.documents import DocumentPreparer, PreparedDocument, SourceDocument
from arbiter_search.ingest.findings import Disposition

from tests.search.graph.conftest import prepared

# Real rule texts of the corpus (AML 8.1.1 and 14.3.1 as ADGM words them, shortened).
CDD = "A Relevant Person must undertake Customer Due Diligence under Rule 8.3.1."
SAR = "A Relevant Person must promptly report a Suspicious Activity to the FIU."


def finding(
    source_id: str,
    cites: str,
    *,
    outcome: str = "",
    penalty: str = "",
    tenant: str = "default",
    text: str = "",
) -> PreparedDocument:
    """An audit report as `arbiter findings reports` writes its metadata."""
    metadata = {
        "document_id": source_id,
        "rulebook": "AML",
        "doc_type": "finding",
        "cites": cites,
        "severity": "high",
        "format": "markdown",
    }
    if outcome:
        metadata |= {"outcome": outcome, "penalty_usd": penalty, "decided_on": "2024-03-01"}
    body = text or f"# Audit finding {source_id}\n\n- Rule cited: {cites}\n- Outcome: {outcome}"
    result = DocumentPreparer(Chunker(), default_tenant="default").prepare(
        SourceDocument(source_id, f"Audit finding {source_id}", body, metadata), tenant=tenant
    )
    assert isinstance(result, PreparedDocument) and result.finding is not None
    return result


def rules(tenant: str) -> list[PreparedDocument]:
    return [
        prepared("p-cdd", "8.1.1", CDD, tenant=tenant),
        prepared("p-sar", "14.3.1", SAR, tenant=tenant),
    ]


def summary(found: list[Precedent]) -> list[tuple[str, str, str, float]]:
    return [
        (
            p.passage_id,
            p.finding.source_id,
            p.finding.disposition.outcome if p.finding.disposition else "",
            p.finding.disposition.penalty_usd if p.finding.disposition else 0.0,
        )
        for p in found
    ]


async def test_a_rule_leads_to_its_findings_and_their_outcomes(
    graph_store: GraphStore, tenant: str
) -> None:
    indexer = GraphIndexer(graph_store)
    cdd, sar = rules(tenant)
    # FD2 arrives before the passage it cites; FD1 cites both, one of them not yet there.
    first = await indexer.index(
        [
            cdd,
            finding("FD1", "p-cdd, p-sar", outcome="financial penalty", penalty="150000.00",
                    tenant=tenant),
            finding("FD2", "p-sar", tenant=tenant),
        ],
        tenant=tenant,
    )  # fmt: skip
    assert (first.passages, first.findings, first.violations) == (1, 2, 1)
    second = await indexer.index([sar], tenant=tenant)
    assert (second.passages, second.findings, second.violations) == (1, 0, 2)

    found = await graph_store.precedents(tenant=tenant, source_ids=["p-sar", "p-cdd"])
    assert summary(found) == [
        ("p-sar", "FD1", "financial penalty", 150000.0),
        ("p-sar", "FD2", "", 0.0),
        ("p-cdd", "FD1", "financial penalty", 150000.0),
    ]
    assert found[0].finding.disposition == Disposition("financial penalty", 150000.0, "2024-03-01")
    assert found[0].finding.cites == ("p-cdd", "p-sar")

    around_rule = await graph_store.neighbours(tenant=tenant, source_ids=["p-sar"])
    assert {(n.source_id, n.relation) for n in around_rule} == {
        ("FD1", Rel.VIOLATES.value),
        ("FD2", Rel.VIOLATES.value),
    }
    around_finding = await graph_store.neighbours(tenant=tenant, source_ids=["FD1"])
    assert {(n.of, n.source_id) for n in around_finding} == {("FD1", "p-cdd"), ("FD1", "p-sar")}


async def test_reindexing_changes_nothing_and_a_changed_finding_is_rewired(
    graph_store: GraphStore, tenant: str
) -> None:
    batch = [*rules(tenant), finding("FD1", "p-cdd p-sar", outcome="warning", tenant=tenant)]
    await GraphIndexer(graph_store).index(batch, tenant=tenant)
    generation = await graph_store.generation(tenant=tenant)
    # A fresh indexer reads the graph back: the same batch is no change at all.
    again = await GraphIndexer(graph_store).index(batch, tenant=tenant)
    assert (again.passages, again.findings, again.violations) == (0, 0, 0)
    assert await graph_store.generation(tenant=tenant) == generation

    revised = finding("FD1", "p-sar", outcome="licence restriction", tenant=tenant)
    changed = await GraphIndexer(graph_store).index([revised], tenant=tenant)
    assert (changed.findings, changed.violations) == (1, 1)
    found = await graph_store.precedents(tenant=tenant, source_ids=["p-cdd", "p-sar"])
    assert summary(found) == [("p-sar", "FD1", "licence restriction", 0.0)]
    snapshot = await graph_store.snapshot(tenant=tenant)
    assert [(f.source_id, f.cites) for f in snapshot.findings] == [("FD1", ("p-sar",))]

    # The decision withdrawn: the finding keeps its rule and loses its disposition.
    undecided = await GraphIndexer(graph_store).index(
        [finding("FD1", "p-sar", tenant=tenant)], tenant=tenant
    )
    assert undecided.findings == 1
    [only] = await graph_store.precedents(tenant=tenant, source_ids=["p-sar"])
    assert only.finding.disposition is None


async def test_findings_stay_in_their_tenant(graph_store: GraphStore, tenant: str) -> None:
    other = f"{tenant}-other"
    indexer = GraphIndexer(graph_store)
    await indexer.index([*rules(tenant), finding("FD1", "p-sar", tenant=tenant)], tenant=tenant)
    # The other tenant's finding cites the same passage id, which it does not have.
    await indexer.index([finding("FD9", "p-sar", tenant=other)], tenant=other)
    assert summary(await graph_store.precedents(tenant=other, source_ids=["p-sar"])) == []
    mine = await graph_store.precedents(tenant=tenant, source_ids=["p-sar"])
    assert [p.finding.source_id for p in mine] == ["FD1"]
    assert await graph_store.neighbours(tenant=other, source_ids=["FD9"]) == []


async def test_a_finding_is_no_passage_of_the_graph(graph_store: GraphStore, tenant: str) -> None:
    # A report's text names rules as a rule book does; it must not become a citing passage.
    report = finding(
        "FD1", "p-cdd", text="Breach of Rule 8.1.1, see also Rule 14.3.1.", tenant=tenant
    )
    await GraphIndexer(graph_store).index([*rules(tenant), report], tenant=tenant)
    snapshot = await graph_store.snapshot(tenant=tenant)
    assert sorted(p.source_id for p in snapshot.passages) == ["p-cdd", "p-sar"]
    assert not [r for r in snapshot.references if "FD1" in (r.source_id, r.target_id)]
    assert [d.id for d in snapshot.documents] == ["1"]

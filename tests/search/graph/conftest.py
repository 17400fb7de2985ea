"""Graph fixtures: every contract test runs on the embedded engine, and on Neo4j when a
server is named by NEO4J_URI (with NEO4J_USER / NEO4J_PASSWORD)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from arbiter_search.graph import GraphStore, LadybugGraphStore, Neo4jGraphStore
from arbiter_search.ingest.chunker import Chunker
from arbiter_search.ingest.documents import DocumentPreparer, PreparedDocument, SourceDocument

NO_NEO4J = "no Neo4j server: set NEO4J_URI to run these; none can be installed on this machine"


@pytest.fixture(params=["embedded", "neo4j"])
async def graph_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[GraphStore]:
    if request.param == "embedded":
        store: GraphStore = await LadybugGraphStore.open(tmp_path / "graph")
    else:
        uri = os.environ.get("NEO4J_URI")
        if not uri:
            pytest.skip(NO_NEO4J)
        store = await Neo4jGraphStore.open(
            uri,
            user=os.environ.get("NEO4J_USER", ""),
            password=os.environ.get("NEO4J_PASSWORD", ""),
        )
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
def tenant() -> str:
    """A tenant of its own per test, so a shared Neo4j server keeps tests apart."""
    return f"t-{uuid.uuid4().hex[:12]}"


def prepared(
    source_id: str,
    ref: str,
    text: str,
    *,
    document: str = "1",
    rulebook: str = "AML",
    tenant: str = "default",
) -> PreparedDocument:
    """A corpus-like passage as ingestion prepares it."""
    preparer = DocumentPreparer(Chunker(), default_tenant="default")
    source = SourceDocument(
        source_id,
        f"Anti-Money Laundering Rules ({rulebook}) — {ref}",
        text,
        {"document_id": document, "passage_id": ref, "document_short": rulebook},
    )
    result = preparer.prepare(source, tenant=tenant)
    assert isinstance(result, PreparedDocument)
    return result

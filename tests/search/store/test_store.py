"""The Milvus store and collection schema directly: the dense field an embedder adds and
fills, schema checks on reopen, tenant isolation, tenant-qualified chunk ids and fetching
by them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from arbiter_kit.errors import FailedPrecondition
from arbiter_search.embed.openai_compatible import OpenAIEmbedder
from arbiter_search.ingest.chunker import Chunker
from arbiter_search.ingest.documents import DocumentPreparer, PreparedDocument, SourceDocument
from arbiter_search.store import schema
from arbiter_search.store.milvus import MilvusPassageStore
from arbiter_search.store.schema import chunk_id

from tests.support.openai_server import OpenAIServer, embed


def prepared(doc: SourceDocument, *, tenant: str) -> PreparedDocument:
    result = DocumentPreparer(Chunker(), default_tenant="default").prepare(doc, tenant=tenant)
    assert isinstance(result, PreparedDocument)
    return result


def test_chunk_ids_are_qualified_outside_the_default_tenant() -> None:
    assert chunk_id("default", "abc", 2, default_tenant="default") == "abc#2"
    assert chunk_id("acme", "abc", 2, default_tenant="default") == "acme\x1fabc#2"
    # A default-tenant source named like a qualified one keeps a key of its own.
    assert chunk_id("default", "acme/abc", 2, default_tenant="default") != chunk_id(
        "acme", "abc", 2, default_tenant="default"
    )


async def test_an_embedder_adds_the_dense_field_and_fills_it_at_write(tmp_path: Path) -> None:
    uri = str(tmp_path / "milvus.db")
    with OpenAIServer() as endpoint:
        embedder = OpenAIEmbedder(base_url=endpoint.base_url, model="test-embedder", dim=64)
        store = await MilvusPassageStore.open(uri, collection="with_dense", embedder=embedder)
        try:
            described = store._client.describe_collection("with_dense")
            fields = {f["name"]: f for f in described["fields"]}
            assert set(fields) == schema.expected_fields(dense_dim=64)
            assert fields[schema.DENSE]["params"]["dim"] == 64
            assert described["properties"][schema.EMBEDDER_PROPERTY] == "openai:test-embedder"
            chunk = prepared(SourceDocument("d", "t", "herons nest"), tenant="default").chunks[0]
            await store.write(tenant="default", upserts=[chunk], deletes=[])
            [row] = store._client.query("with_dense", filter='id == "d#0"', output_fields=["dense"])
            assert list(row["dense"]) == pytest.approx(embed(chunk.text), abs=1e-6)
            with pytest.raises(ValueError, match="64-d dense vector"):
                await store.write(
                    tenant="default", upserts=[replace(chunk, dense=(0.5,) * 8)], deletes=[]
                )
        finally:
            await store.close()
            await embedder.close()

    with pytest.raises(FailedPrecondition, match="filled by embedder 'openai:test-embedder'"):
        await MilvusPassageStore.open(uri, collection="with_dense")


async def test_tenants_see_only_their_own_chunks(tmp_path: Path) -> None:
    store = await MilvusPassageStore.open(str(tmp_path / "milvus.db"), collection="passages")
    try:
        doc = SourceDocument("same-id", "t", "a rule about herons", {"rulebook": "AML"})
        mine, theirs = prepared(doc, tenant="default"), prepared(doc, tenant="acme")
        await store.write(tenant="default", upserts=mine.chunks, deletes=[])
        await store.write(tenant="acme", upserts=theirs.chunks, deletes=[])
        assert await store.count(tenant="default") == 1
        assert await store.count(tenant="acme") == 1
        assert await store.count(tenant="nobody") == 0
        [hit] = await store.search(tenant="acme", text="herons", conditions=[], limit=5)
        assert hit.id == "acme\x1fsame-id#0"
        assert await store.search(tenant="nobody", text="herons", conditions=[], limit=5) == []
        hashes = await store.stored_hashes(tenant="acme", source_ids=["same-id", "other"])
        assert hashes == {"same-id": {"acme\x1fsame-id#0": theirs.content_hash}}
    finally:
        await store.close()


async def test_fetch_returns_each_tenants_own_first_chunk(tmp_path: Path) -> None:
    store = await MilvusPassageStore.open(str(tmp_path / "milvus.db"), collection="passages")
    try:
        odd = 'it\'s "odd" \\ id'
        docs = [
            (SourceDocument("same-id", "t", "the default tenant's text"), "default"),
            (SourceDocument("same-id", "t", "acme's text"), "acme"),
            (SourceDocument(odd, "t", "a quoted id's text"), "acme"),
        ]
        for doc, tenant in docs:
            await store.write(
                tenant=tenant, upserts=prepared(doc, tenant=tenant).chunks, deletes=[]
            )
        fetched = await store.fetch(tenant="acme", source_ids=[odd, "same-id", "missing"])
        assert [(h.source_id, h.text) for h in fetched] == [
            (odd, "a quoted id's text"),
            ("same-id", "acme's text"),
        ]
        [mine] = await store.fetch(tenant="default", source_ids=["same-id", odd])
        assert (mine.id, mine.text) == ("same-id#0", "the default tenant's text")
        assert await store.fetch(tenant="nobody", source_ids=["same-id"]) == []
    finally:
        await store.close()

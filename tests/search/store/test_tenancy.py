"""No document id reaches across tenants or documents: the attack from issue 7 (a
document whose id closes the delete expression's quotes, ingested long and then short so
that its surplus chunks are deleted) through the real Ingest RPC and the Ingestor on
Milvus Lite, and a default-tenant id shaped like another tenant's key."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from arbiter.search.v1 import search_pb2
from arbiter_search import DocumentPreparer, Ingestor, MilvusPassageStore, SourceDocument
from arbiter_search.ingest.chunker import Chunker

from tests.search.support import chunk_count, passages_of
from tests.support.search import RunningSearch, ingest, running_search, summary_of

ESCAPES = [
    "p'] or tenant in ['acme'] or id in ['q",
    "p'] or source_id in ['victim'] or id in ['q",
    'p"] or tenant == "acme" or id in ["q',
    'p" or source_id == "victim" or id == "q',
]
"""Ids that end a badly quoted list: the first two with pymilvus's `delete(ids=...)`."""
LONG = "\n\n".join(["Attacker wording about zebra custody arrangements. " * 60] * 3)
SHORT = "Attacker wording, now short."


def attack(document_id: str) -> list[list[search_pb2.Document]]:
    """The same id ingested long (several chunks), then short (its surplus deleted)."""
    return [
        [search_pb2.Document(id=document_id, text=LONG)],
        [search_pb2.Document(id=document_id, text=SHORT)],
    ]


def victims() -> list[search_pb2.Document]:
    return [
        search_pb2.Document(id="victim", text="Herons nest in the reeds of the victim's lake."),
        *(
            search_pb2.Document(id=f"other-{i}", text=f"Rule {i} about pelicans and herons.")
            for i in range(3)
        ),
    ]


async def test_an_id_cannot_delete_another_tenants_rows_through_ingest(tmp_path: Path) -> None:
    async with running_search(tmp_path, tenant="acme") as acme:
        summary_of(await ingest(acme.stub, victims()))
        assert await chunk_count(acme) == 4

    async with running_search(tmp_path) as attacker:
        for document_id in ESCAPES:
            for stream in attack(document_id):
                summary_of(await ingest(attacker.stub, stream))
        # Each attacking document ends as one chunk of its own, nothing more.
        assert await chunk_count(attacker) == len(ESCAPES)

    async with running_search(tmp_path, tenant="acme") as acme:
        assert await chunk_count(acme) == 4
        assert {p.source_id for p in await passages_of(acme, "herons")} == {
            "victim",
            "other-0",
            "other-1",
            "other-2",
        }


async def test_an_id_cannot_delete_another_document_of_its_tenant(
    fresh_search: RunningSearch,
) -> None:
    summary_of(await ingest(fresh_search.stub, victims()))
    for document_id in ESCAPES:
        for stream in attack(document_id):
            summary_of(await ingest(fresh_search.stub, stream))
    assert await chunk_count(fresh_search) == 4 + len(ESCAPES)
    [victim] = await passages_of(fresh_search, "victim's lake")
    assert victim.source_id == "victim"


async def documents(items: Sequence[tuple[str, str]]) -> AsyncIterator[SourceDocument]:
    for document_id, text in items:
        yield SourceDocument(document_id, "", text)


async def test_the_ingestor_keeps_tenants_apart_on_one_store(tmp_path: Path) -> None:
    store = await MilvusPassageStore.open(str(tmp_path / "milvus.db"), collection="passages")
    try:
        ingestor = Ingestor(
            store, DocumentPreparer(Chunker(), default_tenant="default"), batch_size=10
        )
        acme = [(f"rule-{i}", f"Acme rule {i} about herons.") for i in range(4)]
        async for _ in ingestor.ingest(documents(acme), tenant="acme"):
            pass
        for document_id in ESCAPES:
            for text in (LONG, SHORT):
                async for _ in ingestor.ingest(documents([(document_id, text)]), tenant="default"):
                    pass
        # A default-tenant id written like acme's key names a document of its own.
        for text in (LONG, SHORT):
            async for _ in ingestor.ingest(documents([("acme/rule-0", text)]), tenant="default"):
                pass
        assert await store.count(tenant="acme") == 4
        assert await store.count(tenant="default") == len(ESCAPES) + 1
        fetched = await store.fetch(tenant="acme", source_ids=["rule-0"])
        assert [h.text for h in fetched] == ["Acme rule 0 about herons."]
    finally:
        await store.close()

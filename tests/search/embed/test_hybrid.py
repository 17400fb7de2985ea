"""Dense and hybrid retrieval through the Retrieve RPC over the fixture passages: each
mode works, hybrid finds a paraphrase BM25 misses, filters bind both legs, a collection
refuses another embedder, and an embeddings endpoint's failure is UNAVAILABLE."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import grpc
import pytest
from arbiter.common.v1 import common_pb2
from arbiter.search.v1 import search_pb2
from arbiter_kit.errors import FailedPrecondition
from arbiter_search.embed.config import EmbedderConfig, EmbeddingsEndpoint
from arbiter_search.embed.local import LocalEmbedder
from arbiter_search.embed.openai_compatible import OpenAIEmbedder
from arbiter_search.store.config import HybridConfig
from arbiter_search.store.milvus import MilvusPassageStore
from prometheus_client import REGISTRY

from tests.support.openai_server import OpenAIServer
from tests.support.search import (
    RunningSearch,
    fixture_documents,
    ingest,
    running_search,
    summary_of,
)

SPARSE = search_pb2.RETRIEVAL_MODE_SPARSE
DENSE = search_pb2.RETRIEVAL_MODE_DENSE
HYBRID = search_pb2.RETRIEVAL_MODE_HYBRID

PARAPHRASE = "advertising for ordinary consumers has to be honest and warn about hazards"
"""fx-cobs-2 in other words: not one word in common with it once stop words are gone."""


@pytest.fixture(scope="module")
async def hybrid_search(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningSearch]:
    async with running_search(
        tmp_path_factory.mktemp("hybrid"), embedder=EmbedderConfig()
    ) as search:
        summary_of(await ingest(search.stub, fixture_documents()))
        yield search


async def retrieve(
    search: RunningSearch,
    query: str,
    mode: search_pb2.RetrievalMode.ValueType = search_pb2.RETRIEVAL_MODE_UNSPECIFIED,
    *,
    top_k: int = 3,
    filters: list[common_pb2.MetadataFilter] | None = None,
) -> list[common_pb2.Passage]:
    request = search_pb2.RetrieveRequest(
        query=query,
        top_k=top_k,
        filters=filters or [],
        options=search_pb2.RetrievalOptions(mode=mode),
    )
    return list((await search.stub.Retrieve(request)).passages)


def ids(passages: list[common_pb2.Passage]) -> list[str]:
    return [p.source_id for p in passages]


async def test_corpus_info_names_the_embedder(hybrid_search: RunningSearch) -> None:
    info = await hybrid_search.stub.GetCorpusInfo(search_pb2.GetCorpusInfoRequest())
    assert info.embedder == "minilm-l6-v2-int8"


@pytest.mark.parametrize("mode", [SPARSE, DENSE, HYBRID])
async def test_every_mode_finds_a_passage_from_its_own_words(
    hybrid_search: RunningSearch, mode: search_pb2.RetrievalMode.ValueType
) -> None:
    passages = await retrieve(hybrid_search, "segregated client account reconciled", mode)
    assert ids(passages)[0] == "fx-cobs-1"
    assert len(set(ids(passages))) == len(passages)
    # BM25 finds only passages sharing a word; vectors rank every passage.
    assert len(passages) == (1 if mode == SPARSE else 3)
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)


async def test_hybrid_finds_the_paraphrase_that_bm25_misses(
    hybrid_search: RunningSearch,
) -> None:
    assert "fx-cobs-2" not in ids(await retrieve(hybrid_search, PARAPHRASE, SPARSE, top_k=10))
    assert ids(await retrieve(hybrid_search, PARAPHRASE, DENSE))[0] == "fx-cobs-2"
    assert "fx-cobs-2" in ids(await retrieve(hybrid_search, PARAPHRASE, HYBRID))
    # The service's default is hybrid when it has an embedder.
    assert "fx-cobs-2" in ids(await retrieve(hybrid_search, PARAPHRASE))


async def test_dense_legs_report_each_passages_cosine_to_the_question(
    hybrid_search: RunningSearch,
) -> None:
    embedder = LocalEmbedder.load()
    question = embedder.embed([PARAPHRASE])[0]
    for mode in (DENSE, HYBRID):
        passages = await retrieve(hybrid_search, PARAPHRASE, mode, top_k=5)
        for passage in passages:
            expected = float(embedder.embed([passage.text])[0] @ question)
            assert passage.similarity == pytest.approx(expected, abs=0.02), passage.source_id
    dense = await retrieve(hybrid_search, PARAPHRASE, DENSE, top_k=5)
    assert [p.similarity for p in dense] == sorted((p.similarity for p in dense), reverse=True)
    # BM25 alone never embeds the question: no similarity to report.
    sparse = await retrieve(hybrid_search, "segregated client account reconciled", SPARSE)
    assert sparse and all(p.similarity == 0 for p in sparse)


@pytest.mark.parametrize("mode", [DENSE, HYBRID])
async def test_filters_restrict_both_legs(
    hybrid_search: RunningSearch, mode: search_pb2.RetrievalMode.ValueType
) -> None:
    aml = [common_pb2.MetadataFilter(field="rulebook", any_of=["AML"])]
    unfiltered = await retrieve(hybrid_search, PARAPHRASE, mode, top_k=10)
    assert {p.rulebook for p in unfiltered} == {"AML", "GEN", "COBS"}
    filtered = await retrieve(hybrid_search, PARAPHRASE, mode, top_k=10, filters=aml)
    assert sorted(ids(filtered)) == ["fx-aml-1", "fx-aml-2", "fx-aml-3"]


async def test_dense_modes_without_an_embedder_are_a_failed_precondition(
    tmp_path: Path,
) -> None:
    async with running_search(tmp_path, embedder=EmbedderConfig(kind="none")) as search:
        summary_of(await ingest(search.stub, fixture_documents()))
        info = await search.stub.GetCorpusInfo(search_pb2.GetCorpusInfoRequest())
        assert info.embedder == "none"
        assert ids(await retrieve(search, "segregated client account"))[0] == "fx-cobs-1"
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await retrieve(search, "segregated client account", DENSE)
        assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "SEARCH_EMBEDDER=none" in (caught.value.details() or "")


async def test_a_collection_refuses_another_embedder(tmp_path: Path) -> None:
    uri = str(tmp_path / "milvus.db")
    local = LocalEmbedder.load()
    store = await MilvusPassageStore.open(uri, collection="passages", embedder=local)
    await store.close()
    same_dim = OpenAIEmbedder(base_url="http://127.0.0.1:9/v1", model="other", dim=384)
    try:
        for other in (same_dim, None):
            with pytest.raises(FailedPrecondition) as caught:
                await MilvusPassageStore.open(uri, collection="passages", embedder=other)
            message = caught.value.message
            assert "'minilm-l6-v2-int8' (384-d)" in message
            assert "SEARCH_EMBEDDER=minilm-l6-v2-int8" in message
            assert "SEARCH_COLLECTION" in message
    finally:
        await same_dim.close()
    bm25_only = await MilvusPassageStore.open(uri, collection="bm25_only")
    await bm25_only.close()
    with pytest.raises(FailedPrecondition, match="no embedder"):
        await MilvusPassageStore.open(uri, collection="bm25_only", embedder=local)
    reopened = await MilvusPassageStore.open(uri, collection="passages", embedder=local)
    await reopened.close()


async def test_weighted_fusion_ranks_by_both_legs(tmp_path: Path) -> None:
    weighted = HybridConfig(fusion="weighted", dense_weight=0.7)
    async with running_search(tmp_path, embedder=EmbedderConfig(), hybrid=weighted) as search:
        summary_of(await ingest(search.stub, fixture_documents()))
        assert ids(await retrieve(search, PARAPHRASE, HYBRID))[0] == "fx-cobs-2"
        passages = await retrieve(search, "segregated client account reconciled", HYBRID)
        assert ids(passages)[0] == "fx-cobs-1"


def failures(reason: str) -> float:
    labels = {"dependency": "embeddings", "reason": reason}
    return REGISTRY.get_sample_value("arbiter_dependency_failures_total", labels) or 0.0


async def test_an_openai_embedder_serves_and_its_failure_is_unavailable(tmp_path: Path) -> None:
    query = "client money segregated account"
    with OpenAIServer() as endpoint:
        config = EmbedderConfig(
            kind="openai",
            endpoint=EmbeddingsEndpoint(base_url=endpoint.base_url, model="test-embedder", dim=64),
        )
        async with running_search(tmp_path, embedder=config) as search:
            summary_of(await ingest(search.stub, fixture_documents()))
            info = await search.stub.GetCorpusInfo(search_pb2.GetCorpusInfoRequest())
            assert info.embedder == "openai:test-embedder"
            assert ids(await retrieve(search, query, DENSE))[0] == "fx-cobs-1"
            assert ids(await retrieve(search, query, HYBRID))[0] == "fx-cobs-1"
    # The same model, now behind an address where nothing listens.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gone = replace(
        config, endpoint=replace(config.endpoint, base_url=f"http://127.0.0.1:{port}/v1")
    )
    async with running_search(tmp_path, embedder=gone) as search:
        before = failures("connection")
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await retrieve(search, query, HYBRID)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
        assert failures("connection") == before + 1
        # BM25 does not need the endpoint.
        assert ids(await retrieve(search, query, SPARSE))[0] == "fx-cobs-1"

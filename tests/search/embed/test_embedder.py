"""The embedders on their own: the committed offline model (loads with no network, stable
unit vectors of its dimension, meaning over wording) and the OpenAI-compatible provider
against the local test server (vectors, batching, and failures counted as Unavailable)."""

from __future__ import annotations

import math
import socket
from collections.abc import Iterator

import numpy as np
import pytest
from arbiter_kit.deadline import Deadline
from arbiter_kit.errors import DeadlineExceeded, FailedPrecondition, InvalidArgument, Unavailable
from arbiter_search.config import SearchConfig
from arbiter_search.embed.config import DEFAULT_OFFLINE_MODEL, EmbedderConfig, offline_models
from arbiter_search.embed.local import LocalEmbedder
from arbiter_search.embed.openai_compatible import OpenAIEmbedder
from prometheus_client import REGISTRY

from tests.support.openai_server import OpenAIServer, embed


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to reach a model hub would fail, not download."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="module")
def local() -> LocalEmbedder:
    return LocalEmbedder.load()


@pytest.fixture(scope="module")
def endpoint() -> Iterator[OpenAIServer]:
    with OpenAIServer() as server:
        yield server


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def failures(reason: str) -> float:
    labels = {"dependency": "embeddings", "reason": reason}
    return REGISTRY.get_sample_value("arbiter_dependency_failures_total", labels) or 0.0


def test_the_default_offline_model_is_committed_with_the_package() -> None:
    assert DEFAULT_OFFLINE_MODEL in offline_models()
    config = SearchConfig.from_env({})
    assert config.embedder == EmbedderConfig(kind=DEFAULT_OFFLINE_MODEL)
    assert (config.hybrid.fusion, config.hybrid.rrf_k, config.hybrid.prune_query) == (
        "rrf",
        60,
        True,
    )


def test_embedder_and_fusion_settings_are_read() -> None:
    config = SearchConfig.from_env(
        {
            "SEARCH_EMBEDDER": "openai",
            "SEARCH_EMBEDDINGS_BASE_URL": "http://127.0.0.1:9/v1",
            "SEARCH_EMBEDDINGS_MODEL": "m",
            "SEARCH_EMBEDDINGS_DIM": "256",
            "SEARCH_FUSION": "weighted",
            "SEARCH_DENSE_WEIGHT": "0.3",
            "SEARCH_RRF_K": "20",
        }
    )
    assert (config.embedder.kind, config.embedder.endpoint.dim) == ("openai", 256)
    assert (config.hybrid.fusion, config.hybrid.dense_weight, config.hybrid.rrf_k) == (
        "weighted",
        0.3,
        20,
    )


@pytest.mark.parametrize(
    ("env", "field"),
    [
        ({"SEARCH_EMBEDDER": "bert-huge"}, "SEARCH_EMBEDDER"),
        ({"SEARCH_EMBEDDER": "openai"}, "SEARCH_EMBEDDINGS_BASE_URL"),
        (
            {"SEARCH_EMBEDDER": "openai", "SEARCH_EMBEDDINGS_BASE_URL": "http://x/v1"},
            "SEARCH_EMBEDDINGS_MODEL",
        ),
        (
            {
                "SEARCH_EMBEDDER": "openai",
                "SEARCH_EMBEDDINGS_BASE_URL": "http://x/v1",
                "SEARCH_EMBEDDINGS_MODEL": "m",
            },
            "SEARCH_EMBEDDINGS_DIM",
        ),
        ({"SEARCH_FUSION": "max"}, "SEARCH_FUSION"),
        ({"SEARCH_RRF_K": "0"}, "SEARCH_RRF_K"),
        ({"SEARCH_DENSE_WEIGHT": "1.5"}, "SEARCH_DENSE_WEIGHT"),
    ],
)
def test_bad_embedder_settings_are_named(env: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        SearchConfig.from_env(env)
    assert caught.value.field == field


async def test_the_offline_model_gives_stable_unit_vectors(local: LocalEmbedder) -> None:
    assert (local.name, local.dim) == ("minilm-l6-v2-int8", 384)
    texts = ["A firm must keep records for six years.", "Client money is segregated.", "x"]
    first = await local.embed_documents(texts)
    again = await local.embed_documents(texts)
    assert first == again
    assert [len(v) for v in first] == [384, 384, 384]
    assert all(math.isclose(math.sqrt(sum(x * x for x in v)), 1.0, abs_tol=1e-4) for v in first)
    query = await local.embed_query(texts[0])
    assert query == await local.embed_query(texts[0])
    # Int8 activations are scaled per batch, so a text alone differs from it in company
    # by rounding only.
    assert cosine(query, first[0]) > 0.99
    assert await local.embed_documents([]) == []


async def test_the_offline_model_matches_meaning_not_wording(local: LocalEmbedder) -> None:
    rule = (
        "A Relevant Person must report suspicious transactions to the Financial Intelligence Unit."
    )
    paraphrase, unrelated = await local.embed_documents(
        [
            "Tell the authorities promptly when a client seems to be laundering cash.",
            "The fund's prospectus must be written in plain English.",
        ]
    )
    vector = await local.embed_query(rule)
    assert cosine(vector, paraphrase) > cosine(vector, unrelated) + 0.1


async def test_a_spent_deadline_stops_the_offline_model_before_it_runs(
    local: LocalEmbedder,
) -> None:
    with pytest.raises(DeadlineExceeded):
        await local.embed_query("anything", deadline=Deadline.after(-1))


def test_an_unknown_offline_model_names_the_ones_there_are() -> None:
    with pytest.raises(FailedPrecondition, match=DEFAULT_OFFLINE_MODEL):
        LocalEmbedder.load("no-such-model")


async def test_the_openai_embedder_returns_the_endpoints_vectors(
    endpoint: OpenAIServer,
) -> None:
    embedder = OpenAIEmbedder(base_url=endpoint.base_url, model="test-embedder", dim=64)
    try:
        texts = [f"passage {n} on client money" for n in range(300)]
        vectors = await embedder.embed_documents(texts, deadline=Deadline.after(10))
        assert vectors == [pytest.approx(embed(t)) for t in texts]
        assert await embedder.embed_query("client money") == pytest.approx(embed("client money"))
        assert (embedder.name, embedder.dim) == ("openai:test-embedder", 64)
        batches = [r for r in endpoint.requests if r.path.endswith("/embeddings")]
        assert [len(r.body["input"]) for r in batches[:3]] == [128, 128, 44]
    finally:
        await embedder.close()


async def test_an_unreachable_endpoint_is_unavailable_and_counted() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    embedder = OpenAIEmbedder(base_url=f"http://127.0.0.1:{port}/v1", model="m", dim=64)
    before = failures("connection")
    try:
        with pytest.raises(Unavailable):
            await embedder.embed_query("client money")
    finally:
        await embedder.close()
    assert failures("connection") == before + 1


async def test_vectors_of_another_dimension_are_refused(endpoint: OpenAIServer) -> None:
    embedder = OpenAIEmbedder(base_url=endpoint.base_url, model="m", dim=32)
    before = failures("dimension")
    try:
        with pytest.raises(Unavailable):
            await embedder.embed_documents(["client money"])
    finally:
        await embedder.close()
    assert failures("dimension") == before + 1


async def test_documents_embedded_in_slices_get_the_vectors_of_one_run(
    local: LocalEmbedder,
) -> None:
    # Ingestion embeds a few model runs per worker-thread call (so a cancelled one stops
    # soon); the runs, and so the vectors, are the ones a single call makes.
    texts = [f"Rule {i}: " + "client money " * (i % 17 + 1) for i in range(120)]
    sliced = await local.embed_documents(texts)
    assert np.array_equal(np.asarray(sliced, dtype=np.float32), local.embed(texts))

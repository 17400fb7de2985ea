"""The research loop on the OpenAI-compatible provider, through the real Research RPC:
each step's valid model output is used, and malformed output falls back to the offline
rules without breaking the stream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from arbiter.search.v1 import search_pb2, search_pb2_grpc
from arbiter_llm import LLMConfig
from arbiter_search import SearchConfig, search_server

from tests.support.openai_server import OpenAIServer, Received, Reply, model, model_server
from tests.support.search import fixture_documents, ingest, summary_of
from tests.support.servers import LOCAL, channel_to

__all__ = ["model", "model_server"]

QUESTION = "How must client money be held?"


@pytest.fixture(scope="module")
async def model_search(
    tmp_path_factory: pytest.TempPathFactory, model_server: OpenAIServer
) -> AsyncIterator[search_pb2_grpc.SearchServiceStub]:
    folder: Path = tmp_path_factory.mktemp("search-model")
    config = SearchConfig(milvus_uri=str(folder / "milvus.db"))
    llm = LLMConfig(provider="openai", base_url=model_server.base_url, max_retries=0)
    async with search_server(LOCAL, config, llm=llm) as server, channel_to(server) as channel:
        stub = search_pb2_grpc.SearchServiceStub(channel)
        summary_of(await ingest(stub, fixture_documents()))
        yield stub


def task_of(received: Received) -> str:
    """Which step a request is for: the schema title in its system message."""
    system = received.messages[0]["content"]
    return next(
        t for t in ("select_fields", "validate", "rewrite", "rerank") if f"search.{t}" in system
    )


def by_task(answers: dict[str, object]) -> object:
    def respond(received: Received) -> Reply:
        answer = answers[task_of(received)]
        return Reply.text(answer) if isinstance(answer, str) else Reply.json(answer)

    return respond


async def research(
    stub: search_pb2_grpc.SearchServiceStub, **fields: object
) -> list[search_pb2.ResearchResponse]:
    request = search_pb2.ResearchRequest(query=QUESTION, **fields)  # type: ignore[arg-type]
    return [r async for r in stub.Research(request)]


async def test_the_models_choices_steer_the_rounds(
    model_search: search_pb2_grpc.SearchServiceStub, model: OpenAIServer
) -> None:
    answers = {
        "select_fields": {"filters": [], "reason": "nothing to narrow"},
        "validate": {
            "sufficient": False,
            "missing": ["eligible bank"],
            "confidence": 0.6,
            "reason": "no passage names the bank",
        },
        "rewrite": {
            "action": "rewrite",
            "query": "segregated client account eligible bank",
            "reason": "target the bank",
        },
    }
    model.script(*[by_task(answers)] * 3)  # type: ignore[arg-type]
    responses = await research(model_search, max_rounds=2)
    result = responses[-1].result
    assert [task_of(r) for r in model.chat_requests()] == ["select_fields", "validate", "rewrite"]
    assert "nothing to narrow" in responses[0].progress.message
    first, second = result.rounds
    assert first.decision == "rewrite: passages lack eligible bank; target the bank"
    assert second.query == "segregated client account eligible bank"
    assert result.passages[0].source_id == "fx-cobs-1"
    assert result.usage.llm_calls == 3
    # Retrieved text reaches the model as delimited data.
    validate = model.chat_requests()[1].text()
    assert "<documents>" in validate and "segregated client account" in validate


@pytest.mark.parametrize(
    "answers",
    [
        {"select_fields": "no JSON here", "validate": "nor here", "rewrite": "nor here"},
        {
            "select_fields": {
                "filters": [{"field": "colour", "any_of": ["red"], "hard": True}],
                "reason": "a field that does not exist",
            },
            "validate": {"sufficient": "maybe", "missing": [], "confidence": 2, "reason": ""},
            "rewrite": {"action": "widen", "query": "", "reason": "no filters to widen"},
        },
    ],
)
async def test_malformed_model_output_falls_back_to_the_offline_rules(
    model_search: search_pb2_grpc.SearchServiceStub,
    model: OpenAIServer,
    answers: dict[str, object],
) -> None:
    model.script(*[by_task(answers)] * 3)  # type: ignore[arg-type]
    responses = await research(model_search, max_rounds=2)
    result = responses[-1].result
    assert "offline rules" in responses[0].progress.message
    assert "model answer rejected" in responses[0].progress.message
    validate = next(r.progress.message for r in responses if r.progress.stage == "validate")
    assert "model answer rejected" in validate
    assert result.passages[0].source_id == "fx-cobs-1"
    assert len(result.rounds) in (1, 2)
    assert json.dumps(result.rounds[0].decision)

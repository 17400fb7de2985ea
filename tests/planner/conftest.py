"""Planner fixtures: the PlannerService on a real `grpc.aio` server (127.0.0.1:0), once
with the offline provider and once with the OpenAI-compatible provider pointed at the
local test server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from arbiter.planner.v1 import planner_pb2_grpc
from arbiter_kit.config import ServerConfig
from arbiter_llm import LLM, LLMConfig, OfflineLLM, OpenAICompatibleLLM
from arbiter_planner.__main__ import build_server

from tests.support.openai_server import OpenAIServer, model, model_server

__all__ = ["model", "model_server"]  # fixtures shared with the test modules


async def _serve(llm: LLM) -> AsyncIterator[grpc.aio.Channel]:
    server = build_server(ServerConfig(host="127.0.0.1", port=0, metrics_port=None), llm)
    port = await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield channel
    finally:
        await channel.close()
        await server.stop(0)
        await llm.aclose()


@pytest.fixture(scope="module")
async def offline_channel() -> AsyncIterator[grpc.aio.Channel]:
    async for channel in _serve(OfflineLLM()):
        yield channel


@pytest.fixture(scope="module")
async def openai_channel(model_server: OpenAIServer) -> AsyncIterator[grpc.aio.Channel]:
    config = LLMConfig(provider="openai", base_url=model_server.base_url, max_retries=0)
    async for channel in _serve(OpenAICompatibleLLM(config)):
        yield channel


@pytest.fixture
def planner(offline_channel: grpc.aio.Channel) -> planner_pb2_grpc.PlannerServiceStub:
    return planner_pb2_grpc.PlannerServiceStub(offline_channel)


@pytest.fixture
def model_planner(
    openai_channel: grpc.aio.Channel, model: OpenAIServer
) -> planner_pb2_grpc.PlannerServiceStub:
    del model  # requested for its reset
    return planner_pb2_grpc.PlannerServiceStub(openai_channel)

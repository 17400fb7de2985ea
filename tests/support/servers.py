"""A service's real server in the test process: started on 127.0.0.1:0, a channel to it,
its health, the field a refused call names; and the channel fixtures of a service built
on an LLM."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import grpc
import pytest
from arbiter_kit.config import ServerConfig
from arbiter_kit.errors import error_info
from arbiter_kit.server import ServiceServer
from arbiter_llm import LLM, LLMConfig, OfflineLLM, OpenAICompatibleLLM
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.support.openai_server import OpenAIServer

LOCAL = ServerConfig(host="127.0.0.1", port=0, metrics_port=None)
"""Any free port on the loopback interface, no metrics port."""


@asynccontextmanager
async def channel_to(server: ServiceServer) -> AsyncIterator[grpc.aio.Channel]:
    """Start `server` and yield a channel to it; the channel closes, then the server stops."""
    port = await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield channel
    finally:
        await server.stop(0)


async def health(channel: grpc.aio.Channel, *services: str) -> list[str]:
    """The health status of each service, by name ("" asks about the whole server)."""
    stub = health_pb2_grpc.HealthStub(channel)
    replies = [
        await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        for service in services
    ]
    return [health_pb2.HealthCheckResponse.ServingStatus.Name(r.status) for r in replies]


async def assert_invalid_argument(call: Awaitable[Any], field: str) -> grpc.aio.AioRpcError:
    """The call fails with INVALID_ARGUMENT and an ErrorInfo naming `field`; returns the
    error for any further checks."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, caught.value.details()
    info = error_info(caught.value)
    assert info is not None
    assert info.metadata["field"] == field, caught.value.details()
    return caught.value


def llm_channel_fixtures(build_server: Callable[[ServerConfig, LLM], ServiceServer]) -> Any:
    """Module-scoped `offline_channel` and `openai_channel` fixtures: channels to the
    server `build_server` builds, on the offline provider and on the OpenAI-compatible
    provider pointed at the local test server (the conftest must offer `model_server`).

    Use: `offline_channel, openai_channel = llm_channel_fixtures(build_server)`."""

    async def serve(llm: LLM) -> AsyncIterator[grpc.aio.Channel]:
        try:
            async with channel_to(build_server(LOCAL, llm)) as channel:
                yield channel
        finally:
            await llm.aclose()

    @pytest.fixture(scope="module")
    async def offline_channel() -> AsyncIterator[grpc.aio.Channel]:
        async for channel in serve(OfflineLLM()):
            yield channel

    @pytest.fixture(scope="module")
    async def openai_channel(model_server: OpenAIServer) -> AsyncIterator[grpc.aio.Channel]:
        config = LLMConfig(provider="openai", base_url=model_server.base_url, max_retries=0)
        async for channel in serve(OpenAICompatibleLLM(config)):
            yield channel

    return offline_channel, openai_channel

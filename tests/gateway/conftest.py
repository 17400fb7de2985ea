"""Gateway fixtures: the real planner, search, analysis and audit servers in this
process (offline LLM, Milvus Lite in a temporary folder, a slice of the real corpus),
and gateways built on them with whatever targets and settings a test needs."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import grpc
import pytest
from arbiter.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from arbiter.search.v1 import search_pb2_grpc
from arbiter_analysis.__main__ import build_server as analysis_server
from arbiter_audit.__main__ import build_server as audit_server
from arbiter_gateway.__main__ import gateway_server
from arbiter_gateway.config import GatewayConfig
from arbiter_kit.breaker import BreakerConfig
from arbiter_kit.client import DownstreamConfig
from arbiter_kit.config import ServerConfig
from arbiter_llm import OfflineLLM
from arbiter_planner.__main__ import build_server as planner_server
from arbiter_search import SearchConfig, search_server

from tests.search.conftest import as_document, ingest, read_jsonl
from tests.support.corpus import CORPUS
from tests.support.servers import channel_to

SERVER = ServerConfig(host="127.0.0.1", port=0, metrics_port=None, grace_seconds=1)


@pytest.fixture(scope="module")
async def workers(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict[str, str]]:
    """Targets of the four real workers, the search store holding part of the corpus."""
    if not CORPUS.exists():
        pytest.skip(f"the ObliQA corpus is not at {CORPUS}")
    data = tmp_path_factory.mktemp("gateway-search")
    servers = [planner_server(SERVER, OfflineLLM()), analysis_server(SERVER, OfflineLLM())]
    servers.append(audit_server(SERVER))
    async with search_server(SERVER, SearchConfig(milvus_uri=str(data / "milvus.db"))) as search:
        targets = {}
        for name, server in zip(
            ["planner", "analysis", "audit", "search"], [*servers, search], strict=True
        ):
            targets[name] = f"127.0.0.1:{await server.start()}"
        async with grpc.aio.insecure_channel(targets["search"]) as channel:
            stub = search_pb2_grpc.SearchServiceStub(channel)
            await ingest(stub, [as_document(row) for row in read_jsonl(CORPUS, 700)])
        try:
            yield targets
        finally:
            for server in [*servers, search]:
                await server.stop(0)


NOWHERE = "127.0.0.1:1"
"""A loopback address where nothing listens: calls to it fail at once (UNAVAILABLE)."""


@pytest.fixture(scope="module")
async def planner_only() -> AsyncIterator[dict[str, str]]:
    """Targets with only a real planner behind them (offline LLM): enough for sessions
    that need no other worker, such as a greeting's."""
    server = planner_server(SERVER, OfflineLLM())
    port = await server.start()
    try:
        yield {
            "planner": f"127.0.0.1:{port}",
            "search": NOWHERE,
            "analysis": NOWHERE,
            "audit": NOWHERE,
        }
    finally:
        await server.stop(0)


@pytest.fixture
async def black_hole() -> AsyncIterator[str]:
    """A TCP endpoint that accepts connections and never answers: calls to it hang."""
    held: list[asyncio.StreamWriter] = []

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        await reader.read()

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        for writer in held:
            writer.close()
        server.close()


@asynccontextmanager
async def gateway(
    targets: dict[str, str], *, breaker: BreakerConfig | None = None, **settings: Any
) -> AsyncIterator[gateway_pb2_grpc.GatewayServiceStub]:
    """A gateway on 127.0.0.1:0 calling `targets`; `settings` override GatewayConfig."""
    downstreams = {
        name: DownstreamConfig(name=name, target=target, breaker=breaker or BreakerConfig())
        for name, target in targets.items()
    }
    config = dataclasses.replace(GatewayConfig(), **downstreams, **settings)
    async with gateway_server(config, SERVER) as server, channel_to(server) as channel:
        yield gateway_pb2_grpc.GatewayServiceStub(channel)


async def ask(
    stub: gateway_pb2_grpc.GatewayServiceStub, question: str, seconds: float = 30
) -> list[gateway_pb2.SessionEvent]:
    call = stub.Ask(gateway_pb2.AskRequest(question=question), timeout=seconds)
    return [response.event async for response in call]


def kinds(events: list[gateway_pb2.SessionEvent]) -> list[str]:
    return [str(e.WhichOneof("payload")) for e in events]


def step_events(events: list[gateway_pb2.SessionEvent]) -> list[tuple[str, int]]:
    return [
        (e.step_updated.step.id, e.step_updated.step.status)
        for e in events
        if e.HasField("step_updated")
    ]

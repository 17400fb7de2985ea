"""Gateway fixtures: the real planner, search, analysis and audit servers in this
process (offline LLM, a BM25-only Milvus Lite store in a temporary folder holding a slice
of the real corpus), and gateways built on them with whatever targets and settings a
test needs."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from arbiter.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from arbiter_analysis.__main__ import build_server as analysis_server
from arbiter_analysis.__main__ import opened_findings
from arbiter_audit.__main__ import build_server as audit_server
from arbiter_audit.rule_search import RuleSearch
from arbiter_gateway.__main__ import gateway_server
from arbiter_gateway.config import GatewayConfig
from arbiter_kit.breaker import BreakerConfig
from arbiter_kit.client import DownstreamConfig
from arbiter_llm import OfflineLLM
from arbiter_planner.__main__ import build_server as planner_server

from tests.analysis.conftest import ANALYSIS
from tests.support.corpus import CORPUS
from tests.support.postgres import FindingsDb
from tests.support.search import as_document, ingest, read_jsonl, running_search
from tests.support.servers import LOCAL, channel_to
from tests.support.sessions import kinds as kinds
from tests.support.sessions import step_events as step_events

CORPUS_PASSAGES = 700
"""The first passages of the corpus (AML first): enough for every step to find rules."""


@pytest.fixture(scope="module")
async def workers(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict[str, str]]:
    """Targets of the four real workers, the search store holding part of the corpus.

    Search is BM25 only: what these tests check (events, steps, failures, sessions) does
    not depend on how passages are ranked, and embedding them would be most of the time
    the gateway tests take."""
    if not CORPUS.exists():
        pytest.skip(f"the ObliQA corpus is not at {CORPUS}")
    servers = [planner_server(LOCAL, OfflineLLM()), analysis_server(LOCAL, OfflineLLM())]
    async with running_search(tmp_path_factory.mktemp("gateway-search")) as search:
        await ingest(search.stub, [as_document(r) for r in read_jsonl(CORPUS, CORPUS_PASSAGES)])
        # Audit searches for rules itself, in the same store.
        rules = RuleSearch(DownstreamConfig(name="search", target=search.target))
        servers.append(audit_server(LOCAL, search=rules))
        targets = {"search": search.target}
        try:
            for name, server in zip(["planner", "analysis", "audit"], servers, strict=True):
                targets[name] = f"127.0.0.1:{await server.start()}"
            yield targets
        finally:
            for server in servers:
                await server.stop(0)
            await rules.close()


@pytest.fixture(scope="module")
async def data_workers(
    workers: dict[str, str], findings_db: FindingsDb
) -> AsyncIterator[dict[str, str]]:
    """The real workers, analysis replaced by one over the findings database (the
    session's cluster, sample loaded)."""
    async with opened_findings(findings_db.config, ANALYSIS) as findings:
        server = analysis_server(LOCAL, OfflineLLM(), findings=findings, analysis=ANALYSIS)
        port = await server.start()
        try:
            yield {**workers, "analysis": f"127.0.0.1:{port}"}
        finally:
            await server.stop(0)


NOWHERE = "127.0.0.1:1"
"""A loopback address where nothing listens: calls to it fail at once (UNAVAILABLE)."""


@pytest.fixture(scope="module")
async def planner_only() -> AsyncIterator[dict[str, str]]:
    """Targets with only a real planner behind them (offline LLM): enough for sessions
    that need no other worker, such as a greeting's."""
    server = planner_server(LOCAL, OfflineLLM())
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
    downstreams: dict[str, Any] = {
        name: DownstreamConfig(name=name, target=target, breaker=breaker or BreakerConfig())
        for name, target in targets.items()
    }
    config = dataclasses.replace(GatewayConfig(), **downstreams, **settings)
    async with gateway_server(config, LOCAL) as server, channel_to(server) as channel:
        yield gateway_pb2_grpc.GatewayServiceStub(channel)


async def ask(
    stub: gateway_pb2_grpc.GatewayServiceStub, question: str, seconds: float = 30
) -> list[gateway_pb2.SessionEvent]:
    call = stub.Ask(gateway_pb2.AskRequest(question=question), timeout=seconds)
    return [response.event async for response in call]

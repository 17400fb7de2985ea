"""Fixtures for the kit: real `grpc.aio` servers on 127.0.0.1:0 built with ServiceServer,
serving real Arbiter services through small scripted test servicers."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import grpc
import pytest
from arbiter.common.v1 import common_pb2
from arbiter.planner.v1 import planner_pb2, planner_pb2_grpc
from arbiter.search.v1 import search_pb2, search_pb2_grpc
from arbiter_kit.client import Downstream, DownstreamConfig, RetryPolicy
from arbiter_kit.config import ServerConfig
from arbiter_kit.deadline import Deadline
from arbiter_kit.server import Service, ServiceServer
from prometheus_client import REGISTRY

PLANNER = "arbiter.planner.v1.PlannerService"
SEARCH = "arbiter.search.v1.SearchService"

# An action runs inside a handler: it may sleep, wait, raise or abort.
Action = Callable[[Any, Any], Awaitable[None]]


class ScriptedPlanner(planner_pb2_grpc.PlannerServiceServicer):
    """Plan runs the next scripted action (if any) and then answers with the question."""

    def __init__(self) -> None:
        self.actions: list[Action] = []
        self.calls = 0
        self.called = asyncio.Event()
        self.time_remaining: list[float | None] = []
        self.metadata: list[dict[str, str]] = []

    async def Plan(
        self, request: planner_pb2.PlanRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> planner_pb2.PlanResponse:
        self.calls += 1
        self.called.set()
        self.time_remaining.append(context.time_remaining())
        self.metadata.append({k: v for k, v in context.invocation_metadata() or ()})
        if self.actions:
            await self.actions.pop(0)(request, context)
        return planner_pb2.PlanResponse(plan=common_pb2.Plan(rationale=request.question))


# One step of a scripted Research attempt: a progress message, the result, or an action.
Step = str | Action


class ScriptedSearch(search_pb2_grpc.SearchServiceServicer):
    """Research plays one scripted attempt per call: "progress", "result" or actions.

    Retrieve, Ingest and GetCorpusInfo stay the generated UNIMPLEMENTED ones.
    """

    DEFAULT: tuple[Step, ...] = ("progress", "progress", "result")

    def __init__(self) -> None:
        self.attempts: list[list[Step]] = []
        self.calls = 0

    async def Research(
        self, request: search_pb2.ResearchRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[search_pb2.ResearchResponse]:
        self.calls += 1
        steps = self.attempts.pop(0) if self.attempts else list(self.DEFAULT)
        for n, step in enumerate(steps):
            if step == "progress":
                progress = common_pb2.Progress(stage="round", message=f"{self.calls}.{n}")
                yield search_pb2.ResearchResponse(progress=progress)
            elif step == "result":
                passage = common_pb2.Passage(id="p1", text=request.query)
                result = search_pb2.ResearchResult(passages=[passage])
                yield search_pb2.ResearchResponse(result=result)
            elif callable(step):
                await step(request, context)


def raising(error: BaseException) -> Action:
    async def action(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        raise error

    return action


def sleeping(seconds: float) -> Action:
    async def action(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        await asyncio.sleep(seconds)

    return action


def waiting(event: asyncio.Event) -> Action:
    async def action(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        await event.wait()

    return action


def planner_service(servicer: ScriptedPlanner) -> Service:
    return Service(PLANNER, servicer, planner_pb2_grpc.add_PlannerServiceServicer_to_server)


def search_service(servicer: ScriptedSearch) -> Service:
    return Service(SEARCH, servicer, search_pb2_grpc.add_SearchServiceServicer_to_server)


@pytest.fixture
def planner() -> ScriptedPlanner:
    return ScriptedPlanner()


@pytest.fixture
def search() -> ScriptedSearch:
    return ScriptedSearch()


StartServer = Callable[..., Awaitable[ServiceServer]]


@pytest.fixture
async def start_server() -> AsyncIterator[StartServer]:
    """Start a ServiceServer on 127.0.0.1:0 (no metrics port unless asked); stop it after."""
    servers: list[ServiceServer] = []

    async def start(*services: Service, **config: Any) -> ServiceServer:
        settings = ServerConfig(port=0, metrics_port=None, grace_seconds=1.0)
        server = ServiceServer(
            name="kit-test", config=replace(settings, **config), services=services
        )
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop(0)


@pytest.fixture
async def servers(
    start_server: StartServer, planner: ScriptedPlanner, search: ScriptedSearch
) -> ServiceServer:
    """One server hosting both scripted services."""
    return await start_server(planner_service(planner), search_service(search))


_names = itertools.count(1)


@pytest.fixture
async def make_downstream() -> AsyncIterator[Callable[..., Downstream]]:
    """Downstreams with unique names (so their metrics are theirs alone) and fast retries."""
    made: list[Downstream] = []

    def make(port: int, **config: Any) -> Downstream:
        config.setdefault("retry", RetryPolicy(initial_backoff_seconds=0.01))
        name = f"{config.pop('name', 'planner')}{next(_names)}"
        ds = Downstream(DownstreamConfig(name=name, target=f"127.0.0.1:{port}", **config))
        made.append(ds)
        return ds

    yield make
    for ds in made:
        await ds.close()


@pytest.fixture
async def channel(servers: ServiceServer) -> AsyncIterator[grpc.aio.Channel]:
    """A plain channel (no kit client) to the test server."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{servers.port}") as ch:
        yield ch


# --- calls through a Downstream ---------------------------------------------------------

MakeDownstream = Callable[..., Downstream]


def is_result(message: search_pb2.ResearchResponse) -> bool:
    return message.HasField("result")


async def plan(ds: Downstream, question: str = "q", budget: float = 5.0) -> Any:
    stub = planner_pb2_grpc.PlannerServiceStub(ds.channel)
    return await ds.unary(
        stub.Plan, planner_pb2.PlanRequest(question=question), deadline=Deadline.after(budget)
    )


def research_stream(ds: Downstream, budget: float = 5.0) -> AsyncIterator[Any]:
    stub = search_pb2_grpc.SearchServiceStub(ds.channel)
    request = search_pb2.ResearchRequest(query="q")
    return ds.stream(stub.Research, request, deadline=Deadline.after(budget), is_result=is_result)


async def research(ds: Downstream, budget: float = 5.0) -> list[search_pb2.ResearchResponse]:
    return [message async for message in research_stream(ds, budget)]


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0

"""The server kit against real `grpc.aio` servers: error mapping, metrics, health,
reflection, bulkhead, graceful drain (JSON logs: test_logs.py)."""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import grpc
import pytest
from arbiter.planner.v1 import planner_pb2, planner_pb2_grpc
from arbiter.search.v1 import search_pb2, search_pb2_grpc
from arbiter_kit.config import ServerConfig
from arbiter_kit.deadline import Deadline
from arbiter_kit.errors import (
    INTERNAL_MESSAGE,
    InvalidArgument,
    NotFound,
    error_info,
    retry_delay,
)
from arbiter_kit.server import Service, ServiceServer, built_server
from google.protobuf import descriptor_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from prometheus_client import REGISTRY

from tests.kit.conftest import (
    PLANNER,
    SEARCH,
    ScriptedPlanner,
    ScriptedSearch,
    StartServer,
    planner_service,
    raising,
    sleeping,
    waiting,
)


def handled(service: str, method: str, kind: str, code: str) -> float:
    labels = {"grpc_type": kind, "grpc_service": service, "grpc_method": method, "grpc_code": code}
    return REGISTRY.get_sample_value("grpc_server_handled_total", labels) or 0.0


async def handled_eventually(
    service: str, method: str, kind: str, code: str, expected: float
) -> bool:
    """Whether the count reaches `expected`: a cancelled handler records its end a
    moment after the client has already seen the call end."""
    for _ in range(100):
        if handled(service, method, kind, code) >= expected:
            break
        await asyncio.sleep(0.02)
    return handled(service, method, kind, code) == expected


def server_counter(name: str, service: str, method: str, kind: str) -> float:
    labels = {"grpc_type": kind, "grpc_service": service, "grpc_method": method}
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def plan(channel: grpc.aio.Channel, question: str = "q") -> planner_pb2.PlanResponse:
    stub = planner_pb2_grpc.PlannerServiceStub(channel)
    return await stub.Plan(planner_pb2.PlanRequest(question=question), timeout=5)


async def research(channel: grpc.aio.Channel) -> list[search_pb2.ResearchResponse]:
    stub = search_pb2_grpc.SearchServiceStub(channel)
    return [m async for m in stub.Research(search_pb2.ResearchRequest(query="q"), timeout=5)]


# --- error mapping -------------------------------------------------------------------


async def test_domain_error_becomes_status_with_error_info(
    channel: grpc.aio.Channel, planner: ScriptedPlanner
) -> None:
    planner.actions = [raising(InvalidArgument("question", "must not be empty"))]
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await plan(channel)
    assert failed.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert failed.value.details() == "question: must not be empty"
    info = error_info(failed.value)
    assert info is not None
    assert (info.reason, info.domain, dict(info.metadata)) == (
        "INVALID_ARGUMENT",
        "arbiter",
        {"field": "question"},
    )


async def test_unexpected_exception_becomes_internal_without_leaking(
    channel: grpc.aio.Channel, planner: ScriptedPlanner, caplog: pytest.LogCaptureFixture
) -> None:
    planner.actions = [raising(RuntimeError("connection string postgres://secret"))]
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await plan(channel)
    assert failed.value.code() is grpc.StatusCode.INTERNAL
    assert "secret" not in (failed.value.details() or "")
    assert failed.value.details() == INTERNAL_MESSAGE
    info = error_info(failed.value)
    assert info is not None and info.reason == "INTERNAL"
    # ... but the operator sees it in the logs.
    assert any("secret" in (r.exc_text or "") or r.exc_info for r in caplog.records)


@pytest.mark.parametrize("answer", [None, "text"], ids=["none", "not-a-message"])
async def test_a_handler_answering_with_no_message_is_internal_without_leaking(
    channel: grpc.aio.Channel, answer: object, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(planner_pb2_grpc.PlannerServiceServicer):
        async def Plan(self, request: Any, context: Any) -> Any:
            return answer

    class BrokenSearch(search_pb2_grpc.SearchServiceServicer):
        async def Research(self, request: Any, context: Any) -> AsyncIterator[Any]:
            yield search_pb2.ResearchResponse()
            yield answer

    config = ServerConfig(port=0, metrics_port=None)
    services = [
        Service(PLANNER, Broken(), planner_pb2_grpc.add_PlannerServiceServicer_to_server),
        Service(SEARCH, BrokenSearch(), search_pb2_grpc.add_SearchServiceServicer_to_server),
    ]
    async with built_server("kit-test", config, lambda: services) as server:
        await server.start()
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as ch:
                with pytest.raises(grpc.aio.AioRpcError) as unary:
                    await plan(ch)
                with pytest.raises(grpc.aio.AioRpcError) as stream:
                    await research(ch)
        finally:
            await server.stop(0)
    for failed in (unary.value, stream.value):
        assert failed.code() is grpc.StatusCode.INTERNAL
        assert failed.details() == INTERNAL_MESSAGE
    # The operator sees what the handler answered with.
    assert any("answered with a" in r.getMessage() for r in caplog.records)


async def test_stream_error_after_messages_keeps_the_messages_and_maps_the_error(
    channel: grpc.aio.Channel, search: ScriptedSearch
) -> None:
    search.attempts = [["progress", raising(NotFound("no such rulebook", reason="NO_RULEBOOK"))]]
    stub = search_pb2_grpc.SearchServiceStub(channel)
    got: list[search_pb2.ResearchResponse] = []
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        async for message in stub.Research(search_pb2.ResearchRequest(query="q"), timeout=5):
            got.append(message)
    assert len(got) == 1 and got[0].HasField("progress")
    assert failed.value.code() is grpc.StatusCode.NOT_FOUND
    info = error_info(failed.value)
    assert info is not None and info.reason == "NO_RULEBOOK"


async def test_methods_a_servicer_does_not_implement_answer_unimplemented(
    channel: grpc.aio.Channel,
) -> None:
    before = handled(SEARCH, "Retrieve", "unary", "UNIMPLEMENTED")
    stub = search_pb2_grpc.SearchServiceStub(channel)
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await stub.Retrieve(search_pb2.RetrieveRequest(query="q"), timeout=5)
    assert failed.value.code() is grpc.StatusCode.UNIMPLEMENTED
    assert "Retrieve" in (failed.value.details() or "")
    assert handled(SEARCH, "Retrieve", "unary", "UNIMPLEMENTED") == before + 1


# --- metrics -------------------------------------------------------------------------


async def test_handled_counts_unary_streaming_and_aborted_calls_by_code(
    channel: grpc.aio.Channel, planner: ScriptedPlanner, search: ScriptedSearch
) -> None:
    async def abort_directly(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        await context.abort(grpc.StatusCode.PERMISSION_DENIED, "no")

    before = {
        "unary_ok": handled(PLANNER, "Plan", "unary", "OK"),
        "unary_denied": handled(PLANNER, "Plan", "unary", "PERMISSION_DENIED"),
        "unary_invalid": handled(PLANNER, "Plan", "unary", "INVALID_ARGUMENT"),
        "stream_ok": handled(SEARCH, "Research", "server_stream", "OK"),
        "stream_internal": handled(SEARCH, "Research", "server_stream", "INTERNAL"),
        "stream_sent": server_counter(
            "grpc_server_msg_sent_total", SEARCH, "Research", "server_stream"
        ),
        "stream_started": server_counter(
            "grpc_server_started_total", SEARCH, "Research", "server_stream"
        ),
    }
    await plan(channel)
    planner.actions = [abort_directly, raising(InvalidArgument("question", "bad"))]
    for _ in range(2):
        with pytest.raises(grpc.aio.AioRpcError):
            await plan(channel)
    assert len(await research(channel)) == 3
    search.attempts = [["progress", raising(ValueError("boom"))]]
    with pytest.raises(grpc.aio.AioRpcError):
        await research(channel)

    assert handled(PLANNER, "Plan", "unary", "OK") == before["unary_ok"] + 1
    assert handled(PLANNER, "Plan", "unary", "PERMISSION_DENIED") == before["unary_denied"] + 1
    assert handled(PLANNER, "Plan", "unary", "INVALID_ARGUMENT") == before["unary_invalid"] + 1
    assert handled(SEARCH, "Research", "server_stream", "OK") == before["stream_ok"] + 1
    assert handled(SEARCH, "Research", "server_stream", "INTERNAL") == before["stream_internal"] + 1
    sent = server_counter("grpc_server_msg_sent_total", SEARCH, "Research", "server_stream")
    assert sent == before["stream_sent"] + 4
    started = server_counter("grpc_server_started_total", SEARCH, "Research", "server_stream")
    assert started == before["stream_started"] + 2
    labels = {"grpc_type": "server_stream", "grpc_service": SEARCH, "grpc_method": "Research"}
    assert (REGISTRY.get_sample_value("grpc_server_handling_seconds_count", labels) or 0) >= 2


async def test_client_cancelling_a_stream_is_counted_as_cancelled(
    channel: grpc.aio.Channel, search: ScriptedSearch
) -> None:
    gate = asyncio.Event()
    search.attempts = [["progress", waiting(gate), "result"]]
    before = handled(SEARCH, "Research", "server_stream", "CANCELLED")
    call = search_pb2_grpc.SearchServiceStub(channel).Research(
        search_pb2.ResearchRequest(query="q"), timeout=5
    )
    await call.read()
    call.cancel()
    assert await handled_eventually(SEARCH, "Research", "server_stream", "CANCELLED", before + 1)


async def test_a_call_past_its_deadline_is_counted_as_deadline_exceeded(
    channel: grpc.aio.Channel, planner: ScriptedPlanner
) -> None:
    planner.actions = [sleeping(5.0)]
    before = handled(PLANNER, "Plan", "unary", "DEADLINE_EXCEEDED")
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await planner_pb2_grpc.PlannerServiceStub(channel).Plan(
            planner_pb2.PlanRequest(question="q"), timeout=0.2
        )
    assert failed.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
    assert await handled_eventually(PLANNER, "Plan", "unary", "DEADLINE_EXCEEDED", before + 1)


async def test_metrics_port_serves_the_standard_names(
    start_server: StartServer, planner: ScriptedPlanner
) -> None:
    server = await start_server(planner_service(planner), metrics_port=0)
    assert server.metrics_port
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as ch:
        await plan(ch)
    url = f"http://127.0.0.1:{server.metrics_port}/metrics"
    body = await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=5).read().decode())
    assert (
        'grpc_server_handled_total{grpc_code="OK",grpc_method="Plan",'
        f'grpc_service="{PLANNER}",grpc_type="unary"}}'
    ) in body
    assert "grpc_server_handling_seconds_bucket" in body
    assert "grpc_server_started_total" in body


# --- health and reflection ------------------------------------------------------------


async def test_health_overall_and_per_service(channel: grpc.aio.Channel) -> None:
    stub = health_pb2_grpc.HealthStub(channel)
    for name in ("", PLANNER, SEARCH):
        reply = await stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING, name
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await stub.Check(health_pb2.HealthCheckRequest(service="nope.Nope"), timeout=5)
    assert unknown.value.code() is grpc.StatusCode.NOT_FOUND


async def test_reflection_lists_and_describes_the_services(channel: grpc.aio.Channel) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    requests = [
        reflection_pb2.ServerReflectionRequest(list_services=""),
        reflection_pb2.ServerReflectionRequest(file_containing_symbol=PLANNER),
    ]
    listed, described = [r async for r in stub.ServerReflectionInfo(iter(requests), timeout=5)]
    names = {s.name for s in listed.list_services_response.service}
    assert {PLANNER, SEARCH, "grpc.health.v1.Health"} <= names
    assert "grpc.reflection.v1alpha.ServerReflection" in names
    files = [
        descriptor_pb2.FileDescriptorProto.FromString(raw)
        for raw in described.file_descriptor_response.file_descriptor_proto
    ]
    planner_file = next(f for f in files if f.package == "arbiter.planner.v1")
    assert [m.name for m in planner_file.service[0].method] == ["Plan"]


# --- bulkhead, deadlines, drain ---------------------------------------------------------


async def test_calls_beyond_the_bulkhead_get_resource_exhausted(
    start_server: StartServer, planner: ScriptedPlanner
) -> None:
    gate = asyncio.Event()
    planner.actions = [waiting(gate)]
    server = await start_server(planner_service(planner), max_concurrent_rpcs=1)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as ch:
        first = asyncio.create_task(plan(ch, "first"))
        await asyncio.wait_for(planner.called.wait(), timeout=5)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await plan(ch, "second")
        assert refused.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
        assert retry_delay(refused.value) == 1.0  # ServerConfig.retry_after_seconds
        info = error_info(refused.value)
        assert info is not None and info.reason == "BULKHEAD_FULL"
        assert planner.calls == 1  # refused before the handler ran
        gate.set()
        assert (await first).plan.rationale == "first"
        assert (await plan(ch, "third")).plan.rationale == "third"


async def test_handler_sees_the_callers_deadline(
    channel: grpc.aio.Channel, planner: ScriptedPlanner
) -> None:
    seen: list[float] = []

    async def note_deadline(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        seen.append(Deadline.of_call(context, default=60.0).remaining())

    planner.actions = [note_deadline, note_deadline]
    await planner_pb2_grpc.PlannerServiceStub(channel).Plan(
        planner_pb2.PlanRequest(question="q"), timeout=2.0
    )
    await planner_pb2_grpc.PlannerServiceStub(channel).Plan(planner_pb2.PlanRequest(question="q"))
    # gRPC core reads a cached clock when it starts the server's deadline: allow its slack.
    assert 0 < seen[0] <= 2.0 + 0.1
    assert 50.0 < seen[1] <= 60.0  # no deadline from the caller: the default


async def test_stop_reports_not_serving_and_drains_in_flight_calls(
    start_server: StartServer, planner: ScriptedPlanner
) -> None:
    gate = asyncio.Event()
    planner.actions = [waiting(gate)]
    server = await start_server(planner_service(planner))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as ch:
        watches = [
            health_pb2_grpc.HealthStub(ch).Watch(
                health_pb2.HealthCheckRequest(service=name), timeout=10
            )
            for name in ("", PLANNER)
        ]
        for watch in watches:
            assert (await watch.read()).status == health_pb2.HealthCheckResponse.SERVING
        in_flight = asyncio.create_task(plan(ch, "in flight"))
        await asyncio.wait_for(planner.called.wait(), timeout=5)

        stopping = asyncio.create_task(server.stop(grace=5.0))
        for watch in watches:
            assert (await watch.read()).status == health_pb2.HealthCheckResponse.NOT_SERVING
            watch.cancel()
        assert not in_flight.done()
        gate.set()
        assert (await in_flight).plan.rationale == "in flight"
        await stopping


async def test_stop_twice_is_harmless(start_server: StartServer, planner: ScriptedPlanner) -> None:
    server: ServiceServer = await start_server(planner_service(planner))
    await server.stop(0)
    await server.stop(0)


@pytest.mark.parametrize("kind", ["function", "coroutine", "context manager"])
async def test_built_server_serves_what_any_kind_of_factory_builds(
    planner: ScriptedPlanner, kind: str
) -> None:
    closed: list[bool] = []

    def build() -> list[Service]:
        return [planner_service(planner)]

    async def build_async() -> list[Service]:
        return build()

    @asynccontextmanager
    async def build_and_close() -> AsyncIterator[list[Service]]:
        try:
            yield build()
        finally:
            closed.append(True)

    factory = {"function": build, "coroutine": build_async, "context manager": build_and_close}
    config = ServerConfig(port=0, metrics_port=None)
    async with built_server("kit-test", config, factory[kind]) as server:
        await server.start()
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            assert (await plan(channel, "built")).plan.rationale == "built"
        await server.stop(0)
        assert not closed
    assert closed == ([True] if kind == "context manager" else [])

"""The client kit against real servers: deadline budget, breaker, error mapping,
metadata propagation, client metrics, configuration."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import grpc
import pytest
from arbiter.planner.v1 import planner_pb2, planner_pb2_grpc
from arbiter_kit import logs
from arbiter_kit.breaker import BreakerConfig, BreakerState, CircuitBreaker
from arbiter_kit.client import Downstream, DownstreamConfig, RetryPolicy
from arbiter_kit.deadline import Deadline
from arbiter_kit.errors import (
    DeadlineExceeded,
    Internal,
    InvalidArgument,
    NotFound,
    ResourceExhausted,
    Unavailable,
)
from arbiter_kit.server import ServiceServer

from tests.kit.conftest import (
    PLANNER,
    SEARCH,
    MakeDownstream,
    ScriptedPlanner,
    ScriptedSearch,
    plan,
    raising,
    research,
    sample,
    waiting,
)

# --- deadline budget ------------------------------------------------------------------


async def test_a_call_gets_at_most_the_remaining_budget(
    servers: ServiceServer, planner: ScriptedPlanner, make_downstream: MakeDownstream
) -> None:
    ds = make_downstream(servers.port, call_timeout_seconds=30.0)
    await plan(ds, budget=2.0)
    capped = make_downstream(servers.port, call_timeout_seconds=1.5)
    await plan(capped, budget=60.0)
    first, second = planner.time_remaining
    # gRPC core reads a cached clock when it starts the server's deadline: allow its slack.
    slack = 0.1
    assert first is not None and 1.0 < first <= 2.0 + slack
    assert second is not None and 0.5 < second <= 1.5 + slack


async def test_an_expired_budget_raises_without_calling(
    servers: ServiceServer, planner: ScriptedPlanner, make_downstream: MakeDownstream
) -> None:
    ds = make_downstream(servers.port)
    stub = planner_pb2_grpc.PlannerServiceStub(ds.channel)
    with pytest.raises(DeadlineExceeded):
        await ds.unary(
            stub.Plan, planner_pb2.PlanRequest(question="q"), deadline=Deadline(time.monotonic())
        )
    with pytest.raises(DeadlineExceeded):
        await research(ds, budget=-1.0)
    assert planner.calls == 0


async def test_a_slow_server_yields_deadline_exceeded_within_the_budget(
    servers: ServiceServer, planner: ScriptedPlanner, make_downstream: MakeDownstream
) -> None:
    ds = make_downstream(servers.port)
    planner.actions = [waiting(asyncio.Event())]  # never answers: only the budget ends it
    # A call that outlived its budget would be cut by wait_for, raising TimeoutError.
    with pytest.raises(DeadlineExceeded) as failed:
        await asyncio.wait_for(plan(ds, budget=0.5), timeout=5)
    assert failed.value.code is grpc.StatusCode.DEADLINE_EXCEEDED
    assert planner.calls == 1  # DEADLINE_EXCEEDED is not retried


async def test_waiting_for_a_slot_counts_against_the_budget(
    servers: ServiceServer, planner: ScriptedPlanner, make_downstream: MakeDownstream
) -> None:
    ds = make_downstream(servers.port, max_in_flight=1)
    gate = asyncio.Event()
    planner.actions = [waiting(gate)]
    first = asyncio.create_task(plan(ds, "first"))
    await asyncio.wait_for(planner.called.wait(), timeout=5)
    with pytest.raises(DeadlineExceeded):
        await plan(ds, "second", budget=0.3)
    gate.set()
    assert (await first).plan.rationale == "first"
    assert planner.calls == 1


# --- breaker ----------------------------------------------------------------------------


async def test_breaker_opens_on_failures_and_then_fails_fast_without_calling(
    servers: ServiceServer, planner: ScriptedPlanner, make_downstream: MakeDownstream
) -> None:
    breaker = BreakerConfig(window_size=4, minimum_calls=4, open_seconds=60.0)
    no_retry = RetryPolicy(max_attempts=1)
    ds = make_downstream(servers.port, breaker=breaker, retry=no_retry)
    planner.actions = [raising(InvalidArgument("question", "bad"))] * 4
    for _ in range(4):
        with pytest.raises(InvalidArgument):
            await plan(ds)
    assert ds.breaker.state is BreakerState.CLOSED  # caller errors are not the downstream's fault
    planner.actions = [raising(Internal("bug"))] * 2
    for _ in range(2):
        with pytest.raises(Internal):
            await plan(ds)
    assert ds.breaker.state is BreakerState.OPEN
    calls = planner.calls
    with pytest.raises(Unavailable) as refused:
        await plan(ds)
    assert refused.value.reason == "CIRCUIT_OPEN"
    assert ds.name in refused.value.message
    assert planner.calls == calls
    assert sample("arbiter_circuit_breaker_state", downstream=ds.name) == 1.0


async def test_breaker_recovers_through_half_open_trial_calls(
    servers: ServiceServer, planner: ScriptedPlanner, make_downstream: MakeDownstream
) -> None:
    now = [0.0]
    config = BreakerConfig(window_size=2, minimum_calls=2, half_open_calls=2, open_seconds=5.0)
    ds = make_downstream(servers.port, retry=RetryPolicy(max_attempts=1))
    ds.breaker = CircuitBreaker(ds.name, config, clock=lambda: now[0])
    planner.actions = [raising(Unavailable("down"))] * 2
    for _ in range(2):
        with pytest.raises(Unavailable):
            await plan(ds)
    assert ds.breaker.state is BreakerState.OPEN
    now[0] += 5.0
    assert ds.breaker.state is BreakerState.HALF_OPEN
    await asyncio.gather(plan(ds), plan(ds))
    assert ds.breaker.state is BreakerState.CLOSED
    assert planner.calls == 4


async def test_unreachable_downstream_opens_the_breaker(make_downstream: MakeDownstream) -> None:
    breaker = BreakerConfig(window_size=2, minimum_calls=2, half_open_calls=1, open_seconds=60.0)
    ds = make_downstream(1, breaker=breaker, retry=RetryPolicy(max_attempts=1))  # nothing on :1
    for _ in range(2):
        with pytest.raises(Unavailable) as failed:
            await plan(ds)
        assert failed.value.reason == f"{ds.name.upper()}_UNAVAILABLE"
    assert ds.breaker.state is BreakerState.OPEN


# --- propagation and metrics ----------------------------------------------------------


async def test_request_session_and_trace_ids_are_propagated(
    servers: ServiceServer, planner: ScriptedPlanner, make_downstream: MakeDownstream
) -> None:
    ds = make_downstream(servers.port)
    trace = "0af7651916cd43dd8448eb211c80319c"
    tokens = (
        logs.request_id.set("req-1"),
        logs.session_id.set("sess-1"),
        logs.trace_id.set(trace),
    )
    try:
        await plan(ds)
    finally:
        logs.trace_id.reset(tokens[2])
        logs.session_id.reset(tokens[1])
        logs.request_id.reset(tokens[0])
    (md,) = planner.metadata
    assert md["x-request-id"] == "req-1"
    assert md["x-session-id"] == "sess-1"
    version, trace_id, parent, flags = md["traceparent"].split("-")
    assert (version, trace_id, len(parent), flags) == ("00", trace, 16, "01")


async def test_client_metrics_cover_unary_and_streaming_calls(
    servers: ServiceServer,
    planner: ScriptedPlanner,
    search: ScriptedSearch,
    make_downstream: MakeDownstream,
) -> None:
    def client(name: str, service: str, method: str, kind: str, **extra: str) -> float:
        labels = {"grpc_type": kind, "grpc_service": service, "grpc_method": method, **extra}
        return sample(name, **labels)

    unary = (PLANNER, "Plan", "unary")
    stream = (SEARCH, "Research", "server_stream")
    before = {
        "unary_ok": client("grpc_client_handled_total", *unary, grpc_code="OK"),
        "unary_nf": client("grpc_client_handled_total", *unary, grpc_code="NOT_FOUND"),
        "unary_started": client("grpc_client_started_total", *unary),
        "stream_ok": client("grpc_client_handled_total", *stream, grpc_code="OK"),
        "stream_received": client("grpc_client_msg_received_total", *stream),
        "stream_sent": client("grpc_client_msg_sent_total", *stream),
        "stream_seconds": client("grpc_client_handling_seconds_count", *stream),
    }
    ds = make_downstream(servers.port)
    await plan(ds)
    planner.actions = [raising(NotFound("nope"))]
    with pytest.raises(NotFound):
        await plan(ds)
    await research(ds)

    assert client("grpc_client_handled_total", *unary, grpc_code="OK") == before["unary_ok"] + 1
    assert (
        client("grpc_client_handled_total", *unary, grpc_code="NOT_FOUND") == before["unary_nf"] + 1
    )
    assert client("grpc_client_started_total", *unary) == before["unary_started"] + 2
    assert client("grpc_client_handled_total", *stream, grpc_code="OK") == before["stream_ok"] + 1
    assert client("grpc_client_msg_received_total", *stream) == before["stream_received"] + 3
    assert client("grpc_client_msg_sent_total", *stream) == before["stream_sent"] + 1
    assert client("grpc_client_handling_seconds_count", *stream) == before["stream_seconds"] + 1


async def test_resource_exhausted_from_the_downstream_maps_to_its_class(
    servers: ServiceServer, planner: ScriptedPlanner, make_downstream: MakeDownstream
) -> None:
    async def abort(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "busy")

    ds = make_downstream(servers.port)
    planner.actions = [abort]
    with pytest.raises(ResourceExhausted) as failed:
        await plan(ds)
    assert failed.value.reason == f"{ds.name.upper()}_RESOURCE_EXHAUSTED"  # no ErrorInfo sent
    # No ErrorInfo: not written by an Arbiter server, so its text is not passed on.
    assert failed.value.message == f"{ds.name}: the service is overloaded"
    assert planner.calls == 1


async def test_transport_failures_do_not_leak_addresses() -> None:
    config = DownstreamConfig(
        name="nowhere", target="127.0.0.1:1", retry=RetryPolicy(max_attempts=1)
    )
    async with Downstream(config) as ds:
        stub = planner_pb2_grpc.PlannerServiceStub(ds.channel)
        with pytest.raises(Unavailable) as failed:
            await ds.unary(
                stub.Plan, planner_pb2.PlanRequest(question="q"), deadline=Deadline.after(5)
            )
    assert failed.value.message == "nowhere: the service is unavailable"
    assert "127.0.0.1" not in failed.value.public_message()


# --- configuration --------------------------------------------------------------------


def test_downstream_config_from_env() -> None:
    env = {
        "PLANNER_TARGET": "dns:///planner:50052",
        "PLANNER_CALL_TIMEOUT_SECONDS": "12.5",
        "PLANNER_MAX_IN_FLIGHT": "8",
        "PLANNER_RETRY_MAX_ATTEMPTS": "4",
        "PLANNER_BREAKER_FAILURE_RATE_THRESHOLD": "25",
        "PLANNER_BREAKER_HALF_OPEN_CALLS": "5",
    }
    config = DownstreamConfig.from_env("planner", default_target="127.0.0.1:50052", env=env)
    assert config.target == "dns:///planner:50052"
    assert (config.call_timeout_seconds, config.max_in_flight) == (12.5, 8)
    assert config.retry.max_attempts == 4
    assert config.breaker.failure_rate_threshold == 25.0
    assert config.breaker.half_open_calls == 5
    assert config.breaker.window_size == 20
    defaults = DownstreamConfig.from_env("search", default_target="127.0.0.1:50053", env={})
    assert defaults == DownstreamConfig(name="search", target="127.0.0.1:50053")


def test_downstream_config_rejects_bad_values() -> None:
    with pytest.raises(ValueError):
        DownstreamConfig.from_env(
            "planner", default_target="x", env={"PLANNER_BREAKER_WINDOW_SIZE": "0"}
        )
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=6)
    with pytest.raises(ValueError):
        RetryPolicy(throttle_max_tokens=2.5)

"""Retries against real servers: gRPC's own for unary calls (UNAVAILABLE only), the
kit's for server streams (UNAVAILABLE only, before a result, within the budget)."""

from __future__ import annotations

import asyncio
import json

import pytest
from arbiter.search.v1 import search_pb2
from arbiter_kit.breaker import BreakerState
from arbiter_kit.client import DownstreamConfig, RetryPolicy
from arbiter_kit.errors import (
    DeadlineExceeded,
    Internal,
    InvalidArgument,
    NotFound,
    Unavailable,
)
from arbiter_kit.server import ServiceServer

from tests.kit.conftest import (
    MakeDownstream,
    ScriptedPlanner,
    ScriptedSearch,
    plan,
    raising,
    research,
    research_stream,
    sample,
    waiting,
)

# --- unary retries ---------------------------------------------------------------------


async def test_unary_is_retried_on_unavailable(
    servers: ServiceServer, planner: ScriptedPlanner, make_downstream: MakeDownstream
) -> None:
    ds = make_downstream(servers.port)
    planner.actions = [raising(Unavailable("warming up")), raising(Unavailable("warming up"))]
    response = await plan(ds, "third time lucky")
    assert response.plan.rationale == "third time lucky"
    assert planner.calls == 3


@pytest.mark.parametrize(
    "error",
    [InvalidArgument("question", "too long"), Internal("bug"), NotFound("gone")],
    ids=["invalid-argument", "internal", "not-found"],
)
async def test_unary_is_not_retried_on_other_codes(
    servers: ServiceServer,
    planner: ScriptedPlanner,
    make_downstream: MakeDownstream,
    error: Exception,
) -> None:
    ds = make_downstream(servers.port)
    planner.actions = [raising(error)]
    with pytest.raises(type(error)):
        await plan(ds)
    assert planner.calls == 1


async def test_unary_gives_up_after_max_attempts(
    servers: ServiceServer, planner: ScriptedPlanner, make_downstream: MakeDownstream
) -> None:
    ds = make_downstream(
        servers.port, retry=RetryPolicy(max_attempts=2, initial_backoff_seconds=0.01)
    )
    planner.actions = [raising(Unavailable("down", reason="WARMING_UP"))] * 3
    with pytest.raises(Unavailable) as failed:
        await plan(ds)
    assert planner.calls == 2
    assert failed.value.reason == "WARMING_UP"  # the downstream's own reason
    assert failed.value.message == f"{ds.name}: down"
    assert failed.value.metadata["downstream"] == ds.name
    assert (
        sample("arbiter_dependency_failures_total", dependency=ds.name, reason="UNAVAILABLE") == 1
    )


def test_service_config_retries_unavailable_only_with_throttling() -> None:
    config = DownstreamConfig(name="planner", target="127.0.0.1:1")
    options = dict(config.channel_options())
    assert options["grpc.enable_retries"] == 1
    service_config = json.loads(options["grpc.service_config"])
    (method_config,) = service_config["methodConfig"]
    assert method_config["retryPolicy"]["retryableStatusCodes"] == ["UNAVAILABLE"]
    assert method_config["retryPolicy"]["maxAttempts"] == 3
    assert service_config["retryThrottling"] == {"maxTokens": 10, "tokenRatio": 0.1}
    single = DownstreamConfig(name="p", target="x", retry=RetryPolicy(max_attempts=1))
    assert "methodConfig" not in single.retry.service_config()  # gRPC rejects maxAttempts 1


# --- stream retries -------------------------------------------------------------------


async def test_stream_is_retried_on_unavailable_before_the_result(
    servers: ServiceServer, search: ScriptedSearch, make_downstream: MakeDownstream
) -> None:
    ds = make_downstream(servers.port, name="search")
    search.attempts = [["progress", raising(Unavailable("lost the index"))]]
    messages = await research(ds)
    assert search.calls == 2
    # The first attempt's progress, then the whole second attempt.
    assert [m.WhichOneof("kind") for m in messages] == [
        "progress",
        "progress",
        "progress",
        "result",
    ]
    assert sample("arbiter_client_retries_total", downstream=ds.name) == 1


async def test_stream_is_not_retried_after_the_result(
    servers: ServiceServer, search: ScriptedSearch, make_downstream: MakeDownstream
) -> None:
    ds = make_downstream(servers.port, name="search")
    search.attempts = [["progress", "result", raising(Unavailable("went away"))]]
    got: list[search_pb2.ResearchResponse] = []
    stream = research_stream(ds)
    with pytest.raises(Unavailable):
        async for message in stream:
            got.append(message)
    assert search.calls == 1
    assert [m.WhichOneof("kind") for m in got] == ["progress", "result"]
    assert sample("arbiter_client_retries_total", downstream=ds.name) == 0


async def test_stream_is_not_retried_on_caller_errors(
    servers: ServiceServer, search: ScriptedSearch, make_downstream: MakeDownstream
) -> None:
    ds = make_downstream(servers.port, name="search")
    search.attempts = [["progress", raising(InvalidArgument("query", "empty"))]]
    with pytest.raises(InvalidArgument) as failed:
        await research(ds)
    assert search.calls == 1
    assert failed.value.field == "query"


async def test_stream_retries_stop_at_max_attempts(
    servers: ServiceServer, search: ScriptedSearch, make_downstream: MakeDownstream
) -> None:
    ds = make_downstream(servers.port, name="search")
    search.attempts = [["progress", raising(Unavailable("down"))] for _ in range(5)]
    with pytest.raises(Unavailable):
        await research(ds)
    assert search.calls == 3
    assert sample("arbiter_client_retries_total", downstream=ds.name) == 2


async def test_stream_retries_stay_within_the_budget(
    servers: ServiceServer, search: ScriptedSearch, make_downstream: MakeDownstream
) -> None:
    # Backoffs of up to a minute against a half-second budget: a retry that slept past
    # the budget would be cut by wait_for, raising TimeoutError.
    slow_retry = RetryPolicy(max_attempts=5, initial_backoff_seconds=60.0, max_backoff_seconds=60.0)
    ds = make_downstream(servers.port, name="search", retry=slow_retry)
    search.attempts = [["progress", raising(Unavailable("down"))] for _ in range(5)]
    with pytest.raises((Unavailable, DeadlineExceeded)):
        await asyncio.wait_for(research(ds, budget=0.5), timeout=5)


async def test_abandoned_stream_cancels_the_call_and_frees_its_slot(
    servers: ServiceServer, search: ScriptedSearch, make_downstream: MakeDownstream
) -> None:
    ds = make_downstream(servers.port, name="search", max_in_flight=1)
    gate = asyncio.Event()
    search.attempts = [["progress", waiting(gate), "result"]]
    stream = research_stream(ds)
    async for _ in stream:
        break
    await stream.aclose()  # type: ignore[attr-defined]  # an async generator
    assert len(await research(ds)) == 3  # the only slot is free again
    assert ds.breaker.state is BreakerState.CLOSED

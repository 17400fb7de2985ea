"""Recovery after a downstream restarts: a real kit server is stopped and started again
on the same port; the breaker that opened while it was down closes as soon as the new
server answers, and no half-open trial is spent on a channel that is still reconnecting."""

from __future__ import annotations

import asyncio
import contextlib

import grpc
import pytest
from arbiter_kit.breaker import BreakerConfig, BreakerState, CircuitBreaker
from arbiter_kit.client import Downstream, DownstreamConfig, RetryPolicy
from arbiter_kit.errors import DeadlineExceeded, Internal, Unavailable

from tests.kit.conftest import (
    MakeDownstream,
    ScriptedPlanner,
    StartServer,
    plan,
    planner_service,
    raising,
    sample,
)
from tests.support.waiting import eventually

ONE_TRIAL = BreakerConfig(window_size=2, minimum_calls=2, half_open_calls=1, open_seconds=60.0)
NO_RETRY = RetryPolicy(max_attempts=1)


def transitions(ds: Downstream, before: str, after: str) -> float:
    return sample(
        "arbiter_circuit_breaker_transitions_total",
        downstream=ds.name,
        from_state=before,
        to_state=after,
    )


async def open_on_a_stopped_server(ds: Downstream) -> None:
    """Calls fail for want of a server until the breaker opens."""
    for _ in range(ONE_TRIAL.window_size):
        with pytest.raises(Unavailable) as failed:
            await plan(ds)
        assert failed.value.reason == f"{ds.name.upper()}_UNAVAILABLE"
        if ds.breaker.state is BreakerState.OPEN:
            return
    pytest.fail("the breaker did not open")


async def opened_by_a_stopped_worker(
    start_server: StartServer, make_downstream: MakeDownstream
) -> tuple[Downstream, int]:
    """A downstream whose worker answered once, then stopped until its breaker (open for
    a minute) opened; and the port to start the worker again on."""
    first = await start_server(planner_service(ScriptedPlanner()))
    ds = make_downstream(first.port, breaker=ONE_TRIAL, retry=NO_RETRY)
    await plan(ds)
    await first.stop(0)
    await open_on_a_stopped_server(ds)
    return ds, first.port


async def test_the_breaker_closes_as_soon_as_a_restarted_worker_answers(
    start_server: StartServer, make_downstream: MakeDownstream
) -> None:
    # Open for a minute: only the channel's news that the worker is back can end it early.
    ds, port = await opened_by_a_stopped_worker(start_server, make_downstream)
    with pytest.raises(Unavailable) as refused:
        await plan(ds)
    assert refused.value.reason == "CIRCUIT_OPEN"

    restarted = ScriptedPlanner()
    await start_server(planner_service(restarted), port=port)
    # Bounded: each refused call waits for the channel's next state change.
    for _ in range(20):
        state = ds.channel.get_state()
        try:
            answer = await plan(ds, "back")
        except Unavailable as error:
            assert error.reason == "CIRCUIT_OPEN"
            await asyncio.wait_for(ds.channel.wait_for_state_change(state), timeout=5)
            continue
        assert answer.plan.rationale == "back"
        break
    else:
        pytest.fail("the breaker never let a call reach the restarted worker")

    assert ds.breaker.state is BreakerState.CLOSED
    assert restarted.calls == 1  # the one trial, and it was answered
    assert transitions(ds, "OPEN", "HALF_OPEN") == 1
    assert transitions(ds, "HALF_OPEN", "CLOSED") == 1
    assert transitions(ds, "HALF_OPEN", "OPEN") == 0  # no trial failed
    assert (await plan(ds, "again")).plan.rationale == "again"


async def test_an_idle_open_breaker_notices_by_itself_that_the_worker_is_back(
    start_server: StartServer, make_downstream: MakeDownstream
) -> None:
    ds, port = await opened_by_a_stopped_worker(start_server, make_downstream)

    restarted = ScriptedPlanner()
    await start_server(planner_service(restarted), port=port)
    # No call is made: the open breaker keeps the channel connecting in the background,
    # so the first question after the worker is back is let through, not refused. The
    # wait is bounded well inside the breaker's minute of open time.
    for _ in range(20):
        if ds.breaker.state is not BreakerState.OPEN:
            break
        state = ds.channel.get_state()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ds.channel.wait_for_state_change(state), timeout=0.5)
    assert ds.breaker.state is BreakerState.HALF_OPEN
    assert (await plan(ds, "first")).plan.rationale == "first"
    assert ds.breaker.state is BreakerState.CLOSED
    assert restarted.calls == 1


async def test_a_half_open_trial_waits_for_the_channel_to_reconnect(
    start_server: StartServer, make_downstream: MakeDownstream
) -> None:
    first = await start_server(planner_service(ScriptedPlanner()))
    port = first.port
    now = [0.0]
    ds = make_downstream(port, retry=NO_RETRY, trial_connect_seconds=10.0)
    ds.breaker = CircuitBreaker(ds.name, ONE_TRIAL, clock=lambda: now[0])
    await plan(ds)
    await first.stop(0)
    await open_on_a_stopped_server(ds)

    now[0] += ONE_TRIAL.open_seconds  # the trial is due while the worker is still down
    trial = asyncio.create_task(plan(ds, "trial", budget=15.0))
    # The trial moves the breaker to HALF_OPEN and, with no await in between, is
    # admitted; it then waits on the channel.
    await eventually(
        lambda: (
            sample("arbiter_circuit_breaker_state", downstream=ds.name) == BreakerState.HALF_OPEN
        ),
        within=5,
        what="the trial moving the breaker to HALF_OPEN",
    )
    assert not trial.done()
    assert ds.channel.get_state() is not grpc.ChannelConnectivity.READY

    restarted = ScriptedPlanner()
    await start_server(planner_service(restarted), port=port)
    assert (await asyncio.wait_for(trial, timeout=10)).plan.rationale == "trial"
    assert ds.breaker.state is BreakerState.CLOSED
    assert restarted.calls == 1
    assert transitions(ds, "HALF_OPEN", "OPEN") == 0


async def test_a_trial_that_finds_no_server_reopens_the_breaker(
    start_server: StartServer, make_downstream: MakeDownstream
) -> None:
    first = await start_server(planner_service(ScriptedPlanner()))
    now = [0.0]
    ds = make_downstream(first.port, retry=NO_RETRY, trial_connect_seconds=0.2)
    ds.breaker = CircuitBreaker(ds.name, ONE_TRIAL, clock=lambda: now[0])
    await plan(ds)
    await first.stop(0)
    await open_on_a_stopped_server(ds)

    now[0] += ONE_TRIAL.open_seconds
    # A caller whose deadline ends before the connection wait does not decide the trial.
    with pytest.raises(DeadlineExceeded):
        await plan(ds, budget=0.05)
    assert ds.breaker.state is BreakerState.HALF_OPEN
    # A trial that waited its full time for a connection did find the worker down.
    with pytest.raises(Unavailable) as failed:
        await plan(ds)
    assert failed.value.reason == f"{ds.name.upper()}_UNAVAILABLE"
    assert "127.0.0.1" not in failed.value.public_message()
    assert ds.breaker.state is BreakerState.OPEN


async def test_a_breaker_opened_by_a_connected_worker_waits_out_its_open_time(
    start_server: StartServer, make_downstream: MakeDownstream
) -> None:
    planner = ScriptedPlanner()
    server = await start_server(planner_service(planner))
    ds = make_downstream(server.port, breaker=ONE_TRIAL, retry=NO_RETRY)
    planner.actions = [raising(Internal("bug"))] * 2
    for _ in range(2):
        with pytest.raises(Internal):
            await plan(ds)
    assert ds.breaker.state is BreakerState.OPEN
    assert ds.channel.get_state() is grpc.ChannelConnectivity.READY
    # The channel never lost its connection: its being READY says nothing new.
    with pytest.raises(Unavailable) as refused:
        await plan(ds)
    assert refused.value.reason == "CIRCUIT_OPEN"
    assert planner.calls == 2


def test_the_channel_reconnects_within_its_configured_backoff() -> None:
    env = {"SEARCH_MAX_RECONNECT_BACKOFF_SECONDS": "0.5", "SEARCH_TRIAL_CONNECT_SECONDS": "3"}
    config = DownstreamConfig.from_env("search", default_target="127.0.0.1:1", env=env)
    assert (config.max_reconnect_backoff_seconds, config.trial_connect_seconds) == (0.5, 3.0)
    options = dict(config.channel_options())
    assert options["grpc.initial_reconnect_backoff_ms"] == 100
    assert options["grpc.max_reconnect_backoff_ms"] == 500
    defaults = dict(DownstreamConfig(name="search", target="x").channel_options())
    assert defaults["grpc.max_reconnect_backoff_ms"] == 1000
    with pytest.raises(ValueError):
        DownstreamConfig(name="search", target="x", trial_connect_seconds=0.0)

"""The suite under stress, end to end: probes that answer while the gateway is full, and
full answers again as soon as a restarted worker is healthy."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from arbiter.common.v1 import common_pb2
from arbiter.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from arbiter_cli import suite
from arbiter_kit.errors import error_info, retry_delay
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.e2e.conftest import Suite, ask, scrape, started_suite, suite_env
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e
RESEARCH = "What must a firm do when it suspects money laundering?"
STREAMS = 600
CHANNELS = 6
"""Streams spread over channels: thousands in flight on one channel fail on the client."""
PASSAGES = 40
"""Corpus passages each suite here holds (BM25 only): enough for a full answer."""


@pytest.fixture
def stressed(tmp_path: Path) -> Iterator[Suite]:
    with started_suite(
        tmp_path,
        PASSAGES,
        SEARCH_EMBEDDER="none",
        GATEWAY_STEP_TIMEOUT_SECONDS="60",
        GATEWAY_REQUEST_BUDGET_SECONDS="120",
    ) as running:
        yield running


async def _probe(target: str) -> str:
    async with grpc.aio.insecure_channel(target) as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(), timeout=1.0
        )
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))


Outcome = list[gateway_pb2.SessionEvent] | grpc.aio.AioRpcError


async def _ask(stub: gateway_pb2_grpc.GatewayServiceStub) -> Outcome:
    request = gateway_pb2.AskRequest(question=RESEARCH)
    try:
        return [r.event async for r in stub.Ask(request, timeout=150)]
    except grpc.aio.AioRpcError as error:
        return error


async def _flood_and_probe(running: Suite) -> tuple[list[str], list[Outcome]]:
    gateway = running["gateway"].target
    channels = [grpc.aio.insecure_channel(gateway) for _ in range(CHANNELS)]
    try:
        stubs = [gateway_pb2_grpc.GatewayServiceStub(c) for c in channels]
        asks = [asyncio.create_task(_ask(stubs[n % CHANNELS])) for n in range(STREAMS)]
        # Every admitted session is parked on the frozen search service: the gateway
        # holds its whole bulkhead of streams, and refuses the rest at once.
        await eventually(
            lambda: sum(1 for a in asks if a.done()) >= STREAMS - 256,
            within=120,
            what="the gateway refusing every stream beyond its bulkhead",
        )
        others = [r.target for name, r in running.items() if name != "search"]
        probes = [await _probe(target) for target in others]
        running["search"].process.send_signal(signal.SIGCONT)
        outcomes = list(await asyncio.gather(*asks))
    finally:
        for c in channels:
            await c.close(None)
    return probes, outcomes


def test_probes_answer_while_600_streams_fill_the_gateway(
    stressed: Suite,
) -> None:
    stressed["search"].process.send_signal(signal.SIGSTOP)
    probes, outcomes = asyncio.run(_flood_and_probe(stressed))

    assert probes == ["SERVING"] * 4
    errors = [o for o in outcomes if isinstance(o, grpc.aio.AioRpcError)]
    answered = [o for o in outcomes if isinstance(o, list)]
    assert errors and answered
    for error in errors:
        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, error.details()
        assert retry_delay(error) is not None
        info = error_info(error)
        assert info is not None and info.reason == "BULKHEAD_FULL"
    # Nothing admitted is turned into a timeout: every admitted session ends with its answer.
    for events in answered:
        assert events[-1].HasField("final_response"), events[-1]
    assert len(answered) == 256


def _research_step(events: list[gateway_pb2.SessionEvent]) -> common_pb2.Step:
    steps = [
        e.step_updated.step
        for e in events
        if e.HasField("step_updated") and e.step_updated.step.kind == common_pb2.STEP_KIND_RESEARCH
    ]
    return steps[-1]


def _breaker_state(metrics_port: int | None, downstream: str) -> float:
    for line in scrape(metrics_port).splitlines():
        if line.startswith(f'arbiter_circuit_breaker_state{{downstream="{downstream}"}}'):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no breaker state for {downstream}")


def test_a_restarted_worker_gives_full_answers_as_soon_as_it_is_healthy(tmp_path: Path) -> None:
    # The breaker would stay open a minute by its clock alone: recovery must not wait for it.
    with started_suite(
        tmp_path,
        PASSAGES,
        SEARCH_EMBEDDER="none",
        SEARCH_BREAKER_OPEN_SECONDS="60",
        SEARCH_BREAKER_MINIMUM_CALLS="2",
        SEARCH_BREAKER_WINDOW_SIZE="4",
        SEARCH_BREAKER_HALF_OPEN_CALLS="1",
    ) as running:
        search = running["search"]
        gateway = running["gateway"]
        search.process.kill()
        search.process.wait()
        for _ in range(3):
            events = ask(gateway.target, RESEARCH, timeout=30)
            assert _research_step(events).status == common_pb2.STEP_STATUS_FAILED
        assert _breaker_state(gateway.metrics_port, "search") == 1.0  # open

        env = suite_env(tmp_path, SEARCH_EMBEDDER="none", SEARCH_METRICS_PORT="0")
        port = int(search.target.rsplit(":", 1)[1])
        restarted = suite.start("search", port=port, env=env, log_dir=tmp_path / "again")
        running["search"] = restarted
        assert suite.health(restarted.target) == "SERVING"

        # Nothing is asked meanwhile: the gateway notices by itself that search is back
        # (its channel reconnects within a second) and lets the next question through.
        asyncio.run(
            eventually(
                lambda: _breaker_state(gateway.metrics_port, "search") != 1.0,
                within=10,
                what="the gateway noticing search is back",
            )
        )
        events = ask(gateway.target, RESEARCH, timeout=30)
        assert _research_step(events).status == common_pb2.STEP_STATUS_COMPLETED, events[-1]
        final = events[-1].final_response
        assert final.citations and not final.missing
        assert _breaker_state(gateway.metrics_port, "search") == 0.0  # closed

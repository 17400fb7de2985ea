"""The bulkhead against a real kit server: the service's own calls beyond the limit are
refused at once with RESOURCE_EXHAUSTED and a retry delay, while health and reflection
keep answering however full it is."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from arbiter.search.v1 import search_pb2, search_pb2_grpc
from arbiter_kit.errors import error_info, retry_delay
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from tests.kit.conftest import SEARCH, ScriptedSearch, StartServer, sample, search_service, waiting

STREAMS = 600
BULKHEAD = 50


def refused_count() -> float:
    return sample(
        "grpc_server_handled_total",
        grpc_type="server_stream",
        grpc_service=SEARCH,
        grpc_method="Research",
        grpc_code="RESOURCE_EXHAUSTED",
    )


async def first_message(
    call: grpc.aio.UnaryStreamCall[search_pb2.ResearchRequest, search_pb2.ResearchResponse],
) -> search_pb2.ResearchResponse | grpc.aio.AioRpcError:
    try:
        message = await call.read()
    except grpc.aio.AioRpcError as error:
        return error
    assert isinstance(message, search_pb2.ResearchResponse)
    return message


def assert_refused_by_the_bulkhead(error: grpc.aio.AioRpcError, *, limit: int) -> None:
    assert error.code() is grpc.StatusCode.RESOURCE_EXHAUSTED, error.details()
    assert retry_delay(error) == pytest.approx(0.5)
    info = error_info(error)
    assert info is not None
    assert (info.reason, dict(info.metadata)) == ("BULKHEAD_FULL", {"limit": str(limit)})


async def test_probes_answer_while_the_bulkhead_is_full_and_the_rest_is_refused(
    start_server: StartServer, search: ScriptedSearch
) -> None:
    gate = asyncio.Event()
    search.attempts = [["progress", waiting(gate), "result"] for _ in range(STREAMS)]
    server = await start_server(
        search_service(search), max_concurrent_rpcs=BULKHEAD, retry_after_seconds=0.5
    )
    before = refused_count()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = search_pb2_grpc.SearchServiceStub(channel)
        calls = [
            stub.Research(search_pb2.ResearchRequest(query=f"q{n}"), timeout=30)
            for n in range(STREAMS)
        ]
        firsts = await asyncio.gather(*(first_message(call) for call in calls))
        held = [c for c, f in zip(calls, firsts, strict=True) if not isinstance(f, Exception)]
        refused = [f for f in firsts if isinstance(f, grpc.aio.AioRpcError)]
        assert (len(held), len(refused)) == (BULKHEAD, STREAMS - BULKHEAD)
        for error in refused:
            assert_refused_by_the_bulkhead(error, limit=BULKHEAD)
        assert refused_count() == before + STREAMS - BULKHEAD

        # Every slot is taken by a hanging stream: the probes still answer.
        health = health_pb2_grpc.HealthStub(channel)
        for name in ("", SEARCH):
            reply = await health.Check(health_pb2.HealthCheckRequest(service=name), timeout=2)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
        reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
        listing = [reflection_pb2.ServerReflectionRequest(list_services="")]
        (listed,) = [r async for r in reflection.ServerReflectionInfo(iter(listing), timeout=2)]
        assert SEARCH in {s.name for s in listed.list_services_response.service}

        gate.set()
        for call in held:
            result = await call.read()
            assert isinstance(result, search_pb2.ResearchResponse) and result.HasField("result")
            assert await call.read() is grpc.aio.EOF
        # The slots are free again.
        search.attempts = []
        after = [m async for m in stub.Research(search_pb2.ResearchRequest(query="q"), timeout=5)]
        assert after[-1].HasField("result")


async def test_a_cancelled_call_gives_its_slot_back(
    start_server: StartServer, search: ScriptedSearch
) -> None:
    gate = asyncio.Event()
    search.attempts = [["progress", waiting(gate)]]
    server = await start_server(search_service(search), max_concurrent_rpcs=1)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = search_pb2_grpc.SearchServiceStub(channel)
        hanging = stub.Research(search_pb2.ResearchRequest(query="hangs"), timeout=30)
        assert (await hanging.read()).HasField("progress")
        hanging.cancel()
        # The server's handler ends a moment after the client has cancelled: poll, bounded.
        for _ in range(100):
            call = stub.Research(search_pb2.ResearchRequest(query="q"), timeout=5)
            try:
                answered = [message async for message in call]
            except grpc.aio.AioRpcError as error:
                assert error.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
                await asyncio.sleep(0.02)
                continue
            assert answered[-1].HasField("result")
            break
        else:
            pytest.fail("the cancelled call's slot never came back")

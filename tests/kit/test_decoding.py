"""Request bytes that do not decode, on every kind of RPC of a real kit server: the caller
gets INVALID_ARGUMENT naming `request` and no internal type, the call is counted, and
nothing is logged as an error."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import grpc
import pytest
from arbiter.common.v1 import common_pb2
from arbiter.planner.v1 import planner_pb2
from arbiter_kit.errors import error_info
from arbiter_kit.server import Service, ServiceServer
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2

from tests.kit.conftest import PLANNER, ScriptedPlanner, StartServer, planner_service, sample

ECHO = "arbiter.kittest.v1.Echo"
"""A test service with one method of each kind, over the planner's messages."""

Request = planner_pb2.PlanRequest
Response = planner_pb2.PlanResponse


def answer(*questions: str) -> planner_pb2.PlanResponse:
    return Response(plan=common_pb2.Plan(rationale=",".join(questions)))


async def unary(request: Any, context: Any) -> planner_pb2.PlanResponse:
    return answer(request.question)


async def server_stream(request: Any, context: Any) -> AsyncIterator[planner_pb2.PlanResponse]:
    for _ in range(2):
        yield answer(request.question)


async def client_stream(requests: AsyncIterator[Any], context: Any) -> planner_pb2.PlanResponse:
    return answer(*[r.question async for r in requests])


async def bidi(requests: AsyncIterator[Any], context: Any) -> AsyncIterator[Any]:
    async for request in requests:
        yield answer(request.question)


def add_echo(servicer: object, server: grpc.aio.Server) -> None:
    codec: dict[str, Any] = {
        "request_deserializer": Request.FromString,
        "response_serializer": Response.SerializeToString,
    }
    handlers = {
        "Unary": grpc.unary_unary_rpc_method_handler(unary, **codec),
        "ServerStream": grpc.unary_stream_rpc_method_handler(server_stream, **codec),
        "ClientStream": grpc.stream_unary_rpc_method_handler(client_stream, **codec),
        "Bidi": grpc.stream_stream_rpc_method_handler(bidi, **codec),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(ECHO, handlers),))


KINDS = {
    "Unary": "unary",
    "ServerStream": "server_stream",
    "ClientStream": "client_stream",
    "Bidi": "bidi_stream",
}
GOOD = Request(question="fine").SerializeToString()
UNDECODABLE = {
    "bad-utf8": b"\n\x02\xc3\x28",  # field 1 (a string) holding invalid UTF-8
    "truncated": b"\n\x05ab",  # a length of 5 with 2 bytes after it
    "random": bytes.fromhex("ffffffffffffffffff01d3a7"),  # no valid tag at all
}
# What a caller must never see: exception classes, parser text, message type names.
LEAKS = ("DecodeError", "<class", "Error parsing", "arbiter.", "Traceback", "google.")


@pytest.fixture
async def echo_server(start_server: StartServer, planner: ScriptedPlanner) -> ServiceServer:
    return await start_server(Service(ECHO, None, add_echo), planner_service(planner))


@pytest.fixture
async def raw(echo_server: ServiceServer) -> AsyncIterator[grpc.aio.Channel]:
    """A channel whose calls send and receive bytes as they are (no serializers)."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{echo_server.port}") as channel:
        yield channel


async def call_raw(channel: grpc.aio.Channel, method: str, messages: list[bytes]) -> list[bytes]:
    """Call `/ECHO/method` with `messages` as raw bytes (one for a unary request);
    the raw responses."""
    path = f"/{ECHO}/{method}"

    async def stream() -> AsyncIterator[bytes]:
        for message in messages:
            yield message

    if method == "Unary":
        return [await channel.unary_unary(path)(messages[0], timeout=5)]
    if method == "ServerStream":
        return [m async for m in channel.unary_stream(path)(messages[0], timeout=5)]
    if method == "ClientStream":
        return [await channel.stream_unary(path)(stream(), timeout=5)]
    return [m async for m in channel.stream_stream(path)(stream(), timeout=5)]


def handled(method: str, code: str) -> float:
    return sample(
        "grpc_server_handled_total",
        grpc_type=KINDS[method],
        grpc_service=ECHO,
        grpc_method=method,
        grpc_code=code,
    )


def assert_undecodable(error: grpc.aio.AioRpcError) -> None:
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT, error.details()
    details = error.details() or ""
    assert details.startswith("request: ") and "could not be decoded" in details
    assert not [leak for leak in LEAKS if leak in details], details
    info = error_info(error)
    assert info is not None
    assert (info.reason, dict(info.metadata)) == ("INVALID_ARGUMENT", {"field": "request"})


def cases() -> Iterator[tuple[str, str]]:
    for method in KINDS:
        for name in UNDECODABLE:
            yield method, name


@pytest.mark.parametrize(("method", "bad"), list(cases()))
async def test_undecodable_request_bytes_get_invalid_argument_on_every_kind_of_rpc(
    raw: grpc.aio.Channel, method: str, bad: str, caplog: pytest.LogCaptureFixture
) -> None:
    before = handled(method, "INVALID_ARGUMENT")
    with caplog.at_level(logging.INFO), pytest.raises(grpc.aio.AioRpcError) as failed:
        await call_raw(raw, method, [UNDECODABLE[bad]])
    assert_undecodable(failed.value)
    assert handled(method, "INVALID_ARGUMENT") == before + 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("method", ["ClientStream", "Bidi"])
async def test_a_request_stream_names_the_message_that_does_not_decode(
    raw: grpc.aio.Channel, method: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await call_raw(raw, method, [GOOD, GOOD, UNDECODABLE["bad-utf8"], GOOD])
    assert_undecodable(failed.value)
    assert "message 2 of the stream" in (failed.value.details() or "")


@pytest.mark.parametrize("method", list(KINDS))
async def test_decodable_requests_still_reach_the_handler(
    raw: grpc.aio.Channel, method: str
) -> None:
    replies = [Response.FromString(r) for r in await call_raw(raw, method, [GOOD, GOOD])]
    assert replies and all(r.plan.rationale.startswith("fine") for r in replies)


async def test_a_generated_servicer_method_gets_invalid_argument_too(
    raw: grpc.aio.Channel, planner: ScriptedPlanner
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await raw.unary_unary(f"/{PLANNER}/Plan")(UNDECODABLE["truncated"], timeout=5)
    assert_undecodable(failed.value)
    assert planner.calls == 0


async def test_probes_answer_undecodable_bytes_with_invalid_argument(
    raw: grpc.aio.Channel,
) -> None:
    health = raw.unary_unary("/grpc.health.v1.Health/Check")
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await health(UNDECODABLE["random"], timeout=5)
    assert_undecodable(failed.value)

    reflect = raw.stream_stream("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
    listing = reflection_pb2.ServerReflectionRequest(list_services="").SerializeToString()

    async def requests() -> AsyncIterator[bytes]:
        yield listing
        yield UNDECODABLE["bad-utf8"]

    call = reflect(requests(), timeout=5)
    first = reflection_pb2.ServerReflectionResponse.FromString(await call.read())
    assert ECHO in {s.name for s in first.list_services_response.service}
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await call.read()
    assert_undecodable(failed.value)
    # The probe itself is unharmed.
    reply = await health(health_pb2.HealthCheckRequest().SerializeToString(), timeout=5)
    assert health_pb2.HealthCheckResponse.FromString(reply).status == (
        health_pb2.HealthCheckResponse.SERVING
    )

"""The AuditService over gRPC: it serves health and reflection, and Judge answers
UNIMPLEMENTED with a clear message (never a verdict)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import grpc
import pytest
from arbiter.audit.v1 import audit_pb2, audit_pb2_grpc
from arbiter.common.v1 import common_pb2
from arbiter_audit.__main__ import build_server
from arbiter_kit.errors import error_info
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from tests.support.servers import LOCAL, assert_invalid_argument, channel_to, health

SITUATION = "A firm filed its suspicious activity report 40 days late. Is that a breach?"


@pytest.fixture(scope="module")
async def channel() -> AsyncIterator[grpc.aio.Channel]:
    async with channel_to(build_server(LOCAL)) as channel:
        yield channel


async def judge(
    channel: grpc.aio.Channel, situation: str, passages: Sequence[common_pb2.Passage] = ()
) -> list[audit_pb2.JudgeResponse]:
    stub = audit_pb2_grpc.AuditServiceStub(channel)
    request = audit_pb2.JudgeRequest(situation=situation, passages=passages)
    return [m async for m in stub.Judge(request, timeout=5)]


async def test_judge_is_unimplemented_and_gives_no_verdict(channel: grpc.aio.Channel) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await judge(channel, SITUATION)
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED
    details = caught.value.details() or ""
    assert "arrives with the audit issue" in details and "no verdict" in details
    info = error_info(caught.value)
    assert info is not None and info.reason == "NOT_YET_IMPLEMENTED"


@pytest.mark.parametrize("situation", ["", "   ", "x" * 8001])
async def test_bad_situation_is_invalid_argument(channel: grpc.aio.Channel, situation: str) -> None:
    error = await assert_invalid_argument(judge(channel, situation), "situation")
    assert "xxx" not in (error.details() or "")  # the caller's text is never echoed


async def test_too_many_passages_is_invalid_argument(channel: grpc.aio.Channel) -> None:
    passages = [common_pb2.Passage(id=f"p{n}", text="t") for n in range(51)]
    await assert_invalid_argument(judge(channel, SITUATION, passages), "passages")


async def test_odd_but_valid_passages_get_the_clear_answer(channel: grpc.aio.Channel) -> None:
    # Empty ids, NaN scores and control characters are data, never a reason for INTERNAL.
    odd = common_pb2.Passage(id="", text="\x00\u202e" * 100, score=float("nan"), rulebook="é")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await judge(channel, SITUATION, [odd] * 50)
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED


async def test_health_is_serving(channel: grpc.aio.Channel) -> None:
    services = ("", "arbiter.audit.v1.AuditService")
    assert await health(channel, *services) == ["SERVING", "SERVING"]


async def test_reflection_lists_the_service(channel: grpc.aio.Channel) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    async for reply in stub.ServerReflectionInfo(iter([request]), timeout=5):
        names = {s.name for s in reply.list_services_response.service}
        assert "arbiter.audit.v1.AuditService" in names
        break

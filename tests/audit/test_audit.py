"""The AuditService over gRPC: health and reflection, and odd but valid input answered
with a verdict, never an internal error. (Judge's flow: test_judge.py.)"""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from arbiter.audit.v1 import audit_pb2, audit_pb2_grpc
from arbiter.common.v1 import common_pb2
from arbiter_audit.__main__ import build_server
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from tests.support.servers import LOCAL, channel_to, health

SITUATION = "A firm filed its suspicious activity report 40 days late. Is that a breach?"


@pytest.fixture(scope="module")
async def channel() -> AsyncIterator[grpc.aio.Channel]:
    async with channel_to(build_server(LOCAL)) as channel:
        yield channel


async def test_odd_but_valid_passages_get_a_verdict(channel: grpc.aio.Channel) -> None:
    # Empty ids, NaN scores and control characters in retrieved text are data, never a
    # reason for INTERNAL; with no rule a template can read, nothing is decided.
    odd = common_pb2.Passage(id="", text="\x00\u202e" * 100, score=float("nan"), rulebook="é")
    stub = audit_pb2_grpc.AuditServiceStub(channel)
    request = audit_pb2.JudgeRequest(situation=SITUATION, passages=[odd] * 50)
    responses = [r async for r in stub.Judge(request, timeout=10)]
    verdict = responses[-1].result.verdict
    assert verdict.disposition == common_pb2.DISPOSITION_INSUFFICIENT_INFORMATION
    assert verdict.missing_facts


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

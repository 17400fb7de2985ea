"""Planner fixtures: the PlannerService on a real `grpc.aio` server (127.0.0.1:0), once
with the offline provider and once with the OpenAI-compatible provider pointed at the
local test server."""

from __future__ import annotations

import grpc
import pytest
from arbiter.planner.v1 import planner_pb2_grpc
from arbiter_planner.__main__ import build_server

from tests.support.openai_server import OpenAIServer, model, model_server
from tests.support.servers import llm_channel_fixtures

__all__ = ["model", "model_server"]  # fixtures shared with the test modules


offline_channel, openai_channel = llm_channel_fixtures(build_server)


@pytest.fixture
def planner(offline_channel: grpc.aio.Channel) -> planner_pb2_grpc.PlannerServiceStub:
    return planner_pb2_grpc.PlannerServiceStub(offline_channel)


@pytest.fixture
def model_planner(
    openai_channel: grpc.aio.Channel, model: OpenAIServer
) -> planner_pb2_grpc.PlannerServiceStub:
    del model  # requested for its reset
    return planner_pb2_grpc.PlannerServiceStub(openai_channel)

"""The server kit's JSON logs against a real `grpc.aio` server: every line carries the
caller's request, session and trace ids, and only ids a caller may set are carried."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import grpc
from arbiter.planner.v1 import planner_pb2, planner_pb2_grpc
from arbiter_kit import logs

from tests.kit.conftest import ScriptedPlanner


async def test_json_log_lines_carry_the_callers_request_session_and_trace_ids(
    channel: grpc.aio.Channel, planner: ScriptedPlanner
) -> None:
    async def log_something(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        logging.getLogger("arbiter.test").info("planning", extra={"question": request.question})

    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logs.JsonFormatter("planner"))
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    try:
        planner.actions = [log_something, log_something]
        await planner_pb2_grpc.PlannerServiceStub(channel).Plan(
            planner_pb2.PlanRequest(question="why"),
            timeout=5,
            metadata=(
                ("x-request-id", "req-42"),
                ("x-session-id", "sess-7"),
                ("traceparent", f"00-{trace}-00f067aa0ba902b7-01"),
            ),
        )
        await planner_pb2_grpc.PlannerServiceStub(channel).Plan(
            planner_pb2.PlanRequest(question="anonymous"), timeout=5
        )
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    first, second = (line for line in lines if line["msg"] == "planning")
    assert first["request_id"] == "req-42"
    assert first["session_id"] == "sess-7"
    assert first["trace_id"] == trace
    assert (first["service"], first["level"], first["question"]) == ("planner", "info", "why")
    # A call that brings no ids gets fresh ones, so its lines can still be followed.
    assert second["request_id"] and second["request_id"] != "req-42"
    assert len(second["trace_id"]) == 32 and "session_id" not in second


async def test_outsized_or_spaced_caller_ids_are_not_carried(
    channel: grpc.aio.Channel, planner: ScriptedPlanner
) -> None:
    seen: list[tuple[str, str]] = []

    async def note_ids(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        seen.append((logs.request_id.get(), logs.session_id.get()))

    planner.actions = [note_ids, note_ids]
    stub = planner_pb2_grpc.PlannerServiceStub(channel)
    for request_id, session_id in (("r" * 3000, "s" * 3000), ("req 1", "sess 1")):
        metadata = (("x-request-id", request_id), ("x-session-id", session_id))
        await stub.Plan(planner_pb2.PlanRequest(question="q"), timeout=5, metadata=metadata)
    for (request_id, session_id), sent in zip(seen, ("r" * 3000, "req 1"), strict=True):
        # A fresh request id instead, so the call's lines can still be followed.
        assert request_id and request_id != sent and len(request_id) <= 128
        assert session_id == ""

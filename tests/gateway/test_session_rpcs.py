"""The session RPCs (GetSession, CancelSession, SkipStep, Resume, DecidePlan) against
hostile and careless input: every bad request gets a clear status naming its field, an
error quotes the caller's text only cut short, and a Resume always ends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from arbiter.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from arbiter_kit.errors import SHOWN_CHARS

from tests.gateway.conftest import ask, gateway
from tests.support.servers import assert_invalid_argument
from tests.support.sessions import kinds

HUGE_ID = "x" * 20_000
Stub = gateway_pb2_grpc.GatewayServiceStub


@pytest.fixture(scope="module")
async def stub(planner_only: dict[str, str]) -> AsyncIterator[Stub]:
    async with gateway(planner_only) as gateway_stub:
        yield gateway_stub


@pytest.fixture(scope="module")
async def greeted(stub: Stub) -> list[gateway_pb2.SessionEvent]:
    """The events of one finished session (a greeting: no worker but the planner)."""
    events = await ask(stub, "Hello!")
    assert kinds(events)[-1] == "final_response"
    return events


async def drain(call: Any) -> list[gateway_pb2.SessionEvent]:
    return [response.event async for response in call]


def resume(stub: Stub, **fields: Any) -> Any:
    return stub.Resume(gateway_pb2.ResumeRequest(**fields), timeout=5)


async def test_a_non_ascii_resume_token_is_refused_like_any_wrong_token(stub, greeted):
    session_id = greeted[0].session_started.session_id
    for token in ("é", "\u202e\U0001f600", "x" * 5000):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await drain(resume(stub, session_id=session_id, resume_token=token))
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED, token


@pytest.mark.parametrize("session_id", ["", HUGE_ID], ids=["empty", "20000 chars"])
async def test_a_missing_or_overlong_session_id_is_invalid_argument(stub, session_id):
    calls = [
        stub.GetSession(gateway_pb2.GetSessionRequest(session_id=session_id), timeout=5),
        stub.CancelSession(gateway_pb2.CancelSessionRequest(session_id=session_id), timeout=5),
        stub.SkipStep(gateway_pb2.SkipStepRequest(session_id=session_id, step_id="s1"), timeout=5),
        stub.DecidePlan(gateway_pb2.DecidePlanRequest(session_id=session_id), timeout=5),
        drain(resume(stub, session_id=session_id, resume_token="t")),
    ]
    for call in calls:
        error = await assert_invalid_argument(call, "session_id")
        assert len(error.details() or "") < 200


@pytest.mark.parametrize("step_id", ["", HUGE_ID], ids=["empty", "20000 chars"])
async def test_a_missing_or_overlong_step_id_is_invalid_argument(stub, greeted, step_id):
    request = gateway_pb2.SkipStepRequest(
        session_id=greeted[0].session_started.session_id, step_id=step_id
    )
    await assert_invalid_argument(stub.SkipStep(request, timeout=5), "step_id")


async def test_an_unknown_session_is_not_found_and_quoted_short(stub):
    unknown = "é" * 128  # as long as an id may be, and not one of ours
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetSession(gateway_pb2.GetSessionRequest(session_id=unknown), timeout=5)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    details = caught.value.details() or ""
    assert "é" * SHOWN_CHARS in details and "é" * (SHOWN_CHARS + 1) not in details


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({"decision": 99}, "decision"),
        ({"decision": -1}, "decision"),
        (
            {"decision": 1, "steps": [{"id": "s1", "kind": 1}, {"id": "s2", "kind": 42}]},
            "steps[1].kind",
        ),
        ({"decision": 2, "steps": [{"id": "s1", "status": 7}]}, "steps[0].status"),
    ],
    ids=["decision 99", "decision -1", "step kind", "step status"],
)
async def test_an_out_of_range_enum_is_invalid_argument_naming_it(stub, request_fields, field):
    request = gateway_pb2.DecidePlanRequest(session_id="abc", **request_fields)
    await assert_invalid_argument(stub.DecidePlan(request, timeout=5), field)


async def test_a_decision_on_a_finished_session_is_refused(stub, greeted):
    session_id = greeted[0].session_started.session_id
    request = gateway_pb2.DecidePlanRequest(session_id=session_id, decision=1)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.DecidePlan(request, timeout=5)
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_resume_of_a_finished_session_replays_the_rest_and_ends(stub, greeted):
    started = greeted[0].session_started
    token = {"session_id": started.session_id, "resume_token": started.resume_token}
    last = len(greeted)
    # Each call has a 5 s deadline: a stream left open would fail with DEADLINE_EXCEEDED.
    assert await drain(resume(stub, **token, after_seq=last)) == []
    assert await drain(resume(stub, **token, after_seq=last - 1)) == greeted[-1:]
    assert await drain(resume(stub, **token)) == greeted
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await drain(resume(stub, **token, after_seq=last + 1))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ([{"field": "rulebook or 1==1", "any_of": ["AML"]}], "filters[0].field"),
        ([{"field": "tenant", "any_of": ["acme"]}], "filters[0].field"),
        ([{"field": "rulebook", "any_of": ["AML"]}, {"field": "x" * 20_000}], "filters[1].field"),
        ([{"field": "rulebook", "any_of": []}], "filters[0].any_of"),
        ([{"field": "rulebook", "any_of": ["AML", "x" * 20_000]}], "filters[0].any_of[1]"),
    ],
    ids=["expression", "tenant", "overlong field", "no values", "overlong value"],
)
async def test_a_bad_filter_is_refused_before_any_event_is_streamed(stub, filters, field):
    events: list[gateway_pb2.SessionEvent] = []

    async def ask_with_filters() -> None:
        request = gateway_pb2.AskRequest(question="What does AML require?", filters=filters)
        async for response in stub.Ask(request, timeout=5):
            events.append(response.event)

    await assert_invalid_argument(ask_with_filters(), field)
    assert events == []

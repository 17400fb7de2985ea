"""A human in the loop: a plan that needs a decision (the caller asked, or the tenant's
policy) waits in awaiting_approval; DecidePlan approves, rejects or replaces its steps
(checked, errors naming the field); an undecided plan expires with a clear event."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from arbiter.common.v1 import common_pb2
from arbiter.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from arbiter_gateway.approval import ApprovalPolicy, plan_problem
from arbiter_kit.errors import InvalidArgument

from tests.gateway.conftest import gateway
from tests.support.servers import assert_invalid_argument
from tests.support.sessions import kinds

Stub = gateway_pb2_grpc.GatewayServiceStub
QUESTION = "What must a firm do when it suspects money laundering by a customer?"
RESEARCH, SYNTHESIZE = common_pb2.STEP_KIND_RESEARCH, common_pb2.STEP_KIND_SYNTHESIZE


async def until_awaiting(
    stub: Stub, *, require: bool = True
) -> tuple[Any, list[gateway_pb2.SessionEvent]]:
    """Ask, and read the stream until the plan awaits its decision; the call goes on."""
    call = stub.Ask(gateway_pb2.AskRequest(question=QUESTION, require_approval=require), timeout=60)
    seen: list[gateway_pb2.SessionEvent] = []
    async for response in call:
        seen.append(response.event)
        if response.event.HasField("awaiting_approval"):
            return call, seen
    raise AssertionError(f"the session never awaited approval: {kinds(seen)}")


async def rest(call: Any) -> list[gateway_pb2.SessionEvent]:
    return [response.event async for response in call]


def decide(stub: Stub, session_id: str, decision: int, steps: list[Any] | None = None) -> Any:
    request = gateway_pb2.DecidePlanRequest(session_id=session_id, decision=decision, steps=steps)  # type: ignore[arg-type]
    return stub.DecidePlan(request, timeout=5)


@pytest.fixture(scope="module")
async def stub(workers: dict[str, str]) -> AsyncIterator[Stub]:
    async with gateway(workers) as opened:
        yield opened


async def test_an_approved_plan_runs_after_its_decision(stub: Stub) -> None:
    call, seen = await until_awaiting(stub)
    session_id = seen[0].session_started.session_id
    waiting = seen[-1].awaiting_approval
    assert waiting.plan.steps and "caller asked" in waiting.reason
    got = await stub.GetSession(gateway_pb2.GetSessionRequest(session_id=session_id))
    assert got.session.state == gateway_pb2.SESSION_STATE_AWAITING_APPROVAL
    decided = await decide(stub, session_id, gateway_pb2.PLAN_DECISION_APPROVE)
    assert [s.id for s in decided.plan.steps] == [s.id for s in waiting.plan.steps]
    after = await asyncio.wait_for(rest(call), 60)
    assert kinds(after)[0] == "execution_started" and kinds(after)[-1] == "final_response"
    # Decided once: a second decision is refused.
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await decide(stub, session_id, gateway_pb2.PLAN_DECISION_APPROVE)
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_a_rejected_plan_ends_the_session_cancelled(stub: Stub) -> None:
    call, seen = await until_awaiting(stub)
    session_id = seen[0].session_started.session_id
    await decide(stub, session_id, gateway_pb2.PLAN_DECISION_REJECT)
    after = await asyncio.wait_for(rest(call), 30)
    assert kinds(after) == ["error"] and after[0].error.reason == "PLAN_REJECTED"
    got = await stub.GetSession(gateway_pb2.GetSessionRequest(session_id=session_id))
    assert got.session.state == gateway_pb2.SESSION_STATE_CANCELLED


async def test_a_modified_plan_runs_the_callers_steps_checked_first(stub: Stub) -> None:
    call, seen = await until_awaiting(stub)
    session_id = seen[0].session_started.session_id
    bad = [
        (
            [{"id": "a", "kind": RESEARCH, "task": "q", "depends_on": ["b"]}],
            "steps[0].depends_on[0]",
        ),
        ([{"id": "a", "kind": RESEARCH, "task": "q"}] * 2, "steps[1].id"),
        ([{"id": "a", "kind": RESEARCH, "task": "  "}], "steps[0].task"),
        (
            [
                {"id": "a", "kind": RESEARCH, "task": "q", "depends_on": ["b"]},
                {"id": "b", "kind": SYNTHESIZE, "task": "q", "depends_on": ["a"]},
            ],
            "steps",
        ),
        ([], "steps"),
    ]
    for steps, field in bad:
        await assert_invalid_argument(
            decide(stub, session_id, gateway_pb2.PLAN_DECISION_MODIFY, steps), field
        )
    chosen = [
        {"id": "r", "kind": RESEARCH, "task": "suspicious transaction report to the FIU"},
        {"id": "w", "kind": SYNTHESIZE, "task": QUESTION, "depends_on": ["r"]},
    ]
    decided = await decide(stub, session_id, gateway_pb2.PLAN_DECISION_MODIFY, chosen)
    assert [s.id for s in decided.plan.steps] == ["r", "w"]
    after = await asyncio.wait_for(rest(call), 60)
    assert after[0].plan_ready.plan.steps[0].task == "suspicious transaction report to the FIU"
    ran = {e.step_updated.step.id for e in after if e.HasField("step_updated")}
    assert ran == {"r", "w"} and kinds(after)[-1] == "final_response"


async def test_an_undecided_plan_expires_with_a_clear_event(workers: dict[str, str]) -> None:
    async with gateway(workers, approval_timeout_seconds=0.5) as short:
        call, _ = await until_awaiting(short)
        after = await asyncio.wait_for(rest(call), 30)
    assert kinds(after) == ["error"] and after[0].error.reason == "APPROVAL_EXPIRED"


async def test_the_tenants_policy_puts_research_plans_up_for_approval(
    workers: dict[str, str],
) -> None:
    async with gateway(workers, approval_policy="*:research") as guarded:
        call, seen = await until_awaiting(guarded, require=False)
        assert "policy" in seen[-1].awaiting_approval.reason
        session_id = seen[0].session_started.session_id
        await decide(guarded, session_id, gateway_pb2.PLAN_DECISION_REJECT)
        await asyncio.wait_for(rest(call), 30)


async def test_a_decision_on_an_unknown_session_or_without_a_kind_is_refused(stub: Stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await decide(stub, "nope", gateway_pb2.PLAN_DECISION_APPROVE)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    unspecified = decide(stub, "nope", gateway_pb2.PLAN_DECISION_UNSPECIFIED)
    await assert_invalid_argument(unspecified, "decision")
    steps = [{"id": "a", "kind": RESEARCH, "task": "q"}]
    await assert_invalid_argument(
        decide(stub, "nope", gateway_pb2.PLAN_DECISION_APPROVE, steps), "steps"
    )


def test_the_policy_is_read_or_refused_naming_its_setting() -> None:
    policy = ApprovalPolicy.parse("*:judgement, acme:data_analysis")
    assert policy.requires("globex", common_pb2.INTENT_JUDGEMENT)
    assert policy.requires("acme", common_pb2.INTENT_DATA_ANALYSIS)
    assert not policy.requires("globex", common_pb2.INTENT_DATA_ANALYSIS)
    for bad in ("judgement", "*:verdicts", ":research"):
        with pytest.raises(InvalidArgument, match="GATEWAY_APPROVAL_POLICY"):
            ApprovalPolicy.parse(bad)


def test_a_plan_of_too_many_steps_cannot_run() -> None:
    steps = [common_pb2.Step(id=f"s{n}", kind=RESEARCH) for n in range(13)]
    assert plan_problem(steps, kinds=frozenset({RESEARCH})) == ("steps", "at most 12 steps")
    assert plan_problem(steps[:12], kinds=frozenset({RESEARCH})) is None

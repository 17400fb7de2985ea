"""The gateway against the real workers: flows, concurrency, failures, what each step
sees, session RPCs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from arbiter.audit.v1 import audit_pb2, audit_pb2_grpc
from arbiter.common.v1 import common_pb2
from arbiter.gateway.v1 import gateway_pb2
from arbiter.search.v1 import search_pb2, search_pb2_grpc
from arbiter_audit.service import SERVICE_NAME as AUDIT_SERVICE
from arbiter_audit.service import AuditServicer
from arbiter_audit.sop import AuditSOP
from arbiter_gateway.results import MAX_STEP_PASSAGES
from arbiter_gateway.runner import NO_ANSWER
from arbiter_kit.breaker import BreakerConfig
from arbiter_kit.server import Service, ServiceServer
from arbiter_text import GREETING_REPLY, THANKS_REPLY
from prometheus_client import REGISTRY

from tests.gateway.conftest import NOWHERE, ask, gateway
from tests.support.servers import LOCAL, assert_invalid_argument
from tests.support.sessions import failed_steps, kinds, step_events

S = common_pb2.StepStatus
RESEARCH = "What must a firm do when it suspects money laundering?"


async def test_research_flow_events_in_order_with_citations(workers):
    async with gateway(workers) as stub:
        events = await ask(stub, RESEARCH)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert kinds(events)[:4] == [
        "session_started",
        "planning_started",
        "plan_ready",
        "execution_started",
    ]
    assert kinds(events)[-1] == "final_response"
    plan = events[2].plan_ready.plan
    assert all(s.status == S.STEP_STATUS_PENDING for s in plan.steps)
    for step in plan.steps:
        assert [st for sid, st in step_events(events) if sid == step.id] == [
            S.STEP_STATUS_IN_PROGRESS,
            S.STEP_STATUS_COMPLETED,
        ]
    final = events[-1].final_response
    assert final.citations and final.intent == common_pb2.INTENT_RESEARCH
    assert (
        "".join(e.answer_delta.text for e in events if e.HasField("answer_delta")) == final.answer
    )


async def test_independent_steps_run_concurrently(workers):
    question = (
        "What must a firm do when it suspects money laundering? "
        "And also, what records must it keep about customer due diligence?"
    )
    async with gateway(workers) as stub:
        events = await ask(stub, question)
    plan = events[2].plan_ready.plan
    research = [s.id for s in plan.steps if s.kind == common_pb2.STEP_KIND_RESEARCH]
    assert len(research) >= 2, plan
    updates = step_events(events)
    first_done = next(i for i, (_, st) in enumerate(updates) if st == S.STEP_STATUS_COMPLETED)
    started_before = {sid for sid, st in updates[:first_done] if st == S.STEP_STATUS_IN_PROGRESS}
    assert set(research) <= started_before
    synth = next(s for s in plan.steps if s.kind == common_pb2.STEP_KIND_SYNTHESIZE)
    assert set(synth.depends_on) == set(research)


async def test_greeting_calls_no_worker(workers):
    async with gateway({**workers, "search": "127.0.0.1:1", "analysis": "127.0.0.1:1"}) as stub:
        events = await ask(stub, "Good morning!")
    assert kinds(events) == ["session_started", "planning_started", "plan_ready", "final_response"]
    assert events[-1].final_response.intent == common_pb2.INTENT_CHITCHAT


async def test_a_judgement_relays_the_sop_and_ends_with_a_verdict_and_an_answer_citing_it(
    workers,
):
    question = (
        "A money remittance firm trained all its employees in AML in January 2022. No "
        "further AML training of any kind was delivered before the FSRA's visit in "
        "October 2023. Is that a breach?"
    )
    async with gateway(workers) as stub:
        events = await ask(stub, question)
    plan = events[2].plan_ready.plan
    assert plan.intent == common_pb2.INTENT_JUDGEMENT
    judge = next(s for s in plan.steps if s.kind == common_pb2.STEP_KIND_JUDGE)
    assert (judge.id, S.STEP_STATUS_COMPLETED) in step_events(events)
    # Every SOP stage arrives as the judge step's progress, in order.
    stages = [
        e.step_progress.stage
        for e in events
        if e.HasField("step_progress") and e.step_progress.step_id == judge.id
    ]
    assert [s for s in stages if s in ("facts", "match", "check", "disposition")] == [
        "facts",
        "match",
        "check",
        "disposition",
    ]
    final = events[-1].final_response
    assert final.verdict.disposition != common_pb2.DISPOSITION_UNSPECIFIED
    assert final.verdict.facts and final.answer
    # The answer is written from what the verdict rests on: its first citation is the
    # verdict's first.
    assert final.verdict.citations
    assert final.citations[0].source_id == final.verdict.citations[0].source_id
    sources = [c.source_id for c in final.citations]
    assert len(sources) == len(set(sources))  # a rule the verdict and research share: once


async def test_open_breaker_fails_the_step_fast_and_is_a_metric(workers):
    breaker = BreakerConfig(window_size=2, minimum_calls=1, open_seconds=60, half_open_calls=1)
    dead = {**workers, "search": "127.0.0.1:1"}
    async with gateway(dead, breaker=breaker) as stub:
        first = await ask(stub, RESEARCH)
        second = await ask(stub, RESEARCH)
    for events in (first, second):
        assert kinds(events)[-1] == "final_response"
        failed = failed_steps(events)
        assert [s.kind for s in failed] == [common_pb2.STEP_KIND_RESEARCH]
        assert any("research" in m for m in events[-1].final_response.missing)
    second_error = failed_steps(second)[0].error
    assert "circuit" in second_error.lower() or "open" in second_error.lower()
    assert REGISTRY.get_sample_value("arbiter_circuit_breaker_state", {"downstream": "search"}) == 1


async def test_bad_input_is_invalid_argument_naming_the_field(workers):
    async with gateway(workers) as stub:
        await assert_invalid_argument(ask(stub, "   "), "question")


async def test_get_session_and_resume_replay_the_log(workers):
    async with gateway(workers) as stub:
        events = await ask(stub, RESEARCH)
        started = events[0].session_started
        got = await stub.GetSession(gateway_pb2.GetSessionRequest(session_id=started.session_id))
        assert got.session.state == gateway_pb2.SESSION_STATE_COMPLETED
        assert got.session.last_seq == len(events)
        assert got.session.final_response == events[-1].final_response
        replay = [
            r.event
            async for r in stub.Resume(
                gateway_pb2.ResumeRequest(
                    session_id=started.session_id, resume_token=started.resume_token, after_seq=3
                )
            )
        ]
        assert replay == events[3:]
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            async for _ in stub.Resume(
                gateway_pb2.ResumeRequest(session_id=started.session_id, resume_token="nope")
            ):
                pass
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def _until_step_in_progress(call) -> tuple[list[gateway_pb2.SessionEvent], str]:
    events = []
    async for response in call:
        events.append(response.event)
        step = response.event.step_updated.step
        if step.kind == common_pb2.STEP_KIND_RESEARCH and step.status == S.STEP_STATUS_IN_PROGRESS:
            return events, step.id
    raise AssertionError(kinds(events))


async def test_skip_step_skips_a_hanging_step_and_the_session_finishes(workers, black_hole):
    async with gateway({**workers, "search": black_hole}) as stub:
        call = stub.Ask(gateway_pb2.AskRequest(question=RESEARCH), timeout=30)
        events, step_id = await _until_step_in_progress(call)
        session_id = events[0].session_started.session_id
        skipped = await stub.SkipStep(
            gateway_pb2.SkipStepRequest(session_id=session_id, step_id=step_id)
        )
        assert skipped.step.id == step_id
        events += [r.event async for r in call]
    assert (step_id, S.STEP_STATUS_SKIPPED) in step_events(events)
    final = events[-1].final_response
    assert any("skipped" in m for m in final.missing)


async def test_cancel_session_ends_the_stream_with_a_cancelled_error(workers, black_hole):
    async with gateway({**workers, "search": black_hole}) as stub:
        call = stub.Ask(gateway_pb2.AskRequest(question=RESEARCH), timeout=30)
        events, _ = await _until_step_in_progress(call)
        session_id = events[0].session_started.session_id
        reply = await stub.CancelSession(gateway_pb2.CancelSessionRequest(session_id=session_id))
        assert reply.state == gateway_pb2.SESSION_STATE_CANCELLED
        events += [r.event async for r in call]
    assert events[-1].HasField("error") and events[-1].error.code == "CANCELLED"


async def test_a_hanging_worker_ends_at_the_step_deadline(workers, black_hole):
    async with gateway({**workers, "search": black_hole}, step_timeout_seconds=1.0) as stub:
        events = await asyncio.wait_for(ask(stub, RESEARCH), 10)
    failed = failed_steps(events)
    assert failed, kinds(events)
    assert "deadline" in failed[0].error.lower()
    assert kinds(events)[-1] == "final_response"


async def test_planner_down_greetings_are_still_answered_from_the_same_patterns(workers):
    # The breaker opens after the first failure, so the second greeting meets it open.
    breaker = BreakerConfig(window_size=2, minimum_calls=1, open_seconds=60, half_open_calls=1)
    async with gateway({**workers, "planner": NOWHERE}, breaker=breaker) as stub:
        for question, reply in [
            ("Good morning!", GREETING_REPLY),
            ("hello there", GREETING_REPLY),
            ("Thanks a lot!", THANKS_REPLY),
        ]:
            events = await ask(stub, question)
            assert kinds(events) == [
                "session_started",
                "planning_started",
                "plan_ready",
                "final_response",
            ]
            plan = events[2].plan_ready.plan
            assert plan.intent == common_pb2.INTENT_CHITCHAT
            assert "planner is unavailable" in plan.rationale
            final = events[-1].final_response
            assert final.answer == reply and not final.missing
    assert (
        REGISTRY.get_sample_value("arbiter_circuit_breaker_state", {"downstream": "planner"}) == 1
    )


async def test_planner_down_research_runs_on_a_degraded_default_plan(workers):
    async with gateway({**workers, "planner": NOWHERE}) as stub:
        events = await ask(stub, RESEARCH)
    plan = events[2].plan_ready.plan
    assert [(s.kind, list(s.depends_on)) for s in plan.steps] == [
        (common_pb2.STEP_KIND_RESEARCH, []),
        (common_pb2.STEP_KIND_SYNTHESIZE, ["s1"]),
    ]
    assert plan.rationale.startswith("degraded: the planner is unavailable")
    for step in plan.steps:
        assert (step.id, S.STEP_STATUS_COMPLETED) in step_events(events)
    final = events[-1].final_response
    assert kinds(events)[-1] == "final_response"
    assert final.answer and final.citations
    assert any("planning" in m and "not classified" in m for m in final.missing)


async def test_a_refusal_by_the_planner_is_not_mistaken_for_it_being_down(workers):
    # The planner is up and refuses this question (too long for it): no fallback plan.
    async with gateway(workers, max_question_chars=10_000) as stub:
        events = await ask(stub, "What must a firm do? " * 300)
    assert kinds(events)[-1] == "error"
    assert events[-1].error.code == "INVALID_ARGUMENT"


class RecordingAudit(AuditServicer):
    """The real AuditServicer, keeping every JudgeRequest it receives."""

    def __init__(self) -> None:
        super().__init__(AuditSOP(None))
        self.received: list[audit_pb2.JudgeRequest] = []

    async def Judge(
        self, request: audit_pb2.JudgeRequest, context: Any
    ) -> AsyncIterator[audit_pb2.JudgeResponse]:
        self.received.append(request)
        async for message in super().Judge(request, context):
            yield message


@pytest.fixture
async def recorded_audit() -> AsyncIterator[tuple[RecordingAudit, str]]:
    """A real audit server that records what it is asked to judge, and its target."""
    audit = RecordingAudit()
    service = Service(AUDIT_SERVICE, audit, audit_pb2_grpc.add_AuditServiceServicer_to_server)
    server = ServiceServer(name="audit", config=LOCAL, services=[service])
    port = await server.start()
    try:
        yield audit, f"127.0.0.1:{port}"
    finally:
        await server.stop(0)


async def found_by_search(target: str, query: str) -> list[str]:
    """The ids of the passages a research step on `query` gives the steps after it."""
    async with grpc.aio.insecure_channel(target) as channel:
        stub = search_pb2_grpc.SearchServiceStub(channel)
        call = stub.Research(search_pb2.ResearchRequest(query=query), timeout=30)
        [result] = [m.result async for m in call if m.HasField("result")]
    best = sorted(result.passages, key=lambda p: -p.score)[:MAX_STEP_PASSAGES]
    return [p.id for p in best]


TWO_SITUATIONS = (
    "A firm onboarded a high-risk customer without enhanced due diligence - is that a "
    "breach? Separately, a broker sent client money to its own account and repaid it 10 "
    "days later - is that a breach?"
)


async def test_each_judge_sees_its_own_situation_and_the_rules_found_for_it(
    workers, recorded_audit
):
    audit, audit_target = recorded_audit
    async with gateway({**workers, "audit": audit_target}) as stub:
        events = await ask(stub, TWO_SITUATIONS)
    plan = events[2].plan_ready.plan
    K = common_pb2
    assert [(s.kind, list(s.depends_on)) for s in plan.steps] == [
        (K.STEP_KIND_RESEARCH, []),
        (K.STEP_KIND_JUDGE, ["s1"]),
        (K.STEP_KIND_RESEARCH, []),
        (K.STEP_KIND_JUDGE, ["s3"]),
        (K.STEP_KIND_SYNTHESIZE, ["s1", "s2", "s3", "s4"]),
    ]
    by_situation = {r.situation: [p.id for p in r.passages] for r in audit.received}
    first, second = plan.steps[1].task, plan.steps[3].task
    assert set(by_situation) == {first, second}  # each its own task, not the question
    assert by_situation[first] == await found_by_search(workers["search"], plan.steps[0].task)
    assert by_situation[second] == await found_by_search(workers["search"], plan.steps[2].task)
    assert by_situation[first] and by_situation[second]
    assert by_situation[first] != by_situation[second]
    final = events[-1].final_response
    assert not any("judgement" in m for m in final.missing) and final.citations
    assert final.verdict.disposition != common_pb2.DISPOSITION_UNSPECIFIED


async def test_a_failed_synthesis_is_said_plainly_with_nothing_written_by_the_gateway(workers):
    async with gateway({**workers, "analysis": NOWHERE}) as stub:
        events = await ask(stub, RESEARCH)
    plan = events[2].plan_ready.plan
    research, synthesis = plan.steps
    assert (research.id, S.STEP_STATUS_COMPLETED) in step_events(events)
    assert (synthesis.id, S.STEP_STATUS_FAILED) in step_events(events)
    final = events[-1].final_response
    assert final.answer == NO_ANSWER
    assert not final.citations and "answer_delta" not in kinds(events)
    assert [m for m in final.missing if m.startswith(f"the written answer ({synthesis.id}")]


async def test_the_rulebooks_search_selected_are_step_progress_not_plan_filters(workers):
    async with gateway(workers) as stub:
        events = await ask(stub, "What does AML require for customer due diligence?")
    plan = events[2].plan_ready.plan
    assert list(plan.filters) == []
    research = next(s for s in plan.steps if s.kind == common_pb2.STEP_KIND_RESEARCH)
    selected = [
        e.step_progress.message
        for e in events
        if e.HasField("step_progress")
        and e.step_progress.step_id == research.id
        and e.step_progress.stage == "select_fields"
    ]
    assert len(selected) == 1 and "rulebook" in selected[0] and "AML" in selected[0]

"""End to end: five processes, the real corpus, the CLI, reflection and metrics."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import grpc
import pytest
from arbiter.common.v1 import common_pb2
from arbiter.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from arbiter_llm.citations import markers
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from tests.e2e.conftest import Suite, ask, cli, scrape, started_suite
from tests.support.corpus import CORPUS
from tests.support.sessions import failed_steps, kinds

pytestmark = pytest.mark.e2e
RESEARCH_QUESTION = "What must a firm do when it suspects money laundering?"


def corpus_texts() -> dict[str, str]:
    texts = {}
    with CORPUS.open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            texts[row["id"]] = row["text"]
    return texts


def test_research_question_streams_every_stage_and_cites_real_passages(
    running_suite: Suite,
) -> None:
    events = ask(running_suite["gateway"].target, RESEARCH_QUESTION)
    seen = kinds(events)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert seen[:4] == ["session_started", "planning_started", "plan_ready", "execution_started"]
    assert seen[-1] == "final_response"
    assert "step_progress" in seen and "answer_delta" in seen
    plan = events[2].plan_ready.plan
    assert plan.intent == common_pb2.INTENT_RESEARCH
    kinds_of_steps = {s.kind for s in plan.steps}
    assert {common_pb2.STEP_KIND_RESEARCH, common_pb2.STEP_KIND_SYNTHESIZE} <= kinds_of_steps
    # Every step goes PENDING (in the plan) -> IN_PROGRESS -> COMPLETED, each change an event.
    for step in plan.steps:
        statuses = [
            e.step_updated.step.status
            for e in events
            if e.HasField("step_updated") and e.step_updated.step.id == step.id
        ]
        assert statuses == [common_pb2.STEP_STATUS_IN_PROGRESS, common_pb2.STEP_STATUS_COMPLETED]
    final = events[-1].final_response
    deltas = "".join(e.answer_delta.text for e in events if e.HasField("answer_delta"))
    assert deltas == final.answer
    assert final.citations, final.answer
    # Numbered by first use: the answer reads [1], [2]... and the list shows exactly those.
    first_use = list(dict.fromkeys(markers(final.answer)))
    assert first_use == list(range(1, len(first_use) + 1)), final.answer
    assert [c.index for c in final.citations] == first_use
    texts = corpus_texts()
    for c in final.citations:
        assert f"[{c.index}]" in final.answer
        assert c.source_id in texts
        assert c.quote and c.quote in texts[c.source_id]
    assert any(c.rulebook == "AML" for c in final.citations)
    assert not final.missing


def test_greeting_takes_the_fast_path(running_suite: Suite) -> None:
    events = ask(running_suite["gateway"].target, "Hello there!")
    assert kinds(events) == ["session_started", "planning_started", "plan_ready", "final_response"]
    plan = events[2].plan_ready.plan
    assert plan.intent == common_pb2.INTENT_CHITCHAT
    assert not plan.steps
    assert plan.strategy == common_pb2.EXECUTION_STRATEGY_FAST_PATH
    assert events[-1].final_response.answer


def test_cli_json_prints_one_event_per_line_and_exits_zero(running_suite: Suite) -> None:
    done = cli(
        "ask", "--json", "Thanks a lot!", env={"ARBITER_GATEWAY": running_suite["gateway"].target}
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    events = [json.loads(line) for line in lines]
    assert [e["seq"] for e in events] == [str(n) for n in range(1, len(events) + 1)]
    assert "sessionStarted" in events[0] and "finalResponse" in events[-1]


def test_cli_shows_plan_progress_answer_and_citations(running_suite: Suite) -> None:
    done = cli("ask", RESEARCH_QUESTION, env={"ARBITER_GATEWAY": running_suite["gateway"].target})
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "plan: RESEARCH" in out
    assert "completed" in out
    assert "[1] AML" in out


def test_cli_exits_non_zero_after_an_error(running_suite: Suite) -> None:
    done = cli("ask", "--json", " ", env={"ARBITER_GATEWAY": running_suite["gateway"].target})
    assert done.returncode != 0
    assert "INVALID_ARGUMENT" in done.stderr and "question" in done.stderr


def test_reflection_lists_the_services_on_every_port(running_suite: Suite) -> None:
    expected = {
        "gateway": "arbiter.gateway.v1.GatewayService",
        "planner": "arbiter.planner.v1.PlannerService",
        "search": "arbiter.search.v1.SearchService",
        "analysis": "arbiter.analysis.v1.AnalysisService",
        "audit": "arbiter.audit.v1.AuditService",
    }
    for name, service in expected.items():
        with grpc.insecure_channel(running_suite[name].target) as channel:
            stub = reflection_pb2_grpc.ServerReflectionStub(channel)
            request = reflection_pb2.ServerReflectionRequest(list_services="")
            reply = next(iter(stub.ServerReflectionInfo(iter([request]), timeout=5)))
            names = {s.name for s in reply.list_services_response.service}
            assert service in names and "grpc.health.v1.Health" in names


def test_metrics_count_unary_and_streaming_calls(running_suite: Suite) -> None:
    ask(running_suite["gateway"].target, RESEARCH_QUESTION)
    gateway = scrape(running_suite["gateway"].metrics_port)
    assert (
        'grpc_server_handled_total{grpc_code="OK",grpc_method="Ask",grpc_service="arbiter.gateway.v1.GatewayService",grpc_type="server_stream"}'
        in gateway
    )
    assert "grpc_client_handled_total" in gateway
    planner = scrape(running_suite["planner"].metrics_port)
    assert (
        'grpc_method="Plan",grpc_service="arbiter.planner.v1.PlannerService",grpc_type="unary"'
        in planner
    )
    search = scrape(running_suite["search"].metrics_port)
    assert (
        'grpc_method="Research",grpc_service="arbiter.search.v1.SearchService",grpc_type="server_stream"'
        in search
    )
    analysis = scrape(running_suite["analysis"].metrics_port)
    assert 'grpc_method="Synthesize"' in analysis


def test_a_killed_worker_fails_its_step_and_the_session_still_ends(tmp_path: Path) -> None:
    with started_suite(tmp_path, 100, SEARCH_EMBEDDER="none") as running:
        search = running["search"].process
        # Freeze search so the research call is surely in flight, then kill it.
        search.send_signal(signal.SIGSTOP)
        events: list[gateway_pb2.SessionEvent] = []
        with grpc.insecure_channel(running["gateway"].target) as channel:
            stub = gateway_pb2_grpc.GatewayServiceStub(channel)
            # The gateway's budget is 20 s (suite_env): the stream must end before the
            # call's own deadline, or it raises DEADLINE_EXCEEDED here.
            stream = stub.Ask(gateway_pb2.AskRequest(question=RESEARCH_QUESTION), timeout=25)
            for response in stream:
                events.append(response.event)
                step = response.event.step_updated.step
                if (
                    step.kind == common_pb2.STEP_KIND_RESEARCH
                    and step.status == common_pb2.STEP_STATUS_IN_PROGRESS
                ):
                    search.kill()
    assert events[-1].HasField("final_response"), kinds(events)
    failed = failed_steps(events)
    assert [s.kind for s in failed] == [common_pb2.STEP_KIND_RESEARCH]
    assert failed[0].error
    final = events[-1].final_response
    assert final.missing and "research" in final.missing[0]
    assert "research" in final.answer.lower()

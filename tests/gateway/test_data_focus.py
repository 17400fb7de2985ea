"""Research that follows the data, through the gateway over the real workers and the
session's findings database: for "which rules are most often breached, and what do they
require?" the research step runs after the analysis, on the rules its table names (the
progress says which, and search reports those rules as its filters), synthesis writes
from passages of those rules and the data; with
the analysis or its database down, the research runs on the question and synthesis still
writes from its passages; a compound question of independent parts keeps them side by side."""

from __future__ import annotations

from arbiter.common.v1 import common_pb2
from arbiter.gateway.v1 import gateway_pb2
from arbiter_gateway.steps import FOCUS_STAGE

from tests.gateway.conftest import NOWHERE, ask, gateway
from tests.gateway.test_data_flow import COMPOUND, final, plan
from tests.support.sessions import step_events

S = common_pb2.StepStatus
K = common_pb2.StepKind


def step_of(events: list[gateway_pb2.SessionEvent], kind: int) -> common_pb2.Step:
    return next(s for s in plan(events).steps if s.kind == kind)


def progress(events: list[gateway_pb2.SessionEvent], step_id: str) -> dict[str, list[str]]:
    """The step's progress messages by stage."""
    found: dict[str, list[str]] = {}
    for e in events:
        if e.HasField("step_progress") and e.step_progress.step_id == step_id:
            found.setdefault(e.step_progress.stage, []).append(e.step_progress.message)
    return found


def notes(events: list[gateway_pb2.SessionEvent], step_id: str) -> list[str]:
    """The gateway's own words on what the step researches."""
    return progress(events, step_id).get(FOCUS_STAGE, [])


async def test_the_research_is_about_the_rules_the_data_found(
    data_workers: dict[str, str],
) -> None:
    async with gateway(data_workers) as stub:
        events = await ask(stub, COMPOUND)
    research = step_of(events, K.STEP_KIND_RESEARCH)
    assert research.depends_on == [step_of(events, K.STEP_KIND_ANALYZE_DATA).id]
    assert set(dict(step_events(events)).values()) == {S.STEP_STATUS_COMPLETED}
    done = final(events)
    columns = list(done.table.columns)
    assert {"rulebook", "rule_ref"} <= set(columns)
    book, ref = columns.index("rulebook"), columns.index("rule_ref")
    rules = [(row.cells[book], row.cells[ref]) for row in done.table.rows]
    assert rules
    # The step says it researched the data's top rules, most breached first.
    [focus] = notes(events, research.id)
    assert f"{rules[0][0]} {rules[0][1]}" in focus
    assert all(f"{b} {r}" in focus for b, r in rules)
    # Search itself reports the request's hard filters: the data's rulebooks and rules.
    said = progress(events, research.id)
    assert any(f"passage_ref in [{rules[0][1]}" in m for m in said["select_fields"])
    # What it found are passages of those rules, and synthesis writes from them.
    [best] = said["rerank"]
    assert any(best.endswith(f"best: {b} {r}") for b, r in rules), best
    [writing] = progress(events, step_of(events, K.STEP_KIND_SYNTHESIZE).id)["compose"]
    assert writing.startswith("writing from ") and not writing.startswith("writing from 0 ")
    # The answer quotes what those rules require (each passage's opening sentence: they
    # share no words with the question) and cites only them, and the data.
    passages = [c for c in done.citations if c.source_id != "findings"]
    assert passages and all((c.rulebook, c.passage_ref) in rules for c in passages)
    assert [c.passage_ref for c in done.citations if c.source_id == "findings"] == [done.sql]


async def test_with_the_database_down_the_research_runs_on_the_question(
    workers: dict[str, str],
) -> None:
    # The analysis service writes answers but has no findings database.
    async with gateway(workers) as stub:
        events = await ask(stub, COMPOUND)
    research = step_of(events, K.STEP_KIND_RESEARCH)
    statuses = dict(step_events(events))
    assert statuses[step_of(events, K.STEP_KIND_ANALYZE_DATA).id] == S.STEP_STATUS_FAILED
    assert statuses[research.id] == S.STEP_STATUS_COMPLETED
    assert notes(events, research.id) == [
        "the data analysis named no rules; researching the question"
    ]
    done = final(events)
    assert "the data analysis" in done.missing[0]
    assert not done.sql and not done.table.rows
    # The question's research found passages, and synthesis wrote from them.
    [writing] = progress(events, step_of(events, K.STEP_KIND_SYNTHESIZE).id)["compose"]
    assert writing.startswith("writing from ") and not writing.startswith("writing from 0 ")
    assert all(c.source_id != "findings" for c in done.citations)


async def test_with_the_analysis_down_the_research_still_runs(
    data_workers: dict[str, str],
) -> None:
    async with gateway({**data_workers, "analysis": NOWHERE}) as stub:
        events = await ask(stub, COMPOUND)
    research = step_of(events, K.STEP_KIND_RESEARCH)
    statuses = dict(step_events(events))
    assert statuses[step_of(events, K.STEP_KIND_ANALYZE_DATA).id] == S.STEP_STATUS_FAILED
    assert statuses[research.id] == S.STEP_STATUS_COMPLETED
    assert notes(events, research.id) == [
        "the data analysis named no rules; researching the question"
    ]


async def test_independent_parts_run_side_by_side(data_workers: dict[str, str]) -> None:
    question = (
        "What are the capital requirements for category 1 firms under PRU, and how many "
        "findings about capital adequacy were recorded in 2023?"
    )
    async with gateway(data_workers) as stub:
        events = await ask(stub, question)
    research = step_of(events, K.STEP_KIND_RESEARCH)
    assert not research.depends_on
    assert not step_of(events, K.STEP_KIND_ANALYZE_DATA).depends_on
    assert not notes(events, research.id)
    assert final(events).answer

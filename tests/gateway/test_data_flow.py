"""Data questions through the gateway, over the real workers with the analysis service on
a real findings database (the session's PostgreSQL cluster, sample loaded): the final
response carries the table, the chart spec, the SQL and an answer quoting the numbers; a
compound question runs the analysis, then research into the rules it found, and cites both; with the
analysis down, the answer says the data part is missing and states no figures."""

from __future__ import annotations

import json

from arbiter.common.v1 import common_pb2
from arbiter.gateway.v1 import gateway_pb2
from arbiter_analysis.data_evidence import SAMPLE_NOTE, numbers
from arbiter_llm.citations import markers

from tests.gateway.conftest import NOWHERE, ask, gateway
from tests.support.sessions import kinds, step_events

S = common_pb2.StepStatus
TREND = "How many findings per rulebook in 2024, and what is the trend?"
COMPOUND = "Which rules are most often breached, and what do they require?"


def final(events: list[gateway_pb2.SessionEvent]) -> gateway_pb2.FinalResponse:
    assert kinds(events)[-1] == "final_response", kinds(events)
    return events[-1].final_response


def plan(events: list[gateway_pb2.SessionEvent]) -> common_pb2.Plan:
    return next(e.plan_ready.plan for e in events if e.HasField("plan_ready"))


async def test_a_data_question_ends_with_table_chart_sql_and_the_numbers(
    data_workers: dict[str, str],
) -> None:
    async with gateway(data_workers) as stub:
        events = await ask(stub, TREND)
    kinds_of_steps = [s.kind for s in plan(events).steps]
    assert kinds_of_steps == [common_pb2.STEP_KIND_ANALYZE_DATA, common_pb2.STEP_KIND_SYNTHESIZE]
    assert step_events(events)[-1] == ("s2", S.STEP_STATUS_COMPLETED)
    done = final(events)
    assert done.intent == common_pb2.INTENT_DATA_ANALYSIS
    assert not done.missing
    assert done.sql.startswith("SELECT") and "LIMIT" in done.sql
    assert list(done.table.columns) and len(done.table.rows) > 1
    spec = json.loads(done.chart.vega_lite)
    assert spec["data"]["values"] and done.chart.title
    # The answer quotes the analysis's figures, cites the database, says it is sample data.
    progress = [e.step_progress for e in events if e.HasField("step_progress")]
    assert any(p.stage == "summarise" for p in progress)
    [citation] = done.citations
    assert (citation.source_id, citation.passage_ref) == ("findings", done.sql)
    assert numbers(citation.quote) <= numbers(done.answer)
    assert SAMPLE_NOTE in done.answer
    streamed = "".join(e.answer_delta.text for e in events if e.HasField("answer_delta"))
    assert streamed == done.answer


async def test_a_compound_question_runs_both_and_cites_a_passage_and_the_data(
    data_workers: dict[str, str],
) -> None:
    async with gateway(data_workers) as stub:
        events = await ask(stub, COMPOUND)
    p = plan(events)
    assert p.intent == common_pb2.INTENT_COMPOUND
    by_kind = {s.kind: s for s in p.steps}
    assert set(by_kind) == {
        common_pb2.STEP_KIND_ANALYZE_DATA,
        common_pb2.STEP_KIND_RESEARCH,
        common_pb2.STEP_KIND_SYNTHESIZE,
    }
    # The research is about the rules the data finds, so it waits for the analysis
    # (test_data_focus.py checks what it researches).
    assert not by_kind[common_pb2.STEP_KIND_ANALYZE_DATA].depends_on
    assert by_kind[common_pb2.STEP_KIND_RESEARCH].depends_on == [
        by_kind[common_pb2.STEP_KIND_ANALYZE_DATA].id
    ]
    assert set(dict(step_events(events)).values()) == {S.STEP_STATUS_COMPLETED}
    done = final(events)
    assert done.sql and done.table.rows
    citations = done.citations
    assert [c.index for c in citations] == list(range(1, len(citations) + 1))
    data = [c for c in citations if c.source_id == "findings"]
    passages = [c for c in citations if c.source_id != "findings"]
    assert len(data) == 1 and data[0].passage_ref == done.sql
    # The passages are those rules' (test_data_focus.py), quoted for what they require.
    assert passages and all(c.rulebook and c.quote for c in passages)
    assert sorted(set(markers(done.answer))) == [c.index for c in citations]


async def test_with_the_analysis_down_the_answer_says_the_data_is_missing(
    data_workers: dict[str, str],
) -> None:
    async with gateway({**data_workers, "analysis": NOWHERE}) as stub:
        events = await ask(stub, TREND)
    assert ("s1", S.STEP_STATUS_FAILED) in step_events(events)
    done = final(events)
    assert done.missing and "the data analysis" in done.missing[0]
    assert not done.sql and not done.table.columns and not done.chart.vega_lite
    # Synthesis is down too (same service): the gateway writes nothing of its own.
    assert not numbers(done.answer) - numbers(TREND)
    assert not done.citations


async def test_with_the_database_down_the_answer_says_the_data_is_missing(
    workers: dict[str, str],
) -> None:
    # The analysis service answers (it writes the answer) but has no findings database.
    async with gateway(workers) as stub:
        events = await ask(stub, TREND)
    assert ("s1", S.STEP_STATUS_FAILED) in step_events(events)
    done = final(events)
    assert "the data analysis" in done.missing[0]
    assert "I could not include the data analysis" in done.answer
    assert "no findings database is configured" in done.answer
    assert not numbers(done.answer) - numbers(TREND)
    assert not done.citations and not done.sql and not done.table.rows

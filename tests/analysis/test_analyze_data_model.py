"""AnalyzeData with the OpenAI-compatible provider (the local test server is the model):
a good query runs; invalid JSON and hostile SQL fall back to the offline translation and
never reach the database; a query the database refuses gets one repair round whose prompt
carries the error, then the offline translation; the prompt carries the schema and today."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from arbiter_analysis.findings.sample import TODAY
from arbiter_analysis.findings.schema import TABLES
from arbiter_analysis.sql import check_query
from arbiter_analysis.text2sql_task import text2sql_task

from tests.analysis.analyze_calls import Stub, analyse, fingerprint, offline_sql, rows_of
from tests.support.openai_server import OpenAIServer, Reply
from tests.support.postgres import FindingsDb

QUESTION = "How many findings per rulebook in 2024?"
MODEL_SQL = (
    "SELECT rulebook, count(*) AS findings FROM findings.findings"
    " WHERE identified_on >= DATE '2024-01-01' AND identified_on < DATE '2025-01-01'"
    " GROUP BY rulebook ORDER BY rulebook"
)


def answer(sql: str, explanation: str = "Counts findings per rulebook in 2024.") -> Reply:
    return Reply.json({"sql": sql, "explanation": explanation})


async def test_the_models_query_runs(
    model_data_analysis: Stub, model: OpenAIServer, findings_db: FindingsDb
) -> None:
    model.script(answer(MODEL_SQL))
    out = await analyse(model_data_analysis, QUESTION)
    result = out.result
    assert result.sql == check_query(MODEL_SQL)
    assert [list(r.cells) for r in result.table.rows] == await rows_of(findings_db, result.sql)
    assert result.chart.vega_lite
    assert result.usage.llm_calls == 1 and result.usage.prompt_tokens > 0
    assert "a model wrote the query" in out.said("write_sql")
    [request] = model.chat_requests()
    shown = request.text()
    # The schema is rendered from findings.schema: every table and column is named.
    for table in TABLES.values():
        assert f"findings.{table.name}:" in shown
        assert all(column in shown for column in table.column_names)
    assert f"Today is {TODAY.isoformat()}" in shown
    assert QUESTION in shown


async def test_invalid_json_falls_back_to_the_offline_translation(
    model_data_analysis: Stub, model: OpenAIServer
) -> None:
    model.script(Reply.text("SELECT count(*) FROM findings.findings -- not JSON"))
    out = await analyse(model_data_analysis, QUESTION)
    assert out.result.sql == offline_sql(QUESTION)
    assert "not JSON" in out.said("check_sql")
    assert out.result.usage.llm_calls == 1


async def test_hostile_sql_is_refused_and_never_runs(
    model_data_analysis: Stub, model: OpenAIServer, findings_db: FindingsDb
) -> None:
    before = await fingerprint(findings_db)
    model.script(answer("SELECT pg_sleep(30), count(*) FROM findings.findings"))
    out = await analyse(model_data_analysis, QUESTION, budget=10)
    assert out.said("check_sql").startswith("refused: ")
    assert "pg_sleep" in out.said("check_sql")
    assert "using the offline translation" in out.said("check_sql")
    assert out.result.sql == offline_sql(QUESTION)
    assert await fingerprint(findings_db) == before


async def test_a_query_the_database_refuses_is_repaired_once(
    model_data_analysis: Stub, model: OpenAIServer, findings_db: FindingsDb
) -> None:
    # Passes the guard (the column exists), fails in PostgreSQL: text minus a date.
    broken = "SELECT rulebook, sum(rule_ref - identified_on) AS x FROM findings.findings GROUP BY 1"
    model.script(answer(broken), answer(MODEL_SQL))
    out = await analyse(model_data_analysis, QUESTION)
    assert out.result.sql == check_query(MODEL_SQL)
    assert out.stages.count("write_sql") == 2 and out.stages.count("run") == 2
    assert "asking the model to repair it" in out.said("write_sql")
    first, repair = model.chat_requests()
    assert "(none)" in first.text()
    assert "operator does not exist" in repair.text()
    assert broken in repair.text()
    assert out.result.usage.llm_calls == 2
    assert [list(r.cells) for r in out.result.table.rows] == await rows_of(
        findings_db, out.result.sql
    )


async def test_a_failed_repair_falls_back_to_the_offline_translation(
    model_data_analysis: Stub, model: OpenAIServer
) -> None:
    broken = "SELECT sum(rule_ref - identified_on) AS x FROM findings.findings"
    model.script(answer(broken), answer(broken))
    out = await analyse(model_data_analysis, QUESTION)
    assert out.result.sql == offline_sql(QUESTION)
    assert "using the offline translation" in out.said("write_sql")
    assert len(model.chat_requests()) == 2


async def test_a_model_that_cannot_answer_says_so(
    model_data_analysis: Stub, model: OpenAIServer
) -> None:
    model.script(answer("", "The findings database holds no weather data."))
    result = (await analyse(model_data_analysis, "Will it rain tomorrow?")).result
    assert result.sql == "" and not result.HasField("table")
    assert result.summary.startswith("The findings database holds no weather data.")
    assert "I can answer questions like these" in result.summary


async def test_the_model_being_down_falls_back(
    model_data_analysis: Stub, model: OpenAIServer
) -> None:
    model.script(Reply.error(503, "overloaded"))
    out = await analyse(model_data_analysis, QUESTION)
    assert out.result.sql == offline_sql(QUESTION)
    assert "model's answer was not used" in out.said("write_sql")


def _prompt_examples() -> list[str]:
    prompt = text2sql_task().prompt.system
    return [line.removeprefix("SQL: ") for line in prompt.splitlines() if line.startswith("SQL: ")]


async def test_the_prompts_examples_pass_the_guard_and_run(findings_db: FindingsDb) -> None:
    examples = _prompt_examples()
    assert len(examples) >= 4
    for sql in examples:
        assert await rows_of(findings_db, check_query(sql)), sql


def test_the_prompts_examples_are_not_the_dev_questions() -> None:
    dev = Path(__file__).parents[3] / "shared" / "data" / "findings" / "questions_dev.jsonl"
    if not dev.is_file():
        pytest.skip("no findings dev questions beside the checkout")
    gold = {json.loads(line)["gold_sql"] for line in dev.read_text().splitlines() if line}
    assert not gold & set(_prompt_examples())

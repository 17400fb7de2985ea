"""AnalyzeData with the offline provider over the sample, through a real gRPC server and the
session's PostgreSQL: stages in order, one result, the SQL that ran (LIMIT forced) and its
rows, the chart chosen by the result's shape, the summary's numbers and the sample label;
a question it cannot map; bad input."""

from __future__ import annotations

import dataclasses
import json

import grpc
import pytest
from arbiter.analysis.v1 import analysis_pb2, analysis_pb2_grpc
from arbiter_analysis.findings.sample import LABEL
from arbiter_analysis.sql import GuardLimits, check_query
from arbiter_analysis.text2sql import CAN_ANSWER
from arbiter_llm import OfflineLLM

from tests.analysis.analyze_calls import Stub, analyse, offline_sql, rows_of
from tests.analysis.conftest import ANALYSIS, findings_server
from tests.support.postgres import FindingsDb
from tests.support.servers import assert_invalid_argument

STAGES = ["understand", "write_sql", "check_sql", "run", "summarise", "chart"]
PER_RULEBOOK = "How many findings per rulebook in 2024?"


async def test_findings_per_rulebook(data_analysis: Stub, findings_db: FindingsDb) -> None:
    out = await analyse(data_analysis, PER_RULEBOOK)
    assert out.stages == STAGES
    result = out.result
    assert result.sql == offline_sql(PER_RULEBOOK)
    assert result.sql.rstrip().endswith("LIMIT 1000")
    assert check_query(result.sql) == result.sql  # what ran passes the guard as it stands
    direct = await rows_of(findings_db, result.sql)
    assert [list(r.cells) for r in result.table.rows] == direct
    assert len(result.table.columns) == 2
    # The chart: bars, one per rulebook, with the table's numbers.
    spec = json.loads(result.chart.vega_lite)
    assert spec["mark"]["type"] == "bar"
    assert result.chart.title == PER_RULEBOOK
    assert len(spec["data"]["values"]) == len(direct)
    # The summary: the total of the counts and the sample's label.
    total = sum(int(row[1]) for row in direct)
    assert result.summary.startswith(f"{LABEL.capitalize()}: ")
    assert f"{total:,}" in result.summary, result.summary
    assert result.usage.llm_calls == 0
    assert "offline rules wrote the query" in out.said("write_sql")
    assert "at most 1000 rows" in out.said("check_sql")


async def test_a_time_series_is_a_line(data_analysis: Stub, findings_db: FindingsDb) -> None:
    question = "Monthly count of findings identified in 2025"
    result = (await analyse(data_analysis, question)).result
    rows = [list(r.cells) for r in result.table.rows]
    assert rows == await rows_of(findings_db, result.sql)
    assert len(rows) == 12
    spec = json.loads(result.chart.vega_lite)
    assert spec["mark"]["type"] == "line"


async def test_a_single_number_has_no_chart(data_analysis: Stub, findings_db: FindingsDb) -> None:
    out = await analyse(data_analysis, "How many thematic audits started in 2023?")
    result = out.result
    assert not result.HasField("chart")
    [[count]] = [list(r.cells) for r in result.table.rows]
    assert [[count]] == await rows_of(findings_db, result.sql)
    assert count in result.summary
    assert out.stages == STAGES
    assert "no chart" in out.said("chart")


async def test_relative_dates_count_from_the_configured_today(data_analysis: Stub) -> None:
    # ANALYSIS_TODAY is the sample's day (2026-01-15): "last year" is 2025.
    result = (await analyse(data_analysis, "How many findings were identified last year?")).result
    assert "2025-01-01" in result.sql and "2026-01-01" in result.sql


async def test_an_unmappable_question_says_so(data_analysis: Stub) -> None:
    out = await analyse(data_analysis, "What is the weather like in Abu Dhabi tomorrow?")
    result = out.result
    assert result.sql == "" and not result.HasField("table") and not result.HasField("chart")
    assert result.summary.startswith("I can't answer that from the findings database")
    assert all(family in result.summary for family in CAN_ANSWER)
    assert out.stages == ["understand", "write_sql"]


async def test_rows_are_capped_by_the_sql_max_rows_setting(findings_db: FindingsDb) -> None:
    analysis = dataclasses.replace(ANALYSIS, sql=GuardLimits(max_rows=5))
    async with findings_server(OfflineLLM(), findings_db.config, analysis) as (channel, _):
        question = "Which findings are open? Finding id and severity."
        out = await analyse(analysis_pb2_grpc.AnalysisServiceStub(channel), question)
    assert len(out.result.table.rows) == 5
    assert out.result.sql.rstrip().endswith("LIMIT 5")
    assert "at most 5 rows" in out.said("check_sql")


@pytest.mark.parametrize(
    "question", ["", "   \n\t ", "q" * 4001], ids=["empty", "blank", "too-long"]
)
async def test_bad_input_is_invalid_argument(data_analysis: Stub, question: str) -> None:
    error = await assert_invalid_argument(analyse(data_analysis, question), "question")
    assert len(error.details() or "") < 120


async def test_a_short_deadline_ends_clearly(data_analysis: Stub) -> None:
    request = analysis_pb2.AnalyzeDataRequest(question=PER_RULEBOOK)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in data_analysis.AnalyzeData(request, timeout=0.001):
            pass
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED

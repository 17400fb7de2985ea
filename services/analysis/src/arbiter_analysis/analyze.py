"""The AnalyzeData flow: understand the question, write SQL (the `analysis.text2sql` step),
check it with the guard, run it as the read-only role within the caller's budget (one
repair round when the database refuses a model's query), summarise the rows and chart
them. It yields progress and then exactly one AnalyzeDataResult."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from arbiter.analysis.v1 import analysis_pb2
from arbiter.common.v1 import common_pb2
from arbiter_kit.deadline import Deadline
from arbiter_kit.errors import DeadlineExceeded, FailedPrecondition, InvalidArgument, Unavailable
from arbiter_llm import LLM, Outcome, TaskInput, TaskResult, Usage, run_rules

from arbiter_analysis.charts import Spec, chart_for
from arbiter_analysis.config import AnalysisConfig
from arbiter_analysis.data_evidence import CAN_ANSWER_LEAD
from arbiter_analysis.findings.database import FindingsDatabase, QueryFailed
from arbiter_analysis.findings_access import NOT_CONFIGURED, FindingsAccess
from arbiter_analysis.shape import read_shape
from arbiter_analysis.sql import QueryRefused, check_query
from arbiter_analysis.summary import Summary, summarise
from arbiter_analysis.table import ResultTable
from arbiter_analysis.text2sql import CAN_ANSWER
from arbiter_analysis.text2sql_task import REFUSED, Attempt, text2sql_input, text2sql_task

AnalysisEvent = common_pb2.Progress | analysis_pb2.AnalyzeDataResult
QUERY_RESERVE_SECONDS = 0.5
"""Time kept back from the model for the query, the summary and the chart."""
SHOWN_ERROR_CHARS = 200
"""Most characters of a refusal or a database error a progress message quotes."""


def progress(stage: str, message: str) -> common_pb2.Progress:
    return common_pb2.Progress(stage=stage, message=message)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Query:
    """One query to run and who wrote it."""

    def __init__(self, sql: str, explanation: str, *, by_model: bool) -> None:
        self.sql = sql
        self.explanation = explanation
        self.by_model = by_model


class DataAnalysis:
    """Answers a question about the findings with SQL, a table, a summary and a chart."""

    def __init__(self, llm: LLM, findings: FindingsAccess | None, config: AnalysisConfig) -> None:
        self.llm = llm
        self.findings = findings
        self.config = config
        self.task = text2sql_task(config.sql)

    async def run(self, question: str, *, deadline: Deadline) -> AsyncIterator[AnalysisEvent]:
        database = self._database()
        today = self.config.today_date()
        yield progress(
            "understand",
            f"reading the question against the findings tables (today is {today.isoformat()})",
        )
        data = text2sql_input(question, today=today)
        result = await self._write(data, deadline)
        usage = result.usage
        query = _written(result)
        yield progress("write_sql", _write_note(result, query))
        if query is None:
            yield _cannot_answer(str(result.output["explanation"]), usage)
            return
        sql = self._checked(query)
        yield progress("check_sql", _check_note(result, self.config.sql.max_rows))
        yield progress("run", "running the query as the read-only role")
        try:
            table = await self._query(database, sql, deadline)
        except QueryFailed as failed:
            if not query.by_model:
                raise
            yield progress(
                "write_sql",
                "the database refused the model's query: "
                f"{_cut(failed.pg_message, SHOWN_ERROR_CHARS)}; asking the model to repair it",
            )
            error = _cut(failed.pg_message, self.config.repair_error_chars)
            repair = text2sql_input(question, today=today, repair=Attempt(query.sql, error))
            result = await self._write(repair, deadline)
            usage += result.usage
            query = _written(result)
            if query is None:
                yield _cannot_answer(str(result.output["explanation"]), usage)
                return
            sql = self._checked(query)
            yield progress("check_sql", _check_note(result, self.config.sql.max_rows))
            yield progress("run", "running the repaired query")
            try:
                table = await self._query(database, sql, deadline)
            except QueryFailed as again:
                if not query.by_model:
                    raise
                yield progress(
                    "write_sql",
                    "the repaired query failed too: "
                    f"{_cut(again.pg_message, SHOWN_ERROR_CHARS)}; using the offline translation",
                )
                offline = _written_offline(await run_rules(self.task, data))
                if offline is None:
                    yield _cannot_answer(CANNOT_REPAIR, usage)
                    return
                sql = self._checked(offline)
                yield progress("run", "running the offline translation")
                table = await self._query(database, sql, deadline)
        async for event in self._answer(question, sql, table, usage):
            yield event

    async def _write(self, data: TaskInput, deadline: Deadline) -> TaskResult:
        """The step's answer, leaving the query time to run; with too little time for a
        model, the offline rules answer."""
        try:
            return await self.llm.run(
                self.task, data, deadline=Deadline(deadline.at - QUERY_RESERVE_SECONDS)
            )
        except DeadlineExceeded:
            if deadline.expired():
                raise
            output = await run_rules(self.task, data)
            if self.llm.name == "offline":
                return TaskResult(output=output, outcome=Outcome.OFFLINE)
            return TaskResult(
                output=output,
                outcome=Outcome.FALLBACK,
                problems=("too little time left to ask the model",),
            )

    def _database(self) -> FindingsDatabase:
        if self.findings is None:
            raise FailedPrecondition(NOT_CONFIGURED, reason="NO_FINDINGS_DATABASE")
        return self.findings.ready_database()

    def _checked(self, query: _Query) -> str:
        """The SQL to run: the guard's rendering, its LIMIT forced. A query refused here
        has no fallback left (the offline rules wrote it), so the question is refused."""
        try:
            return check_query(query.sql, limits=self.config.sql)
        except QueryRefused as refused:
            raise InvalidArgument(
                "question", f"the query for it was refused: {refused.reason}"
            ) from None

    async def _query(self, database: FindingsDatabase, sql: str, deadline: Deadline) -> ResultTable:
        try:
            return await database.query(sql, deadline=deadline)
        except Unavailable as down:
            breaker = database.breaker.config
            wait = breaker.open_seconds if down.reason == "CIRCUIT_OPEN" else None
            raise Unavailable(
                down.message,
                reason=down.reason,
                metadata=down.metadata,
                retry_delay=wait or self.config.retry_after_seconds,
            ) from None

    async def _answer(
        self, question: str, sql: str, table: ResultTable, usage: Usage
    ) -> AsyncIterator[AnalysisEvent]:
        yield progress("summarise", f"{len(table.rows)} rows of {len(table.columns)} columns")
        # Summaries and charts of up to max_rows rows: CPU work kept off the event loop,
        # the result's shape read once for both.
        summary, spec = await asyncio.to_thread(_summary_and_chart, table, question)
        label = await self.findings.sample_label() if self.findings else None
        text = summary.text if label is None else f"{label.capitalize()}: {summary.text}"
        chart = None
        if spec is None:
            yield progress("chart", f"no chart: the result is a {summary.shape.value}")
        else:
            yield progress("chart", f"{_mark(spec)} chart of the {summary.shape.value}")
            title = str(spec.get("title", {}).get("text", question))
            chart = common_pb2.ChartSpec(title=title, vega_lite=json.dumps(spec, default=str))
        yield analysis_pb2.AnalyzeDataResult(
            sql=sql, table=table.to_proto(), chart=chart, summary=text, usage=usage.message()
        )


def _summary_and_chart(table: ResultTable, question: str) -> tuple[Summary, Spec | None]:
    shape = read_shape(table, question=question)
    return summarise(table, question=question, shape=shape), chart_for(
        table, title=question, shape=shape
    )


CANNOT_REPAIR = (
    "I can't answer that from the findings database: the model's query failed twice and "
    "the offline rules could not map the question."
)


def _written(result: TaskResult) -> _Query | None:
    """The query a step run wrote, or None when it says the question cannot be answered."""
    sql = str(result.output["sql"]).strip()
    if not sql:
        return None
    return _Query(sql, str(result.output["explanation"]), by_model=result.from_model)


def _written_offline(output: dict[str, object]) -> _Query | None:
    sql = str(output["sql"]).strip()
    return _Query(sql, str(output["explanation"]), by_model=False) if sql else None


def _cannot_answer(explanation: str, usage: Usage) -> analysis_pb2.AnalyzeDataResult:
    """A result with no query: why, and what can be asked instead (never a guessed query)."""
    families = "; ".join(CAN_ANSWER)
    summary = f"{explanation.strip()} {CAN_ANSWER_LEAD} {families}."
    return analysis_pb2.AnalyzeDataResult(summary=summary, usage=usage.message())


def _write_note(result: TaskResult, query: _Query | None) -> str:
    what = query.explanation if query else "no query: the question cannot be mapped"
    if result.outcome is Outcome.OK:
        return f"a model wrote the query: {_cut(what, SHOWN_ERROR_CHARS)}"
    if result.outcome is Outcome.OFFLINE:
        return f"the offline rules wrote the query: {_cut(what, SHOWN_ERROR_CHARS)}"
    return (
        "the model's answer was not used; the offline rules wrote the query: "
        f"{_cut(what, SHOWN_ERROR_CHARS)}"
    )


def _check_note(result: TaskResult, max_rows: int) -> str:
    refused = [p for p in result.problems if p.startswith(REFUSED)]
    limit = f"passed, at most {max_rows} rows"
    if refused:
        reason = _cut(refused[0], SHOWN_ERROR_CHARS)
        return f"{reason}; using the offline translation, which {limit}"
    if result.outcome is Outcome.FALLBACK:
        why = _cut(result.problems[0], SHOWN_ERROR_CHARS) if result.problems else "unusable"
        return f"the model's answer was unusable ({why}); the offline translation {limit}"
    return limit


def _mark(spec: dict[str, object]) -> str:
    mark = spec.get("mark")
    kind = mark.get("type") if isinstance(mark, dict) else mark
    return {"line": "a line", "bar": "a bar"}.get(str(kind), "a")

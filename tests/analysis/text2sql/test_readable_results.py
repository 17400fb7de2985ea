"""What the parser's queries give a person to read, on the sample as the read-only role:
columns named for what they hold (`quarter`, `findings`, `total_penalty_usd`), and the
summary and chart built from them saying periods as people do ("Q1 2024", "Jan 2025",
"2024"), never a bare number for a period."""

from __future__ import annotations

import datetime as dt
import re

import asyncpg
import pytest
from arbiter_analysis.charts import chart_for
from arbiter_analysis.summary import summarise
from arbiter_analysis.table import ResultTable
from arbiter_analysis.text2sql import Translation, translate

from tests.support.postgres import FindingsDb

TODAY = dt.date(2026, 1, 15)
NAMES = [
    ("How many findings per rulebook in 2024, and what is the trend?", "rulebook quarter findings"),
    ("Number of breaches each month of 2025", "month findings"),
    ("Yearly count of audits started since 2020", "year audits"),
    ("Sum of fines by firm type", "firm_type total_penalty_usd"),
    ("Mean penalty amount per rulebook", "rulebook average_penalty_usd"),
    ("Average days to remediate per severity", "severity average_days_to_remediate"),
    ("Which share of findings is critical, per rulebook?", "rulebook share_percent"),
    ("How many financial penalties were decided in 2024?", "financial_penalties"),
    ("How many distinct rulebooks have open findings?", "rulebooks"),
    ("Largest fine per rulebook", "rulebook largest_penalty_usd"),
    ("Percentage change in the number of audits from 2022 to 2024", "change_percent"),
    ("Average number of findings per audit, counting none as zero", "average_findings_per_audit"),
    ("How many firms have never been fined?", "firms"),
]


async def _result(conn: asyncpg.Connection, question: str) -> ResultTable:
    answer = translate(question, today=TODAY)
    assert isinstance(answer, Translation), (question, answer)
    statement = await conn.prepare(answer.sql)
    columns = [a.name for a in statement.get_attributes()]
    return ResultTable.of(columns, [tuple(r.values()) for r in await statement.fetch()])


@pytest.fixture
async def reader(findings_db: FindingsDb) -> asyncpg.Connection:
    conn = await asyncpg.connect(findings_db.reader)
    yield conn
    await conn.close()


async def test_every_column_is_named_for_what_it_holds(reader: asyncpg.Connection) -> None:
    for question, names in NAMES:
        table = await _result(reader, question)
        assert " ".join(table.columns) == names, (question, table.columns)


async def test_the_trend_in_one_year_reads_in_quarters_of_that_year(
    reader: asyncpg.Connection,
) -> None:
    question = "How many findings per rulebook in 2024, and what is the trend?"
    summary = summarise(await _result(reader, question), question=question)
    assert summary.text.startswith("Total findings by quarter: "), summary.text
    assert re.search(r"From Q1 2024 to Q4 2024 the total findings (rose|fell|stayed)", summary.text)
    assert re.search(r"\d in Q3 2024", summary.text)
    _no_bare_period(summary.text)


async def test_months_of_a_named_year_and_years_read_as_written(
    reader: asyncpg.Connection,
) -> None:
    months = "Monthly count of findings identified in 2025"
    summary = summarise(await _result(reader, months), question=months)
    assert re.search(r"From Jan 2025 to \w{3} 2025 the findings ", summary.text), summary.text
    _no_bare_period(summary.text)
    spec = chart_for(await _result(reader, months), title=months)
    assert spec is not None
    assert spec["encoding"]["x"]["title"] == "month"
    assert spec["encoding"]["x"]["sort"][0] == "Jan 2025"
    assert spec["encoding"]["y"]["title"] == "findings"
    years = "How many audits started per year?"
    summary = summarise(await _result(reader, years), question=years)
    assert re.search(r"From 20\d\d to 20\d\d the audits ", summary.text), summary.text


async def test_money_is_labelled_with_its_unit(reader: asyncpg.Connection) -> None:
    question = "Total fines per rulebook in 2024"
    table = await _result(reader, question)
    summary = summarise(table, question=question)
    assert "The total total penalty" not in summary.text
    assert re.search(r"across the \d+ rulebooks is USD [\d,]+\.\d\d", summary.text), summary.text
    spec = chart_for(table, title=question)
    assert spec is not None and spec["encoding"]["x"]["title"] == "total penalty (USD)"


def _no_bare_period(text: str) -> None:
    """No period said as a bare number: "From 1 to 4", "in 3", "Peak: 2 with"."""
    assert not re.search(r"\b(?:[Ff]rom|to|in|Peak:) [1-9]\b(?! ?[\d,]*(?:\.\d+)? ?%)", text), text

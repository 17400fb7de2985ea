"""The `analysis.text2sql` step: a question becomes one query over schema `findings`.

A model is shown the schema (rendered from `findings.schema.TABLES`, so the prompt never
drifts from the database), the conventions and a few examples; its answer must pass the SQL
guard, or the provider falls back to the offline rules (`text2sql.translate`), which is
how a hostile or invalid query from a model never reaches the database. An empty `sql`
means the question cannot be answered; its `explanation` says why."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from arbiter_llm import JSON, Task, TaskInput

from arbiter_analysis.findings.schema import FOREIGN_KEYS, SCHEMA, TABLES, Table
from arbiter_analysis.sql import GuardLimits, QueryRefused, check_query
from arbiter_analysis.text2sql import Translation, translate

NAME = "analysis.text2sql"
NO_PREVIOUS = "(none)"
REFUSED = "refused: "
"""How a guard refusal starts among a rejected answer's problems."""


def render_schema() -> str:
    """The tables, their columns (type, NULL, allowed values) and the foreign keys, as
    the prompt shows them."""
    lines = [_table(table) for table in TABLES.values()]
    lines.append("Foreign keys (each to the other table's primary key):")
    lines += [f"- {SCHEMA}.{t}.{c} -> {SCHEMA}.{ref}" for t, c, ref in FOREIGN_KEYS]
    return "\n".join(lines)


def _table(table: Table) -> str:
    columns = []
    for column in table.columns:
        text = f"  {column.name} {column.sql_type}"
        if column.name == table.primary_key:
            text += " primary key"
        if column.nullable:
            text += " (may be NULL)"
        if column.values:
            text += " one of " + ", ".join(f"'{v}'" for v in column.values)
        columns.append(text)
    return f"{SCHEMA}.{table.name}:\n" + "\n".join(columns)


SCHEMA_TEXT = render_schema()


@dataclass(frozen=True)
class Attempt:
    """A query the database refused, for the repair round."""

    sql: str
    error: str


def text2sql_input(question: str, *, today: dt.date, repair: Attempt | None = None) -> TaskInput:
    """The step's input for `question`; with `repair`, the refused query and its error."""
    return TaskInput(
        values={
            "question": question,
            "today": today.isoformat(),
            "schema": SCHEMA_TEXT,
            "previous_sql": repair.sql if repair else NO_PREVIOUS,
            "error": repair.error if repair else NO_PREVIOUS,
        }
    )


def offline_output(question: str, today: dt.date) -> JSON:
    """The offline parser's answer as the step's output: its SQL and what it computes, or
    no SQL and why not."""
    translated = translate(question, today=today)
    if isinstance(translated, Translation):
        return {"sql": translated.sql, "explanation": translated.explanation}
    return {"sql": "", "explanation": translated.message}


def _offline(data: TaskInput) -> JSON:
    return offline_output(data.values["question"], dt.date.fromisoformat(data.values["today"]))


def text2sql_task(limits: GuardLimits = GuardLimits.default) -> Task:
    """The step, its check the SQL guard under `limits`."""

    def guarded(output: JSON, data: TaskInput) -> list[str]:
        del data
        sql = str(output["sql"])
        if not sql.strip():
            return []  # "cannot answer": nothing will run
        try:
            check_query(sql, limits=limits)
        except QueryRefused as refused:
            return [REFUSED + refused.reason]
        return []

    return Task.load(
        NAME,
        package="arbiter_analysis",
        stem="text2sql",
        offline=_offline,
        check=guarded,
        max_tokens=1024,
    )

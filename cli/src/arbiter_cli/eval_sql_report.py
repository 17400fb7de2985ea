"""The scoring side of `arbiter eval-sql`: the questions file, each answer scored against
its gold rows by `sql_scoring`'s rules, and the report (text, `--json`, `--answers-out`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from arbiter_cli.eval_inputs import InputError, read_jsonl
from arbiter_cli.eval_metrics import Share, percentile
from arbiter_cli.sql_scoring import (
    AccuracyReport,
    QuestionScore,
    accuracy_of,
    results_match,
)

Rows = list[tuple[str, ...]]
"""Result rows as text cells, the way AnalyzeData's table carries them."""
GOLD_FAILED = "the gold SQL failed"

# --- the questions ---


@dataclass(frozen=True)
class SqlQuestion:
    """One line of a questions file (the findings README's fields)."""

    id: str
    question: str
    gold_sql: str
    order_matters: bool
    kind: str
    difficulty: str


def _question(row: dict[str, object]) -> SqlQuestion:
    return SqlQuestion(
        id=str(row["id"]),
        question=str(row["question"]),
        gold_sql=str(row["gold_sql"]),
        order_matters=row.get("order_matters") is True,
        kind=str(row.get("kind", "-")),
        difficulty=str(row.get("difficulty", "-")),
    )


def read_questions(path: Path) -> list[SqlQuestion]:
    """`{id, question, gold_sql, order_matters, kind, difficulty}` a line; InputError names
    the line that is not."""
    questions = read_jsonl(path, _question, what="questions", fields="id, question, gold_sql")
    if not questions:
        raise InputError(f"{path}: no questions")
    return questions


# --- answers and their scores ---


@dataclass
class Answer:
    """What AnalyzeData answered one question: its SQL (empty: it cannot answer), the
    table's rows as text cells, client-side seconds, the day it counted from."""

    sql: str = ""
    rows: Rows = field(default_factory=list)
    seconds: float = 0.0
    today: str = ""
    summary: str = ""
    error: str = ""

    @property
    def unmapped(self) -> bool:
        return not self.error and not self.sql


@dataclass(frozen=True)
class Outcome:
    """One question scored, and why it was wrong."""

    question: SqlQuestion
    answer: Answer
    correct: bool
    why: str


def score(q: SqlQuestion, answer: Answer, gold: Rows | str) -> Outcome:
    if isinstance(gold, str):
        return Outcome(q, answer, False, gold)
    if answer.error:
        return Outcome(q, answer, False, f"call failed: {answer.error}")
    if answer.unmapped:
        return Outcome(q, answer, False, f"cannot answer: {answer.summary[:200]}")
    correct = results_match(gold, answer.rows, order_matters=q.order_matters)
    why = "" if correct else f"rows differ: gold {len(gold)} rows, answer {len(answer.rows)}"
    return Outcome(q, answer, correct, why)


def _accuracy(a: Share) -> dict[str, float | int]:
    return {"accuracy": round(a.value, 4), "correct": a.hits, "total": a.total}


def _line(name: str, a: Share) -> str:
    return f"  {name:<22} {a.value:.3f} ({a.hits}/{a.total})"


@dataclass(frozen=True)
class SqlSummary:
    """What one evaluation measured, and where."""

    outcomes: list[Outcome]
    service: str
    wall_s: float

    @property
    def report(self) -> AccuracyReport:
        return accuracy_of(
            QuestionScore(o.question.id, o.question.kind, o.question.difficulty, o.correct)
            for o in self.outcomes
        )

    def _ids(self, keep: Callable[[Outcome], bool]) -> list[str]:
        return [o.question.id for o in self.outcomes if keep(o)]

    def _latency_ms(self, q: float) -> float:
        timed = [o.answer.seconds * 1000 for o in self.outcomes if not o.answer.error]
        return round(percentile(timed, q), 1)

    @property
    def errors(self) -> list[str]:
        return [o.answer.error for o in self.outcomes if o.answer.error]

    @property
    def today(self) -> str:
        return ", ".join(sorted({o.answer.today for o in self.outcomes if o.answer.today}))

    def to_json(self) -> dict[str, object]:
        """The `--json` object (fields as the text output names them)."""
        report = self.report
        return {
            **_accuracy(report.overall),
            "per_kind": {k: _accuracy(a) for k, a in report.per_kind.items()},
            "per_difficulty": {k: _accuracy(a) for k, a in report.per_difficulty.items()},
            "unmapped": len(self._ids(lambda o: o.answer.unmapped)),
            "unmapped_ids": self._ids(lambda o: o.answer.unmapped),
            "wrong_ids": self._ids(lambda o: not o.correct),
            "errors": len(self.errors),
            "first_error": self.errors[0] if self.errors else "",
            "gold_failures": len(self._ids(lambda o: o.why.startswith(GOLD_FAILED))),
            "p50_ms": self._latency_ms(0.50),
            "p99_ms": self._latency_ms(0.99),
            "today": self.today or "unknown",
            "service": self.service,
            "wall_s": round(self.wall_s, 2),
        }

    def table(self) -> str:
        report, unmapped = self.report, self._ids(lambda o: o.answer.unmapped)
        wrong = self._ids(lambda o: not o.correct)
        lines = [
            f"{report.overall.total} questions; AnalyzeData at {self.service}; "
            f"today {self.today or 'unknown'}",
            "",
            _line("execution accuracy", report.overall),
            *(_line(f"kind {k}", a) for k, a in report.per_kind.items()),
            *(_line(f"difficulty {k}", a) for k, a in report.per_difficulty.items()),
            f"  {'cannot answer':<22} {len(unmapped)} {' '.join(unmapped)}".rstrip(),
            f"  {'p50 / p99':<22} {self._latency_ms(0.5):.0f} ms / {self._latency_ms(0.99):.0f} ms",
            f"  {'wall':<22} {self.wall_s:.1f} s",
        ]
        if wrong:
            lines.append(f"  {'wrong':<22} {' '.join(wrong)}")
        if self.errors:
            lines.append(f"  {'errors':<22} {len(self.errors)} (first: {self.errors[0]})")
        return "\n".join(lines)

    def failures(self) -> str:
        """Each wrong question: what it asked, why it is wrong, the SQL that answered."""
        return "\n\n".join(
            f"{o.question.id} [{o.question.kind}] {o.question.question}\n  {o.why}\n"
            f"  sql: {o.answer.sql or '-'}"
            for o in self.outcomes
            if not o.correct
        )


def write_answers(path: Path, outcomes: Sequence[Outcome]) -> None:
    """`{id, sql, rows}` a line, the rows as the service's text cells."""
    with path.open("w", encoding="utf-8") as out:
        for o in outcomes:
            rows = [list(row) for row in o.answer.rows]
            out.write(json.dumps({"id": o.question.id, "sql": o.answer.sql, "rows": rows}) + "\n")


def _part(run: object, key: str) -> dict[str, object]:
    value = run.get(key) if isinstance(run, dict) else None
    return value if isinstance(value, dict) else {}


def _listed(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _score_cell(node: dict[str, object]) -> str:
    if not node:
        return "-"
    return f"{float(str(node['accuracy'])):.3f} ({node['correct']}/{node['total']})"


def markdown_table(runs: Sequence[tuple[str, dict[str, object]]]) -> list[str]:
    """`--json` summaries side by side as a markdown table, one column per titled run:
    accuracy overall, per kind, per difficulty, cannot-answer counts, latency."""
    lines = [
        "| | " + " | ".join(title for title, _ in runs) + " |",
        "|---" * (len(runs) + 1) + "|",
        "| execution accuracy | " + " | ".join(_score_cell(run) for _, run in runs) + " |",
    ]
    for group, label in (("per_kind", "kind"), ("per_difficulty", "difficulty")):
        for key in sorted({k for _, run in runs for k in _part(run, group)}):
            cells = " | ".join(_score_cell(_part(_part(run, group), key)) for _, run in runs)
            lines.append(f"| {label} {key} | {cells} |")
    unmapped = [
        " ".join(map(str, [run["unmapped"], *_listed(run["unmapped_ids"])])) for _, run in runs
    ]
    latency = [f"{run['p50_ms']:.0f} / {run['p99_ms']:.0f}" for _, run in runs]
    lines.append(f"| cannot answer | {' | '.join(unmapped)} |")
    lines.append(f"| AnalyzeData p50 / p99 ms | {' | '.join(latency)} |")
    return lines

"""Turns the gateway's event stream into readable terminal output; a judged answer adds
its verdict (facts, rules, check, trial), a data answer its table, its chart saved as a
PNG, and its SQL on request."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from arbiter.common.v1 import common_pb2
from arbiter.gateway.v1 import gateway_pb2

from arbiter_cli.data_view import chart_line, table_lines
from arbiter_cli.verdict_view import verdict_lines

FINDINGS_SOURCE = "findings"
"""The source id of a citation of the findings database (its reference is the SQL)."""


def _enum(enum: object, value: int, prefix: str) -> str:
    name: str = enum.Name(value)  # type: ignore[attr-defined]
    return name.removeprefix(prefix)


def _seconds(step: common_pb2.Step) -> str:
    if not step.HasField("started_at") or not step.HasField("finished_at"):
        return ""
    delta = step.finished_at.ToNanoseconds() - step.started_at.ToNanoseconds()
    return f" ({delta / 1e9:.2f} s)"


class EventPrinter:
    """Prints each event as it arrives; answer deltas are written without newlines."""

    def __init__(
        self,
        out: TextIO = sys.stdout,
        *,
        show_sql: bool = False,
        charts: Path | None = None,
    ) -> None:
        """`show_sql`: print a data answer's SQL; `charts`: the folder its chart is saved
        in (None: not saved)."""
        self.out = out
        self.show_sql = show_sql
        self.charts = charts
        self.session_id = ""
        self.in_answer = False
        self.answer_streamed = False

    def _line(self, text: str) -> None:
        if self.in_answer:
            self.out.write("\n")
            self.in_answer = False
        self.out.write(text + "\n")
        self.out.flush()

    def show(self, event: gateway_pb2.SessionEvent) -> None:
        kind = event.WhichOneof("payload")
        handler = getattr(self, f"_{kind}", None)
        if handler is not None:
            handler(getattr(event, kind or ""))

    def _session_started(self, e: gateway_pb2.SessionStarted) -> None:
        self.session_id = e.session_id
        self._line(f"session {e.session_id}")

    def _planning_started(self, e: gateway_pb2.PlanningStarted) -> None:
        self._line(f"planning: {e.message}")

    def _plan_ready(self, e: gateway_pb2.PlanReady) -> None:
        p = e.plan
        intent = _enum(common_pb2.Intent, p.intent, "INTENT_")
        strategy = _enum(common_pb2.ExecutionStrategy, p.strategy, "EXECUTION_STRATEGY_")
        self._line(f"plan: {intent} (confidence {p.confidence:.2f}), {strategy}")
        for f in p.filters:
            self._line(f"  filter {f.field} in {', '.join(f.any_of)}")
        for s in p.steps:
            deps = f"  after {', '.join(s.depends_on)}" if s.depends_on else ""
            kind = _enum(common_pb2.StepKind, s.kind, "STEP_KIND_")
            self._line(f"  {s.id} {kind}: {s.description or s.task}{deps}")

    def _execution_started(self, e: gateway_pb2.ExecutionStarted) -> None:
        self._line("running the plan")

    def _step_updated(self, e: gateway_pb2.StepUpdated) -> None:
        s = e.step
        status = _enum(common_pb2.StepStatus, s.status, "STEP_STATUS_").lower().replace("_", " ")
        error = f": {s.error}" if s.error else ""
        self._line(f"  [{s.id}] {status}{_seconds(s)}{error}")

    def _step_progress(self, e: gateway_pb2.StepProgress) -> None:
        percent = f" {e.percent:.0f}%" if e.HasField("percent") else ""
        self._line(f"    {e.step_id} {e.stage}{percent}: {e.message}")

    def _answer_delta(self, e: gateway_pb2.AnswerDelta) -> None:
        if not self.in_answer:
            self.out.write("\n")
            self.in_answer = True
        self.answer_streamed = True
        self.out.write(e.text)
        self.out.flush()

    def _final_response(self, e: gateway_pb2.FinalResponse) -> None:
        self._line("")
        if not self.answer_streamed:
            self._line(e.answer)
            self._line("")
        verdict = verdict_lines(e.verdict)
        for line in verdict:
            self._line(line)
        if verdict:
            self._line("")
        if e.table.columns:
            for line in table_lines(e.table):
                self._line(line)
            self._line("")
        if e.sql and self.show_sql:
            self._line(f"SQL: {e.sql}")
        if e.chart.vega_lite and self.charts is not None:
            self._line(chart_line(e.chart, self.charts, self.session_id or "chart"))
        for c in e.citations:
            if c.source_id == FINDINGS_SOURCE:
                hint = "" if self.show_sql else " (its SQL: --sql)"
                self._line(f"[{c.index}] {c.title}{hint}")
            else:
                self._line(f"[{c.index}] {c.rulebook} {c.passage_ref} — {c.title}")
            if c.quote:
                quote = c.quote if len(c.quote) <= 240 else c.quote[:237] + "..."
                self._line(f'    "{quote}"')
        for m in e.missing:
            self._line(f"missing: {m}")

    def _error(self, e: gateway_pb2.Error) -> None:
        self._line(f"error {e.code} ({e.reason}): {e.message}")

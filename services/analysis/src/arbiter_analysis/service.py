"""The AnalysisService: Synthesize streams a cited answer (progress, deltas, one
result); AnalyzeData streams the stages of a Text2SQL answer and one result (SQL, table,
chart, summary)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from arbiter.analysis.v1 import analysis_pb2, analysis_pb2_grpc
from arbiter.common.v1 import common_pb2
from arbiter_kit.deadline import Deadline
from arbiter_kit.errors import InvalidArgument
from arbiter_kit.limits import (
    MAX_MISSING,
    MAX_MISSING_CHARS,
    MAX_PASSAGE_CHARS,
    MAX_PASSAGES,
    MAX_QUESTION_CHARS,
    MAX_VERDICT_CHARS,
)
from arbiter_kit.validation import max_items, required_text

from arbiter_analysis.analyze import AnalysisEvent, DataAnalysis
from arbiter_analysis.synthesis import Synthesis, SynthesisEvent

SERVICE_NAME = analysis_pb2.DESCRIPTOR.services_by_name["AnalysisService"].full_name
DEFAULT_BUDGET_SECONDS = 60.0
"""Time allowed when the caller sets no deadline."""
MAX_DATA_TEXT_CHARS = 20_000
"""Most characters of a data analysis's SQL or summary that Synthesize accepts."""


def validate(request: analysis_pb2.SynthesizeRequest, *, max_rows: int) -> str:
    """The question, stripped; raises InvalidArgument naming the bad field. A data
    analysis may carry at most `max_rows` rows: no more than AnalyzeData returns."""
    question = required_text("question", request.question, max_chars=MAX_QUESTION_CHARS)
    max_items("passages", request.passages, limit=MAX_PASSAGES)
    for i, passage in enumerate(request.passages):
        if len(passage.text) > MAX_PASSAGE_CHARS:
            raise InvalidArgument(
                f"passages[{i}].text", f"must be at most {MAX_PASSAGE_CHARS} characters"
            )
    max_items("missing", request.missing, limit=MAX_MISSING)
    for i, item in enumerate(request.missing):
        if len(item) > MAX_MISSING_CHARS:
            raise InvalidArgument(
                f"missing[{i}]", f"must be at most {MAX_MISSING_CHARS} characters"
            )
    validate_verdict(request.verdict)
    for name in ("sql", "summary"):
        if len(getattr(request.data, name)) > MAX_DATA_TEXT_CHARS:
            raise InvalidArgument(
                f"data.{name}", f"must be at most {MAX_DATA_TEXT_CHARS} characters"
            )
    max_items("data.table.rows", request.data.table.rows, limit=max_rows)
    return question


def validate_verdict(verdict: common_pb2.Verdict) -> None:
    """The verdict's summary is within bounds (the kit's server has refused any
    disposition the contract does not define before the handler runs)."""
    if len(verdict.summary) > MAX_VERDICT_CHARS:
        raise InvalidArgument("verdict.summary", f"must be at most {MAX_VERDICT_CHARS} characters")


def _message(event: SynthesisEvent) -> analysis_pb2.SynthesizeResponse:
    if isinstance(event, common_pb2.Progress):
        return analysis_pb2.SynthesizeResponse(progress=event)
    if isinstance(event, str):
        return analysis_pb2.SynthesizeResponse(delta=event)
    return analysis_pb2.SynthesizeResponse(result=event)


def _analysis_message(event: AnalysisEvent) -> analysis_pb2.AnalyzeDataResponse:
    if isinstance(event, common_pb2.Progress):
        return analysis_pb2.AnalyzeDataResponse(progress=event)
    return analysis_pb2.AnalyzeDataResponse(result=event)


class AnalysisServicer(analysis_pb2_grpc.AnalysisServiceServicer):  # type: ignore[misc]
    """`arbiter.analysis.v1.AnalysisService`."""

    def __init__(self, synthesis: Synthesis, analysis: DataAnalysis) -> None:
        self.synthesis = synthesis
        self.analysis = analysis

    async def Synthesize(
        self, request: analysis_pb2.SynthesizeRequest, context: Any
    ) -> AsyncIterator[analysis_pb2.SynthesizeResponse]:
        question = validate(request, max_rows=self.analysis.config.sql.max_rows)
        deadline = Deadline.of_call(context, default=DEFAULT_BUDGET_SECONDS)
        verdict = request.verdict if request.HasField("verdict") else None
        async for event in self.synthesis.run(
            question,
            passages=list(request.passages),
            missing=list(request.missing),
            verdict=verdict,
            deadline=deadline,
            data_result=request.data if request.HasField("data") else None,
        ):
            yield _message(event)

    async def AnalyzeData(
        self, request: analysis_pb2.AnalyzeDataRequest, context: Any
    ) -> AsyncIterator[analysis_pb2.AnalyzeDataResponse]:
        question = required_text("question", request.question, max_chars=MAX_QUESTION_CHARS)
        deadline = Deadline.of_call(context, default=DEFAULT_BUDGET_SECONDS)
        async for event in self.analysis.run(question, deadline=deadline):
            yield _analysis_message(event)

"""How each kind of step is carried out: one worker RPC per step, its progress relayed
as `step_progress`, its result returned as the step's output. A step works from its
`StepInput` only: its own task and what the steps it depends on produced."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc
from arbiter.analysis.v1 import analysis_pb2, analysis_pb2_grpc
from arbiter.audit.v1 import audit_pb2, audit_pb2_grpc
from arbiter.common.v1 import common_pb2
from arbiter.gateway.v1 import gateway_pb2
from arbiter.search.v1 import search_pb2, search_pb2_grpc
from arbiter_kit.client import Downstream
from arbiter_kit.deadline import Deadline

from arbiter_gateway.focus import research_focus
from arbiter_gateway.results import StepInput, StepOutput, add_usage
from arbiter_gateway.sessions import Session


@dataclass(frozen=True)
class Workers:
    """The downstream services the gateway calls, one breaker and channel each."""

    planner: Downstream
    search: Downstream
    analysis: Downstream
    audit: Downstream

    async def close(self) -> None:
        for ds in (self.planner, self.search, self.analysis, self.audit):
            await ds.close()


FOCUS_STAGE = "focus"
VERDICT_SCORE = 1000
"""Above any search score: a verdict's cited passages lead what the answer is written from."""
"""The progress stage of the gateway's own word on what a research step researches."""

StepFn = Callable[[Workers, Session, str, StepInput, Deadline], Awaitable[StepOutput]]
"""(workers, session, step id, input, deadline) -> the step's output."""


async def _relay(session: Session, step_id: str, progress: common_pb2.Progress) -> None:
    event = gateway_pb2.StepProgress(
        step_id=step_id, stage=progress.stage, message=progress.message
    )
    if progress.HasField("percent"):
        event.percent = progress.percent
    await session.emit(step_progress=event)


def _is_result(message: object) -> bool:
    return bool(message.HasField("result"))  # type: ignore[attr-defined]


async def _result(
    worker: Downstream,
    method: grpc.aio.UnaryStreamMultiCallable[Any, Any],
    request: Any,
    session: Session,
    step_id: str,
    deadline: Deadline,
) -> Any:
    """Call a worker's streaming method, relaying its progress; its result (None if the
    stream ended without one)."""
    result = None
    async for message in worker.stream(method, request, deadline=deadline, is_result=_is_result):
        if message.HasField("progress"):
            await _relay(session, step_id, message.progress)
        else:
            result = message.result
    return result


async def _note(session: Session, step_id: str, message: str) -> None:
    """Tell the caller what the gateway itself decided for a step."""
    await _relay(session, step_id, common_pb2.Progress(stage=FOCUS_STAGE, message=message))


async def research(
    w: Workers, session: Session, step_id: str, given: StepInput, deadline: Deadline
) -> StepOutput:
    """Research the step's task; after a data analysis, the rules its table names, and
    the task when the analysis failed or none of those rules' passages is found."""
    stub = search_pb2_grpc.SearchServiceStub(w.search.channel)
    usage = common_pb2.Usage()
    focus = research_focus(given.data())
    if focus is not None:
        named = ", ".join(str(r) for r in focus.rules)
        await _note(session, step_id, f"researching the rules the data names: {named}")
        request = search_pb2.ResearchRequest(
            query=focus.query(), filters=[*given.filters, *focus.filters()]
        )
        found = await _result(w.search, stub.Research, request, session, step_id, deadline)
        kept = focus.kept(found.passages) if found is not None else ()
        if found is not None:
            add_usage(usage, found.usage)
        if kept:
            return StepOutput(passages=kept, usage=usage)
        await _note(session, step_id, "no passage of those rules found; researching the question")
    elif given.dependencies:
        await _note(session, step_id, "the data analysis named no rules; researching the question")
    request = search_pb2.ResearchRequest(query=given.task, filters=given.filters)
    found = await _result(w.search, stub.Research, request, session, step_id, deadline)
    if found is not None:
        add_usage(usage, found.usage)
    passages = tuple(found.passages) if found is not None else ()
    return StepOutput(passages=passages, usage=usage)


async def judge(
    w: Workers, session: Session, step_id: str, given: StepInput, deadline: Deadline
) -> StepOutput:
    stub = audit_pb2_grpc.AuditServiceStub(w.audit.channel)
    request = audit_pb2.JudgeRequest(situation=given.task, passages=given.passages())
    judged = await _result(w.audit, stub.Judge, request, session, step_id, deadline)
    if judged is None:
        return StepOutput()
    cited = _cited_passages(judged.verdict)
    return StepOutput(passages=cited, verdict=judged.verdict, usage=judged.usage)


def _cited_passages(verdict: common_pb2.Verdict) -> tuple[common_pb2.Passage, ...]:
    """The rules and precedents a verdict cites, as passages for the answer that explains
    it, in the verdict's order and ahead of what research found (scored above any
    search score): the answer cites what the verdict rests on."""
    count = len(verdict.citations)
    return tuple(
        common_pb2.Passage(
            id=c.source_id,
            source_id=c.source_id,
            passage_ref=c.passage_ref,
            rulebook=c.rulebook,
            title=c.title,
            text=c.quote,
            score=float(VERDICT_SCORE + count - i),
        )
        for i, c in enumerate(verdict.citations)
        if c.quote
    )


async def analyze_data(
    w: Workers, session: Session, step_id: str, given: StepInput, deadline: Deadline
) -> StepOutput:
    stub = analysis_pb2_grpc.AnalysisServiceStub(w.analysis.channel)
    request = analysis_pb2.AnalyzeDataRequest(question=given.task)
    data = await _result(w.analysis, stub.AnalyzeData, request, session, step_id, deadline)
    if data is None:
        return StepOutput()
    return StepOutput(data=data, usage=data.usage)


async def synthesize(
    w: Workers, session: Session, step_id: str, given: StepInput, deadline: Deadline
) -> StepOutput:
    stub = analysis_pb2_grpc.AnalysisServiceStub(w.analysis.channel)
    request = analysis_pb2.SynthesizeRequest(
        question=given.task, passages=given.passages(), missing=given.missing
    )
    verdict = given.verdict()
    if verdict is not None:
        request.verdict.CopyFrom(verdict)
    data = given.data()
    if data is not None:
        request.data.CopyFrom(data)
    output = StepOutput()
    # Deltas are already on the caller's screen, so a retry after one would repeat
    # text: count the first delta as "a result has arrived".
    async for message in w.analysis.stream(
        stub.Synthesize,
        request,
        deadline=deadline,
        is_result=lambda m: m.HasField("result") or m.HasField("delta"),
    ):
        kind = message.WhichOneof("kind")
        if kind == "progress":
            await _relay(session, step_id, message.progress)
        elif kind == "delta":
            await session.emit(answer_delta=gateway_pb2.AnswerDelta(text=message.delta))
        else:
            output = StepOutput(synthesis=message.result, usage=message.result.usage)
    return output


STEPS: dict[common_pb2.StepKind, StepFn] = {
    common_pb2.STEP_KIND_RESEARCH: research,
    common_pb2.STEP_KIND_JUDGE: judge,
    common_pb2.STEP_KIND_ANALYZE_DATA: analyze_data,
    common_pb2.STEP_KIND_SYNTHESIZE: synthesize,
}

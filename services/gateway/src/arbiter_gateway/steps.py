"""How each kind of step is carried out: one worker RPC per step, its progress
relayed as `step_progress`, its result added to the session's evidence."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from arbiter.analysis.v1 import analysis_pb2, analysis_pb2_grpc
from arbiter.audit.v1 import audit_pb2, audit_pb2_grpc
from arbiter.common.v1 import common_pb2
from arbiter.gateway.v1 import gateway_pb2
from arbiter.search.v1 import search_pb2, search_pb2_grpc
from arbiter_kit.client import Downstream
from arbiter_kit.deadline import Deadline

from arbiter_gateway.sessions import Session

MAX_SYNTHESIS_PASSAGES = 12


@dataclass
class Evidence:
    """What the steps of one session have produced so far."""

    question: str
    filters: list[common_pb2.MetadataFilter]
    passages: dict[str, common_pb2.Passage] = field(default_factory=dict)
    verdict: common_pb2.Verdict | None = None
    data: analysis_pb2.AnalyzeDataResult | None = None
    synthesis: analysis_pb2.SynthesisResult | None = None
    missing: list[str] = field(default_factory=list)
    usage: common_pb2.Usage = field(default_factory=common_pb2.Usage)

    def add_passages(self, passages: list[common_pb2.Passage]) -> None:
        for p in passages:
            known = self.passages.get(p.id)
            if known is None or p.score > known.score:
                self.passages[p.id] = p

    def best_passages(self, limit: int = MAX_SYNTHESIS_PASSAGES) -> list[common_pb2.Passage]:
        return sorted(self.passages.values(), key=lambda p: -p.score)[:limit]

    def add_usage(self, usage: common_pb2.Usage) -> None:
        self.usage.llm_calls += usage.llm_calls
        self.usage.prompt_tokens += usage.prompt_tokens
        self.usage.completion_tokens += usage.completion_tokens


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


StepFn = Callable[[Workers, Session, common_pb2.Step, Evidence, Deadline], Awaitable[None]]


async def _relay(session: Session, step_id: str, progress: common_pb2.Progress) -> None:
    event = gateway_pb2.StepProgress(
        step_id=step_id, stage=progress.stage, message=progress.message
    )
    if progress.HasField("percent"):
        event.percent = progress.percent
    await session.emit(step_progress=event)


def _is_result(message: object) -> bool:
    return bool(message.HasField("result"))  # type: ignore[attr-defined]


async def research(
    w: Workers, session: Session, step: common_pb2.Step, ev: Evidence, deadline: Deadline
) -> None:
    stub = search_pb2_grpc.SearchServiceStub(w.search.channel)
    request = search_pb2.ResearchRequest(query=step.task or ev.question, filters=ev.filters)
    async for message in w.search.stream(
        stub.Research, request, deadline=deadline, is_result=_is_result
    ):
        if message.HasField("progress"):
            await _relay(session, step.id, message.progress)
        else:
            ev.add_passages(list(message.result.passages))
            ev.add_usage(message.result.usage)


async def judge(
    w: Workers, session: Session, step: common_pb2.Step, ev: Evidence, deadline: Deadline
) -> None:
    stub = audit_pb2_grpc.AuditServiceStub(w.audit.channel)
    request = audit_pb2.JudgeRequest(situation=ev.question, passages=ev.best_passages())
    async for message in w.audit.stream(
        stub.Judge, request, deadline=deadline, is_result=_is_result
    ):
        if message.HasField("progress"):
            await _relay(session, step.id, message.progress)
        else:
            ev.verdict = message.result.verdict
            ev.add_usage(message.result.usage)


async def analyze_data(
    w: Workers, session: Session, step: common_pb2.Step, ev: Evidence, deadline: Deadline
) -> None:
    stub = analysis_pb2_grpc.AnalysisServiceStub(w.analysis.channel)
    request = analysis_pb2.AnalyzeDataRequest(question=step.task or ev.question)
    async for message in w.analysis.stream(
        stub.AnalyzeData, request, deadline=deadline, is_result=_is_result
    ):
        if message.HasField("progress"):
            await _relay(session, step.id, message.progress)
        else:
            ev.data = message.result
            ev.add_usage(message.result.usage)


async def synthesize(
    w: Workers, session: Session, step: common_pb2.Step, ev: Evidence, deadline: Deadline
) -> None:
    stub = analysis_pb2_grpc.AnalysisServiceStub(w.analysis.channel)
    request = analysis_pb2.SynthesizeRequest(
        question=ev.question, passages=ev.best_passages(), missing=ev.missing
    )
    if ev.verdict is not None:
        request.verdict.CopyFrom(ev.verdict)
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
            await _relay(session, step.id, message.progress)
        elif kind == "delta":
            await session.emit(answer_delta=gateway_pb2.AnswerDelta(text=message.delta))
        else:
            ev.synthesis = message.result
            ev.add_usage(message.result.usage)


STEPS: dict[common_pb2.StepKind, StepFn] = {
    common_pb2.STEP_KIND_RESEARCH: research,
    common_pb2.STEP_KIND_JUDGE: judge,
    common_pb2.STEP_KIND_ANALYZE_DATA: analyze_data,
    common_pb2.STEP_KIND_SYNTHESIZE: synthesize,
}

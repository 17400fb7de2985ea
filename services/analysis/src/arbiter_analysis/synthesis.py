"""The synthesis flow: compose (streamed), renumber citations by first use, reflect, cite.
The passages and, when given, a data analysis are its evidence, numbered in that order.
It yields progress, answer fragments whose concatenation is the final answer, and exactly
one result."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from arbiter.analysis.v1 import analysis_pb2
from arbiter.common.v1 import common_pb2
from arbiter_kit.deadline import Deadline
from arbiter_kit.errors import DeadlineExceeded
from arbiter_llm import (
    LLM,
    Completed,
    Fragment,
    Outcome,
    StreamEvent,
    Task,
    TaskInput,
    TaskResult,
    run_rules,
)
from arbiter_llm.citations import CitationNumbering
from arbiter_text import segments

from arbiter_analysis.citations import CitationBuilder
from arbiter_analysis.composer import synthesis_input, synthesis_task
from arbiter_analysis.data_evidence import DataEvidence
from arbiter_analysis.reflection import AnswerReflector

SynthesisEvent = common_pb2.Progress | str | analysis_pb2.SynthesisResult
MODEL_RESERVE_SECONDS = 0.5
"""Time kept back from the model for the offline rules, reflection and the reply."""


class Synthesis:
    """Writes grounded answers with numbered citations."""

    def __init__(self, llm: LLM) -> None:
        self.llm = llm
        self.task: Task = synthesis_task()
        self.reflector = AnswerReflector()
        self.citations = CitationBuilder()

    async def run(
        self,
        question: str,
        *,
        passages: Sequence[common_pb2.Passage],
        missing: Sequence[str],
        verdict: common_pb2.Verdict | None,
        deadline: Deadline,
        data_result: analysis_pb2.AnalyzeDataResult | None = None,
    ) -> AsyncIterator[SynthesisEvent]:
        data, evidence = synthesis_input(question, passages, missing, verdict, data_result)
        source = "a model" if self.llm.name == "openai" else "extractive rules"
        explained = " and a data analysis" if evidence is not None else ""
        yield common_pb2.Progress(
            stage="compose",
            message=f"writing from {len(passages)} passages{explained} with {source}",
        )
        # The writer cites documents by their place in the request; the reader gets
        # citations numbered by first use, in the deltas as in the final answer.
        numbering = CitationNumbering(len(data.documents))
        answer = ""
        result: TaskResult | None = None
        async for event in self._compose(data, deadline):
            if isinstance(event, Fragment):
                piece = numbering.feed(event.text)
            else:
                result = event.result
                piece = numbering.flush()
            if piece:
                answer += piece
                yield piece
        assert result is not None  # every stream ends with Completed
        yield common_pb2.Progress(stage="reflect", message=_compose_note(result))
        checked = self.reflector.reflect(
            question=question,
            answer=answer,
            passages=len(passages),
            missing=missing,
            data=evidence.document().text if evidence is not None and evidence.answered else "",
        )
        if checked.addendum:
            for piece in segments(("\n\n" if answer else "") + checked.addendum):
                answer += piece
                yield piece
        cited: list[common_pb2.Passage | DataEvidence] = [
            evidence if evidence is not None and n == evidence.index else passages[n - 1]
            for n in numbering.sources
        ]
        # Quoting reads every cited passage (up to 50 of 200,000 characters): seconds of
        # work that must not hold up the event loop and the other callers.
        citations = await asyncio.to_thread(self.citations.build, answer, cited)
        yield analysis_pb2.SynthesisResult(
            answer=answer,
            citations=citations,
            reflection=checked.reflection,
            usage=result.usage.message(),
        )

    async def _compose(self, data: TaskInput, deadline: Deadline) -> AsyncIterator[StreamEvent]:
        try:
            async for event in self.llm.stream(
                self.task, data, deadline=Deadline(deadline.at - MODEL_RESERVE_SECONDS)
            ):
                yield event
        except DeadlineExceeded:
            if deadline.expired():
                raise
            # Too little time for a model: the rules still answer.
            output = await run_rules(self.task, data)
            for piece in segments(str(output["answer"])):
                yield Fragment(piece)
            yield Completed(
                TaskResult(
                    output=output,
                    outcome=Outcome.FALLBACK,
                    problems=("too little time left to ask the model",),
                )
            )


def _compose_note(result: TaskResult) -> str:
    if result.outcome is Outcome.OK:
        return "checking the model's answer: citations and coverage"
    if result.outcome is Outcome.OFFLINE:
        return "checking the extractive answer: citations and coverage"
    why = result.problems[0] if result.problems else "unusable output"
    return f"model answer not used ({why}); checking the extractive answer"

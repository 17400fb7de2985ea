"""What the steps of one session produce, kept per step: a step works from its own task
and the outputs of the steps it depends on, never from a pool shared by the session."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from arbiter.analysis.v1 import analysis_pb2
from arbiter.common.v1 import common_pb2

_T = TypeVar("_T")
MAX_STEP_PASSAGES = 12
"""Passages a step receives from its dependencies, best first."""


@dataclass(frozen=True)
class StepOutput:
    """What one step produced (research: passages; judge: a verdict; analyze: data;
    synthesize: the answer)."""

    passages: tuple[common_pb2.Passage, ...] = ()
    verdict: common_pb2.Verdict | None = None
    data: analysis_pb2.AnalyzeDataResult | None = None
    synthesis: analysis_pb2.SynthesisResult | None = None
    usage: common_pb2.Usage = field(default_factory=common_pb2.Usage)
    """The model calls the step's worker made, for the session's total."""


@dataclass(frozen=True)
class StepInput:
    """What a step works from."""

    task: str
    """The step's own task (the session's question for a step that has none)."""
    filters: Sequence[common_pb2.MetadataFilter]
    """The caller's filters, which search holds hard."""
    dependencies: tuple[StepOutput, ...] = ()
    """The outputs of the steps in its `depends_on`, in that order."""
    missing: tuple[str, ...] = ()
    """What its answer cannot cover: the planning, or a step it depends on (directly or
    not), that failed or was skipped."""

    def passages(self, limit: int = MAX_STEP_PASSAGES) -> list[common_pb2.Passage]:
        """The dependencies' passages, each source passage once (its best-scored chunk:
        a verdict's citation of a rule and research's chunk of it are one source), best
        first."""
        best: dict[str, common_pb2.Passage] = {}
        for output in self.dependencies:
            for p in output.passages:
                key = p.source_id or p.id
                known = best.get(key)
                if known is None or p.score > known.score:
                    best[key] = p
        return sorted(best.values(), key=lambda p: -p.score)[:limit]

    def verdict(self) -> common_pb2.Verdict | None:
        """The verdict of the last dependency that gave one."""
        return _last(d.verdict for d in self.dependencies)

    def data(self) -> analysis_pb2.AnalyzeDataResult | None:
        """The data analysis of the last dependency that gave one."""
        return _last(d.data for d in self.dependencies)


@dataclass
class SessionResults:
    """Every step's output, the notes on what is missing, and the usage, for one session."""

    outputs: dict[str, StepOutput] = field(default_factory=dict)
    notes: list[tuple[str, str]] = field(default_factory=list)
    """(step id, what is missing) in the order they arose; "" for the session's own."""
    usage: common_pb2.Usage = field(default_factory=common_pb2.Usage)

    def record(self, step_id: str, output: StepOutput) -> None:
        self.outputs[step_id] = output
        self.add_usage(output.usage)

    def note_missing(self, text: str, *, step_id: str = "") -> None:
        self.notes.append((step_id, text))

    @property
    def missing(self) -> list[str]:
        return [text for _, text in self.notes]

    def add_usage(self, usage: common_pb2.Usage) -> None:
        add_usage(self.usage, usage)

    def input_for(
        self,
        step: common_pb2.Step,
        plan: common_pb2.Plan,
        *,
        question: str,
        filters: Sequence[common_pb2.MetadataFilter],
    ) -> StepInput:
        """What `step` of `plan` works from, once its dependencies have finished."""
        upstream = _ancestors(step, plan)
        return StepInput(
            task=step.task or question,
            filters=filters,
            dependencies=tuple(self.outputs.get(d, StepOutput()) for d in step.depends_on),
            missing=tuple(text for sid, text in self.notes if not sid or sid in upstream),
        )

    def final(self, plan: common_pb2.Plan) -> StepOutput:
        """What the final response shows: the last answer, verdict and data the plan's
        steps produced, in plan order."""
        outputs = [self.outputs[s.id] for s in plan.steps if s.id in self.outputs]
        return StepOutput(
            verdict=_last(o.verdict for o in outputs),
            data=_last(o.data for o in outputs),
            synthesis=_last(o.synthesis for o in outputs),
        )


def add_usage(total: common_pb2.Usage, usage: common_pb2.Usage) -> None:
    """Add `usage`'s model calls and tokens to `total`."""
    total.llm_calls += usage.llm_calls
    total.prompt_tokens += usage.prompt_tokens
    total.completion_tokens += usage.completion_tokens


def _last(values: Iterable[_T | None]) -> _T | None:
    """The last value that is not None."""
    found = None
    for value in values:
        if value is not None:
            found = value
    return found


def _ancestors(step: common_pb2.Step, plan: common_pb2.Plan) -> set[str]:
    """The ids of the steps `step` depends on, directly or through others."""
    by_id = {s.id: s for s in plan.steps}
    found: set[str] = set()
    todo = list(step.depends_on)
    while todo:
        current = todo.pop()
        if current not in found and current in by_id:
            found.add(current)
            todo.extend(by_id[current].depends_on)
    return found

"""Turns a classification into a plan: one chain of steps per sub-query (research;
research then judge; data analysis; research into the rules a data step finds, after
it), all feeding one synthesis step."""

from __future__ import annotations

from collections.abc import Sequence

from arbiter.common.v1 import common_pb2

from arbiter_planner.fast_path import FastAnswer
from arbiter_planner.intent import Classification, SubQuery

STEP_SECONDS: dict[common_pb2.StepKind, float] = {
    common_pb2.STEP_KIND_RESEARCH: 2.5,
    common_pb2.STEP_KIND_JUDGE: 6.0,
    common_pb2.STEP_KIND_ANALYZE_DATA: 4.0,
    common_pb2.STEP_KIND_SYNTHESIZE: 3.0,
}
"""Rough time each kind of step takes, for the plan's estimate."""


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


class PlanBuilder:
    """Builds `common.v1.Plan`s."""

    def fast(
        self, answer: FastAnswer, filters: Sequence[common_pb2.MetadataFilter]
    ) -> common_pb2.Plan:
        """A plan with no steps: the planner's own reply."""
        return common_pb2.Plan(
            intent=answer.intent,
            confidence=answer.confidence,
            strategy=common_pb2.EXECUTION_STRATEGY_FAST_PATH,
            filters=filters,
            direct_answer=answer.answer,
            rationale=answer.rationale,
            estimated_seconds=0.0,
        )

    def build(
        self,
        question: str,
        classification: Classification,
        filters: Sequence[common_pb2.MetadataFilter],
    ) -> common_pb2.Plan:
        """Steps `s1..sN` in dependency order; the last one synthesises the answer."""
        plan = common_pb2.Plan(
            intent=classification.intent,
            confidence=classification.confidence,
            strategy=common_pb2.EXECUTION_STRATEGY_DAG,
            filters=filters,
            sub_queries=[s.query for s in classification.sub_queries],
            rationale=classification.rationale,
        )
        # Research into the rules a data part finds comes after that part and waits for
        # it; every other part is an independent chain, run side by side.
        chains = []
        for sub in sorted(classification.sub_queries, key=lambda s: s.follows_data):
            after = [s.id for s in plan.steps if s.kind == common_pb2.STEP_KIND_ANALYZE_DATA]
            chains.append(self._chain(plan, sub, after=after if sub.follows_data else []))
        feeding = [step.id for step in plan.steps]
        judged = any(sub.intent == "JUDGEMENT" for sub in classification.sub_queries)
        counted = any(sub.intent == "DATA_ANALYSIS" for sub in classification.sub_queries)
        extras = [x for x, on in (("the verdict", judged), ("the data", counted)) if on]
        self._step(
            plan,
            common_pb2.STEP_KIND_SYNTHESIZE,
            task=question,
            description="Write the answer with numbered citations"
            + (f", explaining {' and '.join(extras)}" if extras else ""),
            depends_on=feeding,
        )
        longest = max((sum(STEP_SECONDS[k] for k in chain) for chain in chains), default=0.0)
        plan.estimated_seconds = longest + STEP_SECONDS[common_pb2.STEP_KIND_SYNTHESIZE]
        return plan

    def _chain(
        self, plan: common_pb2.Plan, sub: SubQuery, *, after: Sequence[str]
    ) -> list[common_pb2.StepKind]:
        """Append the steps that answer one sub-query, the first waiting for the data
        steps `after`; returns the kinds of the longest chain they end."""
        if sub.intent == "DATA_ANALYSIS":
            self._step(
                plan,
                common_pb2.STEP_KIND_ANALYZE_DATA,
                task=sub.query,
                description=f"Query the findings database: {_short(sub.query)}",
            )
            return [common_pb2.STEP_KIND_ANALYZE_DATA]
        if sub.intent == "JUDGEMENT":
            research = self._step(
                plan,
                common_pb2.STEP_KIND_RESEARCH,
                task=sub.query,
                description=f"Find the rules that apply to the situation: {_short(sub.query)}",
            )
            self._step(
                plan,
                common_pb2.STEP_KIND_JUDGE,
                task=sub.query,
                description="Judge the situation against those rules (audit SOP, then a "
                "trial if a breach is found)",
                depends_on=[research.id],
            )
            return [common_pb2.STEP_KIND_RESEARCH, common_pb2.STEP_KIND_JUDGE]
        if after:
            self._step(
                plan,
                common_pb2.STEP_KIND_RESEARCH,
                task=sub.query,
                description=f"Find what the rules the data names require: {_short(sub.query)}",
                depends_on=after,
            )
            return [common_pb2.STEP_KIND_ANALYZE_DATA, common_pb2.STEP_KIND_RESEARCH]
        self._step(
            plan,
            common_pb2.STEP_KIND_RESEARCH,
            task=sub.query,
            description=f"Find the rules that answer: {_short(sub.query)}",
        )
        return [common_pb2.STEP_KIND_RESEARCH]

    def _step(
        self,
        plan: common_pb2.Plan,
        kind: common_pb2.StepKind,
        *,
        task: str,
        description: str,
        depends_on: Sequence[str] = (),
    ) -> common_pb2.Step:
        step: common_pb2.Step = plan.steps.add(
            id=f"s{len(plan.steps) + 1}",
            kind=kind,
            task=task,
            description=description,
            depends_on=list(depends_on),
            status=common_pb2.STEP_STATUS_PENDING,
        )
        return step

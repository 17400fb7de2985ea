"""The plan the gateway makes itself when the planner cannot be reached: small talk is
answered from the planner's own patterns (`arbiter_text`), anything else is researched
on a default plan that says it is degraded."""

from __future__ import annotations

from collections.abc import Sequence

from arbiter.common.v1 import common_pb2
from arbiter_text import small_talk

DEGRADED = "degraded: the planner is unavailable"
"""How a fallback plan's rationale begins, so a reader (or a dashboard) can tell."""


def fallback_plan(
    question: str, filters: Sequence[common_pb2.MetadataFilter], *, why: str
) -> common_pb2.Plan:
    """The plan for `question` without the planner; `why` says what failed."""
    talk = small_talk(question)
    if talk is not None:
        return common_pb2.Plan(
            intent=common_pb2.INTENT_CHITCHAT,
            confidence=talk.confidence,
            strategy=common_pb2.EXECUTION_STRATEGY_FAST_PATH,
            filters=filters,
            direct_answer=talk.reply,
            rationale=f"pattern: {talk.kind}, answered by the gateway ({DEGRADED}: {why})",
        )
    # Unclassified, so the safest work for any question: look the rules up, then answer.
    plan = common_pb2.Plan(
        intent=common_pb2.INTENT_RESEARCH,
        confidence=0.0,
        strategy=common_pb2.EXECUTION_STRATEGY_SEQUENTIAL,
        filters=filters,
        sub_queries=[question],
        rationale=f"{DEGRADED} ({why}); the question was not classified and runs on the "
        "default plan: research, then synthesize",
    )
    research = plan.steps.add(
        id="s1",
        kind=common_pb2.STEP_KIND_RESEARCH,
        task=question,
        description="Find the rules that answer the question (default plan)",
    )
    plan.steps.add(
        id="s2",
        kind=common_pb2.STEP_KIND_SYNTHESIZE,
        task=question,
        description="Write the answer with numbered citations (default plan)",
        depends_on=[research.id],
    )
    return plan


def degraded_note(why: str) -> str:
    """What a research answer on the fallback plan lacks, for its `missing` list."""
    return (
        f"the planning ({why}): the question was not classified, so no judgement or data "
        "analysis the planner might have chosen was applied"
    )

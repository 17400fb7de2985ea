"""The planner's flow: the fast path first, then classification and the plan. The plan
carries the caller's filters as they came: which rulebooks a question names is search's
decision (its field selector), which each research step reports as progress."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from arbiter.common.v1 import common_pb2
from arbiter_kit.deadline import Deadline
from arbiter_llm import LLM, Usage

from arbiter_planner.fast_path import FastAnswer, FastPath, canned_reply
from arbiter_planner.intent import IntentClassifier
from arbiter_planner.plan import PlanBuilder

NO_WORKER_INTENTS = frozenset(
    {common_pb2.INTENT_CHITCHAT, common_pb2.INTENT_IRRELEVANT, common_pb2.INTENT_UNCLEAR}
)


@dataclass(frozen=True)
class PlanOutcome:
    plan: common_pb2.Plan
    usage: Usage


class Planner:
    """Classifies a question and plans the work that answers it."""

    def __init__(self, llm: LLM) -> None:
        self.fast_path = FastPath()
        self.classifier = IntentClassifier(llm)
        self.builder = PlanBuilder()

    async def plan(
        self,
        question: str,
        *,
        filters: Sequence[common_pb2.MetadataFilter],
        deadline: Deadline,
    ) -> PlanOutcome:
        fast = self.fast_path.answer(question)
        if fast is not None:
            return PlanOutcome(self.builder.fast(fast, filters), Usage())
        classification = await self.classifier.classify(question, deadline=deadline)
        if classification.intent in NO_WORKER_INTENTS:
            # The model judged it chitchat, out of scope or unclear: no worker is needed.
            reply = canned_reply(classification.intent)
            answer = FastAnswer(
                classification.intent,
                classification.confidence,
                reply,
                classification.rationale,
            )
            return PlanOutcome(self.builder.fast(answer, filters), classification.usage)
        plan = self.builder.build(question, classification, filters)
        return PlanOutcome(plan, classification.usage)

"""The planner's flow: the fast path first, then classification, filter selection and
the plan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from arbiter.common.v1 import common_pb2
from arbiter_kit.deadline import Deadline
from arbiter_llm import LLM, Usage

from arbiter_planner.fast_path import FastAnswer, FastPath, canned_reply
from arbiter_planner.intent import IntentClassifier
from arbiter_planner.plan import PlanBuilder
from arbiter_planner.rulebooks import RULEBOOK_FIELD, RulebookCatalogue

NO_WORKER_INTENTS = frozenset(
    {common_pb2.INTENT_CHITCHAT, common_pb2.INTENT_IRRELEVANT, common_pb2.INTENT_UNCLEAR}
)


@dataclass(frozen=True)
class PlanOutcome:
    plan: common_pb2.Plan
    usage: Usage


class Planner:
    """Classifies a question and plans the work that answers it."""

    def __init__(self, llm: LLM, *, rulebooks: RulebookCatalogue | None = None) -> None:
        self.rulebooks = rulebooks or RulebookCatalogue.load()
        self.fast_path = FastPath(self.rulebooks)
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
        selected, note = self.select_filters(question, filters)
        rationale = classification.rationale + (f"; {note}" if note else "")
        plan = self.builder.build(question, classification, selected, rationale=rationale)
        return PlanOutcome(plan, classification.usage)

    def select_filters(
        self, question: str, filters: Sequence[common_pb2.MetadataFilter]
    ) -> tuple[list[common_pb2.MetadataFilter], str]:
        """The caller's filters, plus a rulebook filter for the rulebooks the question
        names unless the caller already restricted rulebooks."""
        selected = list(filters)
        named = self.rulebooks.mentioned(question)
        if not named:
            return selected, ""
        if any(f.field == RULEBOOK_FIELD for f in filters):
            return selected, f"rulebooks named ({', '.join(named)}) left to the caller's filter"
        selected.append(common_pb2.MetadataFilter(field=RULEBOOK_FIELD, any_of=named))
        return selected, f"rulebooks named: {', '.join(named)}"

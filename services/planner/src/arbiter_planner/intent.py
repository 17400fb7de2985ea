"""Intent classification (the `planner.classify` step): what kind of question this is,
with what confidence, and which independent sub-queries it holds. Offline, weighted
pattern rules decide; with a model, its answer is checked against the same contract."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from arbiter.common.v1 import common_pb2
from arbiter_kit.deadline import Deadline
from arbiter_kit.errors import DeadlineExceeded
from arbiter_llm import JSON, LLM, Outcome, Task, TaskInput, TaskResult, Usage, run_rules
from arbiter_text import keywords

from arbiter_planner.decompose import QueryDecomposer, is_question

INTENTS: dict[str, common_pb2.Intent] = {
    "RESEARCH": common_pb2.INTENT_RESEARCH,
    "JUDGEMENT": common_pb2.INTENT_JUDGEMENT,
    "DATA_ANALYSIS": common_pb2.INTENT_DATA_ANALYSIS,
    "COMPOUND": common_pb2.INTENT_COMPOUND,
    "CHITCHAT": common_pb2.INTENT_CHITCHAT,
    "IRRELEVANT": common_pb2.INTENT_IRRELEVANT,
    "UNCLEAR": common_pb2.INTENT_UNCLEAR,
}
"""The classify schema's intent names and their proto values."""
WORKER_INTENTS = ("RESEARCH", "JUDGEMENT", "DATA_ANALYSIS")
MODEL_RESERVE_SECONDS = 0.3
"""Time kept back from the model call for the offline rules and the reply."""
THRESHOLD = 3.0
"""Score a judgement or data cue set needs to beat plain research."""
_ABOUT_THOSE_RULES = (
    r"(?:what|how)\s+(?:do|does|did|must|should)\s+(?:they|these|those|it|"
    r"(?:these|those|the) rules)\s+(?:require|say|mean|state|provide|oblige|demand)\b"
)
RULES_FOLLOW_UP = re.compile(rf"[,;]?\s+(?:and\s+)?{_ABOUT_THOSE_RULES}.*$", re.IGNORECASE)
"""A question about the rules a data question finds ("..., and what do they require?"),
split off the data question it follows: research on the whole question for its context."""
ABOUT_FOUND_RULES = re.compile(rf"\b{_ABOUT_THOSE_RULES}", re.IGNORECASE)
"""A research part that asks what "they" require: the rules a data part finds, so it runs
after that part, on what it found (the model's sub-queries are read the same way)."""

# (pattern, weight): cues that a described situation is to be judged against the rules.
JUDGEMENT_CUES: tuple[tuple[re.Pattern[str], float], ...] = tuple(
    (re.compile(p, re.IGNORECASE), w)
    for p, w in (
        (
            r"\b(?:is|was|would|does|did|could|will)\s+(?:this|that|it|they|the firm|we|he|she)"
            r"\b.{0,60}?\b(?:breach\w*|violat\w*|(?:non-?)?compliant|permitted|allowed|lawful|"
            r"unlawful|acceptable|legal|illegal|in line with|contraven\w*|offen[cs]e)",
            4.0,
        ),
        (r"\b(?:have|has|did)\s+(?:we|they|the firm|it)\s+(?:breach|violat|contraven)\w*", 4.0),
        (r"\b(?:in breach|non-?compliant|contravention)\b", 1.5),
        (r"\b(?:breach\w*|violat\w*|compliant|complied)\b", 1.0),
        (
            r"\b(?:a|the|our|my)\s+(?:\w+\s+){0,2}(?:firm|bank|company|client|customer|broker|"
            r"manager|adviser|advisor|authorised person|relevant person|employee|mlro|fund)\b"
            r".{0,80}?\b(?:onboarded|failed|did not|didn't|filed|accepted|transferred|sent|paid|"
            r"delayed|ignored|allowed|kept|made|opened|executed|sold|advised|received|waited|"
            r"forgot|omitted|skipped|approved|took|gave)\b",
            2.0,
        ),
        (r"\b\d+\s+(?:days|weeks|months)\s+(?:later|late|after|overdue)\b", 1.0),
        (r"\b(?:scenario|situation|case study|hypothetical|suppose|imagine)\b", 1.0),
    )
)

DATA_CUES: tuple[tuple[re.Pattern[str], float], ...] = tuple(
    (re.compile(p, re.IGNORECASE), w)
    for p, w in (
        (
            r"\bhow many\b.{0,40}?\b(?:findings?|cases|breaches|violations|inspections|fines|"
            r"penalties|actions|incidents|firms|reports)\b",
            3.0,
        ),
        (r"\bhow many\b", 1.0),
        (r"\b(?:trends?|over time|year[- ]on[- ]year|month[- ]on[- ]month)\b", 2.0),
        (r"\bper\s+(?:year|month|quarter|week|rulebook|firm|category|type|sector|severity)\b", 2.0),
        (
            r"\b(?:count|counts|number of|total|totals|average|mean|median|percentage|proportion|"
            r"distribution|breakdown|statistics|stats|rate of|top \d+|ranking)\b",
            1.5,
        ),
        (r"\b(?:findings?|enforcement actions?|inspection results?)\b", 1.5),
        (
            r"\b(?:most|least)\s+(?:often|frequently|commonly)\s+(?:breached|violated|cited|"
            r"fined|found)\b",
            3.0,
        ),
        (r"\b(?:most|fewest|least)\s+(?:findings|breaches|violations|fines|penalties)\b", 2.0),
        (r"\b(?:chart|plot|graph|table|histogram|visuali[sz]e)\b", 2.0),
        (r"\b(?:in|since|during|between|for)\s+(?:19|20)\d\d\b", 1.0),
    )
)


@dataclass(frozen=True)
class SubQuery:
    """One independent part of a question, and what kind of work answers it."""

    query: str
    intent: str
    """RESEARCH, JUDGEMENT or DATA_ANALYSIS."""
    follows_data: bool = False
    """Research into the rules a DATA_ANALYSIS part of the same question finds: it runs
    after that part, on the rules it found."""


@dataclass(frozen=True)
class Classification:
    """The classify step's verdict on a question."""

    intent: common_pb2.Intent
    confidence: float
    sub_queries: tuple[SubQuery, ...]
    rationale: str
    usage: Usage
    from_model: bool


def _score(text: str, cues: tuple[tuple[re.Pattern[str], float], ...]) -> tuple[float, list[str]]:
    total = 0.0
    hits: list[str] = []
    for pattern, weight in cues:
        match = pattern.search(text)
        if match:
            total += weight
            hits.append(match.group().strip()[:40])
    return total, hits


def classify_part(text: str) -> tuple[str, float, str]:
    """(intent, confidence, why) for one sub-query, by the weighted cues."""
    judgement, judgement_hits = _score(text, JUDGEMENT_CUES)
    data, data_hits = _score(text, DATA_CUES)
    if max(judgement, data) >= THRESHOLD:
        if judgement >= data:
            confidence = min(0.95, 0.55 + 0.07 * judgement - 0.05 * data)
            return "JUDGEMENT", round(confidence, 2), f"judgement cues {judgement_hits}"
        confidence = min(0.95, 0.55 + 0.07 * data - 0.05 * judgement)
        return "DATA_ANALYSIS", round(confidence, 2), f"data cues {data_hits}"
    confidence = 0.85 - 0.08 * max(judgement, data)
    if len(keywords(text)) < 3:
        confidence -= 0.1
    return "RESEARCH", round(confidence, 2), "no judgement or data cues; research by default"


class OfflineIntentRules:
    """The classify step's explicit rules: decompose, then score each part."""

    def __init__(self, decomposer: QueryDecomposer) -> None:
        self.decomposer = decomposer

    def __call__(self, data: TaskInput) -> JSON:
        question = data.values["question"]
        parts = self.decomposer.split(question)
        judged = []
        for part in parts:
            intent, confidence, why = classify_part(part)
            follow_up = RULES_FOLLOW_UP.search(part) if intent == "DATA_ANALYSIS" else None
            if follow_up is None:
                judged.append((part, intent, confidence, why))
                continue
            counted = part[: follow_up.start()].strip()
            judged.append((counted, *classify_part(counted)))
            judged.append((part, "RESEARCH", confidence, "what the rules found require"))
        judged = facts_join_their_judgement(judged)
        sub_queries = [{"query": part, "intent": intent} for part, intent, _, _ in judged]
        if len(judged) == 1:
            _, intent, confidence, why = judged[0]
            return {
                "intent": intent,
                "confidence": confidence,
                "sub_queries": sub_queries,
                "reason": f"offline rules: {why}",
            }
        confidence = round(min(c for _, _, c, _ in judged) * 0.95, 2)
        kinds = ", ".join(f"{i.lower()}" for _, i, _, _ in judged)
        return {
            "intent": "COMPOUND",
            "confidence": confidence,
            "sub_queries": sub_queries,
            "reason": f"offline rules: {len(judged)} independent parts ({kinds})",
        }


Judged = tuple[str, str, float, str]
"""(part, intent, confidence, why) of one part of a question."""


def facts_join_their_judgement(judged: list[Judged]) -> list[Judged]:
    """Statements just before a judgement part are the situation it judges, not research
    questions of their own ("A bank deleted its CRS records in 2023; it had filed the
    report in 2019. Is that a breach?"): they join it, in order."""
    out: list[Judged] = []
    facts: list[Judged] = []
    for item in judged:
        part, intent, confidence, why = item
        if intent == "JUDGEMENT" and facts:
            told = " ".join(_sentence(p) for p, _, _, _ in facts)
            out.append((f"{told} {part}", intent, confidence, why))
            facts = []
        elif intent == "RESEARCH" and not is_question(part):
            facts.append(item)
        else:
            out += [*facts, item]
            facts = []
    return out + facts


def _sentence(part: str) -> str:
    return part if part.rstrip().endswith((".", "!", "?")) else part.rstrip() + "."


def follow_the_data(sub_queries: Iterable[SubQuery]) -> tuple[SubQuery, ...]:
    """Mark the research parts that ask what the rules a data part finds require, when
    there is a data part; every other part stays independent."""
    subs = tuple(sub_queries)
    if not any(s.intent == "DATA_ANALYSIS" for s in subs):
        return subs
    return tuple(
        replace(s, follows_data=True)
        if s.intent == "RESEARCH" and ABOUT_FOUND_RULES.search(s.query)
        else s
        for s in subs
    )


def check_classification(output: JSON, data: TaskInput) -> list[str]:
    """What the schema cannot say: the sub-queries must fit the intent."""
    intent = output["intent"]
    subs = output.get("sub_queries", [])
    problems: list[str] = []
    if intent in (*WORKER_INTENTS, "COMPOUND") and not subs:
        problems.append(f"intent {intent} needs at least one sub-query")
    if intent == "COMPOUND" and len(subs) < 2:
        problems.append("a COMPOUND question needs at least two sub-queries")
    if intent in ("CHITCHAT", "IRRELEVANT", "UNCLEAR") and subs:
        problems.append(f"intent {intent} takes no sub-queries")
    if intent in WORKER_INTENTS and any(s["intent"] != intent for s in subs):
        problems.append(f"sub-query intents disagree with {intent}")
    limit = 2 * len(data.values["question"]) + 50
    if any(len(s["query"]) > limit for s in subs):
        problems.append("a sub-query is longer than the question allows")
    return problems


class IntentClassifier:
    """Runs the `planner.classify` step through the configured LLM provider."""

    def __init__(self, llm: LLM, *, decomposer: QueryDecomposer | None = None) -> None:
        self.llm = llm
        self.task = Task.load(
            "planner.classify",
            package=__package__,
            stem="classify",
            offline=OfflineIntentRules(decomposer or QueryDecomposer()),
            check=check_classification,
            max_tokens=600,
        )

    async def classify(self, question: str, *, deadline: Deadline) -> Classification:
        data = TaskInput(values={"question": question})
        try:
            # The model gets the budget less a reserve, so a slow model still leaves
            # time to answer by the rules.
            result = await self.llm.run(
                self.task, data, deadline=Deadline(deadline.at - MODEL_RESERVE_SECONDS)
            )
        except DeadlineExceeded:
            if deadline.expired():
                raise
            result = TaskResult(
                output=await run_rules(self.task, data),
                outcome=Outcome.FALLBACK,
                problems=("too little time left to ask the model",),
            )
        out = result.output
        reason = str(out.get("reason", "")).strip()
        source = "model" if result.from_model else "offline rules"
        if result.from_model:
            reason = f"model: {reason}" if reason else "model classification"
        elif result.problems:
            reason = f"{reason} (model answer rejected: {result.problems[0]})"
        return Classification(
            intent=INTENTS[str(out["intent"])],
            confidence=float(out["confidence"]),
            sub_queries=follow_the_data(
                SubQuery(query=str(s["query"]).strip(), intent=str(s["intent"]))
                for s in out.get("sub_queries", [])
            ),
            rationale=reason or source,
            usage=result.usage,
            from_model=result.from_model,
        )

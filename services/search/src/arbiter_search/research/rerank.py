"""Reranking: the fused candidates reordered by a scorer that reads the question and each
passage together, then cut to the `top_k` the caller asked for.

`LexicalScorer` is the cheap offline scorer, a weighted blend of features (see
`FEATURES`); its weights were fitted on part of ObliQA dev by scripts/fit_rerank.py
(docs/research.md says which part and what it gained). `ModelScorer` asks a model for a
listwise order through the `search.rerank` task and falls back to the lexical order when
the answer is unusable.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from arbiter_kit.deadline import Deadline
from arbiter_llm import JSON, LLM, Task, TaskInput, Usage

from arbiter_search.research.prompting import evidence
from arbiter_search.research.terms import QuestionTerms, passage_terms, question_terms
from arbiter_search.store.base import Hit
from arbiter_search.store.filters import Condition

FEATURES = (
    "retrieval",
    "rank",
    "coverage",
    "pairs",
    "title",
    "cites",
    "preferred",
    "heading",
    "length",
    "similarity",
)
"""What the lexical scorer looks at, in the order of `WEIGHTS`:

- retrieval: the fused retrieval score over the best one in the pool (0..1);
- rank: 10 / (10 + retrieval rank), so the retriever's order still counts;
- coverage: share of the question's key terms the passage holds, each weighted by how
  rare it is among the candidates (a term every candidate holds tells none apart);
- pairs: share of the question's adjacent word pairs the passage holds (phrases);
- title: share of the key terms in the passage's title and reference;
- cites: the passage's text mentions a rule number the question cites (on ObliQA such
  questions are answered by the passages that refer to the rule more than by the rule);
- preferred: the passage meets a preference the field selector kept (a hinted or named
  rulebook, a cited reference); on ObliQA dev any weight from 0 to 0.5 moves Recall@10
  by under 0.001, so it is set to count visibly for callers whose hints mean it;
- heading: the passage is a bare heading (under 8 words), which answers nothing;
- length: log of the passage's length, a mild prior for substantive text;
- similarity: the cosine of question and passage under the embedder (0 without a dense
  leg), which a fused retrieval score reduces to a rank.
"""
WEIGHTS: tuple[float, ...] = (1.47, 0.5, 2.0, 4.5, -0.3, 2.0, 0.3, -1.0, -0.05, 0.0)
"""Fitted by coordinate ascent on MAP@10 + Recall@10 over the first 1,000 ObliQA dev
questions (BM25 top-50 candidates); docs/research.md reports held-out dev and MP val.
Refitting on hybrid candidates, similarity included, won nothing on held-out questions,
so similarity keeps weight 0 (docs/research.md)."""
HEADING_WORDS = 8


@dataclass(frozen=True)
class Reranked:
    """The candidates in their new order, and what scoring them cost."""

    hits: tuple[Hit, ...]
    scorer: str
    usage: Usage = field(default_factory=Usage)
    note: str = ""
    """Why the order is not the scorer's own (e.g. the model's answer was rejected)."""


class Scorer(Protocol):
    """Orders candidates for a question, best first."""

    name: str

    async def order(
        self,
        question: str,
        candidates: Sequence[Hit],
        *,
        preferences: Sequence[Condition],
        deadline: Deadline,
    ) -> Reranked: ...


def features(
    question: QuestionTerms, candidates: Sequence[Hit], *, preferences: Sequence[Condition] = ()
) -> list[tuple[float, ...]]:
    """The `FEATURES` of each candidate (in the candidates' order)."""
    passages = [passage_terms(h.text) for h in candidates]
    titles = [passage_terms(f"{h.title} {h.passage_ref}") for h in candidates]
    n = len(candidates)
    weight = {
        t: math.log(1.0 + n / (1.0 + sum(1 for p in passages if t in p.stems)))
        for t in question.key
    }
    total = sum(weight.values()) or 1.0
    top_score = max((h.score for h in candidates), default=0.0) or 1.0
    out: list[tuple[float, ...]] = []
    for rank, (hit, passage, title) in enumerate(zip(candidates, passages, titles, strict=True)):
        covered = sum(w for t, w in weight.items() if t in passage.stems or t in title.stems)
        pairs = len(question.pairs & passage.pairs) / len(question.pairs) if question.pairs else 0.0
        in_title = (
            sum(1 for t in question.key if t in title.stems) / len(question.key)
            if question.key
            else 0.0
        )
        out.append(
            (
                hit.score / top_score,
                10.0 / (10.0 + rank),
                covered / total,
                pairs,
                in_title,
                float(any(_mentions(hit.text, number) for number in question.rule_numbers)),
                float(any(_meets(hit, c) for c in preferences)),
                float(passage.length < HEADING_WORDS),
                math.log1p(passage.length) / 6.0,
                hit.similarity,
            )
        )
    return out


def _mentions(text: str, number: str) -> bool:
    return re.search(rf"(?<![\d.]){re.escape(number)}(?!\d)", text) is not None


def _under(reference: str, number: str) -> bool:
    return reference == number or reference.startswith((number + ".", number + "("))


def _meets(hit: Hit, condition: Condition) -> bool:
    value = getattr(hit, condition.field, None)
    if not isinstance(value, str):
        return False
    if condition.field == "passage_ref":
        return any(_under(value, number) for number in condition.values)
    return value in condition.values


class LexicalScorer:
    """The offline scorer: a weighted blend of the question's overlap with each passage."""

    name = "lexical"

    def __init__(self, weights: Sequence[float] = WEIGHTS) -> None:
        if len(weights) != len(FEATURES):
            raise ValueError(f"{len(FEATURES)} weights needed, one per feature")
        self._weights = tuple(weights)

    def rank(
        self, question: str, candidates: Sequence[Hit], *, preferences: Sequence[Condition] = ()
    ) -> list[Hit]:
        """The candidates best first, each carrying its blended score."""
        rows = features(question_terms(question), candidates, preferences=preferences)
        scored = [
            (sum(w * f for w, f in zip(self._weights, row, strict=True)), i)
            for i, row in enumerate(rows)
        ]
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        return [replace(candidates[i], score=round(s, 6)) for s, i in scored]

    async def order(
        self,
        question: str,
        candidates: Sequence[Hit],
        *,
        preferences: Sequence[Condition],
        deadline: Deadline,
    ) -> Reranked:
        del deadline  # milliseconds of arithmetic: no time check worth making
        # Off the event loop all the same: 200 long candidates take far longer, and health
        # checks and other callers must not wait behind them.
        ranked = await asyncio.to_thread(self.rank, question, candidates, preferences=preferences)
        return Reranked(tuple(ranked), self.name)


MODEL_WINDOW = 20
"""Candidates the model sees: the lexical scorer's best; the rest keep its order after."""
MODEL_PASSAGE_CHARS = 1200


class ModelScorer:
    """A listwise model rerank of the lexical scorer's best `MODEL_WINDOW` candidates."""

    name = "model"

    def __init__(self, llm: LLM, *, lexical: LexicalScorer | None = None) -> None:
        self._llm = llm
        self._lexical = lexical or LexicalScorer()
        self._task = Task.load(
            "search.rerank",
            package=__package__,
            stem="rerank",
            offline=_offline_order,
            check=_check_order,
            max_tokens=300,
        )

    async def order(
        self,
        question: str,
        candidates: Sequence[Hit],
        *,
        preferences: Sequence[Condition],
        deadline: Deadline,
    ) -> Reranked:
        lexical = await self._lexical.order(
            question, candidates, preferences=preferences, deadline=deadline
        )
        ranked = list(lexical.hits)
        window, rest = ranked[:MODEL_WINDOW], ranked[MODEL_WINDOW:]
        if len(window) < 2:
            return Reranked(tuple(ranked), self._lexical.name)
        documents = evidence(window, max_chars=MODEL_PASSAGE_CHARS)
        result = await self._llm.run(
            self._task,
            TaskInput(values={"question": question}, documents=documents),
            deadline=deadline,
        )
        if not result.from_model:
            why = result.problems[0] if result.problems else "no model configured"
            return Reranked(tuple(ranked), self._lexical.name, result.usage, f"lexical: {why}")
        order = _complete([int(i) - 1 for i in result.output["ranking"]], len(window))
        top = [
            replace(window[i], score=round(1.0 - r / len(window), 6)) for r, i in enumerate(order)
        ]
        return Reranked(tuple(top + rest), self.name, result.usage)


def _complete(order: list[int], n: int) -> list[int]:
    """`order` without repeats, followed by the indices it left out, in their order."""
    seen = list(dict.fromkeys(i for i in order if 0 <= i < n))
    return seen + [i for i in range(n) if i not in seen]


def _offline_order(data: TaskInput) -> JSON:
    """The documents are already in the lexical order: keep it."""
    return {"ranking": [d.index for d in data.documents], "reason": "offline: lexical order"}


def _check_order(output: JSON, data: TaskInput) -> list[str]:
    indices = {d.index for d in data.documents}
    unknown = [i for i in output["ranking"] if i not in indices]
    if unknown:
        return [f"ranking names passages that were not given: {unknown[:5]}"]
    if len(set(output["ranking"])) != len(output["ranking"]):
        return ["ranking repeats a passage"]
    return []


class Reranker:
    """Puts a scorer to the candidates and keeps the best `top_k`."""

    def __init__(self, scorer: Scorer) -> None:
        self.scorer = scorer

    async def rerank(
        self,
        question: str,
        candidates: Sequence[Hit],
        *,
        top_k: int,
        preferences: Sequence[Condition] = (),
        deadline: Deadline,
    ) -> Reranked:
        ordered = await self.scorer.order(
            question, candidates, preferences=preferences, deadline=deadline
        )
        return replace(ordered, hits=ordered.hits[:top_k])

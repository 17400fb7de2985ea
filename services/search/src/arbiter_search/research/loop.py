"""The research loop (DESIGN §3): select fields, then rounds of retrieve → (expand) →
rerank → validate → decide, until the passages suffice or the round budget is spent.

Every round's candidates join one pool (fused by reciprocal rank across rounds), and the
reranker orders the whole pool against the original question, so a later round can only
add candidates: the final list is the best of every round. Each step is yielded as a
`Stage` (what it tried and why), and each round leaves a `Round` in the trace.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace

from arbiter_kit.deadline import Deadline
from arbiter_kit.errors import InvalidArgument
from arbiter_llm import LLM, OfflineLLM, Usage

from arbiter_search.graph import GraphExpander, merge
from arbiter_search.research.config import MAX_ROUNDS, ResearchConfig
from arbiter_search.research.field_selector import FieldSelector
from arbiter_search.research.rerank import LexicalScorer, ModelScorer, Reranker
from arbiter_search.research.retrieval import RetrievalQuery, Retriever
from arbiter_search.research.strategy import StrategyDecider
from arbiter_search.research.validator import Validator, Verdict
from arbiter_search.store.base import Hit
from arbiter_search.store.filters import Condition, FilterCompiler

DEFAULT_MAX_ROUNDS = ResearchConfig.default.research_rounds
DEFAULT_BUDGET_SECONDS = 30.0
RRF_K = 60
"""Reciprocal rank fusion's k when rounds' candidate lists are pooled."""


@dataclass(frozen=True)
class Stage:
    """A step of the loop worth telling the caller about."""

    name: str
    """Machine-readable: `select_fields`, `retrieve`, `rerank`, `validate`, `rewrite`,
    `widen`, `decide`."""
    message: str
    percent: float | None = None


@dataclass(frozen=True)
class Round:
    """What one round tried, what it found, and what the loop made of it."""

    number: int
    query: str
    conditions: tuple[Condition, ...]
    """The hard filters the round searched with."""
    hits: int
    """Passages the round retrieved."""
    decision: str


@dataclass(frozen=True)
class Findings:
    """The loop's result: the passages to answer from and the trace of rounds."""

    hits: tuple[Hit, ...]
    rounds: tuple[Round, ...]
    usage: Usage = field(default_factory=Usage)


def rounds_allowed(max_rounds: int, *, default: int = DEFAULT_MAX_ROUNDS) -> int:
    """The round budget a request asks for (0: `default`); InvalidArgument if out of range."""
    if not 0 <= max_rounds <= MAX_ROUNDS:
        raise InvalidArgument("max_rounds", f"must be 0..{MAX_ROUNDS} (0 means the default)")
    return max_rounds or default


class _Pool:
    """Candidates of every round so far, each once, in fused order."""

    def __init__(self) -> None:
        self._hits: dict[str, Hit] = {}
        self._fused: dict[str, float] = {}

    def add(self, found: Sequence[Hit]) -> int:
        """Pool one round's list (best first); returns how many were new."""
        top = max((h.score for h in found), default=0.0) or 1.0
        new = 0
        for rank, hit in enumerate(found):
            # Scores of different queries do not compare: keep each relative to its round.
            scaled = replace(hit, score=hit.score / top)
            known = self._hits.get(hit.id)
            if known is None:
                new += 1
                self._hits[hit.id] = scaled
            elif scaled.score > known.score:
                self._hits[hit.id] = scaled
            self._fused[hit.id] = self._fused.get(hit.id, 0.0) + 1.0 / (RRF_K + rank + 1)
        return new

    def hits(self) -> list[Hit]:
        order = sorted(self._fused, key=lambda i: -self._fused[i])
        return [self._hits[i] for i in order]

    def __len__(self) -> int:
        return len(self._hits)


def build_reranker(kind: str, llm: LLM) -> Reranker | None:
    """The reranker a `ResearchConfig.reranker` names (None for `none`)."""
    if kind == "none":
        return None
    if kind == "model":
        return Reranker(ModelScorer(llm))
    return Reranker(LexicalScorer())


class ResearchLoop:
    """Retrieval rounds until the passages suffice or the round budget is spent."""

    def __init__(
        self,
        retriever: Retriever,
        *,
        llm: LLM | None = None,
        compiler: FilterCompiler | None = None,
        config: ResearchConfig | None = None,
        graph: GraphExpander | None = None,
    ) -> None:
        llm = llm or OfflineLLM()
        self._retriever = retriever
        self._selector = FieldSelector(llm, compiler or FilterCompiler())
        config = config or ResearchConfig.default
        self._reranker = build_reranker(config.reranker, llm)
        self._validator = Validator(llm)
        self._strategy = StrategyDecider(llm)
        self._candidates = config.rerank_candidates
        self._graph = graph

    async def run(
        self,
        query: RetrievalQuery,
        *,
        max_rounds: int,
        tenant: str,
        deadline: Deadline | None = None,
    ) -> AsyncIterator[Stage | Findings]:
        """Yield a Stage for every step taken, then exactly one Findings. `query` holds
        the question, the caller's validated filters, hard in every round (no passage
        that fails one is retrieved, reached through the graph, or returned), and the
        stages the caller skips (`query.options`)."""
        deadline = deadline or Deadline.after(DEFAULT_BUDGET_SECONDS)
        selection = await self._selector.select(query.text, query.conditions, deadline=deadline)
        usage = selection.usage
        yield Stage("select_fields", f"{selection.describe()} ({selection.reason})", 5.0)
        reranker = None if query.options.disable_rerank else self._reranker
        size = max(query.top_k, self._candidates) if reranker else query.top_k
        pool = _Pool()
        rounds: list[Round] = []
        best: list[Hit] = []
        text, tried = query.text, [query.text]
        rewritten = False
        for number in range(1, max_rounds + 1):

            def at(within: float, n: int = number) -> float:
                return _progress(n, max_rounds, within)

            # A rewrite adds only its best few: a rewritten query's long tail shares the
            # question's words and crowds out the first round's answers (measured on dev).
            # A widened round searches afresh, with the full candidate pool.
            limit = query.top_k if rewritten else size
            retrieval = replace(query, text=text, conditions=selection.hard, top_k=limit)
            found = await self._retriever.retrieve(retrieval, tenant=tenant, deadline=deadline)
            yield Stage("retrieve", _retrieved(number, retrieval, found), at(0.3))
            if self._graph is not None and not query.options.disable_graph and found:
                extra = await self._graph.expand(
                    found[: query.top_k],
                    tenant=tenant,
                    conditions=selection.hard,
                    deadline=deadline,
                )
                found = merge(found, extra)
                yield Stage("expand", _expanded(number, extra), at(0.45))
            new = pool.add(found)
            if reranker is not None:
                ranked = await reranker.rerank(
                    query.text,
                    pool.hits(),
                    top_k=query.top_k,
                    preferences=selection.preferences,
                    deadline=deadline,
                )
                usage += ranked.usage
                best = list(ranked.hits)
                yield Stage(
                    "rerank",
                    _reranked(number, len(pool), new, ranked.scorer, ranked.note, best),
                    at(0.6),
                )
            else:
                best = pool.hits()[: query.top_k]
            if number == max_rounds:
                budget = (
                    "one round allowed"
                    if max_rounds == 1
                    else f"round budget spent ({number} of {max_rounds})"
                )
                decision = f"stop: {budget}" if best else f"stop: nothing matched; {budget}"
                rounds.append(Round(number, text, selection.hard, len(found), decision))
                yield Stage("decide", f"round {number}: {decision}", 100.0)
                break
            verdict = await self._validator.validate(query.text, best, deadline=deadline)
            usage += verdict.usage
            yield Stage("validate", f"round {number}: {_judged(verdict)}", at(0.8))
            if verdict.sufficient:
                decision = f"stop: the passages suffice ({verdict.reason})"
                rounds.append(Round(number, text, selection.hard, len(found), decision))
                yield Stage("decide", f"round {number}: {decision}", 100.0)
                break
            move = await self._strategy.decide(
                query.text,
                query=text,
                selection=selection,
                verdict=verdict,
                found=len(found),
                tried=tried,
                best=best,
                deadline=deadline,
            )
            usage += move.usage
            lacking = _lacking(verdict)
            if move.action == "stop":
                decision = f"stop: {lacking}; {move.reason}"
                rounds.append(Round(number, text, selection.hard, len(found), decision))
                yield Stage("decide", f"round {number}: {decision}", 100.0)
                break
            decision = f"{move.action}: {lacking}; {move.reason}"
            rounds.append(Round(number, text, selection.hard, len(found), decision))
            text, selection = move.query, move.selection
            rewritten = move.action == "rewrite"
            tried.append(text)
            yield Stage(
                move.action,
                f"round {number}: {lacking}; {move.reason}. Round {number + 1} searches"
                f" {_quoted(text)} with {selection.describe()}",
                at(1.0),
            )
        yield Findings(tuple(best), tuple(rounds), usage)


def _quoted(text: str, limit: int = 120) -> str:
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _retrieved(number: int, query: RetrievalQuery, found: list[Hit]) -> str:
    where = (
        f"filters {', '.join(c.field for c in query.conditions)}"
        if query.conditions
        else "no filters"
    )
    return f"round {number}: {len(found)} passages for {_quoted(query.text)} ({where})"


def _expanded(number: int, extra: list[Hit]) -> str:
    if not extra:
        return f"round {number}: the knowledge graph adds no cross-referenced passages"
    refs = ", ".join(f"{h.rulebook} {h.passage_ref}".strip() for h in extra[:5])
    more = ", ..." if len(extra) > 5 else ""
    return f"round {number}: the knowledge graph adds {len(extra)} passages ({refs}{more})"


def _reranked(number: int, pooled: int, new: int, scorer: str, note: str, best: list[Hit]) -> str:
    top = f"; best: {best[0].rulebook} {best[0].passage_ref}".rstrip() if best else ""
    why = f" ({note})" if note else ""
    added = f" ({new} new this round)" if number > 1 else ""
    return f"round {number}: {scorer} scorer ordered {pooled} candidates{added}{why}{top}"


def _judged(verdict: Verdict) -> str:
    outcome = "pass" if verdict.sufficient else "fail"
    missing = f"; missing: {', '.join(verdict.missing)}" if verdict.missing else ""
    return f"{outcome} (confidence {verdict.confidence:.2f}): {verdict.reason}{missing}"


def _lacking(verdict: Verdict) -> str:
    if verdict.missing:
        return f"passages lack {', '.join(verdict.missing[:6])}"
    return f"passages do not suffice ({verdict.reason})"


def _progress(number: int, max_rounds: int, within: float) -> float:
    """Percent done after `within` (0..1) of round `number`, counting the field selection
    as the first 10% and the round budget as the rest."""
    return round(10.0 + 90.0 * ((number - 1) + within) / max_rounds, 1)

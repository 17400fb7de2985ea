"""Reranking: the lexical scorer's order on constructed cases, the cut to top_k, and the
model scorer's listwise order (used when valid, the lexical order when not)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from arbiter_llm import OfflineLLM
from arbiter_search.research.rerank import FEATURES, WEIGHTS, LexicalScorer, ModelScorer, Reranker
from arbiter_search.store.base import Hit
from arbiter_search.store.filters import Condition

from tests.search.research.loop_support import hit, model_llm, soon
from tests.support.openai_server import OpenAIServer, Reply, model, model_server

__all__ = ["model", "model_server"]

QUESTION = "When must a suspicious activity report be filed with the Financial Intelligence Unit?"


def ids(hits: Sequence[Hit]) -> list[str]:
    return [h.source_id for h in hits]


def test_one_weight_per_feature() -> None:
    assert len(WEIGHTS) == len(FEATURES)
    with pytest.raises(ValueError):
        LexicalScorer(weights=(1.0,))


def test_the_passage_that_covers_the_question_rises_above_a_better_retrieval_score() -> None:
    candidates = [
        hit("near", "Reports of the Unit are published yearly.", score=10.0),
        hit("bare", "SUSPICIOUS ACTIVITY", score=9.0),
        hit(
            "gold",
            "A Relevant Person must file a suspicious activity report with the Financial "
            "Intelligence Unit without delay when it suspects money laundering.",
            score=6.0,
        ),
    ]
    assert ids(LexicalScorer().rank(QUESTION, candidates))[0] == "gold"


def test_a_bare_heading_sinks() -> None:
    candidates = [
        hit("heading", "Suspicious activity report", score=10.0),
        hit("rule", "The report of suspicious activity goes to the Intelligence Unit.", score=9.0),
    ]
    assert ids(LexicalScorer().rank(QUESTION, candidates)) == ["rule", "heading"]


def test_a_preference_breaks_a_tie() -> None:
    text = "A suspicious activity report is filed with the Financial Intelligence Unit."
    candidates = [hit("a", text, rulebook="GEN"), hit("b", text, rulebook="AML")]
    assert ids(LexicalScorer().rank(QUESTION, candidates)) == ["a", "b"]
    preferred = [Condition("rulebook", ("AML",))]
    assert ids(LexicalScorer().rank(QUESTION, candidates, preferences=preferred)) == ["b", "a"]


def test_a_cited_rule_number_prefers_passages_under_it() -> None:
    text = "The firm must keep records of the report."
    candidates = [hit("a", text, passage_ref="3.1.1"), hit("b", text, passage_ref="8.3.1.(2)")]
    preferred = [Condition("passage_ref", ("8.3.1",))]
    ranked = LexicalScorer().rank("What does 8.3.1 say?", candidates, preferences=preferred)
    assert ids(ranked) == ["b", "a"]


def test_a_passage_that_mentions_the_cited_rule_rises() -> None:
    candidates = [
        hit("a", "The firm must keep records of the report under Rule 18.3.1."),
        hit("b", "The firm must keep records of the report under Rule 8.3.1."),
    ]
    ranked = LexicalScorer().rank("What does Rule 8.3.1 require?", candidates)
    assert ids(ranked) == ["b", "a"]


async def test_the_reranker_cuts_to_top_k_and_scores_descend() -> None:
    candidates = [hit(f"p{i}", f"suspicious activity report number {i}") for i in range(6)]
    ranked = await Reranker(LexicalScorer()).rerank(QUESTION, candidates, top_k=3, deadline=soon())
    assert len(ranked.hits) == 3 and ranked.scorer == "lexical"
    scores = [h.score for h in ranked.hits]
    assert scores == sorted(scores, reverse=True)


async def test_the_model_order_is_used_when_valid(model: OpenAIServer) -> None:
    candidates = [hit(f"p{i}", f"suspicious activity report {i}", score=5 - i) for i in range(4)]
    lexical = ids(LexicalScorer().rank(QUESTION, candidates))
    model.script(Reply.json({"ranking": [3, 1], "reason": "passage 3 answers it"}))
    async with model_llm(model) as llm:
        ranked = await ModelScorer(llm).order(QUESTION, candidates, preferences=(), deadline=soon())
    assert ranked.scorer == "model" and ranked.usage.llm_calls == 1
    # The model's picks first, then what it left out, in the lexical order.
    assert ids(ranked.hits) == [lexical[2], lexical[0], lexical[1], lexical[3]]
    (request,) = model.chat_requests()
    assert "<documents>" in request.text() and "suspicious activity report" in request.text()


@pytest.mark.parametrize(
    "reply",
    [
        Reply.json({"ranking": [9], "reason": "a passage that was not given"}),
        Reply.json({"ranking": [1, 1], "reason": "a repeat"}),
        Reply.text("passage 2 is best"),
        Reply.error(500),
    ],
)
async def test_the_lexical_order_stands_when_the_model_fails(
    model: OpenAIServer, reply: Reply
) -> None:
    candidates = [hit(f"p{i}", f"suspicious activity report {i}", score=5 - i) for i in range(4)]
    model.script(reply)
    async with model_llm(model) as llm:
        ranked = await ModelScorer(llm).order(QUESTION, candidates, preferences=(), deadline=soon())
    assert ranked.scorer == "lexical" and ranked.note.startswith("lexical:")
    assert ids(ranked.hits) == ids(LexicalScorer().rank(QUESTION, candidates))


async def test_the_model_scorer_on_the_offline_provider_keeps_the_lexical_order() -> None:
    candidates = [hit(f"p{i}", f"suspicious activity report {i}", score=5 - i) for i in range(3)]
    ranked = await ModelScorer(OfflineLLM()).order(
        QUESTION, candidates, preferences=(), deadline=soon()
    )
    assert ids(ranked.hits) == ids(LexicalScorer().rank(QUESTION, candidates))

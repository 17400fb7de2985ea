"""The strategy decider: widen when hard filters held the round back, otherwise rewrite
towards what is missing (with glossary terms), stop when nothing new is left; a model's
move is used when valid and the rules stand in when not."""

from __future__ import annotations

import pytest
from arbiter_llm import OfflineLLM
from arbiter_search.research.field_selector import FieldSelection
from arbiter_search.research.strategy import (
    Move,
    StrategyDecider,
    expansions,
    feedback_words,
    focused_query,
)
from arbiter_search.research.validator import Verdict
from arbiter_search.store.filters import Condition

from tests.search.research.loop_support import model_llm, soon
from tests.support.openai_server import OpenAIServer, Reply, model, model_server

__all__ = ["model", "model_server"]

QUESTION = "What must an MLRO do with an STR about a customer?"
FAILED = Verdict(sufficient=False, missing=("MLRO", "STR"), confidence=0.8, reason="coverage")
FILTERED = FieldSelection(
    filters=(Condition("document_id", ("2",)),), preferences=(Condition("rulebook", ("GEN",)),)
)


async def decide(decider: StrategyDecider, selection: FieldSelection, tried: list[str]) -> Move:
    return await decider.decide(
        QUESTION,
        query=tried[-1],
        selection=selection,
        verdict=FAILED,
        found=2,
        tried=tried,
        deadline=soon(),
    )


def test_the_glossary_expands_abbreviations() -> None:
    assert "money laundering reporting officer" in expansions("MLRO")
    assert "suspicious transaction report" in expansions("the STR")
    assert expansions("nothing here") == []


def test_a_focused_query_leads_with_what_is_missing() -> None:
    query = focused_query(QUESTION, ["STR"])
    assert query.startswith("str suspicious transaction report")
    assert "customer" in query and "what" not in query.split()


def test_feedback_takes_words_the_best_passages_share_and_the_question_lacks() -> None:
    passages = [
        "The MLRO must report to the Financial Intelligence Unit promptly.",
        "Reports reach the Financial Intelligence Unit through goAML.",
        "Unrelated text about capital adequacy.",
    ]
    # "financial" is a word every question in the domain uses: no help in a query.
    assert set(feedback_words(QUESTION, passages)) == {"intelligence", "report", "unit"}
    assert "report" not in feedback_words("Who must report?", passages)


async def test_hard_filters_are_widened_into_preferences() -> None:
    move = await decide(StrategyDecider(OfflineLLM()), FILTERED, [QUESTION])
    assert move.action == "widen"
    assert move.query == QUESTION
    selection = move.selection
    assert selection.filters == ()
    assert selection.preferences == (
        Condition("document_id", ("2",)),
        Condition("rulebook", ("GEN",)),
    )
    assert "document_id in [2]" in move.reason


async def test_without_filters_the_query_is_rewritten_towards_the_missing_terms() -> None:
    move = await decide(StrategyDecider(OfflineLLM()), FieldSelection(), [QUESTION])
    assert move.action == "rewrite"
    assert move.query.startswith("mlro str")
    assert "money laundering reporting officer" in move.query
    assert "missing MLRO, STR" in move.reason


async def test_stops_when_every_rewrite_was_tried() -> None:
    tried = [QUESTION, focused_query(QUESTION, ["MLRO", "STR"]), focused_query(QUESTION, [])]
    move = await decide(StrategyDecider(OfflineLLM()), FieldSelection(), tried)
    assert move.action == "stop"


async def test_a_models_valid_rewrite_is_used(model: OpenAIServer) -> None:
    model.script(Reply.json({"action": "rewrite", "query": "MLRO duties STR", "reason": "focus"}))
    async with model_llm(model) as llm:
        move = await decide(StrategyDecider(llm), FieldSelection(), [QUESTION])
    assert (move.action, move.query) == ("rewrite", "MLRO duties STR")
    (request,) = model.chat_requests()
    assert '["MLRO", "STR"]' in request.text()


@pytest.mark.parametrize(
    "answer",
    [
        {"action": "widen", "query": "", "reason": "there are no filters to widen"},
        {"action": "rewrite", "query": "  ", "reason": "an empty query"},
        {"action": "jump", "query": "x", "reason": "not an action"},
    ],
)
async def test_a_malformed_move_falls_back_to_the_rules(
    model: OpenAIServer, answer: dict[str, str]
) -> None:
    model.script(Reply.json(answer))
    async with model_llm(model) as llm:
        move = await decide(StrategyDecider(llm), FieldSelection(), [QUESTION])
    assert move.action == "rewrite"
    assert "model answer rejected" in move.reason

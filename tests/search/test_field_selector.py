"""Field selection: the caller's hints are kept, bogus fields are refused, and each
condition is a hard filter or a preference by the rules; a model's choice is used when it
is valid and replaced by the rules when it is not."""

from __future__ import annotations

import pytest
from arbiter_llm import OfflineLLM
from arbiter_search.field_selector import FieldSelector
from arbiter_search.filters import Condition, FilterCompiler

from tests.search.loop_support import model_llm, soon
from tests.support.openai_server import OpenAIServer, Reply, model, model_server

__all__ = ["model", "model_server"]


def selector() -> FieldSelector:
    return FieldSelector(OfflineLLM(), FilterCompiler())


async def test_no_hints_and_no_names_select_nothing() -> None:
    chosen = await selector().select("What is client money?", [], deadline=soon())
    assert (chosen.filters, chosen.preferences) == ((), ())
    assert "no hints" in chosen.reason


async def test_a_rulebook_hint_is_kept_as_a_preference() -> None:
    hints = [Condition("rulebook", ("AML",))]
    chosen = await selector().select("When is a report filed?", hints, deadline=soon())
    assert chosen.filters == ()
    assert chosen.preferences == (Condition("rulebook", ("AML",)),)
    assert "rulebook in [AML]" in chosen.describe()


@pytest.mark.parametrize("field", ["document_id", "source_id", "passage_ref", "doc_type"])
async def test_hints_on_precise_fields_stay_hard_filters(field: str) -> None:
    hints = [Condition(field, ("x", "y"))]
    chosen = await selector().select("anything at all", hints, deadline=soon())
    assert chosen.filters == (Condition(field, ("x", "y")),)


async def test_rulebooks_and_rule_numbers_the_question_names_are_preferences() -> None:
    question = "Under COBS Rule 6.2.1, what must ADGM firms do with client money?"
    chosen = await selector().select(question, [], deadline=soon())
    assert chosen.filters == ()
    assert Condition("rulebook", ("COBS",)) in chosen.preferences  # ADGM names no rulebook
    assert Condition("passage_ref", ("6.2.1",)) in chosen.preferences


async def test_a_named_rulebook_joins_the_hinted_one() -> None:
    hints = [Condition("rulebook", ("AML",))]
    chosen = await selector().select("How does GEN treat this?", hints, deadline=soon())
    assert chosen.preferences == (Condition("rulebook", ("AML", "GEN")),)


async def test_a_models_valid_choice_is_used(model: OpenAIServer) -> None:
    answer = {
        "filters": [{"field": "rulebook", "any_of": ["AML"], "hard": True}],
        "reason": "the question says only AML",
    }
    model.script(Reply.json(answer))
    async with model_llm(model) as llm:
        chosen = await FieldSelector(llm, FilterCompiler()).select(
            "Only in AML: who files reports?", [], deadline=soon()
        )
    assert chosen.filters == (Condition("rulebook", ("AML",)),)
    assert chosen.reason == "the question says only AML"
    assert chosen.usage.llm_calls == 1
    (request,) = model.chat_requests()
    assert "Only in AML" in request.text() and "rulebook" in request.text()


@pytest.mark.parametrize(
    "answer",
    [
        {"filters": [{"field": "text", "any_of": ["x"], "hard": True}], "reason": "bogus field"},
        {"filters": [], "reason": "drops the caller's document filter"},
        {
            "filters": [{"field": "document_id", "any_of": ["7"], "hard": False}],
            "reason": "softens the caller's document filter",
        },
        {"filters": "rulebook", "reason": "not the schema"},
    ],
)
async def test_a_models_invalid_choice_falls_back_to_the_rules(
    model: OpenAIServer, answer: dict[str, object]
) -> None:
    model.script(Reply.json(answer))
    hints = [Condition("document_id", ("7",))]
    async with model_llm(model) as llm:
        chosen = await FieldSelector(llm, FilterCompiler()).select(
            "Who files reports?", hints, deadline=soon()
        )
    assert chosen.filters == (Condition("document_id", ("7",)),)
    assert "offline rules" in chosen.reason and "model answer rejected" in chosen.reason

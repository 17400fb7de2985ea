"""Field selection: the caller's filters are hard whatever the step says, bogus fields are
refused, and what the question names is a hard filter or a preference by the rules; a
model's choice is used when it is valid and replaced by the rules when it is not."""

from __future__ import annotations

from dataclasses import replace

import pytest
from arbiter_llm import OfflineLLM
from arbiter_search.research.field_selector import FieldSelector
from arbiter_search.store.filters import Condition, FilterCompiler

from tests.search.research.loop_support import model_llm, soon
from tests.support.openai_server import OpenAIServer, Reply, model, model_server

__all__ = ["model", "model_server"]


def selector() -> FieldSelector:
    return FieldSelector(OfflineLLM(), FilterCompiler())


async def test_no_filters_and_no_names_select_nothing() -> None:
    chosen = await selector().select("What is client money?", [], deadline=soon())
    assert (chosen.hard, chosen.preferences) == ((), ())
    assert "names no rulebook or rule" in chosen.reason


@pytest.mark.parametrize(
    "field", ["rulebook", "document_id", "source_id", "passage_ref", "doc_type"]
)
async def test_a_callers_filter_is_required_on_any_field(field: str) -> None:
    required = [Condition(field, ("x", "y"))]
    chosen = await selector().select("anything at all", required, deadline=soon())
    assert chosen.required == chosen.hard == (Condition(field, ("x", "y")),)
    assert chosen.preferences == ()
    assert f"filters {field} in [x, y]" in chosen.describe()


async def test_widening_keeps_the_callers_filters_hard() -> None:
    chosen = await selector().select("anything", [Condition("rulebook", ("AML",))], deadline=soon())
    widened = replace(chosen, filters=(Condition("doc_type", ("rule",)),)).widened()
    assert widened.hard == (Condition("rulebook", ("AML",)),)
    assert widened.preferences == (Condition("doc_type", ("rule",)),)


async def test_rulebooks_and_rule_numbers_the_question_names_are_preferences() -> None:
    question = "Under COBS Rule 6.2.1, what must ADGM firms do with client money?"
    chosen = await selector().select(question, [], deadline=soon())
    assert chosen.filters == ()
    assert Condition("rulebook", ("COBS",)) in chosen.preferences  # ADGM names no rulebook
    assert Condition("passage_ref", ("6.2.1",)) in chosen.preferences


async def test_a_named_rulebook_the_caller_did_not_restrict_to_is_a_preference() -> None:
    required = [Condition("rulebook", ("AML",))]
    chosen = await selector().select("How do GEN and AML treat this?", required, deadline=soon())
    assert chosen.hard == (Condition("rulebook", ("AML",)),)
    assert chosen.preferences == (Condition("rulebook", ("GEN",)),)


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


async def test_a_model_cannot_soften_or_drop_the_callers_filter(model: OpenAIServer) -> None:
    answer = {
        "filters": [{"field": "document_id", "any_of": ["7"], "hard": False}],
        "reason": "softens the caller's document filter",
    }
    model.script(Reply.json(answer))
    required = [Condition("document_id", ("8",))]
    async with model_llm(model) as llm:
        chosen = await FieldSelector(llm, FilterCompiler()).select(
            "Who files reports?", required, deadline=soon()
        )
    assert chosen.hard == (Condition("document_id", ("8",)),)
    assert chosen.preferences == (Condition("document_id", ("7",)),)


@pytest.mark.parametrize(
    "answer",
    [
        {"filters": [{"field": "text", "any_of": ["x"], "hard": True}], "reason": "bogus field"},
        {"filters": [{"field": "tenant", "any_of": ["acme"], "hard": True}], "reason": "scope"},
        {"filters": "rulebook", "reason": "not the schema"},
    ],
)
async def test_a_models_invalid_choice_falls_back_to_the_rules(
    model: OpenAIServer, answer: dict[str, object]
) -> None:
    model.script(Reply.json(answer))
    required = [Condition("document_id", ("7",))]
    async with model_llm(model) as llm:
        chosen = await FieldSelector(llm, FilterCompiler()).select(
            "Who files reports?", required, deadline=soon()
        )
    assert chosen.hard == (Condition("document_id", ("7",)),)
    assert "offline rules" in chosen.reason and "model answer rejected" in chosen.reason

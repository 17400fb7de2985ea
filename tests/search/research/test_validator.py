"""The validator: passages that hold the question's key terms pass; missing terms are
named; a model's verdict is used when valid and the coverage rules stand in when not."""

from __future__ import annotations

import pytest
from arbiter_llm import OfflineLLM
from arbiter_search.research.validator import Validator

from tests.search.research.loop_support import hit, model_llm, soon
from tests.support.openai_server import OpenAIServer, Reply, model, model_server

__all__ = ["model", "model_server"]

QUESTION = "How long must the money laundering reporting officer keep records of internal reports?"
GOLD = hit(
    "gold",
    "The money laundering reporting officer shall keep records of internal reports for at "
    "least six years.",
)
OFF_TOPIC = hit("off", "Client money must be held in a segregated account with an eligible bank.")


async def test_passages_that_cover_the_question_pass() -> None:
    verdict = await Validator(OfflineLLM()).validate(QUESTION, [GOLD, OFF_TOPIC], deadline=soon())
    assert verdict.sufficient
    assert verdict.missing == ()


async def test_passages_that_miss_the_subject_fail_and_say_what_is_missing() -> None:
    verdict = await Validator(OfflineLLM()).validate(QUESTION, [OFF_TOPIC], deadline=soon())
    assert not verdict.sufficient
    assert {"laundering", "officer", "internal"} <= set(verdict.missing)
    assert "money" not in verdict.missing  # the off-topic passage does hold it
    assert "key terms" in verdict.reason


async def test_no_passages_fail() -> None:
    verdict = await Validator(OfflineLLM()).validate(QUESTION, [], deadline=soon())
    assert not verdict.sufficient and verdict.missing
    assert "no passages" in verdict.reason


async def test_generic_words_are_never_missing() -> None:
    question = "What specific requirements does the ADGM regulator set for internal reports?"
    verdict = await Validator(OfflineLLM()).validate(question, [GOLD], deadline=soon())
    assert verdict.sufficient, verdict


async def test_a_models_valid_verdict_is_used(model: OpenAIServer) -> None:
    answer = {"sufficient": False, "missing": ["retention period"], "confidence": 0.7,
              "reason": "no passage gives the period"}  # fmt: skip
    model.script(Reply.json(answer))
    async with model_llm(model) as llm:
        verdict = await Validator(llm).validate(QUESTION, [GOLD], deadline=soon())
    assert (verdict.sufficient, verdict.missing) == (False, ("retention period",))
    assert verdict.usage.llm_calls == 1
    (request,) = model.chat_requests()
    assert "six years" in request.text()


@pytest.mark.parametrize(
    "reply",
    [
        Reply.json({"sufficient": "yes", "missing": [], "confidence": 1, "reason": "ok"}),
        Reply.json({"sufficient": True, "missing": [], "confidence": 7, "reason": "ok"}),
        Reply.text("They suffice."),
    ],
)
async def test_a_malformed_verdict_falls_back_to_the_coverage_rules(
    model: OpenAIServer, reply: Reply
) -> None:
    model.script(reply)
    async with model_llm(model) as llm:
        verdict = await Validator(llm).validate(QUESTION, [OFF_TOPIC], deadline=soon())
    assert not verdict.sufficient and "laundering" in verdict.missing
    assert "model answer rejected" in verdict.reason

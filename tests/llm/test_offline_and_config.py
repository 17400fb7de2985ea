"""The offline provider, the provider factory and the configuration."""

from __future__ import annotations

import pytest
from arbiter_kit.deadline import Deadline
from arbiter_kit.errors import DeadlineExceeded, InvalidArgument
from arbiter_llm import (
    Completed,
    Fragment,
    LLMConfig,
    OfflineLLM,
    OpenAICompatibleLLM,
    Outcome,
    Prompt,
    TaskInput,
    Usage,
    build_llm,
    with_llm,
)

from tests.llm.conftest import ANSWER_TASK, LABEL_TASK

DATA = TaskInput(values={"question": "What must a firm report?"})


async def test_offline_runs_the_rules() -> None:
    llm = OfflineLLM()
    result = await llm.run(LABEL_TASK, DATA, deadline=Deadline.after(1))
    assert result.outcome is Outcome.OFFLINE
    assert result.output == LABEL_TASK.run_offline(DATA)
    assert result.usage.llm_calls == 0
    assert LABEL_TASK.problems(result.output, DATA) == []


async def test_offline_stream_yields_fragments_then_one_completed() -> None:
    events = [e async for e in OfflineLLM().stream(ANSWER_TASK, DATA, deadline=Deadline.after(1))]
    *fragments, last = events
    assert isinstance(last, Completed)
    assert all(isinstance(f, Fragment) for f in fragments) and len(fragments) >= 2
    assert (
        "".join(f.text for f in fragments if isinstance(f, Fragment))
        == (last.result.output["answer"])
    )


async def test_offline_refuses_an_expired_deadline() -> None:
    with pytest.raises(DeadlineExceeded):
        await OfflineLLM().run(LABEL_TASK, DATA, deadline=Deadline.after(0))


def test_usage_sums_and_becomes_the_common_message() -> None:
    total = Usage(llm_calls=1, prompt_tokens=10, completion_tokens=3) + Usage(1, 5, 2)
    message = total.message()
    assert (message.llm_calls, message.prompt_tokens, message.completion_tokens) == (2, 15, 5)


def test_config_defaults_to_offline() -> None:
    config = LLMConfig.from_env({})
    assert config == LLMConfig.default
    assert config.provider == "offline"
    assert isinstance(build_llm(config), OfflineLLM)


async def test_config_reads_the_openai_settings() -> None:
    config = LLMConfig.from_env(
        {
            "LLM_PROVIDER": "OpenAI",
            "LLM_BASE_URL": "http://127.0.0.1:9/v1",
            "LLM_API_KEY": "k",
            "LLM_MODEL": "m",
            "LLM_TIMEOUT_SECONDS": "7.5",
        }
    )
    assert (config.provider, config.base_url, config.api_key, config.model) == (
        "openai",
        "http://127.0.0.1:9/v1",
        "k",
        "m",
    )
    assert config.timeout_seconds == 7.5
    llm = build_llm(config)
    assert isinstance(llm, OpenAICompatibleLLM)
    await llm.aclose()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("LLM_PROVIDER", "gpt"),
        ("LLM_TIMEOUT_SECONDS", "0"),
        ("LLM_TIMEOUT_SECONDS", "soon"),
        ("LLM_MAX_RETRIES", "6"),
    ],
)
def test_config_rejects_bad_values(key: str, value: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        LLMConfig.from_env({key: value})
    assert caught.value.field == key


async def test_with_llm_builds_on_the_configured_provider_and_closes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LLM_PROVIDER", "openai")
    monkeypatch.setenv("LLM_BASE_URL", "http://127.0.0.1:9/v1")
    async with with_llm(lambda llm: ("built", llm))() as (built, llm):
        assert built == "built"
        assert isinstance(llm, OpenAICompatibleLLM)
        assert not llm._client.is_closed()
    assert llm._client.is_closed()


def test_prompt_files_need_both_sections() -> None:
    with pytest.raises(ValueError):
        Prompt.parse("## system\nonly a system part")

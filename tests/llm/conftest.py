"""Fixtures for the LLM interface: the local OpenAI-compatible server, a small task."""

from __future__ import annotations

import pytest
from arbiter_llm import JSON, LLMConfig, OpenAICompatibleLLM, Prompt, Task, TaskInput

from tests.support.openai_server import OpenAIServer, model, model_server

__all__ = ["model", "model_server"]  # fixtures shared with the test modules


@pytest.fixture
def server(model: OpenAIServer) -> OpenAIServer:
    return model


@pytest.fixture
def llm_config(server: OpenAIServer) -> LLMConfig:
    return LLMConfig(provider="openai", base_url=server.base_url, model="test-model", max_retries=0)


@pytest.fixture
async def llm(llm_config: LLMConfig) -> OpenAICompatibleLLM:
    provider = OpenAICompatibleLLM(llm_config)
    yield provider  # type: ignore[misc]
    await provider.aclose()


PROMPT = Prompt.parse(
    """
## system
You label a question. Answer in JSON.
## user
<question>$question</question>
$documents
"""
)


def _label_offline(data: TaskInput) -> JSON:
    return {"label": "offline", "score": len(data.values["question"]) % 10}


LABEL_TASK = Task(
    name="test.label",
    prompt=PROMPT,
    schema={
        "type": "object",
        "required": ["label", "score"],
        "properties": {
            "label": {"type": "string", "minLength": 1},
            "score": {"type": "integer", "minimum": 0},
        },
        "additionalProperties": False,
    },
    offline=_label_offline,
)


def _parse_answer(text: str, data: TaskInput) -> JSON:
    import re

    del data
    return {"answer": text, "cited": sorted({int(n) for n in re.findall(r"\[(\d+)\]", text)})}


def _check_answer(output: JSON, data: TaskInput) -> list[str]:
    return [f"[{n}] names no document" for n in output["cited"] if n > len(data.documents)]


def _answer_offline(data: TaskInput) -> JSON:
    return {"answer": "Offline answer one [1]. Offline answer two [1].", "cited": [1]}


ANSWER_TASK = Task(
    name="test.answer",
    prompt=PROMPT,
    schema={
        "type": "object",
        "required": ["answer", "cited"],
        "properties": {
            "answer": {"type": "string", "minLength": 1},
            "cited": {"type": "array", "items": {"type": "integer", "minimum": 1}},
        },
    },
    offline=_answer_offline,
    check=_check_answer,
    parse_text=_parse_answer,
)

"""Helpers for the research loop's component tests: hits made by hand, and the LLM
providers (offline, and OpenAI-compatible on the local test server) to run steps on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from arbiter_kit.deadline import Deadline
from arbiter_llm import LLMConfig, OpenAICompatibleLLM
from arbiter_search.store.base import Hit

from tests.support.openai_server import OpenAIServer


def hit(
    source_id: str,
    text: str,
    *,
    score: float = 1.0,
    rulebook: str = "AML",
    passage_ref: str = "1.1.1",
    title: str = "",
) -> Hit:
    return Hit(
        id=f"{source_id}#0",
        source_id=source_id,
        chunk_index=0,
        document_id="1",
        rulebook=rulebook,
        passage_ref=passage_ref,
        title=title or f"{rulebook} — {passage_ref}",
        doc_type="",
        text=text,
        score=score,
    )


def soon() -> Deadline:
    return Deadline.after(10)


@asynccontextmanager
async def model_llm(server: OpenAIServer) -> AsyncIterator[OpenAICompatibleLLM]:
    """The OpenAI-compatible provider on the local test server, no client retries."""
    llm = OpenAICompatibleLLM(LLMConfig(provider="openai", base_url=server.base_url, max_retries=0))
    try:
        yield llm
    finally:
        await llm.aclose()

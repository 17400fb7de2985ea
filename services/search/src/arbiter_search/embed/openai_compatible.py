"""An `Embedder` on any OpenAI-compatible `POST /embeddings` endpoint. Every call is
bounded by the caller's deadline (or the configured timeout); a failed call is counted
as a dependency failure and surfaces as Unavailable."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import openai
from arbiter_kit import metrics
from arbiter_kit.deadline import Deadline
from arbiter_kit.errors import Unavailable
from arbiter_llm.openai_compatible import failure_reason

from arbiter_search.embed.base import Vector

log = logging.getLogger(__name__)

DEPENDENCY = "embeddings"
BATCH = 128
"""Inputs per request (OpenAI accepts up to 2048; smaller batches fail less at once)."""


class OpenAIEmbedder:
    """Vectors from `model` at `base_url`, which must be `dim`-dimensional."""

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        dim: int,
        api_key: str = "",
        timeout_seconds: float = 30.0,
        client: openai.AsyncOpenAI | None = None,
    ) -> None:
        self.name = f"openai:{model}"
        self.dim = dim
        self._model = model
        self._timeout = timeout_seconds
        self._client = client or openai.AsyncOpenAI(
            base_url=base_url, api_key=api_key or "unused", max_retries=0, timeout=timeout_seconds
        )

    async def embed_documents(
        self, texts: Sequence[str], *, deadline: Deadline | None = None
    ) -> list[Vector]:
        vectors: list[Vector] = []
        for start in range(0, len(texts), BATCH):
            vectors += await self._embed(list(texts[start : start + BATCH]), deadline)
        return vectors

    async def embed_query(self, text: str, *, deadline: Deadline | None = None) -> Vector:
        (vector,) = await self._embed([text], deadline)
        return vector

    async def _embed(self, texts: list[str], deadline: Deadline | None) -> list[Vector]:
        timeout = self._timeout if deadline is None else deadline.timeout(cap=self._timeout)
        try:
            async with asyncio.timeout(timeout):
                response = await self._client.embeddings.create(
                    model=self._model, input=texts, encoding_format="float", timeout=timeout
                )
        except (openai.OpenAIError, TimeoutError) as exc:
            raise self._failure(failure_reason(exc)) from exc
        data = sorted(response.data, key=lambda d: d.index)
        if len(data) != len(texts):
            raise self._failure(f"count: {len(data)} vectors for {len(texts)} inputs")
        vectors = [list(d.embedding) for d in data]
        if any(len(v) != self.dim for v in vectors):
            found = next(len(v) for v in vectors if len(v) != self.dim)
            raise self._failure(
                f"dimension: the endpoint returned {found}-d vectors; "
                f"SEARCH_EMBEDDINGS_DIM is {self.dim}"
            )
        return vectors

    def _failure(self, reason: str) -> Unavailable:
        metrics.DEPENDENCY_FAILURES.labels(DEPENDENCY, reason.split(":", 1)[0]).inc()
        log.error("embeddings call failed", extra={"embedder": self.name, "reason": reason})
        return Unavailable("the embeddings service failed; try again")

    async def close(self) -> None:
        await self._client.close()

"""The `Embedder` interface: text in, unit-length dense vectors out, for the dense leg of
hybrid retrieval. Implementations: the offline model committed with the package
(`embed.local`) and any OpenAI-compatible embeddings endpoint (`embed.openai_compatible`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from arbiter_kit.deadline import Deadline

from arbiter_search.embed.config import NONE, OPENAI, EmbedderConfig

Vector = list[float]


class Embedder(Protocol):
    """Turns passages and queries into vectors of one model, of `dim` dimensions.

    `name` identifies the model (and anything else that changes its vectors): a
    collection records the name that filled it and refuses another.
    """

    name: str
    dim: int

    async def embed_documents(
        self, texts: Sequence[str], *, deadline: Deadline | None = None
    ) -> list[Vector]:
        """One vector per text, in order. Heavy work runs off the event loop."""
        ...

    async def embed_query(self, text: str, *, deadline: Deadline | None = None) -> Vector:
        """The vector a query is searched with; ends by `deadline`."""
        ...

    async def close(self) -> None: ...


def open_embedder(config: EmbedderConfig) -> Embedder | None:
    """The embedder `config` names, loaded (offline model) or connected lazily (endpoint);
    None when dense retrieval is switched off."""
    if config.kind == NONE:
        return None
    if config.kind == OPENAI:
        from arbiter_search.embed.openai_compatible import OpenAIEmbedder

        return OpenAIEmbedder(
            base_url=config.endpoint.base_url,
            model=config.endpoint.model,
            dim=config.endpoint.dim,
            api_key=config.endpoint.api_key,
            timeout_seconds=config.endpoint.timeout,
        )
    from arbiter_search.embed.local import LocalEmbedder

    return LocalEmbedder.load(config.kind, threads=config.threads)

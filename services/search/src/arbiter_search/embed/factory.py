"""The embedder a configuration names: the one place that knows every implementation
(each is imported only when chosen, so a BM25-only service never loads the model)."""

from __future__ import annotations

from arbiter_search.embed.base import Embedder
from arbiter_search.embed.config import NONE, OPENAI, EmbedderConfig


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

"""The `Embedder` interface: text in, unit-length dense vectors out, for the dense leg of
hybrid retrieval. Implementations: the offline model committed with the package
(`local_embedder`) and any OpenAI-compatible embeddings endpoint (`openai_embedder`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from arbiter_kit.deadline import Deadline

if TYPE_CHECKING:
    from arbiter_search.config import EmbedderConfig

Vector = list[float]

MODELS_DIR = Path(__file__).parent / "models"
"""The offline models this package carries, one folder each (see scripts/build_embedder.py)."""
DEFAULT_OFFLINE_MODEL = "minilm-l6-v2-int8"
NONE = "none"
OPENAI = "openai"


def offline_models() -> list[str]:
    """Names of the offline models this package carries."""
    if not MODELS_DIR.is_dir():
        return []
    return sorted(p.name for p in MODELS_DIR.iterdir() if (p / "manifest.json").is_file())


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
        from arbiter_search.openai_embedder import OpenAIEmbedder

        return OpenAIEmbedder(
            base_url=config.base_url,
            model=config.model,
            dim=config.dim,
            api_key=config.api_key,
            timeout_seconds=config.timeout_seconds,
        )
    from arbiter_search.local_embedder import LocalEmbedder

    return LocalEmbedder.load(config.kind, threads=config.threads)

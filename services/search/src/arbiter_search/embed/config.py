"""The embedder's settings, read once from the environment at start-up, and the offline
models this package carries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from arbiter_kit.config import env_int, env_override, env_str
from arbiter_kit.errors import InvalidArgument

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


@dataclass(frozen=True)
class EmbeddingsEndpoint:
    """An OpenAI-compatible embeddings endpoint (`SEARCH_EMBEDDINGS_*`)."""

    default: ClassVar[EmbeddingsEndpoint]

    base_url: str = ""
    """The endpoint's base URL (e.g. `https://api.openai.com/v1`)."""
    api_key: str = ""
    model: str = ""
    """The endpoint's embeddings model."""
    dim: int = 0
    """The model's vector dimension."""
    timeout: float = 30.0
    """Seconds one call may take (a caller's shorter deadline wins)."""

    def validate(self) -> None:
        """Raise InvalidArgument naming the setting at fault (the endpoint is in use)."""
        if not self.base_url:
            raise InvalidArgument("SEARCH_EMBEDDINGS_BASE_URL", "required with openai")
        if not self.model:
            raise InvalidArgument("SEARCH_EMBEDDINGS_MODEL", "required with openai")
        if not 1 <= self.dim <= 32_768:
            raise InvalidArgument("SEARCH_EMBEDDINGS_DIM", "required with openai: 1..32768")


EmbeddingsEndpoint.default = EmbeddingsEndpoint()


@dataclass(frozen=True)
class EmbedderConfig:
    """Which embedder fills the dense field: an offline model, an endpoint, or none."""

    default: ClassVar[EmbedderConfig]

    kind: str = DEFAULT_OFFLINE_MODEL
    """An offline model's name, `openai` (an OpenAI-compatible endpoint), or `none`."""
    endpoint: EmbeddingsEndpoint = field(default_factory=EmbeddingsEndpoint)
    """The endpoint; `openai` only."""
    threads: int = 0
    """Threads of the offline model (0: up to 4, as the machine has)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> EmbedderConfig:
        """Read `SEARCH_EMBEDDER`, `SEARCH_EMBEDDER_THREADS` and the endpoint's
        `SEARCH_EMBEDDINGS_*` (not validated: `SearchConfig` validates the whole)."""
        default = cls.default
        # The kind and the thread count are named after the embedder rather than after
        # a field under one prefix, so they are read by name.
        return cls(
            kind=env_str(env, "SEARCH_EMBEDDER", default.kind).strip(),
            endpoint=env_override(env, "SEARCH_EMBEDDINGS", default.endpoint),
            threads=env_int(env, "SEARCH_EMBEDDER_THREADS", default.threads),
        )

    def validate(self) -> None:
        """Raise InvalidArgument naming the setting at fault."""
        if self.kind == OPENAI:
            self.endpoint.validate()
        elif self.kind != NONE and self.kind not in offline_models():
            choices = ", ".join([*offline_models(), OPENAI, NONE])
            raise InvalidArgument("SEARCH_EMBEDDER", f"unknown {self.kind!r}; one of {choices}")
        if self.endpoint.timeout <= 0:
            raise InvalidArgument("SEARCH_EMBEDDINGS_TIMEOUT", "must be > 0")
        if not 0 <= self.threads <= 64:
            raise InvalidArgument("SEARCH_EMBEDDER_THREADS", "must be 0..64")


EmbedderConfig.default = EmbedderConfig()

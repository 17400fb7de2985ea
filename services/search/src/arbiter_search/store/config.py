"""The store's search settings, read once from the environment at start-up: how a
search runs its retrievers and fuses their lists."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from arbiter_kit.config import env_override
from arbiter_kit.errors import InvalidArgument

DEFAULT_TENANT = "default"
"""Tenant of calls that carry none, until authentication names one (DESIGN §6)."""


@dataclass(frozen=True)
class HybridConfig:
    """How a search runs its retrievers and fuses their lists (`SEARCH_<FIELD>`)."""

    default: ClassVar[HybridConfig]

    fusion: str = "rrf"
    """`rrf` (reciprocal rank fusion) or `weighted` (normalised scores, weighted)."""
    rrf_k: int = 60
    """RRF's k: a larger k flattens the advantage of the top ranks."""
    dense_weight: float = 0.5
    """`weighted` only: the dense list's weight; BM25 gets 1 - dense_weight."""
    prune_query: bool = True
    """Drop stop words from the BM25 query text: fewer posting lists to scan, so faster
    (Milvus Lite ignores the analyzer's stop-word filter)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> HybridConfig:
        """Read `SEARCH_FUSION` (any case), `SEARCH_RRF_K`, `SEARCH_DENSE_WEIGHT`,
        `SEARCH_PRUNE_QUERY`."""
        config = env_override(env, "SEARCH", cls.default)
        return dataclasses.replace(config, fusion=config.fusion.strip().lower())

    def validate(self) -> None:
        """Raise InvalidArgument naming the setting at fault."""
        if self.fusion not in ("rrf", "weighted"):
            raise InvalidArgument("SEARCH_FUSION", "rrf or weighted")
        if not 1 <= self.rrf_k <= 16_384:
            raise InvalidArgument("SEARCH_RRF_K", "must be 1..16384")
        if not 0.0 <= self.dense_weight <= 1.0:
            raise InvalidArgument("SEARCH_DENSE_WEIGHT", "must be 0..1")


HybridConfig.default = HybridConfig()

"""The research loop's settings, read once from the environment at start-up."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from arbiter_kit.config import env_override
from arbiter_kit.errors import InvalidArgument

RERANKERS = ("lexical", "model", "none")
MAX_ROUNDS = 5
MAX_CANDIDATES = 200


@dataclass(frozen=True)
class ResearchConfig:
    """How the research loop finds, orders and checks passages (`SEARCH_<FIELD>`)."""

    default: ClassVar[ResearchConfig]

    reranker: str = "lexical"
    """`lexical` (the offline feature blend), `model` (a listwise rerank by the configured
    LLM over the lexical order's best, falling back to it), or `none` (retrieval order)."""
    rerank_candidates: int = 50
    """Passages each round retrieves for the reranker to choose the top_k from."""
    research_rounds: int = 1
    """Rounds a request that sets no `max_rounds` may take."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ResearchConfig:
        """Read `SEARCH_RERANKER` (any case), `SEARCH_RERANK_CANDIDATES` and
        `SEARCH_RESEARCH_ROUNDS`."""
        config = env_override(os.environ if env is None else env, "SEARCH", cls.default)
        config = dataclasses.replace(config, reranker=config.reranker.strip().lower())
        config.validate()
        return config

    def validate(self) -> None:
        """Raise InvalidArgument naming the setting at fault."""
        if self.reranker not in RERANKERS:
            raise InvalidArgument("SEARCH_RERANKER", f"one of {', '.join(RERANKERS)}")
        if not 1 <= self.rerank_candidates <= MAX_CANDIDATES:
            raise InvalidArgument("SEARCH_RERANK_CANDIDATES", f"must be 1..{MAX_CANDIDATES}")
        if not 1 <= self.research_rounds <= MAX_ROUNDS:
            raise InvalidArgument("SEARCH_RESEARCH_ROUNDS", f"must be 1..{MAX_ROUNDS}")


ResearchConfig.default = ResearchConfig()

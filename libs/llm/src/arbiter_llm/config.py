"""The LLM configuration: which provider answers the LLM-backed steps, read once at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal

from arbiter_kit.config import env_override
from arbiter_kit.errors import InvalidArgument

Provider = Literal["offline", "openai"]


@dataclass(frozen=True)
class LLMConfig:
    """Which provider runs the LLM-backed steps, and how to reach a model."""

    default: ClassVar[LLMConfig]
    """The defaults below, as one shared instance."""

    provider: Provider = "offline"
    """`offline` (deterministic rules, no model) or `openai` (any OpenAI-compatible endpoint)."""
    base_url: str = "http://127.0.0.1:8000/v1"
    """Base URL of the OpenAI-compatible API, including `/v1`."""
    api_key: str = ""
    """Bearer key for the endpoint; local servers usually accept any value."""
    model: str = "gpt-4o-mini"
    """Model name sent with every request."""
    timeout_seconds: float = 30.0
    """Cap on one model call; the caller's remaining deadline shortens it further."""
    max_retries: int = 1
    """Client-side retries of a failed model call, inside the same deadline."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LLMConfig:
        """Read `LLM_<FIELD>` for every field (`LLM_PROVIDER`, `LLM_BASE_URL`, ...)."""
        config = env_override(os.environ if env is None else env, "LLM", cls.default)
        if config.timeout_seconds <= 0:
            raise InvalidArgument("LLM_TIMEOUT_SECONDS", "must be positive")
        if not 0 <= config.max_retries <= 5:
            raise InvalidArgument("LLM_MAX_RETRIES", "must be between 0 and 5")
        return config


LLMConfig.default = LLMConfig()

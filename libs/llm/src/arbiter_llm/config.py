"""The LLM configuration: which provider answers the LLM-backed steps, read once at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from arbiter_kit.config import env_float, env_int, env_str
from arbiter_kit.errors import InvalidArgument

Provider = Literal["offline", "openai"]
PROVIDERS: tuple[Provider, ...] = ("offline", "openai")


@dataclass(frozen=True)
class LLMConfig:
    """Which provider runs the LLM-backed steps, and how to reach a model."""

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
        """Read `LLM_PROVIDER`, `LLM_BASE_URL`, `LLM_API_KEY`, `LLM_MODEL`,
        `LLM_TIMEOUT_SECONDS` and `LLM_MAX_RETRIES`."""
        e = os.environ if env is None else env
        default = cls()
        provider = env_str(e, "LLM_PROVIDER", default.provider).strip().lower()
        if provider not in PROVIDERS:
            raise InvalidArgument("LLM_PROVIDER", f"expected one of {PROVIDERS}, got {provider!r}")
        timeout = env_float(e, "LLM_TIMEOUT_SECONDS", default.timeout_seconds)
        if timeout <= 0:
            raise InvalidArgument("LLM_TIMEOUT_SECONDS", "must be positive")
        retries = env_int(e, "LLM_MAX_RETRIES", default.max_retries)
        if not 0 <= retries <= 5:
            raise InvalidArgument("LLM_MAX_RETRIES", "must be between 0 and 5")
        return cls(
            provider="openai" if provider == "openai" else "offline",
            base_url=env_str(e, "LLM_BASE_URL", default.base_url),
            api_key=env_str(e, "LLM_API_KEY", default.api_key),
            model=env_str(e, "LLM_MODEL", default.model),
            timeout_seconds=timeout,
            max_retries=retries,
        )

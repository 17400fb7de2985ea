"""The gateway's configuration, read once at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from arbiter_kit.client import DownstreamConfig
from arbiter_kit.config import env_float, env_int


@dataclass(frozen=True)
class GatewayConfig:
    """How the gateway runs sessions and reaches the workers."""

    request_budget_seconds: float = 60.0
    """Budget of an Ask whose caller set no deadline (a caller's deadline wins if shorter)."""
    planning_timeout_seconds: float = 10.0
    """Cap on the planner call."""
    step_timeout_seconds: float = 45.0
    """Cap on any one step."""
    max_question_chars: int = 4000
    """Longest question accepted."""
    max_sessions: int = 1000
    """Finished sessions kept in memory for GetSession and Resume; oldest go first."""
    planner: DownstreamConfig = field(
        default_factory=lambda: DownstreamConfig(name="planner", target="127.0.0.1:50052")
    )
    search: DownstreamConfig = field(
        default_factory=lambda: DownstreamConfig(name="search", target="127.0.0.1:50053")
    )
    analysis: DownstreamConfig = field(
        default_factory=lambda: DownstreamConfig(name="analysis", target="127.0.0.1:50054")
    )
    audit: DownstreamConfig = field(
        default_factory=lambda: DownstreamConfig(name="audit", target="127.0.0.1:50055")
    )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GatewayConfig:
        e = os.environ if env is None else env
        return cls(
            request_budget_seconds=env_float(e, "GATEWAY_REQUEST_BUDGET_SECONDS", 60.0),
            planning_timeout_seconds=env_float(e, "GATEWAY_PLANNING_TIMEOUT_SECONDS", 10.0),
            step_timeout_seconds=env_float(e, "GATEWAY_STEP_TIMEOUT_SECONDS", 45.0),
            max_question_chars=env_int(e, "GATEWAY_MAX_QUESTION_CHARS", 4000),
            max_sessions=env_int(e, "GATEWAY_MAX_SESSIONS", 1000),
            planner=DownstreamConfig.from_env("planner", default_target="127.0.0.1:50052", env=e),
            search=DownstreamConfig.from_env("search", default_target="127.0.0.1:50053", env=e),
            analysis=DownstreamConfig.from_env("analysis", default_target="127.0.0.1:50054", env=e),
            audit=DownstreamConfig.from_env("audit", default_target="127.0.0.1:50055", env=e),
        )

"""The gateway's configuration, read once at start-up."""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from arbiter_kit.addresses import local_target
from arbiter_kit.client import DownstreamConfig
from arbiter_kit.config import NOT_FROM_ENV, env_override
from arbiter_kit.limits import MAX_QUESTION_CHARS

from arbiter_gateway.approval import ApprovalPolicy


def _worker(name: str) -> DownstreamConfig:
    """The worker `name` where it listens by default."""
    return DownstreamConfig(name=name, target=local_target(name))


@dataclass(frozen=True)
class GatewayConfig:
    """How the gateway runs sessions and reaches the workers."""

    default: ClassVar[GatewayConfig]
    """The defaults below, as one shared instance."""

    request_budget_seconds: float = 60.0
    """Budget of an Ask whose caller set no deadline (a caller's deadline wins if shorter)."""
    planning_timeout_seconds: float = 10.0
    """Cap on the planner call."""
    step_timeout_seconds: float = 45.0
    """Cap on any one step."""
    max_question_chars: int = MAX_QUESTION_CHARS
    """Longest question accepted (the workers refuse longer than the contract's limit)."""
    max_sessions: int = 1000
    """Without a database: sessions kept in memory for GetSession and Resume (the oldest
    finished go first)."""
    database_url: str = ""
    """PostgreSQL of the event log (docs/sessions.md); empty: sessions live in this process
    only (one replica, nothing survives a restart)."""
    database_timeout_seconds: float = 5.0
    """Cap on any one call to the event log's database."""
    redis_url: str = ""
    """Redis for word of new events between replicas; empty: in-process (one replica, or
    replicas that learn of another's events by polling the log)."""
    poll_seconds: float = 1.0
    """How often a follower of a session run elsewhere reads the log without word of it."""
    lease_seconds: float = 30.0
    """How long this replica's claim on its running sessions holds without renewal."""
    retention_days: float = 90.0
    """Finished sessions older than this are deleted (per-tenant overrides: docs/sessions.md)."""
    retention_max_sessions: int = 100_000
    """Most finished sessions kept per tenant; the oldest go first."""
    prune_interval_seconds: float = 3600.0
    """How often the gateway applies the retention (0: never; `arbiter sessions prune`)."""
    approval_policy: str = ""
    """Plans that need a decision before they run, per tenant: `tenant:intent,...`, `*` for
    any tenant (e.g. `*:judgement`); a caller may also ask with `require_approval`."""
    approval_timeout_seconds: float = 300.0
    """How long a plan awaits its decision before the session ends (APPROVAL_EXPIRED)."""
    # The workers' settings are `<WORKER>_*`, not `GATEWAY_<WORKER>_*`: from_env reads them.
    planner: DownstreamConfig = field(default=_worker("planner"), metadata=NOT_FROM_ENV)
    """The planner."""
    search: DownstreamConfig = field(default=_worker("search"), metadata=NOT_FROM_ENV)
    """The search service."""
    analysis: DownstreamConfig = field(default=_worker("analysis"), metadata=NOT_FROM_ENV)
    """The analysis service."""
    audit: DownstreamConfig = field(default=_worker("audit"), metadata=NOT_FROM_ENV)
    """The audit service."""

    @functools.cached_property
    def approval(self) -> ApprovalPolicy:
        """`approval_policy`, parsed."""
        return ApprovalPolicy.parse(self.approval_policy)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GatewayConfig:
        """Read `GATEWAY_<FIELD>` for the gateway's own fields and `<WORKER>_*` for each
        worker (see `DownstreamConfig.from_env`)."""
        e = os.environ if env is None else env
        own = env_override(e, "GATEWAY", cls.default)

        def worker(name: str) -> DownstreamConfig:
            return DownstreamConfig.from_env(name, default_target=local_target(name), env=e)

        own.approval  # noqa: B018 - a malformed policy fails at start-up, naming its setting
        return dataclasses.replace(
            own,
            planner=worker("planner"),
            search=worker("search"),
            analysis=worker("analysis"),
            audit=worker("audit"),
        )


GatewayConfig.default = GatewayConfig()

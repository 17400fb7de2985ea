"""The audit service's settings, read once from the environment at start-up: when the
trial is held and how regulation matching searches (`AUDIT_*`), and how the service
reaches search (`SEARCH_*`, the same settings the gateway reads)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from arbiter_kit.addresses import local_target
from arbiter_kit.client import DownstreamConfig
from arbiter_kit.config import NOT_FROM_ENV, env_override

TrialSetting = Literal["on_breach", "always", "never"]


@dataclass(frozen=True)
class AuditConfig:
    """How Judge runs the SOP and the trial."""

    default: ClassVar[AuditConfig]
    """The defaults below, as one shared instance."""

    trial: TrialSetting = "on_breach"
    """When the adversarial trial is held, unless a request says otherwise."""
    search_queries: int = 4
    """Most searches regulation matching makes of its own, one per group of facts."""
    search_top_k: int = 5
    """Passages each of those searches asks for."""
    situation_top_k: int = 20
    """Passages its search for the whole situation asks for: a paraphrase reaches its
    governing rule often only past the first ten (measured on the dev situations)."""
    search_share: float = 0.5
    """Most of the caller's remaining budget the searches may use; the rest is kept for
    the check, the trial and the reply."""
    rules_assessed: int = 3
    """Most rules the compliance check assesses (the best matched)."""
    match_pool: int = 8
    """Best-retrieved candidates with a readable condition that regulation matching
    weighs, the facts' bearing on their conditions first, to choose those it assesses."""
    search: DownstreamConfig = field(
        default=DownstreamConfig(name="search", target=local_target("search")),
        metadata=NOT_FROM_ENV,
    )
    """Where search is; `SEARCH_TARGET`, `SEARCH_BREAKER_*`, ... (see DownstreamConfig).
    Its target empty: no searches of its own, only the passages a request brings."""

    def __post_init__(self) -> None:
        if self.trial not in ("on_breach", "always", "never"):
            raise ValueError("trial must be on_breach, always or never")
        if (
            min(self.search_top_k, self.situation_top_k, self.rules_assessed) < 1
            or self.search_queries < 0
        ):
            raise ValueError(
                "search_queries >= 0; search_top_k, situation_top_k, rules_assessed >= 1"
            )
        if self.match_pool < self.rules_assessed:
            raise ValueError("match_pool must be at least rules_assessed")
        if not 0 < self.search_share < 1:
            raise ValueError("search_share must be between 0 and 1")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AuditConfig:
        """Read `AUDIT_<FIELD>` (e.g. `AUDIT_TRIAL=always`) and the search downstream's
        `SEARCH_*`."""
        e = os.environ if env is None else env
        config = env_override(e, "AUDIT", cls.default)
        search = DownstreamConfig.from_env("search", default_target=local_target("search"), env=e)
        return dataclasses.replace(config, search=search)


AuditConfig.default = AuditConfig()

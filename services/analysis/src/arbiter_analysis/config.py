"""The analysis service's settings, read once from the environment at start-up: where the
findings database is and how the service uses it (`ANALYSIS_DATABASE_*`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar
from urllib.parse import unquote, urlsplit

from arbiter_kit.breaker import BreakerConfig
from arbiter_kit.config import env_override


@dataclass(frozen=True)
class DatabaseConfig:
    """The findings database: its two roles' connection strings, their pools, and the
    limits every question runs under."""

    default: ClassVar[DatabaseConfig]
    """The defaults below, as one shared instance."""

    url: str = ""
    """The owner role's connection string (migrations, loading); `make up` sets it to its
    local cluster, production to any PostgreSQL 14+. Empty: no findings database."""
    reader_url: str = ""
    """The read-only role's connection string, the one questions run as."""
    owner_pool_size: int = 2
    """Most connections the owner's pool opens (migrations and loading are rare)."""
    reader_pool_size: int = 8
    """Most connections the reader's pool opens: questions run at once beyond it wait."""
    connect_timeout_seconds: float = 5.0
    """How long opening one connection may take before the database counts as down."""
    statement_timeout_seconds: float = 10.0
    """Longest a question's query may run, even when the caller's budget is longer."""
    idle_in_transaction_seconds: float = 5.0
    """A reader session idle inside a transaction this long is ended by the server."""
    temp_file_limit_kb: int = 64 * 1024
    """Most temporary-file space one reader query may use (sorts and hashes that spill)."""
    breaker: BreakerConfig = field(default_factory=BreakerConfig)
    """When the service stops calling a failing database (`ANALYSIS_DATABASE_BREAKER_*`)."""

    @property
    def configured(self) -> bool:
        return bool(self.url and self.reader_url)

    @property
    def reader_role(self) -> str:
        """The read-only role's name, as its connection string names it."""
        return unquote(urlsplit(self.reader_url).username or "")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DatabaseConfig:
        """Read `ANALYSIS_DATABASE_<FIELD>` for every field, e.g. `ANALYSIS_DATABASE_URL`,
        `ANALYSIS_DATABASE_READER_URL`, `ANALYSIS_DATABASE_STATEMENT_TIMEOUT_SECONDS`."""
        return env_override(os.environ if env is None else env, "ANALYSIS_DATABASE", cls.default)


DatabaseConfig.default = DatabaseConfig()

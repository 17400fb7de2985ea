"""The analysis service's settings, read once from the environment at start-up: where the
findings database is and how the service uses it (`ANALYSIS_DATABASE_*`), and how
AnalyzeData answers (`ANALYSIS_TODAY`, `ANALYSIS_SQL_*`)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar
from urllib.parse import unquote, urlsplit

from arbiter_kit.breaker import BreakerConfig
from arbiter_kit.config import env_override
from arbiter_kit.errors import InvalidArgument, shown

from arbiter_analysis.sql.refusal import GuardLimits


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


@dataclass(frozen=True)
class AnalysisConfig:
    """How AnalyzeData answers: the day relative dates count from, what one query may ask
    of the database, and how the service waits for a database that is down at start."""

    default: ClassVar[AnalysisConfig]
    """The defaults below, as one shared instance."""

    today: str = ""
    """The day "today", "last year" and "this quarter" count from (`YYYY-MM-DD`); empty:
    the machine's date when each question is asked."""
    sql: GuardLimits = field(default_factory=GuardLimits)
    """The SQL guard's limits (`ANALYSIS_SQL_MAX_ROWS`, `_MAX_JOINS`, `_MAX_DEPTH`, ...)."""
    migrate_retry_seconds: float = 1.0
    """First wait before migrating again when the database was down at start; it doubles
    after each failure, up to `migrate_retry_max_seconds`."""
    migrate_retry_max_seconds: float = 30.0
    """Longest wait between two attempts to reach a database that was down at start."""
    retry_after_seconds: float = 1.0
    """The wait an UNAVAILABLE answer (database down or not ready yet) suggests to callers;
    an open breaker suggests the time it stays open."""
    repair_error_chars: int = 300
    """Most characters of the database's error message a repair prompt carries."""

    def __post_init__(self) -> None:
        if self.today:
            try:
                dt.date.fromisoformat(self.today)
            except ValueError:
                raise InvalidArgument(
                    "ANALYSIS_TODAY", f"expected a date as YYYY-MM-DD, got {shown(self.today)}"
                ) from None
        if self.sql.max_rows < 1:
            raise InvalidArgument("ANALYSIS_SQL_MAX_ROWS", "must be at least 1")

    def today_date(self) -> dt.date:
        """The day relative dates count from, now."""
        return dt.date.fromisoformat(self.today) if self.today else dt.date.today()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AnalysisConfig:
        """Read `ANALYSIS_TODAY`, `ANALYSIS_SQL_<LIMIT>`, `ANALYSIS_MIGRATE_RETRY_SECONDS`,
        `ANALYSIS_MIGRATE_RETRY_MAX_SECONDS`, `ANALYSIS_RETRY_AFTER_SECONDS` and
        `ANALYSIS_REPAIR_ERROR_CHARS`."""
        return env_override(os.environ if env is None else env, "ANALYSIS", cls.default)


AnalysisConfig.default = AnalysisConfig()

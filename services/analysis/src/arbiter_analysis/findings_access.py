"""The findings database as AnalyzeData reaches it: migrated when the service starts, and,
when it was down then, migrated in the background with backoff while the service serves
(Synthesize needs no database). Until it is ready AnalyzeData answers UNAVAILABLE with a
retry hint; a database whose schema is newer than this code is refused at start."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

import asyncpg
from arbiter_kit import metrics
from arbiter_kit.errors import FailedPrecondition, Unavailable

from arbiter_analysis.config import AnalysisConfig
from arbiter_analysis.findings.database import DEPENDENCY, FindingsDatabase
from arbiter_analysis.findings.migrate import META_SCHEMA

log = logging.getLogger(__name__)

NOT_CONFIGURED = "no findings database is configured (set ANALYSIS_DATABASE_URL and _READER_URL)"
LABEL_TTL_SECONDS = 5.0
"""How long what the database holds (the sample or other data) is taken as known: a
load while the service runs shows within this time."""
# What "the database cannot be reached right now" looks like while migrating.
_TRANSIENT = (Unavailable, OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


@dataclass
class _Label:
    label: str | None = None
    read_at: float = float("-inf")


class FindingsAccess:
    """A FindingsDatabase and whether it may be asked yet."""

    def __init__(self, database: FindingsDatabase, config: AnalysisConfig) -> None:
        self.database = database
        self.config = config
        self._ready = False
        self._refused: FailedPrecondition | None = None
        self._retrying: asyncio.Task[None] | None = None
        self._next_attempt = 0.0
        self._label = _Label()

    async def start(self) -> None:
        """Open the pools and migrate. A newer or altered schema raises (the service must
        not start on it); a database that cannot be reached is retried in the background."""
        await self.database.open()
        try:
            await self._migrate()
        except _TRANSIENT as exc:
            log.warning(
                "findings database not reachable at start (%s); AnalyzeData answers "
                "UNAVAILABLE until it is, retrying in the background",
                type(exc).__name__,
            )
            self._next_attempt = time.monotonic() + self.config.migrate_retry_seconds
            self._retrying = asyncio.create_task(self._retry(), name="findings-migrate")

    async def close(self) -> None:
        if self._retrying is not None:
            self._retrying.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retrying
        await self.database.close()

    @property
    def ready(self) -> bool:
        return self._ready

    def ready_database(self) -> FindingsDatabase:
        """The database, if migrated; else FailedPrecondition (refused schema) or
        Unavailable with when to try again."""
        if self._refused is not None:
            raise self._refused
        if not self._ready:
            metrics.DEPENDENCY_FAILURES.labels(DEPENDENCY, "not_ready").inc()
            wait = max(self.config.retry_after_seconds, self._next_attempt - time.monotonic())
            raise Unavailable(
                "the findings database is not reachable yet; the service keeps trying",
                reason="DATABASE_NOT_READY",
                metadata={"dependency": DEPENDENCY},
                retry_delay=wait,
            )
        return self.database

    async def sample_label(self) -> str | None:
        """The label of the generated sample when the database holds it, else None (read
        at most every LABEL_TTL_SECONDS; on a failed read, the last known answer)."""
        now = time.monotonic()
        if now - self._label.read_at < LABEL_TTL_SECONDS:
            return self._label.label
        try:
            async with self.database.owner() as conn:
                label = await conn.fetchval(f"SELECT label FROM {META_SCHEMA}.dataset")
        except _TRANSIENT:
            return self._label.label
        self._label = _Label(None if label is None else str(label), now)
        return self._label.label

    async def _migrate(self) -> None:
        applied = await self.database.migrate()
        self._ready = True
        log.info("findings database ready", extra={"migrations_applied": applied})

    async def _retry(self) -> None:
        delay = self.config.migrate_retry_seconds
        while True:
            await asyncio.sleep(max(0.0, self._next_attempt - time.monotonic()))
            try:
                await self._migrate()
                return
            except _TRANSIENT as exc:
                delay = min(delay * 2, self.config.migrate_retry_max_seconds)
                self._next_attempt = time.monotonic() + delay
                log.warning("findings database still not reachable (%s)", type(exc).__name__)
            except FailedPrecondition as refused:
                # Found only now: the service is up, so AnalyzeData says why it cannot work.
                log.error("findings database refused: %s", refused.message)
                self._refused = refused
                return

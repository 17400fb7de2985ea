"""The findings database as the analysis service uses it: one bounded asyncpg pool per
role, behind a circuit breaker. `query` runs one statement as the read-only role within
the caller's remaining budget and returns a ResultTable; a database that cannot be
reached is `Unavailable` (counted in `arbiter_dependency_failures_total`), a query the
database refuses is `QueryFailed` with PostgreSQL's own message, for one repair round."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import TYPE_CHECKING

import asyncpg
from arbiter_kit import metrics
from arbiter_kit.breaker import CircuitBreaker
from arbiter_kit.deadline import Deadline
from arbiter_kit.errors import FailedPrecondition, Unavailable

from arbiter_analysis.config import DatabaseConfig
from arbiter_analysis.findings import migrate, roles
from arbiter_analysis.table import Cell, ResultTable

if TYPE_CHECKING:
    from arbiter_analysis.findings.migrate import Connection

log = logging.getLogger(__name__)

DEPENDENCY = "findings-db"
"""The dependency label of this database's failures and breaker."""
CLIENT_MARGIN_SECONDS = 1.0
"""How much longer than the server's statement timeout the client waits for an answer
before it takes the database for unresponsive."""
# SQLSTATEs that say the server or the connection failed, not the query: connection
# exceptions (08), no resources for a session (53000-53300; 53400 is a query over its
# temp_file_limit), operator intervention such as a shutdown (57P), system errors (58, XX).
_SERVER_STATES = ("08", "57P", "58", "XX", "53000", "53100", "53200", "53300")
_CELL_TYPES = (str, int, float, Decimal, dt.date, bool, type(None))


class QueryFailed(FailedPrecondition):
    """The database refused or stopped a query (syntax, unknown column, permission,
    statement timeout): PostgreSQL's message and SQLSTATE, for a repair round."""

    def __init__(self, message: str, sqlstate: str) -> None:
        super().__init__(
            f"the database refused the query: {message}",
            reason="QUERY_FAILED",
            metadata={"sqlstate": sqlstate},
        )
        self.pg_message = message
        self.sqlstate = sqlstate


def _cell(value: object) -> Cell:
    """A value as a ResultTable holds it; intervals, arrays and the like as their text."""
    if isinstance(value, _CELL_TYPES):
        return value
    return str(value)


class FindingsDatabase:
    """The owner's and the reader's pools (made lazily: starting never waits for the
    database) and the breaker in front of both."""

    def __init__(self, config: DatabaseConfig, *, breaker: CircuitBreaker | None = None) -> None:
        if not config.configured:
            raise ValueError("the findings database needs ANALYSIS_DATABASE_URL and _READER_URL")
        self.config = config
        self.breaker = breaker or CircuitBreaker(DEPENDENCY, config.breaker)
        self._owner: asyncpg.Pool[asyncpg.Record] | None = None
        self._reader: asyncpg.Pool[asyncpg.Record] | None = None

    async def open(self) -> None:
        """Create both pools; no connection is opened until one is needed."""
        c = self.config
        self._owner = await asyncpg.create_pool(
            c.url, min_size=0, max_size=c.owner_pool_size, timeout=c.connect_timeout_seconds
        )
        self._reader = await asyncpg.create_pool(
            c.reader_url,
            min_size=0,
            max_size=c.reader_pool_size,
            timeout=c.connect_timeout_seconds,
            server_settings=roles.session_settings(c),
        )

    async def close(self) -> None:
        for pool in (self._reader, self._owner):
            if pool is not None:
                await pool.close()
        self._owner = self._reader = None

    @asynccontextmanager
    async def owner(self) -> AsyncIterator[Connection]:
        """A connection as the owner (migrations, loading); Unavailable when unreachable."""
        if self._owner is None:
            raise RuntimeError("FindingsDatabase.open() first")
        try:
            conn = await self._owner.acquire(timeout=self.config.connect_timeout_seconds)
        except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
            raise self._unavailable("unreachable", exc) from None
        try:
            yield conn
        finally:
            await self._owner.release(conn)

    async def migrate(self) -> list[int]:
        """Apply missing migrations and grant the reader its privileges (at start)."""
        async with self.owner() as conn:
            applied = await migrate.migrate(conn)
            await roles.grant_reader(conn, self.config.reader_role)
        return applied

    async def query(self, sql: str, *, deadline: Deadline) -> ResultTable:
        """Run one read-only statement as the reader, its statement timeout the caller's
        remaining budget (at most `statement_timeout_seconds`)."""
        epoch = self.breaker.acquire()
        started = time.monotonic()
        try:
            table = await self._run(sql, deadline)
        except Unavailable:
            self.breaker.record(False, time.monotonic() - started, epoch=epoch)
            raise
        except QueryFailed:
            # The database answered: it is up, whatever it thought of the query.
            self.breaker.record(True, time.monotonic() - started, epoch=epoch)
            raise
        except BaseException:
            self.breaker.release(epoch)
            raise
        self.breaker.record(True, time.monotonic() - started, epoch=epoch)
        return table

    async def _run(self, sql: str, deadline: Deadline) -> ResultTable:
        if self._reader is None:
            raise RuntimeError("FindingsDatabase.open() first")
        budget = deadline.timeout(cap=self.config.statement_timeout_seconds)
        try:
            async with (
                self._reader.acquire(timeout=budget) as conn,
                conn.transaction(readonly=True),
            ):
                # SET LOCAL ends with the transaction: the next query sets its own.
                await conn.execute(f"SET LOCAL statement_timeout = {max(1, int(budget * 1000))}")
                statement = await conn.prepare(sql, timeout=budget + CLIENT_MARGIN_SECONDS)
                columns = [a.name for a in statement.get_attributes()]
                records = await statement.fetch(timeout=budget + CLIENT_MARGIN_SECONDS)
        except asyncpg.PostgresError as exc:
            state = str(getattr(exc, "sqlstate", "") or "")
            if not state or state.startswith(_SERVER_STATES):
                raise self._unavailable("server", exc) from None
            raise QueryFailed(str(getattr(exc, "message", "") or exc), state) from None
        except TimeoutError as exc:
            raise self._unavailable("timeout", exc) from None
        except (OSError, asyncpg.InterfaceError) as exc:
            raise self._unavailable("unreachable", exc) from None
        return ResultTable.of(columns, [[_cell(v) for v in record.values()] for record in records])

    def _unavailable(self, reason: str, exc: BaseException) -> Unavailable:
        metrics.DEPENDENCY_FAILURES.labels(DEPENDENCY, reason).inc()
        log.warning("findings database %s: %s", reason, type(exc).__name__)
        return Unavailable(
            "the findings database is unavailable",
            reason="DATABASE_UNAVAILABLE",
            metadata={"dependency": DEPENDENCY},
        )

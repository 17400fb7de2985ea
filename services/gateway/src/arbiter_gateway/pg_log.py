"""The event log in PostgreSQL (schema `gateway`, migrations/): durable and shared by every
gateway replica. Appends are batched: one writer per replica stores whatever was appended
meanwhile, across sessions, in one call of `gateway.append_events`, which gives each event
its seq and hash under the session row's lock and only for the replica that owns the session
(so two replicas can never write the same seq). A failed write fails the appends it held —
their sessions end visibly — and is counted; nothing is retried blindly, so nothing is
written twice. The replica's leases on its running sessions are renewed in the background."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

import asyncpg
from arbiter.gateway.v1 import gateway_pb2
from arbiter_kit.errors import Unavailable
from arbiter_kit.metrics import DEPENDENCY_FAILURES, LATENCY_BUCKETS
from prometheus_client import Histogram

from arbiter_gateway import chain
from arbiter_gateway.event_log import LIVE_STATES, Stored, StoredSession

log = logging.getLogger(__name__)

FLUSH_SECONDS = Histogram(
    "arbiter_gateway_event_log_flush_seconds",
    "Time to store one batch of session events.",
    buckets=LATENCY_BUCKETS,
)
FLUSH_EVENTS = Histogram(
    "arbiter_gateway_event_log_batch_events",
    "Events stored per batch.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
UNAVAILABLE = "EVENT_LOG_UNAVAILABLE"
_LIVE = sorted(LIVE_STATES)


@dataclass(frozen=True)
class PostgresLogConfig:
    """How the PostgreSQL log talks to the database."""

    owner: str
    """This replica's id: the sessions it runs are written by it alone."""
    timeout_seconds: float = 5.0
    """Cap on any one database call."""
    max_batch: int = 256
    """Most events stored in one round trip."""
    lease_seconds: float = 30.0
    """How long a replica's claim on its running sessions holds without renewal."""


def unavailable(what: str, error: BaseException) -> Unavailable:
    DEPENDENCY_FAILURES.labels("postgres", type(error).__name__).inc()
    log.warning("event log: %s failed: %s", what, error)
    return Unavailable(f"the session store could not {what}", reason=UNAVAILABLE)


@dataclass
class _Append:
    session_id: str
    event: gateway_pb2.SessionEvent
    state: int
    future: asyncio.Future[Stored]


class PostgresLog:
    """Sessions and events in PostgreSQL, written in batches by one writer task."""

    def __init__(self, pool: asyncpg.Pool, config: PostgresLogConfig) -> None:
        self.pool = pool
        self.config = config
        self._queue: list[_Append] = []
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._writer = asyncio.create_task(self._write_forever())
        self._leases = asyncio.create_task(self._renew_forever())

    async def create(self, session: StoredSession) -> None:
        try:
            await self.pool.execute(
                "INSERT INTO gateway.sessions (id, tenant, question, resume_token_hash, state,"
                " head_hash, owner, lease_expires_at, created_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8), $9)",
                session.session_id,
                session.tenant,
                session.question,
                session.resume_token_hash,
                session.state,
                session.head_hash,
                session.owner,
                self.config.lease_seconds,
                session.created_at,
                timeout=self.config.timeout_seconds,
            )
        except (asyncpg.PostgresError, OSError, TimeoutError) as error:
            raise unavailable("open a session", error) from error

    def append(
        self, session_id: str, event: gateway_pb2.SessionEvent, state: int
    ) -> asyncio.Future[Stored]:
        """Queue `event`; it is the log's from now on (it gets its seq when stored)."""
        future: asyncio.Future[Stored] = asyncio.get_running_loop().create_future()
        self._queue.append(_Append(session_id, event, state, future))
        self._idle.clear()
        self._wake.set()
        return future

    async def session(self, session_id: str, tenant: str) -> StoredSession | None:
        try:
            row = await self.pool.fetchrow(
                "SELECT id, tenant, question, resume_token_hash, state, owner, created_at,"
                " last_seq, head_hash FROM gateway.sessions WHERE id = $1 AND tenant = $2",
                session_id,
                tenant,
                timeout=self.config.timeout_seconds,
            )
        except (asyncpg.PostgresError, OSError, TimeoutError) as error:
            raise unavailable("read a session", error) from error
        return None if row is None else StoredSession(*row.values())

    async def events(
        self, session_id: str, after_seq: int, *, limit: int
    ) -> list[gateway_pb2.SessionEvent]:
        try:
            rows = await self.pool.fetch(
                "SELECT seq, payload FROM gateway.events WHERE session_id = $1 AND seq > $2"
                " ORDER BY seq LIMIT $3",
                session_id,
                after_seq,
                limit,
                timeout=self.config.timeout_seconds,
            )
        except (asyncpg.PostgresError, OSError, TimeoutError) as error:
            raise unavailable("read a session's events", error) from error
        return [chain.event_of(seq, payload) for seq, payload in rows]

    async def links(self, session_id: str) -> tuple[bytes, list[chain.Link]]:
        return await read_links(self.pool, session_id, seconds=self.config.timeout_seconds)

    async def close(self) -> None:
        """Store what is queued (bounded by the call timeout), then stop the tasks."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), self.config.timeout_seconds)
        for task in (self._writer, self._leases):
            task.cancel()
        await asyncio.gather(self._writer, self._leases, return_exceptions=True)

    async def _write_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                batch = self._queue[: self.config.max_batch]
                del self._queue[: len(batch)]
                await self._store(batch)
            self._idle.set()

    async def _store(self, batch: list[_Append]) -> None:
        # The function takes each session's events together, in their order.
        first = {a.session_id: n for n, a in reversed(list(enumerate(batch)))}
        batch.sort(key=lambda a: first[a.session_id])
        started = time.perf_counter()
        try:
            rows = await self.pool.fetch(
                "SELECT out_seq, out_hash FROM gateway.append_events($1, $2, $3, $4)",
                [a.session_id for a in batch],
                self.config.owner,
                [chain.payload(a.event) for a in batch],
                [a.state for a in batch],
                timeout=self.config.timeout_seconds,
            )
        except (asyncpg.PostgresError, OSError, TimeoutError) as error:
            failure = unavailable("store the session's events", error)
            for a in batch:
                if not a.future.done():
                    a.future.set_exception(failure)
            return
        FLUSH_SECONDS.observe(time.perf_counter() - started)
        FLUSH_EVENTS.observe(len(batch))
        for a, (seq, digest) in zip(batch, rows, strict=True):
            if not a.future.done():
                a.event.seq = seq  # the appended event is the log's from now on
                a.future.set_result(Stored(a.event, bytes(digest)))

    async def _renew_forever(self) -> None:
        """Keep this replica's claim on the sessions it runs (another replica may take a
        session over once its lease has expired)."""
        while True:
            await asyncio.sleep(self.config.lease_seconds / 3)
            try:
                await self.pool.execute(
                    "UPDATE gateway.sessions SET lease_expires_at = now()"
                    " + make_interval(secs => $2) WHERE owner = $1 AND state = ANY($3::int[])",
                    self.config.owner,
                    self.config.lease_seconds,
                    _LIVE,
                    timeout=self.config.timeout_seconds,
                )
            except (asyncpg.PostgresError, OSError, TimeoutError) as error:
                unavailable("renew its leases", error)


async def read_links(
    pool: asyncpg.Pool | asyncpg.Connection, session_id: str, *, seconds: float
) -> tuple[bytes, list[chain.Link]]:
    """A session's recorded head hash and its stored events, for checking the chain."""
    try:
        head = await pool.fetchval(
            "SELECT head_hash FROM gateway.sessions WHERE id = $1", session_id, timeout=seconds
        )
        rows = await pool.fetch(
            "SELECT seq, payload, hash FROM gateway.events WHERE session_id = $1 ORDER BY seq",
            session_id,
            timeout=seconds,
        )
    except (asyncpg.PostgresError, OSError, TimeoutError) as error:
        raise unavailable("read a session's events", error) from error
    return (bytes(head) if head is not None else chain.GENESIS), [
        chain.Link(seq, bytes(payload), bytes(digest)) for seq, payload, digest in rows
    ]

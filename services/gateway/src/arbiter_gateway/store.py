"""The session store a gateway runs on, chosen by its configuration: the PostgreSQL log and
Redis word between replicas (production), or memory alone (one replica); and the job that
applies the retention."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator

import asyncpg
from arbiter_kit.errors import ArbiterError

from arbiter_gateway.bus import Bus, LocalBus, RedisBus
from arbiter_gateway.config import GatewayConfig
from arbiter_gateway.database import open_pool
from arbiter_gateway.event_log import EventLog, MemoryLog
from arbiter_gateway.pg_log import PostgresLog, PostgresLogConfig
from arbiter_gateway.retention import Retention, prune
from arbiter_gateway.sessions import SessionStore

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def session_store(config: GatewayConfig) -> AsyncIterator[SessionStore]:
    """The store `config` names, open while the block runs (queued events are stored
    before it closes)."""
    owner = uuid.uuid4().hex
    bus: Bus = RedisBus(config.redis_url) if config.redis_url else LocalBus()
    pool = None
    pruning: asyncio.Task[None] | None = None
    event_log: EventLog
    try:
        if config.database_url:
            pool = await open_pool(config.database_url)
            event_log = PostgresLog(
                pool,
                PostgresLogConfig(
                    owner=owner,
                    timeout_seconds=config.database_timeout_seconds,
                    lease_seconds=config.lease_seconds,
                ),
            )
            if config.prune_interval_seconds > 0:
                pruning = asyncio.create_task(_prune_forever(pool, config))
        else:
            log.warning(
                "no GATEWAY_DATABASE_URL: sessions live in this process only (one replica,"
                " nothing survives a restart)"
            )
            event_log = MemoryLog(capacity=config.max_sessions)
        try:
            yield SessionStore(event_log, bus, owner=owner, poll_seconds=config.poll_seconds)
        finally:
            await event_log.close()
    finally:
        if pruning is not None:
            pruning.cancel()
            await asyncio.gather(pruning, return_exceptions=True)
        await bus.close()
        if pool is not None:
            try:  # bounded: a connection stuck on a dead server must not hold the shutdown
                await asyncio.wait_for(pool.close(), config.database_timeout_seconds)
            except TimeoutError:
                log.warning("the event log's connections did not close in time; dropped")
                pool.terminate()


async def _prune_forever(pool: asyncpg.Pool, config: GatewayConfig) -> None:
    retention = Retention(
        max_age_seconds=config.retention_days * 86400,
        max_sessions=config.retention_max_sessions,
    )
    while True:
        await asyncio.sleep(config.prune_interval_seconds)
        try:
            removed = await prune(pool, retention, seconds=config.database_timeout_seconds)
        except ArbiterError as error:
            log.warning("retention: %s", error.public_message())
        else:
            if removed:
                log.info("retention: removed %d sessions", removed)

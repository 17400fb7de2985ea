"""How long finished sessions are kept: an age and a count per tenant (the gateway's settings,
or a tenant's own row in `gateway.retention`), applied by the gateway every
GATEWAY_PRUNE_INTERVAL_SECONDS and by `arbiter sessions prune`. A running session is never
removed; a removed session's events go with it."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from arbiter_gateway.event_log import LIVE_STATES
from arbiter_gateway.pg_log import unavailable

_LIVE = sorted(LIVE_STATES)
_PRUNE = """
WITH rules AS (
    SELECT s.id, s.created_at,
           coalesce(r.max_age_seconds, $1) AS max_age,
           coalesce(r.max_sessions, $2) AS max_count,
           row_number() OVER (PARTITION BY s.tenant ORDER BY s.created_at DESC, s.id) AS newest
      FROM gateway.sessions s LEFT JOIN gateway.retention r ON r.tenant = s.tenant
     WHERE NOT (s.state = ANY($3::int[]))
)
DELETE FROM gateway.sessions s USING rules
 WHERE s.id = rules.id
   AND (rules.created_at < now() - make_interval(secs => rules.max_age)
        OR rules.newest > rules.max_count)
"""


@dataclass(frozen=True)
class Retention:
    """What is kept of a tenant's finished sessions."""

    max_age_seconds: float
    max_sessions: int


async def prune(
    db: asyncpg.Pool | asyncpg.Connection, default: Retention, *, seconds: float
) -> int:
    """Delete the finished sessions past their tenant's retention; how many went."""
    try:
        status = await db.execute(
            _PRUNE, default.max_age_seconds, default.max_sessions, _LIVE, timeout=seconds
        )
    except (asyncpg.PostgresError, OSError, TimeoutError) as error:
        raise unavailable("apply the retention", error) from error
    return int(status.split()[-1])


async def set_retention(
    db: asyncpg.Pool | asyncpg.Connection, tenant: str, retention: Retention, *, seconds: float
) -> None:
    """Give `tenant` its own retention."""
    await db.execute(
        "INSERT INTO gateway.retention (tenant, max_age_seconds, max_sessions)"
        " VALUES ($1, $2, $3) ON CONFLICT (tenant) DO UPDATE"
        " SET max_age_seconds = excluded.max_age_seconds, max_sessions = excluded.max_sessions",
        tenant,
        retention.max_age_seconds,
        retention.max_sessions,
        timeout=seconds,
    )

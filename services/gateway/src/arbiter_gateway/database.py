"""The gateway's PostgreSQL schema: a connection pool, and the migrations in `migrations/`
(`NNNN_name.sql`, applied once each, in order, each in its own transaction, under an
advisory lock so that replicas starting together apply them once)."""

from __future__ import annotations

from importlib import resources

import asyncpg

SCHEMA = "gateway"
"""Everything the gateway stores lives in this schema of the suite's cluster."""
_LOCK_KEY = 0x61726269  # "arbi": any constant the other schemas do not use
_CONNECT_TIMEOUT_SECONDS = 10.0


def migrations() -> list[tuple[str, str]]:
    """(name, sql) of every migration, in the order they apply."""
    folder = resources.files("arbiter_gateway") / "migrations"
    files = [f for f in folder.iterdir() if f.name.endswith(".sql")]
    return [
        (f.name.removesuffix(".sql"), f.read_text()) for f in sorted(files, key=lambda f: f.name)
    ]


async def migrate(conn: asyncpg.Connection) -> list[str]:
    """Apply the migrations `conn`'s database lacks; the names of those applied."""
    applied: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        await conn.execute(
            f"CREATE TABLE IF NOT EXISTS {SCHEMA}.migrations"
            " (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["name"] for r in await conn.fetch(f"SELECT name FROM {SCHEMA}.migrations")}
        for name, sql in migrations():
            if name in done:
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute(f"INSERT INTO {SCHEMA}.migrations (name) VALUES ($1)", name)
            applied.append(name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    return applied


async def open_pool(url: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """A pool on `url` with the schema migrated; every connection's search_path is the
    gateway's schema."""
    conn = await asyncpg.connect(url, timeout=_CONNECT_TIMEOUT_SECONDS)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    pool = await asyncpg.create_pool(
        url,
        min_size=min_size,
        max_size=max_size,
        timeout=_CONNECT_TIMEOUT_SECONDS,
        server_settings={"search_path": SCHEMA},
    )
    assert pool is not None
    return pool

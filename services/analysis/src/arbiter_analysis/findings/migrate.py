"""The findings database's versioned migrations: the SQL files in `migrations/`
(`NNNN_name.sql`), applied in order as the owner role, in one transaction (all that are
missing, or none), each recorded with its checksum in `arbiter_meta.migrations`.
Applying is idempotent and safe for several service instances starting at once; a
database whose schema is newer than this code knows, or whose applied migration differs
from the file, is refused."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import asyncpg
from arbiter_kit.errors import FailedPrecondition

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    Connection: TypeAlias = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]
    """A connection of its own or one lent by a pool: what every findings function takes."""

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
META_SCHEMA = "arbiter_meta"
"""Where Arbiter keeps its bookkeeping, apart from `findings` (the reader never sees it)."""
_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# One key for every Arbiter instance: while one applies migrations the others wait.
_LOCK_KEY = 0x41524249  # "ARBI"


class SchemaTooNew(FailedPrecondition):
    """The database was migrated by a newer Arbiter than this one."""


class MigrationChanged(FailedPrecondition):
    """An applied migration is not the one this code ships (a shipped file was edited)."""


@dataclass(frozen=True)
class Migration:
    """One versioned SQL file."""

    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def migrations(folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migrations in `folder`, by version; versions must run 1, 2, 3, ... without gaps."""
    found = []
    for path in sorted(folder.glob("*.sql")):
        match = _FILE.match(path.name)
        if match is None:
            raise ValueError(f"{path.name}: a migration is named NNNN_name.sql")
        found.append(Migration(int(match[1]), match[2], path.read_text()))
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise ValueError(f"migration versions must be 1..{len(found)} without gaps")
    return found


async def schema_version(conn: Connection) -> int:
    """The newest migration applied to the database; 0 when none is."""
    exists = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f"{META_SCHEMA}.migrations")
    if not exists:
        return 0
    version: int | None = await conn.fetchval(f"SELECT max(version) FROM {META_SCHEMA}.migrations")
    return version or 0


async def migrate(conn: Connection, known: list[Migration] | None = None) -> list[int]:
    """Apply the migrations the database lacks, as the owner; returns their versions.

    Raises SchemaTooNew when the database is at a version beyond `known`, and
    MigrationChanged when an applied migration's text differs from its file."""
    known = migrations() if known is None else known
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {META_SCHEMA}")
        await conn.execute(
            f"CREATE TABLE IF NOT EXISTS {META_SCHEMA}.migrations ("
            " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        rows = await conn.fetch(f"SELECT version, checksum FROM {META_SCHEMA}.migrations")
        applied = {int(r["version"]): str(r["checksum"]) for r in rows}
        newest_known = max((m.version for m in known), default=0)
        if applied and max(applied) > newest_known:
            raise SchemaTooNew(
                f"the findings database is at schema version {max(applied)}, newer than this "
                f"Arbiter knows ({newest_known}): run a release that includes it, or restore "
                "a database of this version"
            )
        done = []
        for migration in known:
            if migration.version in applied:
                if applied[migration.version] != migration.checksum:
                    raise MigrationChanged(
                        f"migration {migration.version} ({migration.name}) was applied with "
                        "other contents than this Arbiter ships; shipped migrations never change"
                    )
                continue
            await conn.execute(migration.sql)
            await conn.execute(
                f"INSERT INTO {META_SCHEMA}.migrations (version, name, checksum)"
                " VALUES ($1, $2, $3)",
                migration.version,
                migration.name,
                migration.checksum,
            )
            done.append(migration.version)
    return done

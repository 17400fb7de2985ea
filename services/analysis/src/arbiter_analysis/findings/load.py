"""Loading the sample into the findings database, as the owner, in one transaction.

Loading is idempotent: a database that already holds this very sample (same checksum,
recorded in `arbiter_meta.dataset`) is left untouched. Another sample replaces the one
loaded before; tables holding rows that are not a sample are never replaced unless asked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from arbiter_kit.errors import FailedPrecondition

from arbiter_analysis.findings.migrate import META_SCHEMA, migrate
from arbiter_analysis.findings.roles import grant_reader
from arbiter_analysis.findings.sample import LABEL, Sample
from arbiter_analysis.findings.schema import SCHEMA, TABLES

if TYPE_CHECKING:
    from arbiter_analysis.findings.migrate import Connection

_LOCK_KEY = 0x41524244  # "ARBD": one loader at a time


class NotSampleData(FailedPrecondition):
    """The findings tables hold rows that no sample load put there."""


@dataclass(frozen=True)
class Loaded:
    """What a load did."""

    changed: bool
    """False when the database held this sample already."""
    rows: dict[str, int]
    """Rows per table after the load."""


async def counts(conn: Connection) -> dict[str, int]:
    """Rows per findings table."""
    result = {}
    for name in TABLES:
        result[name] = int(await conn.fetchval(f"SELECT count(*) FROM {SCHEMA}.{name}"))
    return result


async def load(conn: Connection, sample: Sample, *, replace: bool = False) -> Loaded:
    """Put `sample` in the findings tables (the schema must be migrated). With `replace`,
    rows that are not a sample are replaced too."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        recorded = await conn.fetchrow(f"SELECT label, checksum FROM {META_SCHEMA}.dataset")
        before = await counts(conn)
        if recorded is not None and recorded["checksum"] == sample.checksum:
            if before == sample.counts():
                return Loaded(False, before)
        elif recorded is None and any(before.values()) and not replace:
            raise NotSampleData(
                "the findings tables hold data that is not the sample; refusing to replace it"
            )
        # Children first: TRUNCATE of a referenced table needs its referrers in the same list.
        tables = ", ".join(f"{SCHEMA}.{name}" for name in reversed(TABLES))
        await conn.execute(f"TRUNCATE {tables}")
        for name, table in TABLES.items():
            await conn.copy_records_to_table(
                name,
                schema_name=SCHEMA,
                columns=list(table.column_names),
                records=sample.rows[name],
            )
        await conn.execute(
            f"INSERT INTO {META_SCHEMA}.dataset (label, seed, checksum) VALUES ($1, $2, $3)"
            " ON CONFLICT (singleton) DO UPDATE SET label = excluded.label, seed = excluded.seed,"
            " checksum = excluded.checksum, loaded_at = now()",
            LABEL,
            sample.seed,
            sample.checksum,
        )
        return Loaded(True, await counts(conn))


@dataclass(frozen=True)
class Prepared:
    """What `prepare` did to a database."""

    applied: list[int]
    """Migrations applied now; empty when the schema was current."""
    loaded: Loaded | None
    """The load's outcome; None when no data was given."""


async def prepare(
    conn: Connection, *, reader_role: str, data: Sample | None = None, replace: bool = False
) -> Prepared:
    """Everything a findings database needs before questions, as its owner: the schema
    migrated, the reader granted, and `data` loaded when given."""
    applied = await migrate(conn)
    await grant_reader(conn, reader_role)
    loaded = None if data is None else await load(conn, data, replace=replace)
    return Prepared(applied, loaded)

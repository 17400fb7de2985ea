"""Loading the sample: everything in one transaction, idempotent, never over data that
is not a sample."""

from __future__ import annotations

import asyncpg
import pytest
from arbiter_analysis.findings import load, migrate, sample
from arbiter_analysis.findings.schema import TABLES

from tests.support.corpus import CORPUS
from tests.support.postgres import FindingsDb


async def table_checksums(conn: asyncpg.Connection) -> dict[str, str]:
    sums = {}
    for name, table in TABLES.items():
        sums[name] = await conn.fetchval(
            f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.{table.primary_key}), ''))"
            f" FROM findings.{name} t"
        )
    return sums


async def test_loading_twice_changes_nothing(fresh_findings_db: FindingsDb) -> None:
    data = sample.generate(11, CORPUS)
    conn = await asyncpg.connect(fresh_findings_db.owner)
    try:
        await migrate.migrate(conn)
        first = await load.load(conn, data)
        sums = await table_checksums(conn)
        loaded_at = await conn.fetchval("SELECT loaded_at FROM arbiter_meta.dataset")
        second = await load.load(conn, data)
        assert first.changed and not second.changed
        assert first.rows == second.rows == data.counts()
        assert await table_checksums(conn) == sums
        assert await conn.fetchval("SELECT loaded_at FROM arbiter_meta.dataset") == loaded_at
        other = await load.load(conn, sample.generate(12, CORPUS))  # another sample replaces
        assert other.changed and await table_checksums(conn) != sums
    finally:
        await conn.close()


async def test_data_that_is_not_a_sample_is_not_replaced(fresh_findings_db: FindingsDb) -> None:
    conn = await asyncpg.connect(fresh_findings_db.owner)
    try:
        await migrate.migrate(conn)
        await conn.execute("INSERT INTO findings.firms VALUES ('F1', 'Real Ltd', 'bank', now())")
        with pytest.raises(load.NotSampleData):
            await load.load(conn, sample.generate(11, CORPUS))
        assert await conn.fetchval("SELECT name FROM findings.firms") == "Real Ltd"
        replaced = await load.load(conn, sample.generate(11, CORPUS), replace=True)
        assert replaced.rows["firms"] == 60
    finally:
        await conn.close()

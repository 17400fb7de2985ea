"""The read-only role, tried directly against the database: whatever SQL reaches it, it
reads the findings tables and nothing else, and writes nothing."""

from __future__ import annotations

import asyncpg
import pytest

from tests.support.postgres import FindingsDb


async def refused(db: FindingsDb, *statements: str) -> asyncpg.PostgresError:
    """Run `statements` as the reader in one session; the last must be refused."""
    conn = await asyncpg.connect(db.reader)
    try:
        for statement in statements[:-1]:
            await conn.execute(statement)
        with pytest.raises(asyncpg.PostgresError) as caught:
            await conn.execute(statements[-1])
        return caught.value
    finally:
        await conn.close()


async def test_the_reader_reads_the_findings_tables(findings_db: FindingsDb) -> None:
    conn = await asyncpg.connect(findings_db.reader)
    try:
        assert await conn.fetchval("SELECT count(*) FROM firms") == 60  # search_path findings
        assert await conn.fetchval("SHOW default_transaction_read_only") == "on"
        assert await conn.fetchval("SHOW search_path") == "findings"
    finally:
        await conn.close()


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO findings.firms VALUES ('F999', 'X Ltd', 'bank', '2020-01-01')",
        "UPDATE findings.firms SET name = 'X'",
        "DELETE FROM findings.dispositions",
        "TRUNCATE findings.dispositions",
        "CREATE TABLE findings.t (x int)",
        "CREATE TABLE public.t (x int)",
        "CREATE TEMP TABLE t (x int)",
        "CREATE SCHEMA mine",
        "SELECT * FROM arbiter_meta.migrations",
        "SELECT pg_sleep(5)",
        "SELECT set_config('statement_timeout', '0', false)",
        "SELECT current_setting('data_directory')",
        "SELECT pg_read_file('PG_VERSION')",
        "SELECT lo_import('/etc/passwd')",
        "SELECT lo_create(0)",
        "COPY findings.firms TO '/tmp/firms.csv'",
        "COPY (SELECT 1) TO PROGRAM 'true'",
        "SELECT pg_terminate_backend(pg_backend_pid())",
        "SELECT pg_advisory_lock(1)",
        "ALTER ROLE arbiter_reader SET statement_timeout = 0",
        "SET ROLE arbiter_owner",
    ],
)
async def test_the_reader_is_refused(findings_db: FindingsDb, statement: str) -> None:
    await refused(findings_db, statement)


async def test_setting_its_way_out_still_writes_nothing(findings_db: FindingsDb) -> None:
    error = await refused(
        findings_db,
        "SET default_transaction_read_only = off",
        "SET search_path = findings, public",
        "INSERT INTO findings.firms VALUES ('F999', 'X Ltd', 'bank', '2020-01-01')",
    )
    assert isinstance(error, asyncpg.InsufficientPrivilegeError)


async def test_a_long_query_meets_the_role_timeout(findings_db: FindingsDb) -> None:
    error = await refused(
        findings_db,
        "SET statement_timeout = '50ms'",
        "SELECT count(*) FROM generate_series(1, 1e9)",
    )
    assert isinstance(error, asyncpg.QueryCanceledError)

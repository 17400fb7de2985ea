"""Migrations: applied once, in order, idempotent; the result is the schema that
schema.py describes; constraints hold; a newer or altered schema is refused."""

from __future__ import annotations

import asyncpg
import pytest
from arbiter_analysis.findings import migrate
from arbiter_analysis.findings.schema import FOREIGN_KEYS, SCHEMA, TABLES

from tests.support.postgres import FindingsDb


async def test_migrations_apply_once_and_are_idempotent(fresh_findings_db: FindingsDb) -> None:
    conn = await asyncpg.connect(fresh_findings_db.owner)
    try:
        assert await migrate.schema_version(conn) == 0
        known = migrate.migrations()
        assert await migrate.migrate(conn) == [m.version for m in known]
        assert await migrate.migrate(conn) == []
        assert await migrate.schema_version(conn) == known[-1].version
    finally:
        await conn.close()


async def test_the_migrated_schema_is_the_one_schema_py_describes(findings_db: FindingsDb) -> None:
    conn = await asyncpg.connect(findings_db.owner)
    try:
        rows = await conn.fetch(
            "SELECT table_name, column_name, is_nullable, format_type(a.atttypid, a.atttypmod) t"
            " FROM information_schema.columns c JOIN pg_attribute a"
            " ON a.attrelid = format('%I.%I', c.table_schema, c.table_name)::regclass"
            " AND a.attname = c.column_name WHERE c.table_schema = $1"
            " ORDER BY table_name, ordinal_position",
            SCHEMA,
        )
        fks = await conn.fetch(
            "SELECT conrelid::regclass::text t, a.attname c, confrelid::regclass::text r"
            " FROM pg_constraint k JOIN pg_attribute a ON a.attrelid = k.conrelid"
            " AND a.attnum = k.conkey[1] WHERE k.contype = 'f'"
            " AND connamespace = $1::regnamespace",
            SCHEMA,
        )
    finally:
        await conn.close()
    got: dict[str, list[tuple[str, bool, str]]] = {}
    for r in rows:
        got.setdefault(r["table_name"], []).append(
            (r["column_name"], r["is_nullable"] == "YES", r["t"])
        )
    expected = {
        name: [(c.name, c.nullable, c.sql_type) for c in table.columns]
        for name, table in TABLES.items()
    }
    assert got == expected
    assert sorted((f["t"], f["c"], f["r"]) for f in fks) == sorted(
        (f"{SCHEMA}.{t}", c, f"{SCHEMA}.{r}") for t, c, r in FOREIGN_KEYS
    )


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO findings.firms VALUES ('F900', 'X Ltd', 'hedge fund', '2020-01-01')",
        "INSERT INTO findings.audits VALUES ('A9000', 'F999', 'routine', '2022-01-01', NULL)",
        "INSERT INTO findings.audits VALUES ('A9000', 'F001', 'surprise', '2022-01-01', NULL)",
        "UPDATE findings.findings SET severity = 'urgent' WHERE finding_id = 'FD00001'",
        "UPDATE findings.findings SET status = 'open' WHERE remediated_on IS NOT NULL",
        "UPDATE findings.findings SET remediated_on = NULL WHERE status = 'remediated'",
        "UPDATE findings.dispositions SET outcome = 'warning', penalty_usd = 10"
        " WHERE finding_id = (SELECT min(finding_id) FROM findings.dispositions)",
        "UPDATE findings.dispositions SET outcome = 'fine'",
        "UPDATE findings.findings SET summary = NULL",
        "DELETE FROM findings.firms",
    ],
)
async def test_constraints_refuse_bad_rows(findings_db: FindingsDb, statement: str) -> None:
    conn = await asyncpg.connect(findings_db.owner)
    try:
        tx = conn.transaction()
        await tx.start()
        try:
            with pytest.raises(asyncpg.IntegrityConstraintViolationError):
                await conn.execute(statement)
        finally:
            await tx.rollback()
    finally:
        await conn.close()


async def test_a_closed_finding_may_have_no_remediation_date(findings_db: FindingsDb) -> None:
    # SCHEMA.md: remediated_on is NULL unless remediated or closed; a finding may be closed
    # without a remediation (withdrawn, superseded), so only open and remediated are strict.
    conn = await asyncpg.connect(findings_db.owner)
    try:
        tx = conn.transaction()
        await tx.start()
        try:
            done = await conn.execute(
                "UPDATE findings.findings SET remediated_on = NULL"
                " WHERE finding_id = (SELECT min(finding_id) FROM findings.findings"
                " WHERE status = 'closed')"
            )
            assert done == "UPDATE 1"
        finally:
            await tx.rollback()
    finally:
        await conn.close()


async def test_a_newer_schema_is_refused(fresh_findings_db: FindingsDb) -> None:
    conn = await asyncpg.connect(fresh_findings_db.owner)
    try:
        await migrate.migrate(conn)
        newest = migrate.migrations()[-1].version
        await conn.execute(
            "INSERT INTO arbiter_meta.migrations (version, name, checksum) VALUES ($1, 'x', 'x')",
            newest + 1,
        )
        with pytest.raises(migrate.SchemaTooNew, match=f"schema version {newest + 1}"):
            await migrate.migrate(conn)
    finally:
        await conn.close()


async def test_an_altered_migration_is_refused(fresh_findings_db: FindingsDb) -> None:
    conn = await asyncpg.connect(fresh_findings_db.owner)
    try:
        await migrate.migrate(conn)
        await conn.execute("UPDATE arbiter_meta.migrations SET checksum = 'edited'")
        with pytest.raises(migrate.MigrationChanged):
            await migrate.migrate(conn)
    finally:
        await conn.close()

"""The second layer under the guard: the attack corpus run directly as the read-only role
on a real PostgreSQL (tests/support/postgres.py), bypassing the guard. For each class, its
representative attacks fail in the database itself (privileges, read-only transactions,
revoked functions, the statement timeout); and running every attack of the corpus, in
PostgreSQL's simple protocol where stacked statements run, changes nothing.

What the database lets the reader do and only the guard refuses (reading the system
catalogs and information_schema, SET of its own session settings, BEGIN, cheap SELECTs
that are merely odd) is listed in arbiter_analysis.findings.roles; such attacks are
refused here by the guard and checked to have no effect."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from tests.analysis.sql.corpus import load_attacks
from tests.support.postgres import FindingsDb

ATTACKS = load_attacks()
TIMEOUT = "300ms"
"""The statement timeout the reader sets for itself here, so expensive attacks end soon."""

REFUSED_BY_DATABASE = {
    "injection": ["UNION into pg_shadow", "time-based blind injection", "blind read of a setting"],
    "stacked": ["stacked DROP", "stacked DELETE", "stacked UPDATE", "stacked COPY"],
    "comment": ["block comments around a stacked DROP", "DO block in dollar quotes"],
    "unicode": ["full-width SELECT", "Cyrillic i in a table name", "NUL byte"],
    "cte_write": ["DELETE in a CTE", "UPDATE in a CTE", "INSERT in a CTE"],
    "select_into": ["SELECT INTO a new table", "SELECT INTO a temp table", "CREATE TABLE AS"],
    "locking": ["FOR UPDATE", "FOR SHARE", "LOCK TABLE"],
    "catalog": ["pg_shadow", "pg_authid", "pg_file_settings", "pg_hba_file_rules"],
    "function": ["pg_sleep", "pg_read_file", "pg_ls_dir", "lo_import", "set_config"],
    "expensive": ["CROSS JOIN of findings with itself", "generate_series in FROM"],
    "ddl_dml": ["DROP TABLE", "DELETE", "UPDATE", "INSERT", "CREATE TABLE", "GRANT"],
    "transaction": [
        "a read-write transaction around a DELETE",
        "session made read-write, then an UPDATE",
        "read-only setting turned off, then an INSERT",
    ],
    "quoting": ["upper-case quoted schema is another schema", "quoted upper-case column"],
    "other_schema": ["public schema", "pg_temp schema", "another schema with the same table name"],
    "case_variation": ["upper-case pg_sleep", "mixed-case DELETE", "mixed-case DROP"],
}
"""Per class, attacks (by note) the database must refuse on its own."""


def attack(note: str) -> dict[str, Any]:
    found = [entry for entry in ATTACKS if entry["note"] == note]
    assert len(found) == 1, f"no single attack noted {note!r}"
    return found[0]


async def run_as_reader(db: FindingsDb, sql: str) -> str | None:
    """The error the database answers `sql` with as the reader, or None when it ran."""
    conn = await asyncpg.connect(db.reader)
    try:
        await conn.execute(f"SET statement_timeout = '{TIMEOUT}'")
        await conn.execute(sql)  # simple protocol: stacked statements run one by one
    except (asyncpg.PostgresError, asyncpg.InterfaceError, ValueError, UnicodeError) as error:
        return type(error).__name__
    finally:
        await conn.close()
    return None


async def fingerprint(db: FindingsDb) -> tuple[Any, ...]:
    """What an attack could change: rows of each table, relations and roles."""
    conn = await asyncpg.connect(db.owner)
    try:
        counts = [
            await conn.fetchval(f"SELECT count(*) FROM findings.{table}")
            for table in ("firms", "audits", "findings", "dispositions")
        ]
        penalties = await conn.fetchval("SELECT sum(penalty_usd) FROM findings.dispositions")
        relations = await conn.fetch(
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n"
            " ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'pg_toast',"
            " 'information_schema') ORDER BY 1, 2"
        )
        roles = await conn.fetch("SELECT rolname, rolsuper FROM pg_roles ORDER BY 1")
        return (*counts, penalties, [tuple(r) for r in relations], [tuple(r) for r in roles])
    finally:
        await conn.close()


@pytest.mark.parametrize(
    ("cls", "note"),
    [(cls, note) for cls, notes in REFUSED_BY_DATABASE.items() for note in notes],
)
async def test_each_class_is_refused_by_the_database_too(
    findings_db: FindingsDb, cls: str, note: str
) -> None:
    entry = attack(note)
    assert entry["class"] == cls
    assert await run_as_reader(findings_db, entry["sql"]) is not None, entry["sql"]


def test_every_class_has_database_refusals() -> None:
    assert set(REFUSED_BY_DATABASE) == {entry["class"] for entry in ATTACKS}


async def test_the_whole_corpus_run_as_the_reader_changes_nothing(
    findings_db: FindingsDb,
) -> None:
    before = await fingerprint(findings_db)
    outcomes = [await run_as_reader(findings_db, entry["sql"]) for entry in ATTACKS]
    assert await fingerprint(findings_db) == before
    assert sum(outcome is not None for outcome in outcomes) > len(ATTACKS) // 2

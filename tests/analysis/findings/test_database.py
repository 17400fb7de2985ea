"""FindingsDatabase.query: a ResultTable from the reader, PostgreSQL's own message for a
query it refuses, Unavailable (counted, behind the breaker) when it cannot be reached,
and the caller's deadline as the statement timeout."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal

import pytest
from arbiter_analysis.findings.database import FindingsDatabase, QueryFailed
from arbiter_cli.postgres import free_port
from arbiter_kit import metrics
from arbiter_kit.breaker import BreakerConfig, BreakerState
from arbiter_kit.deadline import Deadline
from arbiter_kit.errors import Unavailable

from tests.support.postgres import FindingsDb


@pytest.fixture
async def database(findings_db: FindingsDb) -> AsyncIterator[FindingsDatabase]:
    db = FindingsDatabase(findings_db.config)
    await db.open()
    yield db
    await db.close()


async def test_a_query_returns_typed_rows(database: FindingsDatabase) -> None:
    table = await database.query(
        "SELECT firm_type, count(*) AS n, min(authorised_on) AS first, sum(0.5) AS half"
        " FROM findings.firms GROUP BY firm_type ORDER BY firm_type",
        deadline=Deadline.after(5),
    )
    assert table.columns == ("firm_type", "n", "first", "half")
    assert len(table.rows) == 6 and sum(int(str(r[1])) for r in table.rows) == 60
    assert isinstance(table.rows[0][2], dt.date) and isinstance(table.rows[0][3], Decimal)
    empty = await database.query("SELECT * FROM firms WHERE false", deadline=Deadline.after(5))
    assert empty.columns == ("firm_id", "name", "firm_type", "authorised_on") and not empty.rows


@pytest.mark.parametrize(
    ("sql", "sqlstate"),
    [
        ("SELEC 1", "42601"),
        ("SELECT nope FROM findings.firms", "42703"),
        ("SELECT 1; SELECT 2", "42601"),
        ("SELECT * FROM arbiter_meta.migrations", "42501"),
        ("DELETE FROM findings.firms", "25006"),
    ],
)
async def test_a_refused_query_carries_postgres_message(
    database: FindingsDatabase, sql: str, sqlstate: str
) -> None:
    with pytest.raises(QueryFailed) as caught:
        await database.query(sql, deadline=Deadline.after(5))
    assert caught.value.sqlstate == sqlstate and caught.value.pg_message
    assert database.breaker.state is BreakerState.CLOSED


async def test_the_deadline_becomes_the_statement_timeout(database: FindingsDatabase) -> None:
    with pytest.raises(QueryFailed) as caught:
        await database.query(
            "SELECT count(*) FROM generate_series(1, 1e10)", deadline=Deadline.after(0.3)
        )
    assert caught.value.sqlstate == "57014"  # query_canceled: the statement timeout


async def test_an_unreachable_database_is_unavailable_counted_and_breaks(
    findings_db: FindingsDb,
) -> None:
    port = free_port()  # nothing listens there: a stopped database
    down = findings_db.config
    down = replace(
        down,
        url=down.url.replace(down.url.split("@")[1].split("/")[0], f"127.0.0.1:{port}"),
        reader_url=down.reader_url.replace(
            down.reader_url.split("@")[1].split("/")[0], f"127.0.0.1:{port}"
        ),
        breaker=BreakerConfig(window_size=4, minimum_calls=4),
    )
    db = FindingsDatabase(down)
    await db.open()
    counter = metrics.DEPENDENCY_FAILURES.labels("findings-db", "unreachable")
    before = counter._value.get()
    try:
        for _ in range(4):
            with pytest.raises(Unavailable) as caught:
                await db.query("SELECT 1", deadline=Deadline.after(5))
            assert str(port) not in caught.value.public_message()
        assert counter._value.get() == before + 4
        assert db.breaker.state is BreakerState.OPEN
        with pytest.raises(Unavailable) as caught:
            await db.query("SELECT 1", deadline=Deadline.after(5))
        assert caught.value.reason == "CIRCUIT_OPEN"
    finally:
        await db.close()

"""`arbiter verify` on a session stored by the gateway's PostgreSQL log: intact, then one
altered byte anywhere (an event, its hash, the head) is caught and located; `arbiter
sessions prune` and `retention` apply per-tenant retention and never remove a running
session."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from arbiter.gateway.v1 import gateway_pb2
from arbiter_cli.main import main
from arbiter_gateway.database import open_pool
from arbiter_gateway.event_log import StoredSession, token_hash
from arbiter_gateway.pg_log import PostgresLog, PostgresLogConfig

from tests.support.postgres import FindingsDb

RUNNING, COMPLETED = gateway_pb2.SESSION_STATE_RUNNING, gateway_pb2.SESSION_STATE_COMPLETED


async def _store(
    url: str, sessions: list[tuple[str, str, int, timedelta]], events: int = 3
) -> None:
    """Sessions (id, tenant, state, age), each with `events` stored events."""
    pool = await open_pool(url)
    log = PostgresLog(pool, PostgresLogConfig(owner="replica"))
    try:
        for session_id, tenant, state, age in sessions:
            created = datetime.now(UTC) - age
            await log.create(
                StoredSession(session_id, tenant, "q", token_hash("t"), state, "replica", created)
            )
            for n in range(events):
                event = gateway_pb2.SessionEvent(answer_delta=gateway_pb2.AnswerDelta(text=str(n)))
                await log.append(session_id, event, state)
    finally:
        await log.close()
        await pool.close()


async def _execute(url: str, sql: str, *args: object) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql, *args)
    finally:
        await conn.close()


async def _ids(url: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        return {r["id"] for r in await conn.fetch("SELECT id FROM gateway.sessions")}
    finally:
        await conn.close()


def verify(session_id: str, url: str) -> int:
    return main(["verify", session_id, "--database-url", url])


@pytest.mark.parametrize(
    "alteration",
    [
        "UPDATE gateway.events SET payload = set_byte(payload, 2, get_byte(payload, 2) # 1)"
        " WHERE seq = 2",
        "UPDATE gateway.events SET hash = set_byte(hash, 0, get_byte(hash, 0) # 1) WHERE seq = 2",
        "DELETE FROM gateway.events WHERE seq = 3",
        "UPDATE gateway.sessions SET head_hash = set_byte(head_hash, 31, 0)",
    ],
    ids=["event byte", "hash byte", "last event removed", "head byte"],
)
def test_verify_catches_a_single_altered_byte(
    fresh_findings_db: FindingsDb, capsys: pytest.CaptureFixture[str], alteration: str
) -> None:
    url = fresh_findings_db.owner
    asyncio.run(_store(url, [("s1", "acme", COMPLETED, timedelta(0))]))
    assert verify("s1", url) == 0
    assert "intact: 3 events" in capsys.readouterr().out
    asyncio.run(_execute(url, alteration))
    assert verify("s1", url) == 1
    said = capsys.readouterr().out
    assert "ALTERED" in said and "seq" in said


def test_verify_of_an_unknown_session_or_no_database_says_so(
    fresh_findings_db: FindingsDb, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_store(fresh_findings_db.owner, []))
    assert verify("nope", fresh_findings_db.owner) == 2
    assert "no session nope" in capsys.readouterr().out
    assert verify("nope", "postgresql://x:y@127.0.0.1:1/db") == 2
    said = capsys.readouterr().out
    assert "cannot be read" in said and "Traceback" not in said


def test_prune_applies_each_tenants_retention_and_spares_running_sessions(
    fresh_findings_db: FindingsDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = fresh_findings_db.owner
    day = timedelta(days=1)
    asyncio.run(
        _store(
            url,
            [
                ("old", "acme", COMPLETED, 100 * day),
                ("old-running", "acme", RUNNING, 100 * day),
                ("recent", "acme", COMPLETED, 1 * day),
                ("newer", "acme", COMPLETED, 0 * day),
                ("g-old", "globex", COMPLETED, 10 * day),
                ("g-new", "globex", COMPLETED, 0 * day),
            ],
        )
    )
    monkeypatch.setenv("GATEWAY_RETENTION_DAYS", "30")
    monkeypatch.setenv("GATEWAY_RETENTION_MAX_SESSIONS", "1000")
    args = ["--database-url", url]

    def retention(tenant: str, days: str, most: str) -> int:
        chosen = ["--tenant", tenant, "--days", days, "--max-sessions", most]
        return main(["sessions", "retention", *chosen, *args])

    assert retention("globex", "5", "10") == 0
    assert main(["sessions", "prune", *args]) == 0
    # acme: 30 days; globex: its own 5 days. Running sessions stay whatever their age.
    assert asyncio.run(_ids(url)) == {"old-running", "recent", "newer", "g-new"}
    assert retention("acme", "30", "1") == 0
    assert main(["sessions", "prune", *args]) == 0
    assert asyncio.run(_ids(url)) == {"old-running", "newer", "g-new"}

"""Two gateway replicas on one PostgreSQL event log and one Redis: a session asked on one is
resumed, read and verified on the other, gap-free and without duplicates; two writers can
never store the same seq; a database outage fails new sessions clearly and is counted."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import grpc
import pytest
from arbiter.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from arbiter_gateway import chain
from arbiter_gateway.database import open_pool
from arbiter_gateway.event_log import StoredSession, token_hash
from arbiter_gateway.pg_log import PostgresLog, PostgresLogConfig, read_links
from arbiter_kit.errors import Unavailable
from arbiter_kit.metrics import DEPENDENCY_FAILURES

from tests.gateway.conftest import ask, gateway
from tests.support.postgres import FindingsDb
from tests.support.sessions import kinds

Stub = gateway_pb2_grpc.GatewayServiceStub
RESEARCH = "What must a firm do when it suspects money laundering by a customer?"


@contextlib.asynccontextmanager
async def replicas(
    targets: dict[str, str], database_url: str, redis_url: str
) -> AsyncIterator[tuple[Stub, Stub]]:
    settings = {"database_url": database_url, "redis_url": redis_url, "poll_seconds": 5.0}
    async with gateway(targets, **settings) as one, gateway(targets, **settings) as two:
        yield one, two


async def test_a_session_asked_on_one_replica_is_resumed_on_the_other(
    workers: dict[str, str], fresh_findings_db: FindingsDb, redis_url: str
) -> None:
    async with replicas(workers, fresh_findings_db.owner, redis_url) as (one, two):
        call = one.Ask(gateway_pb2.AskRequest(question=RESEARCH), timeout=60)
        first: list[gateway_pb2.SessionEvent] = []
        async for response in call:
            first.append(response.event)
            if response.event.HasField("plan_ready"):
                break  # the caller drops the stream mid-session
        call.cancel()
        started = first[0].session_started
        # Resumed on the other replica while the first still runs it: the rest, live,
        # word of each new event coming over Redis (a poll would take 5 s per wait).
        resumed = [
            r.event
            async for r in two.Resume(
                gateway_pb2.ResumeRequest(
                    session_id=started.session_id,
                    resume_token=started.resume_token,
                    after_seq=first[-1].seq,
                ),
                timeout=60,
            )
        ]
        seqs = [e.seq for e in first + resumed]
        assert seqs == list(range(1, len(seqs) + 1))
        assert kinds(resumed)[-1] == "final_response"
        assert resumed[-1].final_response.answer
        # Read on either replica: the same session, the same head of the chain.
        got = [
            (await stub.GetSession(gateway_pb2.GetSessionRequest(session_id=started.session_id)))
            for stub in (one, two)
        ]
        assert got[0].session.head_hash == got[1].session.head_hash
        assert got[1].session.last_seq == seqs[-1]
        assert got[1].session.state == gateway_pb2.SESSION_STATE_COMPLETED
        assert got[1].session.final_response.answer == resumed[-1].final_response.answer
        conn = await asyncpg.connect(fresh_findings_db.owner)
        try:
            head, links = await read_links(conn, started.session_id, seconds=5)
        finally:
            await conn.close()
        assert chain.first_break(links, head=head) is None
        assert head.hex() == got[0].session.head_hash


async def test_a_greeting_through_the_postgres_log_is_whole(
    planner_only: dict[str, str], fresh_findings_db: FindingsDb, redis_url: str
) -> None:
    async with replicas(planner_only, fresh_findings_db.owner, redis_url) as (one, two):
        events = await ask(one, "Hello!")
        assert kinds(events)[0] == "session_started" and kinds(events)[-1] == "final_response"
        started = events[0].session_started
        replayed = [
            r.event
            async for r in two.Resume(
                gateway_pb2.ResumeRequest(
                    session_id=started.session_id, resume_token=started.resume_token
                ),
                timeout=10,
            )
        ]
        assert replayed == events


async def _stored_session(pool: asyncpg.Pool, owner: str) -> StoredSession:
    session = StoredSession(
        session_id="s" * 32,
        tenant="default",
        question="q",
        resume_token_hash=token_hash("t"),
        state=gateway_pb2.SESSION_STATE_RUNNING,
        owner=owner,
        created_at=datetime.now(UTC),
    )
    return session


async def test_only_the_owner_writes_and_seqs_never_repeat(fresh_findings_db: FindingsDb) -> None:
    pool = await open_pool(fresh_findings_db.owner)
    owner = PostgresLog(pool, PostgresLogConfig(owner="replica-a"))
    intruder = PostgresLog(pool, PostgresLogConfig(owner="replica-b"))
    try:
        session = await _stored_session(pool, "replica-a")
        await owner.create(session)
        events = [
            gateway_pb2.SessionEvent(answer_delta=gateway_pb2.AnswerDelta(text=str(n)))
            for n in range(50)
        ]
        # Many appends at once: one or a few batches, each event its own seq, in order.
        stored = await asyncio.gather(*(owner.append(session.session_id, e, 1) for e in events))
        assert [s.event.seq for s in stored] == list(range(1, 51))
        assert [s.event.answer_delta.text for s in stored] == [str(n) for n in range(50)]
        with pytest.raises(Unavailable):
            await intruder.append(session.session_id, events[0], 1)
        head, links = await read_links(pool, session.session_id, seconds=5)
        assert len(links) == 50 and chain.first_break(links, head=head) is None
    finally:
        await owner.close()
        await intruder.close()
        await pool.close()


def _failures(dependency: str) -> float:
    total = 0.0
    for metric in DEPENDENCY_FAILURES.collect():
        for sample in metric.samples:
            if sample.name.endswith("_total") and sample.labels.get("dependency") == dependency:
                total += sample.value
    return total


async def test_a_database_outage_refuses_new_sessions_clearly_and_is_counted(
    planner_only: dict[str, str], fresh_findings_db: FindingsDb, redis_url: str
) -> None:
    async with gateway(planner_only, database_url=fresh_findings_db.owner) as stub:
        assert kinds(await ask(stub, "Hello!"))[-1] == "final_response"
        before = _failures("postgres")
        admin = await asyncpg.connect(fresh_findings_db.admin.rsplit("/", 1)[0] + "/postgres")
        try:
            # The database goes away under the running gateway.
            await admin.execute(f'DROP DATABASE "{fresh_findings_db.database}" WITH (FORCE)')
        finally:
            await admin.close()
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await ask(stub, "Hello!", seconds=20)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "session store" in (caught.value.details() or "")
        assert "asyncpg" not in (caught.value.details() or "")
        assert _failures("postgres") > before

"""The session store, one contract on both logs (memory; PostgreSQL with Redis word): seq
order, only stored events followed, replay after a point, live following, the end, tenants,
resume tokens, and the hash chain."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from arbiter.gateway.v1 import gateway_pb2
from arbiter_gateway import chain
from arbiter_gateway.config import GatewayConfig
from arbiter_gateway.sessions import Session, SessionStore
from arbiter_gateway.store import session_store
from arbiter_kit import tenancy
from arbiter_kit.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied

from tests.support.postgres import FindingsDb


@pytest.fixture(params=["memory", "postgres"])
def config(request: pytest.FixtureRequest) -> GatewayConfig:
    if request.param == "memory":
        return GatewayConfig(max_sessions=2)
    db: FindingsDb = request.getfixturevalue("fresh_findings_db")
    redis_url: str = request.getfixturevalue("redis_url")
    return GatewayConfig(database_url=db.owner, redis_url=redis_url, poll_seconds=0.2)


@pytest.fixture
async def store(config: GatewayConfig) -> AsyncIterator[SessionStore]:
    async with session_store(config) as opened:
        yield opened


@contextlib.contextmanager
def acting_for(tenant: str) -> AsyncIterator[None]:  # type: ignore[misc]
    token = tenancy.caller.set(tenancy.Caller(tenant=tenant))
    try:
        yield
    finally:
        tenancy.caller.reset(token)


def started(s: Session) -> gateway_pb2.SessionStarted:
    return gateway_pb2.SessionStarted(session_id=s.id, resume_token=s.resume_token)


async def events_of(s: Session, after_seq: int = 0) -> list[gateway_pb2.SessionEvent]:
    return [e async for e in s.follow(after_seq)]


async def test_events_get_consecutive_seq_and_a_timestamp(store: SessionStore) -> None:
    s = await store.open("q")
    for n in range(3):
        await s.emit(planning_started=gateway_pb2.PlanningStarted(message=str(n)))
    await s.emit(final_response=gateway_pb2.FinalResponse(answer="x"))
    seen = await asyncio.wait_for(events_of(s), 10)
    assert [e.seq for e in seen] == [1, 2, 3, 4]
    assert all(e.time.seconds > 0 and e.session_id == s.id for e in seen)
    assert [e.planning_started.message for e in seen[:3]] == ["0", "1", "2"]


async def test_follow_replays_after_seq_then_follows_live_until_the_end(
    store: SessionStore,
) -> None:
    s = await store.open("q")
    await s.emit(planning_started=gateway_pb2.PlanningStarted(message="a"))
    await s.emit(planning_started=gateway_pb2.PlanningStarted(message="b"))
    seen: list[int] = []
    replayed = asyncio.Event()

    async def follower() -> None:
        async for event in s.follow(after_seq=1):
            seen.append(event.seq)
            replayed.set()

    task = asyncio.create_task(follower())
    await asyncio.wait_for(replayed.wait(), 10)
    assert seen == [2]
    await s.emit(answer_delta=gateway_pb2.AnswerDelta(text="x"))
    await s.emit(final_response=gateway_pb2.FinalResponse(answer="x"))
    await asyncio.wait_for(task, 10)
    assert seen == [2, 3, 4]
    assert s.finished


async def test_nothing_is_appended_after_the_terminal_event(store: SessionStore) -> None:
    s = await store.open("q")
    await s.emit(error=gateway_pb2.Error(code="INTERNAL"))
    with pytest.raises(FailedPrecondition):
        await s.emit(answer_delta=gateway_pb2.AnswerDelta(text="late"))
    assert [e.WhichOneof("payload") for e in await events_of(s)] == ["error"]


async def test_a_finished_session_is_followed_from_the_log(store: SessionStore) -> None:
    s = await store.open("q")
    await s.emit(session_started=started(s))
    await s.emit(final_response=gateway_pb2.FinalResponse(answer="done"))
    await asyncio.wait_for(events_of(s), 10)
    store.ran(s)
    assert store.running(s.id) is None
    stored = await store.authorise(s.id, s.resume_token)
    replayed = [e async for e in store.follow(stored, 1)]
    assert [e.seq for e in replayed] == [2]
    assert replayed[0].final_response.answer == "done"
    snapshot = await store.snapshot(s.id)
    assert snapshot.last_seq == 2 and snapshot.final_response.answer == "done"
    assert snapshot.head_hash == s.head_hash.hex() and len(snapshot.head_hash) == 64
    with pytest.raises(InvalidArgument, match="after_seq"):
        [e async for e in store.follow(stored, 3)]


async def test_resume_tokens_are_checked_whatever_their_characters(store: SessionStore) -> None:
    s = await store.open("q")
    assert (await store.authorise(s.id, s.resume_token)).session_id == s.id
    for token in ("wrong", "é", "\U0001f600", "", s.resume_token + "é"):
        with pytest.raises(PermissionDenied):
            await store.authorise(s.id, token)


async def test_another_tenants_session_is_not_found(store: SessionStore) -> None:
    with acting_for("acme"):
        s = await store.open("q")
    with acting_for("globex"), pytest.raises(NotFound):
        await store.authorise(s.id, s.resume_token)
    with acting_for("globex"), pytest.raises(NotFound):
        await store.snapshot(s.id)
    with acting_for("acme"):
        assert (await store.snapshot(s.id)).session_id == s.id


async def test_the_stored_chain_holds_and_ends_at_the_head(store: SessionStore) -> None:
    s = await store.open("q")
    await s.emit(session_started=started(s))
    await s.emit(answer_delta=gateway_pb2.AnswerDelta(text="x" * 100))
    await s.emit(final_response=gateway_pb2.FinalResponse(answer="x"))
    delivered = await asyncio.wait_for(events_of(s), 10)
    head, links = await store.log.links(s.id)
    assert [x.seq for x in links] == [1, 2, 3]
    assert chain.first_break(links, head=head) is None and head == s.head_hash
    # What is stored is what was delivered, seq apart.
    assert [chain.event_of(x.seq, x.payload) for x in links] == delivered


async def test_the_memory_log_drops_the_oldest_finished_sessions() -> None:
    async with session_store(GatewayConfig(max_sessions=2)) as store:
        first = await store.open("one")
        first.state = gateway_pb2.SESSION_STATE_COMPLETED
        await first.emit(final_response=gateway_pb2.FinalResponse())
        second = await store.open("two")
        third = await store.open("three")
        with pytest.raises(NotFound):
            await store.find(first.id)
        assert (await store.find(second.id)).question == "two"
        assert (await store.find(third.id)).question == "three"

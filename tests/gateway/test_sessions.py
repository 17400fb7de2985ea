"""The session event log: seq order, replay after a point, live following, the end."""

from __future__ import annotations

import asyncio

import pytest
from arbiter.gateway.v1 import gateway_pb2
from arbiter_gateway.sessions import Session, SessionRegistry
from arbiter_kit.errors import FailedPrecondition, NotFound, PermissionDenied


async def test_events_get_consecutive_seq_and_a_timestamp():
    s = Session("q")
    for n in range(3):
        await s.emit(planning_started=gateway_pb2.PlanningStarted(message=str(n)))
    assert [e.seq for e in s.events] == [1, 2, 3]
    assert all(e.time.seconds > 0 and e.session_id == s.id for e in s.events)


async def test_follow_replays_after_seq_then_follows_live_until_the_end():
    s = Session("q")
    await s.emit(planning_started=gateway_pb2.PlanningStarted(message="a"))
    await s.emit(planning_started=gateway_pb2.PlanningStarted(message="b"))
    seen: list[int] = []
    replayed = asyncio.Event()

    async def follower() -> None:
        async for event in s.follow(after_seq=1):
            seen.append(event.seq)
            replayed.set()

    task = asyncio.create_task(follower())
    await asyncio.wait_for(replayed.wait(), 5)
    assert seen == [2]
    await s.emit(answer_delta=gateway_pb2.AnswerDelta(text="x"))
    await s.emit(final_response=gateway_pb2.FinalResponse(answer="x"))
    await asyncio.wait_for(task, 1)
    assert seen == [2, 3, 4]
    assert s.finished


async def test_nothing_is_appended_after_the_terminal_event():
    s = Session("q")
    await s.emit(error=gateway_pb2.Error(code="INTERNAL"))
    with pytest.raises(FailedPrecondition):
        await s.emit(answer_delta=gateway_pb2.AnswerDelta(text="late"))
    assert len(s.events) == 1


async def test_registry_checks_tokens_and_evicts_oldest_finished_sessions():
    reg = SessionRegistry(capacity=2)
    first = reg.open("one")
    await first.emit(final_response=gateway_pb2.FinalResponse())
    second = reg.open("two")
    third = reg.open("three")
    with pytest.raises(NotFound):
        reg.get(first.id)
    assert reg.get(second.id) is second and reg.get(third.id) is third
    assert reg.authorise(second.id, second.resume_token) is second
    with pytest.raises(PermissionDenied):
        reg.authorise(second.id, "wrong")


async def test_follow_after_the_last_event_of_an_ended_session_ends_at_once():
    s = Session("q")
    await s.emit(planning_started=gateway_pb2.PlanningStarted(message="a"))
    await s.emit(final_response=gateway_pb2.FinalResponse(answer="x"))

    async def seqs(after_seq: int) -> list[int]:
        return [e.seq async for e in s.follow(after_seq=after_seq)]

    assert await asyncio.wait_for(seqs(2), 5) == []
    assert await asyncio.wait_for(seqs(1), 5) == [2]


async def test_tokens_compare_safely_whatever_their_characters():
    reg = SessionRegistry(capacity=2)
    session = reg.open("q")
    for token in ("é", "\U0001f600", "", session.resume_token + "é"):
        with pytest.raises(PermissionDenied):
            reg.authorise(session.id, token)

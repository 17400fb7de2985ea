"""Sessions: the ones this replica runs (`Session`: the run's state, its events once stored)
and every session in the log, on any replica (`SessionStore`: open, authorise, follow,
snapshot). An event reaches a follower only once the log has stored it: the Ask stream and
a Resume here read the running session's stored events from memory; a Resume on another
replica reads the log and wakes on the bus."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import uuid
from collections.abc import AsyncIterator
from typing import Any

from arbiter.common.v1 import common_pb2
from arbiter.gateway.v1 import gateway_pb2
from arbiter_kit.errors import (
    ArbiterError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unavailable,
    shown,
)
from arbiter_kit.tenancy import current_tenant
from google.protobuf import timestamp_pb2

from arbiter_gateway import chain
from arbiter_gateway.bus import Bus
from arbiter_gateway.event_log import (
    LIVE_STATES,
    EventLog,
    Stored,
    StoredSession,
    now,
    plan_and_final,
    token_hash,
    token_matches,
)

State = gateway_pb2.SessionState
TERMINAL_EVENTS = frozenset({"final_response", "error"})
READ_BATCH = 500
"""Most events read from the log at once by a follower."""


def is_terminal(event: gateway_pb2.SessionEvent) -> bool:
    return event.WhichOneof("payload") in TERMINAL_EVENTS


class Session:
    """One question's run on this replica: its plan, state and stored events."""

    def __init__(
        self, stored: StoredSession, *, resume_token: str, log: EventLog, bus: Bus
    ) -> None:
        self.id = stored.session_id
        self.tenant = stored.tenant
        self.resume_token = resume_token
        self.question = stored.question
        self.state: gateway_pb2.SessionState = State.SESSION_STATE_RUNNING
        self.plan = common_pb2.Plan()
        self.final = gateway_pb2.FinalResponse()
        self.created_at = timestamp_pb2.Timestamp()
        self.created_at.FromDatetime(stored.created_at)
        self.events: list[gateway_pb2.SessionEvent] = []
        """The stored events, in seq order."""
        self.head_hash = chain.GENESIS
        self.task: asyncio.Task[None] | None = None
        self.log = log
        self.bus = bus
        self._ending = False
        self._failure: ArbiterError | None = None
        self._changed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    @property
    def finished(self) -> bool:
        """No event will be stored after the last one."""
        return (bool(self.events) and is_terminal(self.events[-1])) or self._failure is not None

    @property
    def ended(self) -> bool:
        """No event may be appended: the terminal one was, or storing failed."""
        return self._ending or self._failure is not None

    async def emit(self, **payload: Any) -> None:
        """Append one event (e.g. `emit(plan_ready=PlanReady(...))`); followers get it once
        it is stored. The run does not wait for the store: the log keeps the order."""
        if self.ended:
            raise FailedPrecondition("the session has already ended")
        event = gateway_pb2.SessionEvent(session_id=self.id, **payload)
        event.time.GetCurrentTime()
        self._ending = is_terminal(event)
        self.log.append(self.id, event, self.state).add_done_callback(self._stored)

    def _stored(self, future: asyncio.Future[Stored]) -> None:
        error = None if future.cancelled() else future.exception()
        if future.cancelled() or error is not None:
            if self._failure is None:
                self._failure = (
                    error
                    if isinstance(error, ArbiterError)
                    else Unavailable("the session's events could not be stored")
                )
                if self.task is not None:
                    self.task.cancel()
        else:
            stored = future.result()
            self.events.append(stored.event)
            self.head_hash = stored.hash
            self.bus.publish(self.id)
        changed, self._changed = self._changed, asyncio.get_running_loop().create_future()
        changed.set_result(None)

    async def follow(self, after_seq: int = 0) -> AsyncIterator[gateway_pb2.SessionEvent]:
        """The stored events after `after_seq`, then the live ones, until the terminal
        event; raises the log's error if the session's events could not be stored."""
        next_index = after_seq
        while True:
            if len(self.events) > next_index:
                batch = self.events[next_index:]
                next_index += len(batch)
                for event in batch:
                    yield event
                if is_terminal(batch[-1]):
                    return
                continue
            if self._failure is not None:
                raise self._failure
            if self.finished:
                return
            await asyncio.shield(self._changed)

    def snapshot(self) -> gateway_pb2.Session:
        return gateway_pb2.Session(
            session_id=self.id,
            question=self.question,
            state=self.state,
            plan=self.plan,
            last_seq=len(self.events),
            created_at=self.created_at,
            final_response=self.final,
            head_hash=self.head_hash.hex(),
        )


class SessionStore:
    """Every session of the log, as this replica serves it."""

    def __init__(self, log: EventLog, bus: Bus, *, owner: str, poll_seconds: float) -> None:
        self.log = log
        self.bus = bus
        self.owner = owner
        self.poll_seconds = poll_seconds
        self._running: dict[str, Session] = {}

    async def open(self, question: str) -> Session:
        """A new session of the caller's tenant, stored before anything is sent (a log that
        cannot store it refuses it: UNAVAILABLE)."""
        token = secrets.token_urlsafe(24)
        stored = StoredSession(
            session_id=uuid.uuid4().hex,
            tenant=current_tenant(),
            question=question,
            resume_token_hash=token_hash(token),
            state=State.SESSION_STATE_RUNNING,
            owner=self.owner,
            created_at=now(),
        )
        await self.log.create(stored)
        session = Session(stored, resume_token=token, log=self.log, bus=self.bus)
        self._running[session.id] = session
        return session

    def ran(self, session: Session) -> None:
        """The run is over: once its last event is stored, followers read it from the log."""
        if session.finished:
            self._running.pop(session.id, None)
            return
        waiter = asyncio.ensure_future(_drained(session))
        waiter.add_done_callback(lambda _: self._running.pop(session.id, None))

    def running(self, session_id: str) -> Session | None:
        """The session if this replica runs it."""
        return self._running.get(session_id)

    async def find(self, session_id: str) -> StoredSession:
        """The caller's tenant's session (another tenant's is not found, not forbidden)."""
        stored = await self.log.session(session_id, current_tenant())
        if stored is None:
            raise NotFound(f"no session {shown(session_id)}", reason="SESSION_NOT_FOUND")
        return stored

    async def authorise(self, session_id: str, resume_token: str) -> StoredSession:
        stored = await self.find(session_id)
        if not token_matches(stored.resume_token_hash, resume_token):
            raise PermissionDenied("the resume token does not match", reason="BAD_RESUME_TOKEN")
        return stored

    async def follow(
        self, stored: StoredSession, after_seq: int
    ) -> AsyncIterator[gateway_pb2.SessionEvent]:
        """The session's stored events after `after_seq`, then the live ones, wherever
        the session runs, until its terminal event."""
        if after_seq > stored.last_seq:
            raise InvalidArgument("after_seq", f"the session has {stored.last_seq} events")
        local = self._running.get(stored.session_id)
        if local is not None:
            async for event in local.follow(after_seq):
                yield event
            return
        if stored.state not in LIVE_STATES and after_seq == stored.last_seq:
            return  # ended, and nothing is after the caller's last event
        async with self.bus.subscribe(stored.session_id) as word:
            after = after_seq
            while True:
                batch = await self.log.events(stored.session_id, after, limit=READ_BATCH)
                for event in batch:
                    yield event
                    after = event.seq
                    if is_terminal(event):
                        return
                if len(batch) < READ_BATCH:
                    await word.wait(self.poll_seconds)

    async def snapshot(self, session_id: str) -> gateway_pb2.Session:
        stored = await self.find(session_id)
        local = self._running.get(session_id)
        if local is not None:
            return local.snapshot()
        events = await self.log.events(session_id, 0, limit=stored.last_seq or 1)
        plan, final = plan_and_final(events)
        created = timestamp_pb2.Timestamp()
        created.FromDatetime(stored.created_at)
        return gateway_pb2.Session(
            session_id=stored.session_id,
            question=stored.question,
            state=stored.state,  # type: ignore[arg-type]
            plan=plan.plan,
            last_seq=stored.last_seq,
            created_at=created,
            final_response=final,
            head_hash=stored.head_hash.hex(),
        )


async def _drained(session: Session) -> None:
    """Until the session's last event is stored (or storing failed: the session says so to
    its followers)."""
    with contextlib.suppress(ArbiterError):
        async for _ in session.follow(len(session.events)):
            pass

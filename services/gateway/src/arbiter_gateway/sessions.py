"""Sessions and their event logs: every event gets the next seq, is kept, and is
delivered to whoever follows the session (the Ask stream, a Resume)."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

from arbiter.common.v1 import common_pb2
from arbiter.gateway.v1 import gateway_pb2
from arbiter_kit.errors import FailedPrecondition, NotFound, PermissionDenied, shown
from google.protobuf import timestamp_pb2

State = gateway_pb2.SessionState
TERMINAL_EVENTS = frozenset({"final_response", "error"})


class Session:
    """One question's run: its plan, state and append-only event log."""

    def __init__(self, question: str) -> None:
        self.id = uuid.uuid4().hex
        self.resume_token = secrets.token_urlsafe(24)
        self.question = question
        self.state: gateway_pb2.SessionState = State.SESSION_STATE_RUNNING
        self.plan = common_pb2.Plan()
        self.final = gateway_pb2.FinalResponse()
        self.created_at = timestamp_pb2.Timestamp()
        self.created_at.GetCurrentTime()
        self.events: list[gateway_pb2.SessionEvent] = []
        self.task: asyncio.Task[None] | None = None
        self._changed = asyncio.Condition()

    @property
    def finished(self) -> bool:
        return bool(self.events) and self.events[-1].WhichOneof("payload") in TERMINAL_EVENTS

    async def emit(self, **payload: Any) -> gateway_pb2.SessionEvent:
        """Append one event (e.g. `emit(plan_ready=PlanReady(...))`) and wake followers."""
        if self.finished:
            raise FailedPrecondition("the session has already ended")
        event = gateway_pb2.SessionEvent(seq=len(self.events) + 1, session_id=self.id, **payload)
        event.time.GetCurrentTime()
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()
        return event

    async def follow(self, after_seq: int = 0) -> AsyncIterator[gateway_pb2.SessionEvent]:
        """The events after `after_seq`, then the live ones, until the terminal event (at
        once when the session has ended and nothing is after `after_seq`)."""
        next_index = after_seq
        while True:
            async with self._changed:
                await self._changed.wait_for(partial(self._has_more, next_index))
                batch = self.events[next_index:]
            if not batch:
                return
            for event in batch:
                yield event
            next_index += len(batch)
            if batch[-1].WhichOneof("payload") in TERMINAL_EVENTS:
                return

    def _has_more(self, index: int) -> bool:
        """Events past `index` to deliver, or none ever will be (the session has ended)."""
        return len(self.events) > index or self.finished

    def snapshot(self) -> gateway_pb2.Session:
        return gateway_pb2.Session(
            session_id=self.id,
            question=self.question,
            state=self.state,
            plan=self.plan,
            last_seq=len(self.events),
            created_at=self.created_at,
            final_response=self.final,
        )


class SessionRegistry:
    """The sessions this replica holds, bounded: the oldest finished ones go first."""

    def __init__(self, *, capacity: int) -> None:
        self.capacity = capacity
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def open(self, question: str) -> Session:
        session = Session(question)
        self._sessions[session.id] = session
        self._evict()
        return session

    def get(self, session_id: str) -> Session:
        session = self._sessions.get(session_id)
        if session is None:
            raise NotFound(
                f"no session {shown(session_id)} on this gateway", reason="SESSION_NOT_FOUND"
            )
        return session

    def authorise(self, session_id: str, resume_token: str) -> Session:
        session = self.get(session_id)
        # compare_digest takes str only when both are ASCII; bytes compare any token.
        if not secrets.compare_digest(session.resume_token.encode(), resume_token.encode()):
            raise PermissionDenied("the resume token does not match", reason="BAD_RESUME_TOKEN")
        return session

    def _evict(self) -> None:
        finished = [sid for sid, s in self._sessions.items() if s.finished]
        while len(self._sessions) > self.capacity and finished:
            del self._sessions[finished.pop(0)]

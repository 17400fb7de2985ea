"""Where sessions and their events are kept: the `EventLog` interface, what it stores of a
session, and the in-memory log (one gateway, nothing survives it). The PostgreSQL log
(pg_log.py) is the production one: durable, shared by every replica.

An event is appended without a seq; the log gives it the next one, chains its hash
(chain.py) and resolves the append's future with it once it is stored. Whoever follows
a session only ever sees stored events."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

from arbiter.gateway.v1 import gateway_pb2

from arbiter_gateway import chain

State = gateway_pb2.SessionState
LIVE_STATES = frozenset({State.SESSION_STATE_RUNNING, State.SESSION_STATE_AWAITING_APPROVAL})
"""States of a session still being run: retention never removes these."""


def token_hash(token: str) -> bytes:
    """What is stored of a resume token: its SHA-256 (the token itself is random, 192 bits)."""
    return hashlib.sha256(token.encode()).digest()


def token_matches(stored: bytes, token: str) -> bool:
    """Whether `token` is the one whose hash is `stored`, in constant time."""
    return secrets.compare_digest(stored, token_hash(token))


@dataclass(frozen=True)
class StoredSession:
    """A session as the log keeps it."""

    session_id: str
    tenant: str
    question: str
    resume_token_hash: bytes
    state: int
    owner: str
    """The replica that runs it."""
    created_at: datetime
    last_seq: int = 0
    head_hash: bytes = chain.GENESIS


@dataclass(frozen=True)
class Stored:
    """An appended event once stored: with its seq, and its hash in the chain."""

    event: gateway_pb2.SessionEvent
    hash: bytes


class EventLog(Protocol):
    """Sessions and their append-only, hash-chained event logs."""

    async def create(self, session: StoredSession) -> None:
        """Store a new session (no events yet); raises Unavailable when the log cannot."""

    def append(
        self, session_id: str, event: gateway_pb2.SessionEvent, state: int
    ) -> asyncio.Future[Stored]:
        """Queue `event` (its seq ignored; the caller lets go of it) with the session's
        state after it; the future
        resolves once it is stored (or fails with Unavailable). Events of one session are
        stored, and their futures resolved, in the order they were appended."""

    async def session(self, session_id: str, tenant: str) -> StoredSession | None:
        """The session, if it exists and belongs to `tenant`."""

    async def events(
        self, session_id: str, after_seq: int, *, limit: int
    ) -> list[gateway_pb2.SessionEvent]:
        """Up to `limit` stored events after `after_seq`, in order."""

    async def links(self, session_id: str) -> tuple[bytes, list[chain.Link]]:
        """The session's recorded head hash and every stored event as the chain sees it."""

    async def close(self) -> None:
        """Store what is queued, then let go of the log's resources."""


class MemoryLog:
    """The log of a gateway without a database: one replica, bounded (the oldest finished
    sessions go first), lost when the process ends."""

    def __init__(self, *, capacity: int) -> None:
        self.capacity = capacity
        self._sessions: OrderedDict[str, StoredSession] = OrderedDict()
        self._events: dict[str, list[chain.Link]] = {}

    async def create(self, session: StoredSession) -> None:
        self._sessions[session.session_id] = session
        self._events[session.session_id] = []
        self._evict()

    def append(
        self, session_id: str, event: gateway_pb2.SessionEvent, state: int
    ) -> asyncio.Future[Stored]:
        future: asyncio.Future[Stored] = asyncio.get_running_loop().create_future()
        stored = self._sessions.get(session_id)
        if stored is None:  # evicted while it ran: only with a capacity below the running
            future.set_exception(KeyError(session_id))
            return future
        seq, payload = stored.last_seq + 1, chain.payload(event)
        digest = chain.link(stored.head_hash, seq, payload)
        self._events[session_id].append(chain.Link(seq, payload, digest))
        self._sessions[session_id] = replace(stored, last_seq=seq, head_hash=digest, state=state)
        future.set_result(Stored(chain.event_of(seq, payload), digest))
        return future

    async def session(self, session_id: str, tenant: str) -> StoredSession | None:
        stored = self._sessions.get(session_id)
        return stored if stored is not None and stored.tenant == tenant else None

    async def events(
        self, session_id: str, after_seq: int, *, limit: int
    ) -> list[gateway_pb2.SessionEvent]:
        links = self._events.get(session_id, [])[after_seq : after_seq + limit]
        return [chain.event_of(x.seq, x.payload) for x in links]

    async def links(self, session_id: str) -> tuple[bytes, list[chain.Link]]:
        stored = self._sessions.get(session_id)
        return (stored.head_hash if stored else chain.GENESIS), list(
            self._events.get(session_id, [])
        )

    async def close(self) -> None:
        return None

    def _evict(self) -> None:
        finished = [s for s, v in self._sessions.items() if v.state not in LIVE_STATES]
        while len(self._sessions) > self.capacity and finished:
            gone = finished.pop(0)
            del self._sessions[gone]
            del self._events[gone]


def now() -> datetime:
    return datetime.now(UTC)


def plan_and_final(
    events: Sequence[gateway_pb2.SessionEvent],
) -> tuple[gateway_pb2.PlanReady, gateway_pb2.FinalResponse]:
    """The latest plan and the final response among a session's events (empty if none)."""
    plan, final = gateway_pb2.PlanReady(), gateway_pb2.FinalResponse()
    for event in events:
        kind = event.WhichOneof("payload")
        if kind == "plan_ready":
            plan = event.plan_ready
        elif kind == "awaiting_approval":
            plan = gateway_pb2.PlanReady(plan=event.awaiting_approval.plan)
        elif kind == "final_response":
            final = event.final_response
    return plan, final

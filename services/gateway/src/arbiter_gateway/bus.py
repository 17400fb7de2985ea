"""Word that a session has new stored events, for the replicas that follow it without running
it (a Resume on another replica). It carries no events: a follower reads them from the log,
the source of truth, so a lost message costs a poll interval, never an event. Redis pub/sub
between replicas (production); in-process for a gateway that runs alone."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Protocol

import redis.asyncio as aioredis
from arbiter_kit.metrics import DEPENDENCY_FAILURES

log = logging.getLogger(__name__)

CHANNEL_PREFIX = "arbiter:session:"


class Subscription:
    """One follower's wake-up: set by any word about its session since its last wait."""

    def __init__(self) -> None:
        self._word = asyncio.Event()

    def notify(self) -> None:
        self._word.set()

    async def wait(self, seconds: float) -> None:
        """Until word arrives or `seconds` pass (the follower then reads anyway)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._word.wait(), seconds)
        self._word.clear()


class Bus(Protocol):
    """Word of new events, per session."""

    def publish(self, session_id: str) -> None:
        """Say (without waiting) that `session_id` has new stored events."""

    def subscribe(self, session_id: str) -> contextlib.AbstractAsyncContextManager[Subscription]:
        """Follow word about `session_id` while the block runs."""

    async def close(self) -> None: ...


class LocalBus:
    """Word within this process."""

    def __init__(self) -> None:
        self._followers: dict[str, set[Subscription]] = {}

    def publish(self, session_id: str) -> None:
        for follower in self._followers.get(session_id, ()):
            follower.notify()

    def followed(self, session_id: str) -> bool:
        return session_id in self._followers

    @contextlib.asynccontextmanager
    async def subscribe(self, session_id: str) -> AsyncIterator[Subscription]:
        sub = Subscription()
        self._followers.setdefault(session_id, set()).add(sub)
        try:
            yield sub
        finally:
            followers = self._followers[session_id]
            followers.discard(sub)
            if not followers:
                del self._followers[session_id]

    async def close(self) -> None:
        self._followers.clear()


class RedisBus:
    """Word between replicas over Redis pub/sub: publishes are coalesced per session and sent
    by one task; one pub/sub connection per replica holds the channels of the sessions
    followed here. Every call is bounded by the socket timeout (asyncio.wait_for around
    redis-py's calls was seen to hang a reply). Redis down: publishes are dropped and
    counted, followers poll the log."""

    def __init__(self, url: str, *, timeout_seconds: float = 2.0) -> None:
        self.timeout = timeout_seconds
        # Publishing and listening on separate clients: a reply to a publish must never wait
        # behind the pub/sub connection's reads.
        self._redis, self._listener = (
            aioredis.from_url(
                url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds
            )
            for _ in range(2)
        )
        self._pubsub = self._listener.pubsub(ignore_subscribe_messages=True)
        self._local = LocalBus()
        self._pending: set[str] = set()
        self._wake = asyncio.Event()
        self._subscribed: set[str] = set()
        self._listening = asyncio.Event()
        self._closing = False
        self._tasks = [
            asyncio.create_task(self._publish_forever()),
            asyncio.create_task(self._listen_forever()),
        ]

    def publish(self, session_id: str) -> None:
        self._pending.add(session_id)
        self._wake.set()

    @contextlib.asynccontextmanager
    async def subscribe(self, session_id: str) -> AsyncIterator[Subscription]:
        async with self._local.subscribe(session_id) as sub:
            channel = CHANNEL_PREFIX + session_id
            try:
                await self._pubsub.subscribe(channel)
                self._subscribed.add(session_id)
                self._listening.set()
            except (aioredis.RedisError, OSError, TimeoutError) as error:
                self._failed("subscribe", error)
            try:
                yield sub
            finally:
                if not self._local.followed(session_id):
                    self._subscribed.discard(session_id)
                    with contextlib.suppress(aioredis.RedisError, OSError, TimeoutError):
                        await self._pubsub.unsubscribe(channel)

    async def close(self) -> None:
        # The publisher ends between publishes (cancelled while it connects, redis-py
        # would leave the socket open); the listener may be cancelled anywhere.
        publisher, listener = self._tasks
        self._closing = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(publisher), self.timeout * 2)
        except TimeoutError:
            publisher.cancel()
        listener.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        # Each on its own: one that fails (a connection cut mid-read) must not leave the
        # others open.
        for closing in (self._pubsub.aclose, self._listener.aclose, self._redis.aclose):
            try:
                await closing()
            except (aioredis.RedisError, OSError, RuntimeError) as error:
                self._failed("close", error)

    async def _publish_forever(self) -> None:
        while not (self._closing and not self._pending):
            await self._wake.wait()
            self._wake.clear()
            sessions, self._pending = self._pending, set()
            for session_id in sessions:
                try:
                    await self._redis.publish(CHANNEL_PREFIX + session_id, b"1")
                except (aioredis.RedisError, OSError, TimeoutError) as error:
                    self._failed("publish", error)

    async def _listen_forever(self) -> None:
        while True:
            if not self._subscribed:
                self._listening.clear()
                await self._listening.wait()
                continue
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except (aioredis.RedisError, OSError, TimeoutError) as error:
                self._failed("listen", error)
                await asyncio.sleep(1.0)
                continue
            if message and message.get("type") == "message":
                channel = message["channel"].decode()
                self._local.publish(channel.removeprefix(CHANNEL_PREFIX))

    def _failed(self, what: str, error: BaseException) -> None:
        DEPENDENCY_FAILURES.labels("redis", type(error).__name__).inc()
        log.warning("session bus: %s failed: %s", what, error)

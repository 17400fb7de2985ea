"""Whether a downstream's server can be reached, as its channel tells it.

A breaker alone learns only from calls, and a call on a channel that is still
reconnecting fails at once: trials spent that way re-open the breaker while the worker
is already back. The channel knows better: it says when a connection is up again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import grpc

_READY = grpc.ChannelConnectivity.READY


class Reachability:
    """One downstream channel's connectivity, as the client kit uses it: `lost()` and
    `answered()` after calls, `back()` while the breaker is open, `connected()` before a
    trial call."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._channel = channel
        # Set once the server was seen unreachable (a call failed UNAVAILABLE on a channel
        # without a connection), cleared by any answer: only then does a connection
        # coming back say that the server came back.
        self._unreachable = False

    def lost(self, code: grpc.StatusCode) -> None:
        """A call failed with `code`: note whether it failed for want of a connection."""
        if code is grpc.StatusCode.UNAVAILABLE and not self._ready(connect=False):
            self._unreachable = True

    @property
    def unreachable(self) -> bool:
        """Whether the server was last seen unreachable."""
        return self._unreachable

    async def watch(self, *, still_needed: Callable[[], bool], poll: float) -> bool:
        """Keep the channel connecting while `still_needed()`; True once it is connected.

        A breaker that refuses every call sends nothing that would reconnect the
        channel, so the first question after the server returns would be refused too.
        """
        while still_needed():
            state = self._channel.get_state(try_to_connect=True)
            if state is _READY:
                return True
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(poll):
                    await self._channel.wait_for_state_change(state)
        return False

    def answered(self) -> None:
        """A call was answered: the server is reachable."""
        self._unreachable = False

    def back(self) -> bool:
        """Whether the server, once seen unreachable, accepts connections again.

        Asks the channel to connect if it is idle, so a breaker that refuses every call
        still learns when the server returns.
        """
        if not self._ready(connect=True):
            self._unreachable = True
            return False
        if self._unreachable:
            self._unreachable = False
            return True
        return False

    async def connected(self, *, within: float) -> bool:
        """Whether the channel is connected, waiting at most `within` seconds for it."""
        if self._ready(connect=True):
            return True
        if within <= 0.0:
            return False
        try:
            async with asyncio.timeout(within):
                await self._channel.channel_ready()
        except TimeoutError:
            return False
        return True

    def _ready(self, *, connect: bool) -> bool:
        return self._channel.get_state(try_to_connect=connect) is _READY

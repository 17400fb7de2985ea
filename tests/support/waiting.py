"""Waiting for state that announces itself by no event (a count kept by another process,
a handler that ends a moment after its client): poll a condition, with a bound."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable

POLL_SECONDS = 0.02
"""Between two looks at the condition: short enough that a test waits little longer
than the state takes to arrive."""


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]], *, within: float, what: str
) -> None:
    """Return as soon as `condition()` holds; fail naming `what` if it still does not
    after `within` seconds (a bound for a broken build, not a measure of speed)."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + within
    while True:
        held = condition()
        if inspect.isawaitable(held):
            held = await held
        if held:
            return
        if loop.time() >= give_up:
            raise AssertionError(f"{what}: still not so after {within} s")
        await asyncio.sleep(POLL_SECONDS)

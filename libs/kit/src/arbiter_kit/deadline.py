"""The request budget: a deadline that every outbound call derives its timeout from."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import grpc

from arbiter_kit.errors import DeadlineExceeded


@dataclass(frozen=True)
class Deadline:
    """An absolute point on the monotonic clock by which the work must end."""

    at: float
    """`time.monotonic()` value of the deadline."""

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    @classmethod
    def of_call(cls, context: grpc.aio.ServicerContext[Any, Any], *, default: float) -> Deadline:
        """The deadline the caller set on this call, or `default` seconds from now."""
        remaining = context.time_remaining()
        return cls.after(default if remaining is None else remaining)

    def remaining(self) -> float:
        """Seconds left; never negative."""
        return max(0.0, self.at - time.monotonic())

    def expired(self) -> bool:
        return self.remaining() <= 0.0

    def timeout(self, *, cap: float | None = None, reserve: float = 0.0) -> float:
        """A timeout for one outbound call: what is left, less `reserve`, at most `cap`.

        Raises DeadlineExceeded when nothing is left, so no call starts without time.
        """
        left = self.remaining() - reserve
        if left <= 0.0:
            raise DeadlineExceeded("the request's deadline has passed")
        return left if cap is None else min(left, cap)

    def shorter(self, seconds: float) -> Deadline:
        """This deadline, or one `seconds` from now if that comes first."""
        return Deadline(min(self.at, time.monotonic() + seconds))

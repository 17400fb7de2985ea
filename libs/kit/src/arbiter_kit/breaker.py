"""A resilience4j-style circuit breaker, one per downstream service per caller.

CLOSED records outcomes in a count-based sliding window and opens when, once
`minimum_calls` are recorded, the failure rate or the slow-call rate reaches its
threshold. OPEN refuses every call for `open_seconds`, then HALF_OPEN admits
`half_open_calls` trial calls and closes or re-opens on their rates.
"""

from __future__ import annotations

import enum
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import grpc

from arbiter_kit import metrics
from arbiter_kit.errors import Unavailable

log = logging.getLogger(__name__)

# What a downstream's failure says about its health. Caller errors (INVALID_ARGUMENT,
# NOT_FOUND, ...) prove the downstream is up and answering, so they count as success.
FAILURE_CODES = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.DATA_LOSS,
    }
)


def is_failure(code: grpc.StatusCode) -> bool:
    """Whether a call that ended with `code` counts against the downstream's health."""
    return code in FAILURE_CODES


class BreakerState(enum.IntEnum):
    """The breaker's states; the values are what the state gauge exports."""

    CLOSED = 0
    OPEN = 1
    HALF_OPEN = 2


@dataclass(frozen=True)
class BreakerConfig:
    """When a circuit breaker opens, how long it stays open, and how it probes."""

    default: ClassVar[BreakerConfig]
    """The defaults above, as one shared instance."""

    window_size: int = 20
    """How many of the most recent calls the rates are computed over (count-based)."""
    minimum_calls: int = 10
    """Calls to record before the rates may open the breaker."""
    failure_rate_threshold: float = 50.0
    """Failure rate, in percent, at or above which the breaker opens."""
    slow_call_seconds: float = 10.0
    """A call that takes at least this long is slow."""
    slow_call_rate_threshold: float = 100.0
    """Slow-call rate, in percent, at or above which the breaker opens."""
    open_seconds: float = 5.0
    """How long an open breaker refuses calls before it admits trial calls."""
    half_open_calls: int = 3
    """Trial calls admitted in HALF_OPEN; their rates decide between CLOSED and OPEN."""

    def __post_init__(self) -> None:
        if self.window_size < 1 or self.minimum_calls < 1 or self.half_open_calls < 1:
            raise ValueError("window_size, minimum_calls and half_open_calls must be >= 1")
        for rate in (self.failure_rate_threshold, self.slow_call_rate_threshold):
            if not 0.0 < rate <= 100.0:
                raise ValueError(f"a rate threshold must be in (0, 100], got {rate}")
        if self.half_open_calls > self.window_size:
            raise ValueError("half_open_calls must not exceed window_size")
        if self.slow_call_seconds <= 0.0 or self.open_seconds < 0.0:
            raise ValueError("slow_call_seconds must be > 0 and open_seconds >= 0")


BreakerConfig.default = BreakerConfig()


class CircuitBreaker:
    """Guards one downstream: `acquire()` before a call, `record()` after it.

    Not thread-safe by design: one breaker lives on one event loop.
    """

    def __init__(
        self,
        name: str,
        config: BreakerConfig | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.config = config or BreakerConfig.default
        self._clock = clock
        self._state = BreakerState.CLOSED
        # (failed, slow) per recorded call, newest last.
        self._window: deque[tuple[bool, bool]] = deque(maxlen=self.config.window_size)
        self._opened_at = 0.0
        self._trials_admitted = 0
        # Bumped on every transition: an outcome recorded against an older epoch belongs
        # to a call admitted in an earlier state and must not sway the current one.
        self._epoch = 0
        metrics.BREAKER_STATE.labels(name).set(int(self._state))

    @property
    def state(self) -> BreakerState:
        """The current state; an OPEN breaker whose wait is over reads HALF_OPEN."""
        if (
            self._state is BreakerState.OPEN
            and self._clock() - self._opened_at >= self.config.open_seconds
        ):
            self._transition(BreakerState.HALF_OPEN)
        return self._state

    def acquire(self) -> int:
        """Admit one call or raise Unavailable(reason="CIRCUIT_OPEN").

        Returns the epoch to pass back to `record` or `release`.
        """
        state = self.state
        if state is BreakerState.HALF_OPEN and self._trials_admitted < self.config.half_open_calls:
            self._trials_admitted += 1
        elif state is not BreakerState.CLOSED:
            metrics.BREAKER_REJECTED.labels(self.name).inc()
            detail = "open" if state is BreakerState.OPEN else "half-open, trial calls in flight"
            raise Unavailable(
                f"{self.name}: circuit breaker is {detail}; not calling {self.name}",
                reason="CIRCUIT_OPEN",
                metadata={"downstream": self.name},
            )
        return self._epoch

    def retry_now(self) -> None:
        """The downstream is reachable again: an OPEN breaker admits its trial calls now
        instead of waiting out `open_seconds`."""
        if self._state is BreakerState.OPEN:
            self._transition(BreakerState.HALF_OPEN)

    def release(self, epoch: int | None = None) -> None:
        """Give back an admitted call that ended without an outcome (e.g. cancelled)."""
        if self._state is BreakerState.HALF_OPEN and epoch in (None, self._epoch):
            self._trials_admitted = max(0, self._trials_admitted - 1)

    def record(self, success: bool, seconds: float, *, epoch: int | None = None) -> None:
        """Record the outcome of an admitted call that took `seconds`."""
        if epoch is not None and epoch != self._epoch:
            return
        if self._state is BreakerState.OPEN:
            return
        self._window.append((not success, seconds >= self.config.slow_call_seconds))
        if self._state is BreakerState.CLOSED:
            enough = len(self._window) >= min(self.config.minimum_calls, self.config.window_size)
            if enough and self._over_threshold():
                self._transition(BreakerState.OPEN)
        elif len(self._window) >= self.config.half_open_calls:
            over = self._over_threshold()
            self._transition(BreakerState.OPEN if over else BreakerState.CLOSED)

    def rates(self) -> tuple[float, float]:
        """(failure rate, slow-call rate) in percent over the recorded calls."""
        if not self._window:
            return 0.0, 0.0
        n = len(self._window)
        failed = sum(1 for f, _ in self._window if f)
        slow = sum(1 for _, s in self._window if s)
        return 100.0 * failed / n, 100.0 * slow / n

    def _over_threshold(self) -> bool:
        failure_rate, slow_rate = self.rates()
        return (
            failure_rate >= self.config.failure_rate_threshold
            or slow_rate >= self.config.slow_call_rate_threshold
        )

    def _transition(self, to: BreakerState) -> None:
        before = self._state
        failure_rate, slow_rate = self.rates()
        self._state = to
        self._epoch += 1
        self._window.clear()
        self._trials_admitted = 0
        if to is BreakerState.OPEN:
            self._opened_at = self._clock()
        metrics.BREAKER_STATE.labels(self.name).set(int(to))
        metrics.BREAKER_TRANSITIONS.labels(self.name, before.name, to.name).inc()
        log.warning(
            "circuit breaker %s: %s -> %s",
            self.name,
            before.name,
            to.name,
            extra={
                "downstream": self.name,
                "failure_rate": round(failure_rate, 1),
                "slow_call_rate": round(slow_rate, 1),
            },
        )

"""The client kit: one `Downstream` per service a caller talks to.

Each call gets a timeout from the caller's remaining budget, passes a circuit breaker
and a bound on in-flight calls, carries the request/session/trace ids, and is counted
in the `grpc_client_*` metrics. Unary calls are retried by gRPC itself (service-config
`retryPolicy`, UNAVAILABLE only, with `retryThrottling`); server streams are retried
here, and only while no result has arrived. The breaker listens to the channel too: once
the downstream was unreachable, it admits trial calls as soon as the channel connects
again, and a trial waits for the connection rather than fail on a channel still
reconnecting.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import grpc

from arbiter_kit import logs, metrics
from arbiter_kit.breaker import BreakerConfig, BreakerState, CircuitBreaker, is_failure
from arbiter_kit.config import NOT_FROM_ENV, env_override
from arbiter_kit.deadline import Deadline
from arbiter_kit.errors import (
    ArbiterError,
    DeadlineExceeded,
    Unavailable,
    error_for_code,
    error_info,
)
from arbiter_kit.reachability import Reachability
from arbiter_kit.retries import RetryPolicy, RetryThrottle

__all__ = ["Downstream", "DownstreamConfig", "RetryPolicy", "downstream_error"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DownstreamConfig:
    """How a caller reaches one downstream service."""

    name: str = field(metadata=NOT_FROM_ENV)
    """Short name of the downstream (`planner`); labels metrics, errors and env keys."""
    target: str
    """gRPC target, e.g. `127.0.0.1:50052` or `dns:///planner:50052`."""
    call_timeout_seconds: float = 30.0
    """Cap on any one call, below the caller's budget."""
    max_in_flight: int = 64
    """Bound on concurrent calls on this channel; more wait for a slot."""
    max_message_bytes: int = 16 * 1024 * 1024
    """Largest message sent or received."""
    retry: RetryPolicy = RetryPolicy.default
    """Retries on UNAVAILABLE."""
    breaker: BreakerConfig = BreakerConfig.default
    """This downstream's circuit breaker."""
    max_reconnect_backoff_seconds: float = 1.0
    """Longest wait between attempts to reconnect to a lost downstream, so a restarted
    worker is found within about this long (gRPC's own default grows to 120 s)."""
    trial_connect_seconds: float = 2.0
    """How long a half-open breaker's trial call waits for the channel to connect
    before it counts as a failure."""

    def __post_init__(self) -> None:
        if self.call_timeout_seconds <= 0 or self.max_in_flight < 1:
            raise ValueError("call_timeout_seconds must be > 0 and max_in_flight >= 1")
        if self.max_reconnect_backoff_seconds < 0.1 or self.trial_connect_seconds <= 0:
            raise ValueError(
                "max_reconnect_backoff_seconds must be >= 0.1 and trial_connect_seconds > 0"
            )

    @classmethod
    def from_env(
        cls, name: str, *, default_target: str, env: Mapping[str, str] | None = None
    ) -> DownstreamConfig:
        """Read `<NAME>_<FIELD>` for every field but the name, the retry policy's and
        breaker's as `<NAME>_RETRY_<FIELD>` and `<NAME>_BREAKER_<FIELD>` (e.g.
        `PLANNER_TARGET`, `PLANNER_BREAKER_OPEN_SECONDS`)."""
        e = os.environ if env is None else env
        prefix = name.upper().replace("-", "_")
        return env_override(e, prefix, cls(name=name, target=default_target))

    def channel_options(self) -> list[tuple[str, Any]]:
        max_backoff_ms = round(self.max_reconnect_backoff_seconds * 1000)
        return [
            # gRPC waits 1 s, then 1.6x longer each time, up to 120 s, between attempts to
            # reconnect: a worker restarted after a few seconds' outage would be found
            # seconds after it is healthy. (`grpc.min_reconnect_backoff_ms` is the time
            # one connection attempt is given, not a wait: its default stays.)
            ("grpc.initial_reconnect_backoff_ms", min(100, max_backoff_ms)),
            ("grpc.max_reconnect_backoff_ms", max_backoff_ms),
            ("grpc.enable_retries", 1),
            ("grpc.service_config", json.dumps(self.retry.service_config())),
            ("grpc.max_send_message_length", self.max_message_bytes),
            ("grpc.max_receive_message_length", self.max_message_bytes),
            # Notice a dead peer (a killed pod) within ~40 s even on an idle channel; the
            # kit's servers permit pings this often.
            ("grpc.keepalive_time_ms", 30_000),
            ("grpc.keepalive_timeout_ms", 10_000),
            ("grpc.keepalive_permit_without_calls", 1),
        ]


def downstream_error(name: str, error: grpc.aio.AioRpcError) -> ArbiterError:
    """The ArbiterError for a failed call to downstream `name`.

    Same status code; the downstream's ErrorInfo reason when it sent one, else
    `<NAME>_<CODE>`; the ErrorInfo metadata plus `downstream`. The message is
    `<name>: <details>` only when the downstream's own server wrote the status (it
    carries an ErrorInfo, and Arbiter's servers never put internals there); a status
    made by the transport (connection refused, deadline) names addresses and
    internals, so it becomes a fixed sentence and the details go to the log.
    """
    code = error.code()
    info = error_info(error)
    metadata = dict(info.metadata) if info is not None else {}
    metadata["downstream"] = name
    if info is not None:
        message = f"{name}: {error.details() or code.name}"
    else:
        log.info("%s call failed: %s %s", name, code.name, error.details())
        message = f"{name}: {_TRANSPORT_MESSAGES.get(code, 'the call failed')}"
    reason = info.reason if info is not None and info.reason else None
    return error_for_code(
        code, message, reason=reason or _transport_reason(name, code), metadata=metadata
    )


def _transport_reason(name: str, code: grpc.StatusCode) -> str:
    """The reason of a failure the downstream did not describe itself: `PLANNER_UNAVAILABLE`."""
    return f"{name.upper().replace('-', '_')}_{code.name}"


_TRANSPORT_MESSAGES = {
    grpc.StatusCode.UNAVAILABLE: "the service is unavailable",
    grpc.StatusCode.DEADLINE_EXCEEDED: "no answer within the deadline",
    grpc.StatusCode.CANCELLED: "the call was cancelled",
    grpc.StatusCode.RESOURCE_EXHAUSTED: "the service is overloaded",
    grpc.StatusCode.UNIMPLEMENTED: "the service does not offer this method",
}


class _ClientCall:
    """Metrics for one outbound call attempt."""

    def __init__(self, method: Any, kind: str) -> None:
        # grpc.aio multicallables keep their method name only in a private attribute;
        # a missing name must cost a label, never a call.
        raw = getattr(method, "_method", b"")
        full = raw.decode() if isinstance(raw, bytes) else str(raw)
        service, name = metrics.split_method(full) if full.count("/") == 2 else ("", "")
        self.labels = (kind, service or "unknown", name or "unknown")
        self.started = time.perf_counter()
        metrics.CLIENT_STARTED.labels(*self.labels).inc()
        metrics.CLIENT_MSG_SENT.labels(*self.labels).inc()

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def received(self) -> None:
        metrics.CLIENT_MSG_RECEIVED.labels(*self.labels).inc()

    def done(self, code: grpc.StatusCode) -> None:
        metrics.CLIENT_HANDLED.labels(*self.labels, code.name).inc()
        metrics.CLIENT_HANDLING.labels(*self.labels).observe(self.elapsed())


class Downstream:
    """One downstream service as a caller sees it: channel, breaker, bounds, metrics.

    Create it inside the running event loop: a `grpc.aio` channel belongs to the loop
    it was created on.
    """

    def __init__(self, config: DownstreamConfig) -> None:
        self.config = config
        self.name = config.name
        self.breaker = CircuitBreaker(config.name, config.breaker)
        self.channel: grpc.aio.Channel = grpc.aio.insecure_channel(
            config.target, options=config.channel_options()
        )
        self._slots = asyncio.Semaphore(config.max_in_flight)
        self._throttle = RetryThrottle(config.retry)
        self._reachability = Reachability(self.channel)
        self._watcher: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Downstream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
        await self.channel.close(None)

    async def unary(
        self,
        method: grpc.aio.UnaryUnaryMultiCallable[Any, Any],
        request: Any,
        *,
        deadline: Deadline,
    ) -> Any:
        """Call a unary method within `deadline`; failures raise ArbiterError."""
        async with self._slot(deadline):
            epoch = await self._admit(deadline)
            timeout = deadline.timeout(cap=self.config.call_timeout_seconds)
            call = _ClientCall(method, "unary")
            try:
                response = await method(request, timeout=timeout, metadata=logs.outgoing_metadata())
            except grpc.aio.AioRpcError as error:
                raise self._failed(error, call, epoch, call.elapsed()) from error
            except BaseException as error:
                # Cancelled by our caller, or broken before it left (e.g. a request of
                # the wrong type): neither says anything about the downstream's health.
                self.breaker.release(epoch)
                cancelled = isinstance(error, asyncio.CancelledError)
                call.done(grpc.StatusCode.CANCELLED if cancelled else grpc.StatusCode.UNKNOWN)
                raise
            call.received()
            call.done(grpc.StatusCode.OK)
            self._answered(call.elapsed(), epoch)
            return response

    async def stream(
        self,
        method: grpc.aio.UnaryStreamMultiCallable[Any, Any],
        request: Any,
        *,
        deadline: Deadline,
        is_result: Callable[[Any], bool],
    ) -> AsyncIterator[Any]:
        """Call a server-streaming method within `deadline`, yielding its messages.

        On UNAVAILABLE before any message for which `is_result` holds, the call is
        re-issued (backoff, breaker, budget permitting); the caller then sees the
        progress messages of the new attempt too. A caller that stops reading early
        should `aclose()` the iterator so the call and its slot are freed at once.
        """
        policy = self.config.retry
        attempt = 0
        while True:
            attempt += 1
            got_result = False
            failure: grpc.aio.AioRpcError | None = None
            async with self._slot(deadline):
                epoch = await self._admit(deadline)
                timeout = deadline.timeout(cap=self.config.call_timeout_seconds)
                metrics_call = _ClientCall(method, "server_stream")
                call = method(request, timeout=timeout, metadata=logs.outgoing_metadata())
                # A stream's length is the work it reports on; how soon it answers is
                # what says whether the downstream is slow.
                first_message: float | None = None
                try:
                    async for message in call:
                        metrics_call.received()
                        if first_message is None:
                            first_message = metrics_call.elapsed()
                        got_result = got_result or is_result(message)
                        yield message
                except grpc.aio.AioRpcError as error:
                    failure = error
                except BaseException:
                    # The consumer stopped reading or was cancelled: end the call, and
                    # let its outcome count only if the result had arrived.
                    call.cancel()
                    metrics_call.done(grpc.StatusCode.CANCELLED)
                    if got_result:
                        self._answered(first_message or 0.0, epoch)
                    else:
                        self.breaker.release(epoch)
                    raise
                seconds = metrics_call.elapsed() if first_message is None else first_message
                if failure is None:
                    metrics_call.done(grpc.StatusCode.OK)
                    self._answered(seconds, epoch)
                    self._throttle.succeeded()
                    return
                error_out = self._failed(failure, metrics_call, epoch, seconds)
            if failure.code() is grpc.StatusCode.UNAVAILABLE:
                self._throttle.failed()
            wait = policy.backoff(attempt)
            if (
                failure.code() is not grpc.StatusCode.UNAVAILABLE
                or got_result
                or attempt >= policy.max_attempts
                or not self._throttle.allows_retry()
                or deadline.remaining() <= wait
            ):
                raise error_out from failure
            metrics.RETRIES.labels(self.name).inc()
            log.info(
                "retrying %s stream after UNAVAILABLE",
                self.name,
                extra={"downstream": self.name, "attempt": attempt, "backoff_seconds": wait},
            )
            await asyncio.sleep(wait)

    async def _admit(self, deadline: Deadline) -> int:
        """Pass the breaker; the epoch to record the call's outcome against.

        An open breaker whose downstream was unreachable admits trial calls as soon as
        the channel is connected again, whatever is left of its open time. A trial
        waits for the channel to connect (within the deadline and `trial_connect_seconds`)
        instead of failing at once on a channel that is still reconnecting.
        """
        if self.breaker.state is BreakerState.OPEN and self._reachability.back():
            self.breaker.retry_now()
        self._watch_while_open()
        epoch = self.breaker.acquire()
        if self.breaker.state is not BreakerState.HALF_OPEN:
            return epoch
        bound = self.config.trial_connect_seconds
        within = min(deadline.remaining(), bound)
        try:
            connected = await self._reachability.connected(within=within)
        except BaseException:
            self.breaker.release(epoch)
            raise
        if connected:
            return epoch
        metadata = {"downstream": self.name}
        if within < bound:
            # The caller's deadline, not the downstream, ended the wait.
            self.breaker.release(epoch)
            raise DeadlineExceeded(
                f"{self.name}: no connection before the deadline", metadata=metadata
            )
        self.breaker.record(False, within, epoch=epoch)
        metrics.DEPENDENCY_FAILURES.labels(self.name, grpc.StatusCode.UNAVAILABLE.name).inc()
        raise Unavailable(
            f"{self.name}: {_TRANSPORT_MESSAGES[grpc.StatusCode.UNAVAILABLE]}",
            reason=_transport_reason(self.name, grpc.StatusCode.UNAVAILABLE),
            metadata=metadata,
        )

    def _watch_while_open(self) -> None:
        """While the breaker is open on an unreachable downstream, keep the channel
        connecting in the background and admit trials the moment it connects."""
        if self.breaker.state is not BreakerState.OPEN or not self._reachability.unreachable:
            return
        if self._watcher is None or self._watcher.done():
            self._watcher = asyncio.create_task(self._watch())

    async def _watch(self) -> None:
        connected = await self._reachability.watch(
            still_needed=lambda: self.breaker.state is BreakerState.OPEN,
            poll=self.config.max_reconnect_backoff_seconds,
        )
        if connected and self._reachability.back():
            self.breaker.retry_now()

    def _answered(self, seconds: float, epoch: int) -> None:
        """Record an attempt the downstream answered."""
        self._reachability.answered()
        self.breaker.record(True, seconds, epoch=epoch)

    def _failed(
        self, error: grpc.aio.AioRpcError, call: _ClientCall, epoch: int, seconds: float
    ) -> ArbiterError:
        """Record a failed attempt everywhere it counts; the error to raise for it."""
        code = error.code()
        call.done(code)
        self._reachability.lost(code)
        self.breaker.record(not is_failure(code), seconds, epoch=epoch)
        self._watch_while_open()
        metrics.DEPENDENCY_FAILURES.labels(self.name, code.name).inc()
        return downstream_error(self.name, error)

    @contextlib.asynccontextmanager
    async def _slot(self, deadline: Deadline) -> AsyncIterator[None]:
        """Hold one of the channel's in-flight slots, waiting at most until `deadline`."""
        try:
            async with asyncio.timeout(deadline.timeout()):
                await self._slots.acquire()
        except TimeoutError:
            raise DeadlineExceeded(
                f"{self.name}: no free call slot before the deadline",
                metadata={"downstream": self.name},
            ) from None
        try:
            yield
        finally:
            self._slots.release()

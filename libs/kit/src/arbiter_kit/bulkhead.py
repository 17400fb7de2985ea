"""The server's bulkhead: a bound on the service's own calls in progress, refusing the
rest at once, so an overloaded service says so instead of queueing without end.

Probes (health, reflection) are not counted: a probe must tell whether the process is
alive and serving even when every slot is taken, or an orchestrator restarts a healthy,
merely busy pod.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from arbiter_kit.errors import ResourceExhausted

PROBE_SERVICES = frozenset(
    {
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    }
)
"""Services whose calls never count against, nor wait for, the bulkhead."""


class Bulkhead:
    """At most `limit` calls in progress; one more is refused with RESOURCE_EXHAUSTED
    and a RetryInfo of `retry_after` seconds.

    Not thread-safe by design: a server's handlers all run on its one event loop.
    """

    def __init__(self, limit: int, *, retry_after: float) -> None:
        if limit < 1:
            raise ValueError(f"a bulkhead needs a limit >= 1, got {limit}")
        self.limit = limit
        self.retry_after = retry_after
        self.in_flight = 0

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot for the block, or raise ResourceExhausted when none is free."""
        if self.in_flight >= self.limit:
            raise ResourceExhausted(
                f"the server is at its limit of {self.limit} calls in progress; "
                f"retry after {self.retry_after:g} s",
                reason="BULKHEAD_FULL",
                metadata={"limit": str(self.limit)},
                retry_delay=self.retry_after,
            )
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1

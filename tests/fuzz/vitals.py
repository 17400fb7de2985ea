"""A service process's signs of life while it is fuzzed: does it answer its health
check, and how much memory does it hold (VmRSS)."""

from __future__ import annotations

from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

HEALTH_TIMEOUT = 2.0
"""A health check must answer within this; the issue asks for a second, and the 2 cores
are shared with other work, so twice that."""
HEALTH_ATTEMPTS = 3
"""A service fails the check only when it misses this many in a row (it stopped
answering, rather than answered late once on a busy machine)."""


def rss_bytes(pid: int) -> int:
    """The resident set size of process `pid` (VmRSS of /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise LookupError(f"no VmRSS for process {pid}")


async def healthy(channel: grpc.aio.Channel) -> str | None:
    """None when the server says SERVING; otherwise what it said last, or why not."""
    stub = health_pb2_grpc.HealthStub(channel)
    why = ""
    for _ in range(HEALTH_ATTEMPTS):
        try:
            reply = await stub.Check(health_pb2.HealthCheckRequest(), timeout=HEALTH_TIMEOUT)
        except grpc.aio.AioRpcError as error:
            why = f"{error.code().name}: {error.details()}"
            continue
        if reply.status == health_pb2.HealthCheckResponse.SERVING:
            return None
        why = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    return why

"""Where each Arbiter service listens unless its settings say otherwise: one port per
service on loopback, the gateway's default worker targets and the CLI's defaults."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

DEFAULT_HOST = "127.0.0.1"
"""Interface a service binds, and where its callers find it, by default."""
PORTS: Mapping[str, int] = MappingProxyType(
    {"gateway": 50051, "planner": 50052, "search": 50053, "analysis": 50054, "audit": 50055}
)
"""Default gRPC port of each service (`<SERVICE>_PORT` moves it)."""
WORKERS = ("planner", "search", "analysis", "audit")
"""The services the gateway calls, in the order a suite starts them."""
METRICS_PORT_OFFSET = 1000
"""A service's Prometheus port is its gRPC port plus this unless `<SERVICE>_METRICS_PORT`
is set."""


def local_target(service: str) -> str:
    """Where `service` listens by default, e.g. `127.0.0.1:50052` for the planner."""
    return f"{DEFAULT_HOST}:{PORTS[service]}"

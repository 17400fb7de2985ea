"""Typed configuration read once from the environment at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from arbiter_kit.errors import InvalidArgument


def env_str(env: Mapping[str, str], key: str, default: str) -> str:
    return env.get(key, default)


def env_int(env: Mapping[str, str], key: str, default: int) -> int:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise InvalidArgument(key, f"expected an integer, got {raw!r}") from None


def env_float(env: Mapping[str, str], key: str, default: float) -> float:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise InvalidArgument(key, f"expected a number, got {raw!r}") from None


def env_bool(env: Mapping[str, str], key: str, default: bool) -> bool:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class ServerConfig:
    """How a service's gRPC server listens and behaves."""

    host: str = "127.0.0.1"
    """Interface to bind."""
    port: int = 0
    """gRPC port; 0 picks a free one."""
    metrics_port: int | None = 0
    """Prometheus HTTP port; 0 picks a free one, None serves no metrics."""
    max_concurrent_rpcs: int = 256
    """Bulkhead: calls beyond this fail fast with RESOURCE_EXHAUSTED."""
    max_message_bytes: int = 16 * 1024 * 1024
    """Largest message received or sent."""
    grace_seconds: float = 10.0
    """On SIGTERM, how long in-flight calls may finish."""
    keepalive_time_ms: int = 30_000
    """Interval of server keepalive pings."""
    keepalive_timeout_ms: int = 10_000
    """How long a keepalive ping may go unanswered."""

    @classmethod
    def from_env(
        cls, prefix: str, *, default_port: int, env: Mapping[str, str] | None = None
    ) -> ServerConfig:
        """Read `<PREFIX>_HOST`, `_PORT`, `_METRICS_PORT`, ... (e.g. prefix `PLANNER`)."""
        e = os.environ if env is None else env
        metrics = env_int(e, f"{prefix}_METRICS_PORT", default_port + 1000)
        return cls(
            host=env_str(e, f"{prefix}_HOST", "127.0.0.1"),
            port=env_int(e, f"{prefix}_PORT", default_port),
            metrics_port=None if metrics < 0 else metrics,
            max_concurrent_rpcs=env_int(e, f"{prefix}_MAX_CONCURRENT_RPCS", 256),
            max_message_bytes=env_int(e, f"{prefix}_MAX_MESSAGE_BYTES", 16 * 1024 * 1024),
            grace_seconds=env_float(e, f"{prefix}_GRACE_SECONDS", 10.0),
        )

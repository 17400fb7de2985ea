"""Typed configuration read once from the environment at start-up."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from arbiter_kit.errors import InvalidArgument

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    D = TypeVar("D", bound=DataclassInstance)


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


def env_override(env: Mapping[str, str], prefix: str, defaults: D) -> D:
    """`defaults` with each str/int/float/bool field replaced by `<PREFIX>_<FIELD>` if set.

    E.g. prefix `PLANNER_BREAKER` and field `open_seconds` read `PLANNER_BREAKER_OPEN_SECONDS`.
    """
    changes: dict[str, object] = {}
    for field in dataclasses.fields(defaults):
        key = f"{prefix}_{field.name.upper()}"
        if env.get(key, "") == "":
            continue
        value = getattr(defaults, field.name)
        # bool before int: bool is an int subclass.
        if isinstance(value, bool):
            changes[field.name] = env_bool(env, key, value)
        elif isinstance(value, int):
            changes[field.name] = env_int(env, key, value)
        elif isinstance(value, float):
            changes[field.name] = env_float(env, key, value)
        elif isinstance(value, str):
            changes[field.name] = env_str(env, key, value)
    return dataclasses.replace(defaults, **changes)


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
    """Bulkhead: the service's own calls beyond this fail fast with RESOURCE_EXHAUSTED
    (health and reflection are not counted)."""
    retry_after_seconds: float = 1.0
    """The retry delay (RetryInfo) a caller refused by the bulkhead is given."""
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
        """Read `<PREFIX>_HOST`, `_PORT`, `_METRICS_PORT` (-1: none), `_MAX_CONCURRENT_RPCS`,
        `_RETRY_AFTER_SECONDS`, `_MAX_MESSAGE_BYTES`, `_GRACE_SECONDS`,
        `_KEEPALIVE_TIME_MS`, `_KEEPALIVE_TIMEOUT_MS` (e.g. prefix `PLANNER`)."""
        e = os.environ if env is None else env
        port = env_int(e, f"{prefix}_PORT", default_port)
        # The metrics port follows the gRPC port (+1000) unless set; port 0 (any free
        # port, as in tests) gets any free metrics port too.
        metrics = env_int(e, f"{prefix}_METRICS_PORT", port + 1000 if port else 0)
        return cls(
            host=env_str(e, f"{prefix}_HOST", "127.0.0.1"),
            port=port,
            metrics_port=None if metrics < 0 else metrics,
            max_concurrent_rpcs=env_int(e, f"{prefix}_MAX_CONCURRENT_RPCS", 256),
            retry_after_seconds=env_float(e, f"{prefix}_RETRY_AFTER_SECONDS", 1.0),
            max_message_bytes=env_int(e, f"{prefix}_MAX_MESSAGE_BYTES", 16 * 1024 * 1024),
            grace_seconds=env_float(e, f"{prefix}_GRACE_SECONDS", 10.0),
            keepalive_time_ms=env_int(e, f"{prefix}_KEEPALIVE_TIME_MS", 30_000),
            keepalive_timeout_ms=env_int(e, f"{prefix}_KEEPALIVE_TIMEOUT_MS", 10_000),
        )

"""Typed configuration read once from the environment at start-up.

A settings class is a frozen dataclass whose field defaults are the defaults; one
helper, `env_override`, reads the environment over them, so no default is written
twice. A field's variable is `<PREFIX>_<FIELD>` unless its metadata says otherwise
(`env_name`, `NOT_FROM_ENV`).
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

from arbiter_kit.addresses import DEFAULT_HOST, METRICS_PORT_OFFSET
from arbiter_kit.errors import InvalidArgument, shown

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    D = TypeVar("D", bound=DataclassInstance)

_ENV = "arbiter_env"
"""The dataclass field metadata key `env_override` reads a field's variable from."""
NOT_FROM_ENV: Mapping[str, Any] = types.MappingProxyType({_ENV: None})
"""Field metadata: the field is not a setting (e.g. a downstream's name)."""


def env_name(suffix: str) -> Mapping[str, Any]:
    """Field metadata: the field's variable is `<PREFIX>_<suffix>` rather than
    `<PREFIX>_<FIELD>` (for a nested settings class, its prefix)."""
    return types.MappingProxyType({_ENV: suffix})


def env_str(env: Mapping[str, str], key: str, default: str) -> str:
    return env.get(key, default)


def env_int(env: Mapping[str, str], key: str, default: int) -> int:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise InvalidArgument(key, f"expected an integer, got {shown(raw)}") from None


def env_float(env: Mapping[str, str], key: str, default: float) -> float:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise InvalidArgument(key, f"expected a number, got {shown(raw)}") from None


def env_bool(env: Mapping[str, str], key: str, default: bool) -> bool:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_override(env: Mapping[str, str], prefix: str, defaults: D) -> D:
    """`defaults` with each field replaced by its variable, `<PREFIX>_<FIELD>`, if set
    (an empty value counts as unset).

    E.g. prefix `PLANNER_BREAKER` and field `open_seconds` read
    `PLANNER_BREAKER_OPEN_SECONDS`. Fields may be str, int, float, bool, a Literal of
    strings (matched ignoring case and surrounding spaces), `X | None` of those, or a
    nested settings dataclass, read with the prefix `<PREFIX>_<FIELD>`. A malformed
    value raises InvalidArgument naming its variable.
    """
    hints = _field_types(type(defaults))
    changes: dict[str, object] = {}
    for f in dataclasses.fields(defaults):
        suffix = f.metadata.get(_ENV, f.name.upper())
        if suffix is None:
            continue
        key = f"{prefix}_{suffix}"
        value = getattr(defaults, f.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes[f.name] = env_override(env, key, value)
        elif env.get(key, "") != "":
            kind = _setting_type(hints.get(f.name, type(value)))
            changes[f.name] = _parsed(env, key, kind)
    return dataclasses.replace(defaults, **changes)


def _field_types(cls: type[Any]) -> dict[str, Any]:
    """The fields' annotated types; none where an annotation cannot be resolved at run
    time (the default's own type stands in)."""
    try:
        return typing.get_type_hints(cls)
    except NameError:
        return {}


def _setting_type(hint: Any) -> Any:
    """The type a value is read as: `X` for `X | None`."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        (inner,) = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return inner
    return hint


def _parsed(env: Mapping[str, str], key: str, kind: Any) -> object:
    raw = env[key]
    # bool before int: bool is an int subclass.
    if kind is bool:
        return env_bool(env, key, False)
    if kind is int:
        return env_int(env, key, 0)
    if kind is float:
        return env_float(env, key, 0.0)
    if typing.get_origin(kind) is Literal:
        choices = typing.get_args(kind)
        wanted = raw.strip().lower()
        for choice in choices:
            if str(choice).lower() == wanted:
                return choice
        raise InvalidArgument(key, f"expected one of {choices}, got {shown(raw)}")
    return raw


@dataclass(frozen=True)
class ServerConfig:
    """How a service's gRPC server listens and behaves."""

    default: ClassVar[ServerConfig]
    """The defaults below, as one shared instance."""

    host: str = DEFAULT_HOST
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
    trim_every_seconds: float = 10.0
    """How often the process hands the free memory inside its heaps back to the system
    (glibc's malloc_trim; see arbiter_kit.memory)."""

    @classmethod
    def from_env(
        cls, prefix: str, *, default_port: int, env: Mapping[str, str] | None = None
    ) -> ServerConfig:
        """Read `<PREFIX>_<FIELD>` for every field (e.g. prefix `PLANNER`, `PLANNER_PORT`);
        `_METRICS_PORT` -1 serves no metrics."""
        e = os.environ if env is None else env
        unset = dataclasses.replace(cls.default, port=default_port, metrics_port=None)
        read = env_override(e, prefix, unset)
        metrics = read.metrics_port
        if metrics is None:
            # The metrics port follows the gRPC port unless set; port 0 (any free port,
            # as in tests) gets any free metrics port too.
            metrics = read.port + METRICS_PORT_OFFSET if read.port else 0
        return dataclasses.replace(read, metrics_port=None if metrics < 0 else metrics)


ServerConfig.default = ServerConfig()

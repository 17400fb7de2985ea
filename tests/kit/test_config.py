"""Typed configuration read from the environment."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pytest
from arbiter_kit.config import NOT_FROM_ENV, ServerConfig, env_bool, env_name, env_override
from arbiter_kit.errors import InvalidArgument


def test_server_config_defaults_follow_the_service_port() -> None:
    config = ServerConfig.from_env("PLANNER", default_port=50052, env={})
    assert (config.host, config.port, config.metrics_port) == ("127.0.0.1", 50052, 51052)
    assert config.max_concurrent_rpcs == 256


def test_server_config_metrics_port_follows_an_overridden_port() -> None:
    moved = ServerConfig.from_env("PLANNER", default_port=50052, env={"PLANNER_PORT": "60052"})
    assert moved.metrics_port == 61052
    anywhere = ServerConfig.from_env("PLANNER", default_port=50052, env={"PLANNER_PORT": "0"})
    assert (anywhere.port, anywhere.metrics_port) == (0, 0)
    off = ServerConfig.from_env("PLANNER", default_port=50052, env={"PLANNER_METRICS_PORT": "-1"})
    assert off.metrics_port is None


def test_server_config_reads_every_setting() -> None:
    env = {
        "SEARCH_HOST": "0.0.0.0",
        "SEARCH_MAX_CONCURRENT_RPCS": "8",
        "SEARCH_RETRY_AFTER_SECONDS": "0.25",
        "SEARCH_MAX_MESSAGE_BYTES": "1024",
        "SEARCH_GRACE_SECONDS": "2.5",
        "SEARCH_KEEPALIVE_TIME_MS": "5000",
    }
    config = ServerConfig.from_env("SEARCH", default_port=50053, env=env)
    assert config.host == "0.0.0.0"
    assert (config.max_concurrent_rpcs, config.max_message_bytes) == (8, 1024)
    assert config.retry_after_seconds == 0.25
    assert (config.grace_seconds, config.keepalive_time_ms) == (2.5, 5000)


def test_a_malformed_number_names_its_key() -> None:
    with pytest.raises(InvalidArgument) as bad:
        ServerConfig.from_env("PLANNER", default_port=50052, env={"PLANNER_PORT": "fifty"})
    assert bad.value.field == "PLANNER_PORT"


@pytest.mark.parametrize(("raw", "value"), [("1", True), ("true", True), ("no", False)])
def test_env_bool(raw: str, value: bool) -> None:
    assert env_bool({"X": raw}, "X", not value) is value


# --- env_override: the one way settings are read -----------------------------------------


@dataclass(frozen=True)
class _Inner:
    open_seconds: float = 5.0
    """A nested setting."""


@dataclass(frozen=True)
class _Settings:
    label: str = field(default="x", metadata=NOT_FROM_ENV)
    """Not a setting."""
    mode: Literal["rrf", "weighted"] = "rrf"
    """A choice."""
    port: int | None = None
    """An optional number."""
    timeout_seconds: float = field(default=30.0, metadata=env_name("EMBEDDINGS_TIMEOUT"))
    """A setting whose variable is not named after its field."""
    prune: bool = True
    """A flag."""
    inner: _Inner = _Inner()
    """A nested settings class."""


def test_env_override_keeps_the_defaults_when_nothing_is_set() -> None:
    assert env_override({}, "SEARCH", _Settings()) == _Settings()
    assert env_override({"SEARCH_MODE": ""}, "SEARCH", _Settings()) == _Settings()
    assert ServerConfig.from_env("PLANNER", default_port=0, env={}) == ServerConfig.default


def test_env_override_reads_every_kind_of_field() -> None:
    env = {
        "SEARCH_LABEL": "ignored",
        "SEARCH_MODE": " Weighted ",
        "SEARCH_PORT": "7",
        "SEARCH_EMBEDDINGS_TIMEOUT": "2.5",
        "SEARCH_TIMEOUT_SECONDS": "99",
        "SEARCH_PRUNE": "false",
        "SEARCH_INNER_OPEN_SECONDS": "60",
    }
    assert env_override(env, "SEARCH", _Settings()) == _Settings(
        mode="weighted", port=7, timeout_seconds=2.5, prune=False, inner=_Inner(60.0)
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [("SEARCH_MODE", "fast"), ("SEARCH_PORT", "seven"), ("SEARCH_INNER_OPEN_SECONDS", "soon")],
)
def test_env_override_names_the_variable_of_a_malformed_value(key: str, value: str) -> None:
    with pytest.raises(InvalidArgument) as bad:
        env_override({key: value * 40}, "SEARCH", _Settings())
    assert bad.value.field == key
    assert len(bad.value.message) < 200  # the value is quoted cut short

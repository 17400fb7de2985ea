"""Typed configuration read from the environment."""

from __future__ import annotations

import pytest
from arbiter_kit.config import ServerConfig, env_bool
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

"""Circuit breaker transitions, driven by an injected clock."""

from __future__ import annotations

import itertools

import grpc
import pytest
from arbiter_kit.breaker import BreakerConfig, BreakerState, CircuitBreaker, is_failure
from arbiter_kit.errors import Unavailable
from prometheus_client import REGISTRY

_names = itertools.count(1)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def breaker(clock: Clock, **config: float) -> CircuitBreaker:
    defaults = {"window_size": 10, "minimum_calls": 4, "open_seconds": 5.0, "half_open_calls": 2}
    settings = BreakerConfig(**{**defaults, **config})  # type: ignore[arg-type]
    return CircuitBreaker(f"breaker-{next(_names)}", settings, clock=clock)


def calls(b: CircuitBreaker, outcomes: str, seconds: float = 0.01) -> None:
    """Admit and record one call per character: "s" success, "f" failure."""
    for outcome in outcomes:
        epoch = b.acquire()
        b.record(outcome == "s", seconds, epoch=epoch)


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_defaults_match_resilience4j_style_settings() -> None:
    c = BreakerConfig()
    assert (c.window_size, c.minimum_calls, c.failure_rate_threshold) == (20, 10, 50.0)
    assert (c.slow_call_seconds, c.slow_call_rate_threshold) == (10.0, 100.0)
    assert (c.open_seconds, c.half_open_calls) == (5.0, 3)
    assert BreakerConfig.default == c


@pytest.mark.parametrize(
    "settings",
    [{"window_size": 0}, {"failure_rate_threshold": 0.0}, {"slow_call_rate_threshold": 101.0}],
)
def test_config_rejects_nonsense(settings: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        BreakerConfig(**settings)  # type: ignore[arg-type]


def test_stays_closed_below_minimum_calls_even_if_all_fail() -> None:
    b = breaker(Clock())
    calls(b, "fff")
    assert b.state is BreakerState.CLOSED


def test_opens_when_failure_rate_reaches_threshold() -> None:
    b = breaker(Clock())
    calls(b, "ssf")
    assert b.state is BreakerState.CLOSED
    calls(b, "f")  # 2 of 4 = 50 %
    assert b.state is BreakerState.OPEN
    assert sample("arbiter_circuit_breaker_state", downstream=b.name) == 1.0
    assert (
        sample(
            "arbiter_circuit_breaker_transitions_total",
            downstream=b.name,
            from_state="CLOSED",
            to_state="OPEN",
        )
        == 1.0
    )


def test_failure_rate_is_over_a_sliding_window_of_recent_calls() -> None:
    b = breaker(Clock(), window_size=4, minimum_calls=4)
    calls(b, "sssf")  # 25 %
    assert b.state is BreakerState.CLOSED
    calls(b, "f")  # the window holds s s f f: 50 %, where all five calls would be 40 %
    assert b.state is BreakerState.OPEN


def test_opens_on_slow_calls_even_when_they_succeed() -> None:
    b = breaker(Clock(), slow_call_seconds=1.0, slow_call_rate_threshold=75.0)
    calls(b, "ss", seconds=2.0)
    calls(b, "s", seconds=0.1)
    calls(b, "s", seconds=1.0)  # 3 of 4 slow (at the threshold counts as slow)
    assert b.state is BreakerState.OPEN


def test_open_refuses_with_unavailable_circuit_open_naming_the_downstream() -> None:
    b = breaker(Clock())
    calls(b, "ffff")
    before = sample("arbiter_circuit_breaker_rejected_total", downstream=b.name)
    with pytest.raises(Unavailable) as refused:
        b.acquire()
    assert refused.value.code is grpc.StatusCode.UNAVAILABLE
    assert refused.value.reason == "CIRCUIT_OPEN"
    assert b.name in refused.value.message
    assert sample("arbiter_circuit_breaker_rejected_total", downstream=b.name) == before + 1


def test_half_open_after_wait_then_trial_successes_close() -> None:
    clock = Clock()
    b = breaker(clock)
    calls(b, "ffff")
    clock.now += 4.9
    assert b.state is BreakerState.OPEN
    clock.now += 0.1
    assert b.state is BreakerState.HALF_OPEN
    first, second = b.acquire(), b.acquire()
    with pytest.raises(Unavailable):
        b.acquire()  # only half_open_calls trial calls at a time
    b.record(True, 0.01, epoch=first)
    assert b.state is BreakerState.HALF_OPEN
    b.record(True, 0.01, epoch=second)
    assert b.state is BreakerState.CLOSED
    assert sample("arbiter_circuit_breaker_state", downstream=b.name) == 0.0
    calls(b, "sss")  # the old failures are forgotten
    assert b.state is BreakerState.CLOSED


def test_half_open_trial_failures_reopen_for_another_wait() -> None:
    clock = Clock()
    b = breaker(clock)
    calls(b, "ffff")
    clock.now += 5.0
    calls(b, "sf")  # 50 % of the trial calls failed
    assert b.state is BreakerState.OPEN
    clock.now += 4.0
    with pytest.raises(Unavailable):
        b.acquire()
    clock.now += 1.0
    assert b.state is BreakerState.HALF_OPEN
    assert (
        sample(
            "arbiter_circuit_breaker_transitions_total",
            downstream=b.name,
            from_state="HALF_OPEN",
            to_state="OPEN",
        )
        == 1.0
    )


def test_released_trial_call_frees_its_slot() -> None:
    clock = Clock()
    b = breaker(clock, half_open_calls=1)
    calls(b, "ffff")
    clock.now += 5.0
    b.release(b.acquire())  # e.g. the caller was cancelled
    calls(b, "s")
    assert b.state is BreakerState.CLOSED


def test_outcomes_of_calls_admitted_before_a_transition_are_ignored() -> None:
    clock = Clock()
    b = breaker(clock)
    straggler = b.acquire()  # admitted while CLOSED, still running
    calls(b, "ffff")
    clock.now += 5.0
    assert b.state is BreakerState.HALF_OPEN
    b.record(False, 0.01, epoch=straggler)
    assert b.state is BreakerState.HALF_OPEN
    calls(b, "ss")
    assert b.state is BreakerState.CLOSED


@pytest.mark.parametrize(
    ("code", "failure"),
    [
        (grpc.StatusCode.UNAVAILABLE, True),
        (grpc.StatusCode.DEADLINE_EXCEEDED, True),
        (grpc.StatusCode.INTERNAL, True),
        (grpc.StatusCode.UNKNOWN, True),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, True),
        (grpc.StatusCode.DATA_LOSS, True),
        (grpc.StatusCode.INVALID_ARGUMENT, False),
        (grpc.StatusCode.NOT_FOUND, False),
        (grpc.StatusCode.PERMISSION_DENIED, False),
        (grpc.StatusCode.FAILED_PRECONDITION, False),
    ],
)
def test_which_codes_count_as_failures(code: grpc.StatusCode, failure: bool) -> None:
    assert is_failure(code) is failure

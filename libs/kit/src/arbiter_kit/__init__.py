"""Arbiter's shared kit: the server every service runs on (`server`, `interceptors`,
`metrics`, `logs`), the client every caller uses (`client`, `breaker`, `deadline`),
and the error tree and configuration both share (`errors`, `config`)."""

from arbiter_kit.breaker import BreakerConfig, BreakerState, CircuitBreaker
from arbiter_kit.client import Downstream, DownstreamConfig, RetryPolicy, downstream_error
from arbiter_kit.config import ServerConfig
from arbiter_kit.deadline import Deadline
from arbiter_kit.errors import ArbiterError
from arbiter_kit.server import Service, ServiceServer, main_for, run_until_signalled

__all__ = [
    "ArbiterError",
    "BreakerConfig",
    "BreakerState",
    "CircuitBreaker",
    "Deadline",
    "Downstream",
    "DownstreamConfig",
    "RetryPolicy",
    "ServerConfig",
    "Service",
    "ServiceServer",
    "downstream_error",
    "main_for",
    "run_until_signalled",
]

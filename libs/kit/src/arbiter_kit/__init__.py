"""Arbiter's shared kit: the server every service runs on (`server`, `interceptors`,
`metrics`, `logs`), the client every caller uses (`client`, `breaker`, `deadline`),
the error tree and configuration both share (`errors`, `config`), the request checks
every service makes (`validation`, against the contract's `limits` and `filter_fields`),
and where each service listens by default (`addresses`)."""

from arbiter_kit.breaker import BreakerConfig, BreakerState, CircuitBreaker
from arbiter_kit.client import Downstream, DownstreamConfig, downstream_error
from arbiter_kit.config import ServerConfig
from arbiter_kit.deadline import Deadline
from arbiter_kit.errors import ArbiterError
from arbiter_kit.retries import RetryPolicy
from arbiter_kit.server import (
    Service,
    ServiceServer,
    built_server,
    main_for,
    run_until_signalled,
)
from arbiter_kit.validation import (
    FilterSpec,
    max_items,
    metadata_filters,
    required_id,
    required_text,
)

__all__ = [
    "ArbiterError",
    "BreakerConfig",
    "BreakerState",
    "CircuitBreaker",
    "Deadline",
    "Downstream",
    "DownstreamConfig",
    "FilterSpec",
    "RetryPolicy",
    "ServerConfig",
    "Service",
    "ServiceServer",
    "built_server",
    "downstream_error",
    "main_for",
    "max_items",
    "metadata_filters",
    "required_id",
    "required_text",
    "run_until_signalled",
]

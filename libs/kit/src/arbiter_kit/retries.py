"""How calls to a downstream are retried: the policy (gRPC's service config for unary
calls, the same numbers for the client kit's own stream retries) and the retry
throttle the stream retries share."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class RetryPolicy:
    """How calls to a downstream are retried: on UNAVAILABLE only, with backoff."""

    default: ClassVar[RetryPolicy]
    """The defaults below, as one shared instance."""

    max_attempts: int = 3
    """Attempts per call, the first included (gRPC caps its own retries at 5)."""
    initial_backoff_seconds: float = 0.05
    """Upper bound of the random (full-jitter) wait before the first retry."""
    max_backoff_seconds: float = 1.0
    """Upper bound of the wait before any retry."""
    backoff_multiplier: float = 2.0
    """Growth of that bound from one retry to the next."""
    throttle_max_tokens: float = 10.0
    """Retry throttling bucket: a failure takes a token, retries stop at half of this."""
    throttle_token_ratio: float = 0.1
    """Retry throttling: tokens a successful call puts back."""

    def __post_init__(self) -> None:
        if not 1 <= self.max_attempts <= 5:
            raise ValueError(f"max_attempts must be in 1..5, got {self.max_attempts}")
        if self.initial_backoff_seconds <= 0 or self.max_backoff_seconds <= 0:
            raise ValueError("backoff seconds must be > 0")
        if self.backoff_multiplier < 1.0:
            raise ValueError("backoff_multiplier must be >= 1")
        # gRPC's service config holds maxTokens as a whole number (uint32).
        tokens = self.throttle_max_tokens
        if not (0 < tokens <= 1000 and float(tokens).is_integer()):
            raise ValueError(f"throttle_max_tokens must be a whole number in 1..1000: {tokens}")
        if self.throttle_token_ratio <= 0:
            raise ValueError("throttle_token_ratio must be > 0")

    def backoff(self, retry: int) -> float:
        """A full-jitter wait before retry number `retry` (1 for the first retry)."""
        bound = self.initial_backoff_seconds * self.backoff_multiplier ** (retry - 1)
        return random.uniform(0.0, min(self.max_backoff_seconds, bound))

    def service_config(self) -> dict[str, Any]:
        """The gRPC service config that makes the channel retry by this policy."""
        config: dict[str, Any] = {
            "loadBalancingConfig": [{"round_robin": {}}],
            "retryThrottling": {
                "maxTokens": int(self.throttle_max_tokens),
                "tokenRatio": self.throttle_token_ratio,
            },
        }
        if self.max_attempts > 1:  # gRPC rejects a retryPolicy with maxAttempts < 2
            config["methodConfig"] = [
                {
                    "name": [{}],  # every method of every service on this channel
                    "retryPolicy": {
                        "maxAttempts": self.max_attempts,
                        "initialBackoff": f"{self.initial_backoff_seconds:.9f}s",
                        "maxBackoff": f"{self.max_backoff_seconds:.9f}s",
                        "backoffMultiplier": self.backoff_multiplier,
                        "retryableStatusCodes": ["UNAVAILABLE"],
                    },
                }
            ]
        return config


RetryPolicy.default = RetryPolicy()


class RetryThrottle:
    """gRPC's retry throttling, for the stream retries gRPC cannot do itself."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._max = policy.throttle_max_tokens
        self._ratio = policy.throttle_token_ratio
        self._tokens = policy.throttle_max_tokens

    def failed(self) -> None:
        self._tokens = max(0.0, self._tokens - 1.0)

    def succeeded(self) -> None:
        self._tokens = min(self._max, self._tokens + self._ratio)

    def allows_retry(self) -> bool:
        return self._tokens > self._max / 2

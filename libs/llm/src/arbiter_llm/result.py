"""What a step run returns: the output, who produced it, and the model usage it cost."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from arbiter.common.v1 import common_pb2


class Outcome(StrEnum):
    """How a step run ended; the `outcome` label of `arbiter_llm_calls_total`."""

    OK = "ok"
    """The model answered and the answer passed the schema and the checks."""
    INVALID_OUTPUT = "invalid_output"
    """The model answered with malformed or invalid output."""
    ERROR = "error"
    """The model call failed (HTTP error, connection, timeout)."""
    FALLBACK = "fallback"
    """The offline rules answered instead, after one of the two above."""
    OFFLINE = "offline"
    """The offline provider answered; no model was asked."""


@dataclass(frozen=True)
class Usage:
    """Model usage, summed over calls; maps onto `common.v1.Usage`."""

    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            llm_calls=self.llm_calls + other.llm_calls,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
        )

    def message(self) -> common_pb2.Usage:
        """This usage as the `common.v1.Usage` a reply carries."""
        return common_pb2.Usage(
            llm_calls=self.llm_calls,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
        )


@dataclass(frozen=True)
class TaskResult:
    """The output of one step run; it always satisfies the task's schema and checks."""

    output: dict[str, Any]
    outcome: Outcome
    """OK when the model's answer was used; FALLBACK or OFFLINE when the rules wrote it."""
    usage: Usage = Usage()
    problems: tuple[str, ...] = ()
    """Why a model's answer was rejected, when it was."""

    @property
    def from_model(self) -> bool:
        return self.outcome is Outcome.OK


@dataclass(frozen=True)
class Fragment:
    """A piece of streamed text; all fragments of a stream concatenate to the final text."""

    text: str


@dataclass(frozen=True)
class Completed:
    """The last event of a stream."""

    result: TaskResult


StreamEvent = Fragment | Completed

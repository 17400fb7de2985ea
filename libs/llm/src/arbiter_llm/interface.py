"""The LLM interface every service codes against, and the factory that picks its
provider from configuration."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol, TypeVar

from arbiter_kit.deadline import Deadline

from arbiter_llm.config import LLMConfig
from arbiter_llm.offline import OfflineLLM
from arbiter_llm.openai_compatible import OpenAICompatibleLLM
from arbiter_llm.result import StreamEvent, TaskResult
from arbiter_llm.task import Task, TaskInput

T = TypeVar("T")


class LLM(Protocol):
    """Runs LLM-backed steps. Results always satisfy the task's schema and checks."""

    name: str
    """`offline` or `openai`."""

    async def run(self, task: Task, data: TaskInput, *, deadline: Deadline) -> TaskResult:
        """Run `task` once; raises DeadlineExceeded when no time is left to start."""
        ...

    def stream(
        self, task: Task, data: TaskInput, *, deadline: Deadline
    ) -> AsyncIterator[StreamEvent]:
        """Run a text task, yielding Fragments that concatenate to the output's text field,
        then exactly one Completed."""
        ...

    async def aclose(self) -> None: ...


def build_llm(config: LLMConfig) -> LLM:
    """The provider the configuration names."""
    if config.provider == "openai":
        return OpenAICompatibleLLM(config)
    return OfflineLLM()


@asynccontextmanager
async def open_llm(config: LLMConfig) -> AsyncIterator[LLM]:
    """The configured provider, closed (its HTTP connections too) on exit."""
    llm = build_llm(config)
    try:
        yield llm
    finally:
        await llm.aclose()


def with_llm(build: Callable[[LLM], T]) -> Callable[[], AbstractAsyncContextManager[T]]:
    """For a service's `main_for`: `build` on the provider `LLM_*` configures, which is
    opened inside the running loop and closed on shutdown."""

    @asynccontextmanager
    async def opened() -> AsyncIterator[T]:
        async with open_llm(LLMConfig.from_env()) as llm:
            yield build(llm)

    return opened

"""The offline provider: every step runs its explicit rules. No model is asked, nothing
pretends to be one, and the same input always gives the same output."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from arbiter_kit.deadline import Deadline
from arbiter_text import segments

from arbiter_llm.result import Completed, Fragment, Outcome, StreamEvent, TaskResult
from arbiter_llm.task import JSON, Task, TaskInput


async def run_rules(task: Task, data: TaskInput) -> JSON:
    """A task's offline rules, off the event loop: on large inputs they take a while."""
    return await asyncio.to_thread(task.run_offline, data)


class OfflineLLM:
    """Runs each task's offline rules."""

    name = "offline"

    async def run(self, task: Task, data: TaskInput, *, deadline: Deadline) -> TaskResult:
        deadline.timeout()  # no work starts once the caller's time is up
        output = await run_rules(task, data)
        return TaskResult(output=output, outcome=Outcome.OFFLINE)

    async def stream(
        self, task: Task, data: TaskInput, *, deadline: Deadline
    ) -> AsyncIterator[StreamEvent]:
        deadline.timeout()
        output = await run_rules(task, data)
        for piece in segments(str(output[task.text_field])):
            yield Fragment(piece)
        yield Completed(TaskResult(output=output, outcome=Outcome.OFFLINE))

    async def aclose(self) -> None:
        return None

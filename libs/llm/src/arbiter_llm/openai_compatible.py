"""The OpenAI-compatible provider: renders a task's prompt, asks any OpenAI-compatible
endpoint within the caller's deadline, validates the answer against the task's schema and
checks, and falls back to the task's offline rules when the answer or the call fails."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any, cast

import openai
from arbiter_kit import metrics
from arbiter_kit.deadline import Deadline
from arbiter_text import complete_sentences, segments
from openai.types.chat import ChatCompletionMessageParam

from arbiter_llm.config import LLMConfig
from arbiter_llm.offline import run_rules
from arbiter_llm.result import Completed, Fragment, Outcome, StreamEvent, TaskResult, Usage
from arbiter_llm.task import JSON, Task, TaskInput

log = logging.getLogger(__name__)

CONTINUATION_NOTE = (
    "\n\nNote: the rest of this answer comes from Arbiter's offline rules, "
    "because the model's answer failed validation.\n\n"
)


class InvalidOutput(Exception):
    """The model answered, but not with something the task accepts."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class OpenAICompatibleLLM:
    """Asks an OpenAI-compatible chat-completions endpoint; the offline rules back it up."""

    name = "openai"

    def __init__(self, config: LLMConfig, *, client: openai.AsyncOpenAI | None = None) -> None:
        self.config = config
        self._client = client or openai.AsyncOpenAI(
            base_url=config.base_url,
            api_key=config.api_key or "unused",
            max_retries=config.max_retries,
            timeout=config.timeout_seconds,
        )

    async def aclose(self) -> None:
        await self._client.close()

    async def run(self, task: Task, data: TaskInput, *, deadline: Deadline) -> TaskResult:
        """One non-streaming call. Raises DeadlineExceeded (before calling) when the
        caller's time is already up; every other failure falls back to the offline rules."""
        timeout = deadline.timeout(cap=self.config.timeout_seconds)
        usage = Usage(llm_calls=1)
        try:
            async with asyncio.timeout(timeout):
                response = await self._client.chat.completions.create(
                    model=self.config.model,
                    messages=_messages(task, data),
                    response_format=openai.omit if task.streams_text else {"type": "json_object"},
                    temperature=0,
                    max_tokens=task.max_tokens,
                    timeout=timeout,
                )
            if response.usage is not None:
                usage = _usage(response.usage.prompt_tokens, response.usage.completion_tokens)
            _count_tokens(task, usage)
            content = response.choices[0].message.content if response.choices else None
            output = _parse(task, content or "", data)
        except InvalidOutput as exc:
            return await self._fallback(task, data, Outcome.INVALID_OUTPUT, usage, exc.problems)
        except (openai.OpenAIError, TimeoutError) as exc:
            return await self._fallback(task, data, Outcome.ERROR, usage, [failure_reason(exc)])
        metrics.LLM_CALLS.labels(task.name, Outcome.OK.value).inc()
        return TaskResult(output=output, outcome=Outcome.OK, usage=usage)

    async def stream(
        self, task: Task, data: TaskInput, *, deadline: Deadline
    ) -> AsyncIterator[StreamEvent]:
        """Stream a text task's answer, releasing it a sentence at a time once the text so
        far passes the task's checks. On a failure nothing released is taken back: when
        text was already released, the offline answer follows it after a note."""
        if task.parse_text is None:
            raise TypeError(f"task {task.name} writes JSON; only text tasks stream")
        timeout = deadline.timeout(cap=self.config.timeout_seconds)
        ends_at = time.monotonic() + timeout
        usage = Usage(llm_calls=1)
        text = ""
        released = 0
        outcome = Outcome.OK
        problems: list[str] = []
        try:
            async with asyncio.timeout(timeout):
                chunks = await self._client.chat.completions.create(
                    model=self.config.model,
                    messages=_messages(task, data),
                    temperature=0,
                    max_tokens=task.max_tokens,
                    stream=True,
                    stream_options={"include_usage": True},
                    timeout=timeout,
                )
            async with chunks:
                iterator = chunks.__aiter__()
                while True:
                    # The timeout guards the wait for the next chunk only, never a yield.
                    async with asyncio.timeout(max(0.0, ends_at - time.monotonic())):
                        chunk = await anext(iterator, None)
                    if chunk is None:
                        break
                    if chunk.usage is not None:
                        usage = _usage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
                    text += "".join(c.delta.content or "" for c in chunk.choices if c.delta)
                    ready = released + complete_sentences(text[released:])
                    if ready > released:
                        found = task.check(task.parse_text(text[:ready], data), data)
                        if found:
                            raise InvalidOutput(found)
                        yield Fragment(text[released:ready])
                        released = ready
            output = _parse(task, text, data)
        except InvalidOutput as exc:
            outcome, problems = Outcome.INVALID_OUTPUT, exc.problems
        except (openai.OpenAIError, TimeoutError) as exc:
            outcome, problems = Outcome.ERROR, [failure_reason(exc)]
        _count_tokens(task, usage)
        if outcome is Outcome.OK:
            if released < len(text):
                yield Fragment(text[released:])
            metrics.LLM_CALLS.labels(task.name, Outcome.OK.value).inc()
            yield Completed(TaskResult(output=output, outcome=Outcome.OK, usage=usage))
            return
        fallback = await self._fallback(task, data, outcome, usage, problems)
        offline_text = str(fallback.output[task.text_field])
        if released == 0:
            for piece in segments(offline_text):
                yield Fragment(piece)
            yield Completed(fallback)
            return
        # Released text is on the caller's screen already: continue after it, honestly.
        continuation = CONTINUATION_NOTE + offline_text
        for piece in segments(continuation):
            yield Fragment(piece)
        merged = task.parse_text(text[:released] + continuation, data)
        yield Completed(
            TaskResult(
                output=merged, outcome=Outcome.FALLBACK, usage=usage, problems=tuple(problems)
            )
        )

    async def _fallback(
        self, task: Task, data: TaskInput, outcome: Outcome, usage: Usage, problems: list[str]
    ) -> TaskResult:
        metrics.LLM_CALLS.labels(task.name, outcome.value).inc()
        metrics.LLM_CALLS.labels(task.name, Outcome.FALLBACK.value).inc()
        if outcome is Outcome.ERROR:
            metrics.DEPENDENCY_FAILURES.labels("llm", problems[0].split(":", 1)[0]).inc()
        log.warning(
            "model answer not used; offline rules answer instead",
            extra={"step": task.name, "outcome": outcome.value, "problems": problems[:3]},
        )
        return TaskResult(
            output=await run_rules(task, data),
            outcome=Outcome.FALLBACK,
            usage=usage,
            problems=tuple(problems),
        )


def _parse(task: Task, content: str, data: TaskInput) -> JSON:
    """The output object the model's reply stands for; raises InvalidOutput."""
    output: Any
    if task.parse_text is not None:
        output = task.parse_text(content, data)
    else:
        try:
            output = json.loads(_strip_fence(content))
        except ValueError as exc:
            raise InvalidOutput([f"not JSON: {exc}"]) from None
        if not isinstance(output, dict):
            raise InvalidOutput(["not a JSON object"])
    problems = task.problems(output, data)
    if problems:
        raise InvalidOutput(problems)
    return dict(output)


def _messages(task: Task, data: TaskInput) -> list[ChatCompletionMessageParam]:
    return cast(list[ChatCompletionMessageParam], task.messages(data))


def _strip_fence(content: str) -> str:
    """Some servers wrap JSON in a Markdown code fence even in JSON mode."""
    text = content.strip()
    if text.startswith("```") and text.endswith("```"):
        text = text[3:-3]
        text = text[4:] if text.startswith("json") else text
    return text


def _usage(prompt_tokens: int | None, completion_tokens: int | None) -> Usage:
    return Usage(
        llm_calls=1, prompt_tokens=prompt_tokens or 0, completion_tokens=completion_tokens or 0
    )


def _count_tokens(task: Task, usage: Usage) -> None:
    metrics.LLM_TOKENS.labels(task.name, "prompt").inc(usage.prompt_tokens)
    metrics.LLM_TOKENS.labels(task.name, "completion").inc(usage.completion_tokens)


def failure_reason(exc: BaseException) -> str:
    """Why a call to an OpenAI-compatible endpoint (chat or embeddings) failed: a short
    machine-readable reason (the metrics label), then the detail."""
    if isinstance(exc, TimeoutError | openai.APITimeoutError):
        return "timeout: no answer within the deadline"
    if isinstance(exc, openai.APIStatusError):
        return f"status_{exc.status_code}: {exc.message}"
    if isinstance(exc, openai.APIConnectionError):
        return f"connection: {exc}"
    return f"error: {type(exc).__name__}"

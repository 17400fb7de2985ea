"""Arbiter's LLM interface: LLM-backed steps as Tasks (prompt file, JSON schema, offline
rules), run by a deterministic offline provider or an OpenAI-compatible one."""

from arbiter_llm.config import LLMConfig
from arbiter_llm.interface import LLM, build_llm, open_llm, with_llm
from arbiter_llm.offline import OfflineLLM, run_rules
from arbiter_llm.openai_compatible import OpenAICompatibleLLM
from arbiter_llm.result import Completed, Fragment, Outcome, StreamEvent, TaskResult, Usage
from arbiter_llm.task import JSON, Document, Prompt, Task, TaskInput

__all__ = [
    "JSON",
    "LLM",
    "Completed",
    "Document",
    "Fragment",
    "LLMConfig",
    "OfflineLLM",
    "OpenAICompatibleLLM",
    "Outcome",
    "Prompt",
    "StreamEvent",
    "Task",
    "TaskInput",
    "TaskResult",
    "Usage",
    "build_llm",
    "open_llm",
    "run_rules",
    "with_llm",
]

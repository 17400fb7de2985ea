"""What the research loop's LLM-backed steps share: passages handed over as evidence,
conditions as the JSON a prompt shows, and a step's reason as the trace tells it."""

from __future__ import annotations

import json
from collections.abc import Sequence

from arbiter_llm import Document, TaskResult

from arbiter_search.store.base import Hit
from arbiter_search.store.filters import Condition


def evidence(hits: Sequence[Hit], *, max_chars: int | None = None) -> tuple[Document, ...]:
    """`hits` as the numbered documents of a prompt (`[1]` is the first)."""
    return tuple(
        Document(
            index=i + 1,
            text=h.text if max_chars is None else h.text[:max_chars],
            title=h.title,
            reference=h.passage_ref,
        )
        for i, h in enumerate(hits)
    )


def conditions_json(conditions: Sequence[Condition]) -> str:
    """`[{"field": ..., "any_of": [...]}, ...]`: conditions as a prompt value."""
    return json.dumps([{"field": c.field, "any_of": list(c.values)} for c in conditions])


def reason_of(result: TaskResult) -> str:
    """The step's own reason, and why a model's answer was not used when it was not."""
    reason = str(result.output.get("reason", "")).strip()
    if result.problems:
        reason += f" (model answer rejected: {result.problems[0]})"
    return reason

"""The validator (the `search.validate` step): do the best passages suffice to answer the
question, and if not, what is missing?

Offline, a coverage heuristic: the question's key terms (terms.py) that none of the top
passages holds are missing; the passages suffice when the missing terms carry little of
the question's weight and one passage alone holds most of it. With a model, its judgement
under the same output contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from arbiter_kit.deadline import Deadline
from arbiter_llm import JSON, LLM, Task, TaskInput, Usage

from arbiter_search.research.prompting import evidence, reason_of
from arbiter_search.research.terms import hit_stems, question_terms
from arbiter_search.store.base import Hit

CHECKED = 5
"""Top passages the validator reads."""
MIN_COVERAGE = 0.75
"""Share of the key terms the checked passages must hold together."""
MIN_BEST = 0.5
"""Share of the key terms the best single passage must hold."""


@dataclass(frozen=True)
class Verdict:
    """Whether the passages suffice, and what they lack."""

    sufficient: bool
    missing: tuple[str, ...]
    confidence: float
    reason: str
    usage: Usage = field(default_factory=Usage)


def coverage_verdict(question: str, hits: Sequence[Hit]) -> JSON:
    """The offline judgement, as the step's output object."""
    terms = question_terms(question)
    if not hits:
        return {
            "sufficient": False,
            "missing": list(terms.words.values())[:12],
            "confidence": 0.9,
            "reason": "offline rules: no passages found",
        }
    if not terms.key:
        return {
            "sufficient": True,
            "missing": [],
            "confidence": 0.3,
            "reason": "offline rules: the question has no key terms to check",
        }
    held = [hit_stems(h.text, h.title, h.passage_ref) for h in hits[:CHECKED]]
    union = frozenset().union(*held)
    missing = [t for t in terms.key if t not in union]
    coverage = 1.0 - len(missing) / len(terms.key)
    best = max(sum(1 for t in terms.key if t in h) for h in held) / len(terms.key)
    sufficient = coverage >= MIN_COVERAGE and best >= MIN_BEST
    words = [terms.words[t] for t in missing]
    confidence = round(min(0.9, 0.4 + 0.5 * abs(coverage - MIN_COVERAGE) / MIN_COVERAGE), 2)
    return {
        "sufficient": sufficient,
        "missing": words[:12],
        "confidence": confidence,
        "reason": (
            f"offline rules: top {len(held)} passages hold {coverage:.0%} of the key terms,"
            f" the best one {best:.0%}"
        ),
    }


def _offline(data: TaskInput) -> JSON:
    hits = [
        Hit(
            id=str(d.index),
            source_id="",
            chunk_index=0,
            document_id="",
            rulebook="",
            passage_ref=d.reference,
            title=d.title,
            doc_type="",
            text=d.text,
            score=0.0,
        )
        for d in data.documents
    ]
    return coverage_verdict(data.values["question"], hits)


class Validator:
    """Runs the `search.validate` step through the configured LLM provider."""

    def __init__(self, llm: LLM) -> None:
        self._llm = llm
        self._task = Task.load(
            "search.validate",
            package=__package__,
            stem="validate",
            offline=_offline,
            max_tokens=300,
        )

    async def validate(self, question: str, hits: Sequence[Hit], *, deadline: Deadline) -> Verdict:
        data = TaskInput(values={"question": question}, documents=evidence(hits[:CHECKED]))
        result = await self._llm.run(self._task, data, deadline=deadline)
        out = result.output
        return Verdict(
            sufficient=bool(out["sufficient"]),
            missing=tuple(str(m) for m in out["missing"]),
            confidence=float(out["confidence"]),
            reason=reason_of(result),
            usage=result.usage,
        )

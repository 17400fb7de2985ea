"""What every model stage of the SOP and the trial shares: the exchange one stage has with
the model (its input, the offline value as JSON, the checks the schema cannot make, the
reading of an accepted answer), how a quote is found in the text it claims to come from,
and how facts and rules are shown to a model."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from arbiter.common.v1 import common_pb2
from arbiter_llm import JSON, Document, TaskInput

from arbiter_audit.model import Fact, Span

V = TypeVar("V")


@dataclass(frozen=True)
class Exchange(Generic[V]):
    """One stage's call to a model: what it is given and how its answer is judged and read."""

    data: TaskInput
    to_json: Callable[[V], JSON]
    """The offline value as the stage's output object (what the provider falls back to)."""
    problems: Callable[[JSON], list[str]]
    """What the schema cannot see: quotes not in the text, unknown indexes and ids."""
    read: Callable[[JSON], V]
    """An answer that passed the schema and `problems`, as the SOP's own values."""


def locate(quote: str, text: str, *, start: int = 0) -> Span | None:
    """Where `quote` stands in `text` at or after `start`, word for word (runs of
    whitespace may differ: a model re-flows line breaks); None when it is not there."""
    words = quote.split()
    if not words:
        return None
    found = re.compile(r"\s+".join(re.escape(w) for w in words)).search(text, start)
    return Span(found.start(), found.end()) if found else None


def render_facts(facts: Sequence[Fact]) -> str:
    """The facts as a model reads them, one a line: id, kind, words, normalised value."""
    if not facts:
        return "(no facts were read)"
    lines = []
    for fact in facts:
        value = f" = {fact.value}" if fact.value else ""
        denied = " (NOT)" if fact.negated else ""
        lines.append(f"{fact.id} [{fact.kind.value}]{denied} {fact.text}{value}")
    return "\n".join(lines)


def document_of(index: int, passage: common_pb2.Passage, reference: str) -> Document:
    """A retrieved passage as evidence the model cites by `index`."""
    return Document(index=index, text=passage.text, title=passage.title, reference=reference)


def index_problems(path: str, indexes: Iterable[int], count: int) -> list[str]:
    """Each index that names no given document (1..count)."""
    return [
        f"{path}: {index} names no given document (1..{count})"
        for index in indexes
        if not 1 <= index <= count
    ]


def id_problems(path: str, ids: Iterable[str], known: Collection[str], what: str) -> list[str]:
    """Each id that is not among `known`."""
    return [f"{path}: {i!r} is not a known {what}" for i in ids if i not in known]


def unnamed_missing(path: str, *, undecided: bool, missing: str) -> list[str]:
    """Never guess: an answer that cannot tell must name the fact that would decide it."""
    if undecided and not missing.strip():
        return [f"{path}: 'cannot tell' must name the missing fact that would decide it"]
    return []

"""Context injection: the document's key metadata and the chunk's section path, put in
front of the text that BM25 and the embedder index, while readers and citations get the
passage alone. Both travel in the one text field (`store.base.indexed_text`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from arbiter_search.ingest.tokens import TokenCounter
from arbiter_search.store.base import CONTEXT_END
from arbiter_search.store.schema import CONTEXT_MAX_BYTES

FACT_KEYS: tuple[str, ...] = ("doc_type", "effective_date")
"""Verified metadata named in the header, in this order, when a document carries them."""
PATH_SEPARATOR = " > "
HEADER_SHARE = 4
"""A header takes at most 1/HEADER_SHARE of the chunk budget; longer ones are cut."""


@dataclass(frozen=True)
class ContextInjection:
    """Builds the header each chunk of a document is indexed with."""

    enabled: bool = True
    """Off: chunks are indexed as their bare passage text (the ablation baseline)."""

    @property
    def signature(self) -> str:
        """Changes whenever the same chunk would be indexed with other text."""
        return "context-v1" if self.enabled else "context-off"

    def header(
        self,
        *,
        title: str,
        rulebook: str,
        section: Sequence[str],
        facts: Mapping[str, str],
        counter: TokenCounter,
        max_tokens: int,
    ) -> str:
        """One line each for the document, the section path and the verified facts,
        cut at a word to `max_tokens // HEADER_SHARE` tokens; '' when disabled."""
        if not self.enabled:
            return ""
        document = title
        if rulebook and rulebook not in title.replace("(", " ").replace(")", " ").split():
            document = f"{rulebook} · {title}" if title else rulebook
        lines = [
            document,
            PATH_SEPARATOR.join(section),
            " · ".join(
                f"{key.replace('_', ' ')}: {facts[key]}" for key in FACT_KEYS if facts.get(key)
            ),
        ]
        header = "\n".join(" ".join(line.split()) for line in lines if line.strip())
        header = header.replace(CONTEXT_END, " ")
        return _cut(header, counter, max(1, max_tokens // HEADER_SHARE))


def _cut(header: str, counter: TokenCounter, max_tokens: int) -> str:
    if counter.count(header) <= max_tokens and len(header.encode()) < CONTEXT_MAX_BYTES - 2:
        return header
    words = header.split(" ")
    low, high = 0, len(words)
    while low < high:
        mid = (low + high + 1) // 2
        head = " ".join(words[:mid])
        if counter.count(head) + 1 <= max_tokens and len(head.encode()) < CONTEXT_MAX_BYTES - 6:
            low = mid
        else:
            high = mid - 1
    return " ".join(words[:low]).rstrip() + " …" if low else ""

"""Cuts text into chunks within a token budget, on the largest natural boundary that
fits: paragraphs, then lines (list items, table rows), then sentences, then words,
merging small neighbours back up to the budget. Deterministic for a given budget."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from arbiter_search.tokens import DEFAULT_COUNTER, TokenCounter

TEXT_MAX_BYTES = 65_535
"""Milvus VARCHAR limit of the text field, in UTF-8 bytes."""
CONTEXT_MAX_BYTES = 8 * 1024
"""Room the text field keeps for the context header (see `context`)."""
BODY_MAX_BYTES = TEXT_MAX_BYTES - CONTEXT_MAX_BYTES
"""Largest chunk body: with its header it still fits the text field."""
MIN_CHUNK_TOKENS = 32
MAX_CHUNK_TOKENS = 8192

_SPLITTERS: tuple[Callable[[str], list[str]], ...] = (
    re.compile(r"\n[ \t]*\n\s*").split,
    re.compile(r"\n").split,
    re.compile(r"(?<=[.!?;:])\s+").split,
    re.compile(r"\s+").split,
)
_JOINERS = ("\n\n", "\n", " ", " ")


@dataclass(frozen=True)
class _Piece:
    text: str
    tokens: int
    """An upper bound: counted alone, or the sum of the pieces joined into it."""
    size: int
    """UTF-8 bytes, exact."""


class Chunker:
    """Splits text into chunks of at most `max_tokens` tokens and `max_bytes` bytes.

    Whitespace at the cut points is normalised (a cut on blank lines rejoins with one
    blank line); every non-whitespace character of the input is kept, in order. A word
    is cut only when it alone exceeds the budget.
    """

    def __init__(
        self,
        *,
        max_tokens: int = 256,
        counter: TokenCounter = DEFAULT_COUNTER,
        max_bytes: int = BODY_MAX_BYTES,
    ) -> None:
        if not MIN_CHUNK_TOKENS <= max_tokens <= MAX_CHUNK_TOKENS:
            raise ValueError(f"max_tokens must be {MIN_CHUNK_TOKENS}..{MAX_CHUNK_TOKENS}")
        if not 256 <= max_bytes <= BODY_MAX_BYTES:
            raise ValueError(f"max_bytes must be 256..{BODY_MAX_BYTES}")
        self.max_tokens = max_tokens
        self.counter = counter
        self.max_bytes = max_bytes

    @property
    def signature(self) -> str:
        """Changes whenever the same text would be cut differently."""
        return f"tokens-v1:{self.counter.name}:{self.max_tokens}:{self.max_bytes}"

    def count(self, text: str) -> int:
        return self.counter.count(text)

    def split(self, text: str, *, max_tokens: int | None = None) -> list[str]:
        """The chunks of `text`; `max_tokens` lowers the budget for this text (never below
        MIN_CHUNK_TOKENS), e.g. to leave room for a context header."""
        budget = self.max_tokens if max_tokens is None else max_tokens
        budget = max(MIN_CHUNK_TOKENS, min(budget, self.max_tokens))
        text = text.strip()
        if not text:
            return []
        return [piece.text for piece in self._split(text, 0, budget)]

    def _split(self, text: str, level: int, budget: int) -> list[_Piece]:
        piece = _Piece(text, self.counter.count(text), len(text.encode()))
        if self._fits(piece, budget):
            return [piece]
        if level == len(_SPLITTERS):
            return self._cut_word(text, budget)
        pieces: list[_Piece] = []
        for part in _SPLITTERS[level](text):
            part = part.strip()
            if part:
                pieces.extend(self._split(part, level + 1, budget))
        return self._pack(pieces, _JOINERS[level], budget)

    def _fits(self, piece: _Piece, budget: int) -> bool:
        return piece.tokens <= budget and piece.size <= self.max_bytes

    def _pack(self, pieces: list[_Piece], joiner: str, budget: int) -> list[_Piece]:
        """Greedily joins neighbouring pieces while the result stays within budget."""
        chunks: list[_Piece] = []
        current: _Piece | None = None
        for piece in pieces:
            if current is None:
                current = piece
                continue
            joined = _Piece(
                current.text + joiner + piece.text,
                current.tokens + piece.tokens,
                current.size + len(joiner) + piece.size,
            )
            if self._fits(joined, budget):
                current = joined
            else:
                chunks.append(current)
                current = piece
        if current is not None:
            chunks.append(current)
        return chunks

    def _cut_word(self, word: str, budget: int) -> list[_Piece]:
        """A single run without whitespace that exceeds the budget, cut into the longest
        prefixes that fit (a binary search per cut; such runs are rare)."""
        pieces: list[_Piece] = []
        while word:
            low, high = 1, len(word)
            while low < high:
                mid = (low + high + 1) // 2
                head = word[:mid]
                if self._fits(_Piece(head, self.counter.count(head), len(head.encode())), budget):
                    low = mid
                else:
                    high = mid - 1
            head = word[:low]
            pieces.append(_Piece(head, self.counter.count(head), len(head.encode())))
            word = word[low:]
        return pieces

"""Cuts a passage into chunks within a character budget, on the largest natural
boundary that fits: blank lines, then lines, then sentences, then words."""

from __future__ import annotations

import re
from collections.abc import Callable

TEXT_MAX_BYTES = 65_535
"""Milvus VARCHAR limit of the text field."""
MAX_CHUNK_CHARS = TEXT_MAX_BYTES // 4
"""A chunk this long fits the text field even if every character takes 4 UTF-8 bytes."""
MIN_CHUNK_CHARS = 200

_SPLITTERS: tuple[Callable[[str], list[str]], ...] = (
    re.compile(r"\n\s*\n").split,
    re.compile(r"\n").split,
    re.compile(r"(?<=[.!?;:])\s+").split,
    re.compile(r"\s+").split,
)
_JOINERS = ("\n\n", "\n", " ", " ")


class Chunker:
    """Splits text into chunks of at most `max_chars` characters, none empty.

    Whitespace at the cut points is normalised (a cut on blank lines rejoins with one
    blank line); every non-whitespace character of the input is kept, in order.
    """

    def __init__(self, *, max_chars: int = 2000) -> None:
        if not MIN_CHUNK_CHARS <= max_chars <= MAX_CHUNK_CHARS:
            raise ValueError(f"max_chars must be {MIN_CHUNK_CHARS}..{MAX_CHUNK_CHARS}")
        self.max_chars = max_chars

    @property
    def signature(self) -> str:
        """Changes whenever the same text would be cut differently."""
        return f"chars-v1:{self.max_chars}"

    def split(self, text: str) -> list[str]:
        text = text.strip()
        if not text:
            return []
        return self._split(text, 0)

    def _split(self, text: str, level: int) -> list[str]:
        if len(text) <= self.max_chars:
            return [text]
        if level == len(_SPLITTERS):
            return [text[i : i + self.max_chars] for i in range(0, len(text), self.max_chars)]
        pieces: list[str] = []
        for part in _SPLITTERS[level](text):
            part = part.strip()
            if part:
                pieces.extend(self._split(part, level + 1))
        return self._pack(pieces, _JOINERS[level])

    def _pack(self, pieces: list[str], joiner: str) -> list[str]:
        """Greedily joins neighbouring pieces while the result stays within budget."""
        chunks: list[str] = []
        current = ""
        for piece in pieces:
            if not current:
                current = piece
            elif len(current) + len(joiner) + len(piece) <= self.max_chars:
                current = current + joiner + piece
            else:
                chunks.append(current)
                current = piece
        if current:
            chunks.append(current)
        return chunks

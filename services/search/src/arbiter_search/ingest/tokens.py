"""Token counting, the unit of the chunk budget: a cheap default estimate, and the seam
through which an embedder's own tokenizer replaces it."""

from __future__ import annotations

import re
from typing import Protocol

_PIECE = re.compile(r"\w{1,7}|[^\w\s]")


class TokenCounter(Protocol):
    """Counts the tokens a model would see in a text.

    Implementations must be subadditive over whitespace joins, which every tokenizer that
    splits on whitespace first is: `count(a + " " + b) <= count(a) + count(b)`. The
    chunker relies on it to size a run of pieces without counting the run again.
    """

    @property
    def name(self) -> str:
        """Identifies the counting; a chunk budget means different text under another."""
        ...

    def count(self, text: str) -> int:
        """Tokens in `text`."""
        ...


class WordPieceEstimate:
    """Estimates WordPiece tokens without a vocabulary: each punctuation mark is one
    token, and each word one token per 7 characters.

    Against the MiniLM (BERT uncased) vocabulary on 1,591 ObliQA passages of over 20
    tokens it counts a median 16% high and under-counts 1.4% of them, by at most 13%:
    a budget, not a measurement. An embedder that must never truncate supplies its own
    tokenizer (`TokenizerCounter`).
    """

    name = "wordpiece-estimate-v1"

    def count(self, text: str) -> int:
        return _PIECE.subn("", text)[1]


class Encoding(Protocol):
    @property
    def ids(self) -> list[int]: ...


class Tokenizer(Protocol):
    """What `TokenizerCounter` needs of a tokenizer (a `tokenizers.Tokenizer` has it)."""

    def encode(self, sequence: str, *, add_special_tokens: bool = ...) -> Encoding: ...


class TokenizerCounter:
    """Exact counts from a model's own tokenizer (truncation and padding switched off
    by its owner), special tokens excluded: what the chunk body costs the model."""

    def __init__(self, tokenizer: Tokenizer, *, name: str) -> None:
        self._tokenizer = tokenizer
        self.name = name

    def count(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)


DEFAULT_COUNTER: TokenCounter = WordPieceEstimate()

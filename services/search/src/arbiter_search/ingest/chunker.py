"""Cuts text into chunks within a token budget, on the largest natural boundary that
fits: paragraphs, then lines (list items, table rows), then sentences, then words,
merging small neighbours back up to the budget. Deterministic for a given budget."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from arbiter_search.ingest.tokens import DEFAULT_COUNTER, TokenCounter
from arbiter_search.store.schema import CONTEXT_MAX_BYTES, TEXT_MAX_BYTES

BODY_MAX_BYTES = TEXT_MAX_BYTES - CONTEXT_MAX_BYTES
"""Largest chunk body: with its header it still fits the text field."""
MIN_CHUNK_TOKENS = 32
MAX_CHUNK_TOKENS = 8192

_SEPARATORS: tuple[re.Pattern[str], ...] = (
    re.compile(r"\n[ \t]*\n\s*"),
    re.compile(r"\n"),
    re.compile(r"(?<=[.!?;:])\s+"),
    re.compile(r"\s+"),
)
_JOINERS = ("\n\n", "\n", " ", " ")


class _Piece(NamedTuple):
    # A tuple, not a dataclass: a text of single-letter words makes millions of these.
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
        return [piece.text for piece in self._pieces([text], 0, budget)]

    def _pieces(self, parts: Iterable[str], level: int, budget: int) -> Iterator[_Piece]:
        """The pieces of `parts` (stripped, non-empty texts cut at `level`), in order:
        a part that fits is one piece, one that does not is cut at the next level and
        its pieces packed back up to the budget. A pipeline of generators: however many
        words a text has, only the chunk being packed is held."""
        for part in parts:
            size = len(part.encode())
            if size <= self.max_bytes and (tokens := self.counter.count(part)) <= budget:
                yield _Piece(part, tokens, size)
            elif level == len(_SEPARATORS) or len(part.split(maxsplit=1)) == 1:
                # Every separator is whitespace: a run without any can only be cut.
                yield from self._cut_word(part, budget)
            else:
                inner = self._pieces(_parts(part, _SEPARATORS[level]), level + 1, budget)
                yield from self._pack(inner, _JOINERS[level], budget)

    def _fits(self, piece: _Piece, budget: int) -> bool:
        return piece.tokens <= budget and piece.size <= self.max_bytes

    def _pack(self, pieces: Iterable[_Piece], joiner: str, budget: int) -> Iterator[_Piece]:
        """Greedily joins neighbouring pieces while the result stays within budget (each
        chunk's text is joined once, so the work stays linear in the pieces)."""
        run: list[str] = []
        tokens = size = 0
        for piece in pieces:
            if run and self._fits(
                _Piece("", tokens + piece.tokens, size + len(joiner) + piece.size), budget
            ):
                run.append(piece.text)
                tokens += piece.tokens
                size += len(joiner) + piece.size
                continue
            if run:
                yield _Piece(joiner.join(run), tokens, size)
            run, tokens, size = [piece.text], piece.tokens, piece.size
        if run:
            yield _Piece(joiner.join(run), tokens, size)

    def _cut_word(self, word: str, budget: int) -> list[_Piece]:
        """A single run without whitespace that exceeds the budget, cut into the longest
        prefixes that fit.

        Each cut is searched outward from the length of the one before (a long run is
        usually cut evenly, so two counts settle it), galloping to bracket it and then
        bisecting: a few counts of about one chunk's text per cut, so a run of any
        length is cut in time linear in it."""
        pieces: list[_Piece] = []
        start, guess = 0, 1
        while start < len(word):
            piece = self._longest_fit(word, start, guess, budget)
            pieces.append(piece)
            guess = len(piece.text)
            start += guess
        return pieces

    def _longest_fit(self, word: str, start: int, guess: int, budget: int) -> _Piece:
        """The longest prefix of `word[start:]` that fits (at least one character),
        searched outward from `guess` characters."""
        rest = len(word) - start
        fitting: dict[int, _Piece] = {}

        def fits(n: int) -> bool:
            # More characters than bytes allowed cannot fit: no need to count tokens.
            if n > self.max_bytes:
                return False
            piece = self._piece(word[start : start + n])
            if n == 1 or self._fits(piece, budget):
                fitting[n] = piece
                return True
            return False

        # Gallop from the guess (steps 1, 2, 4, ...) until `low` fits and `high` does not.
        n = max(1, min(guess, rest))
        if fits(n):
            low, step = n, 1
            while low < rest and fits(high := min(rest, low + step)):
                low, step = high, step * 2
            if low == rest:
                return fitting[low]
        else:
            high, step = n, 1
            while not fits(low := max(1, high - step)):
                high, step = low, step * 2
        while high - low > 1:
            mid = (low + high) // 2
            if fits(mid):
                low = mid
            else:
                high = mid
        return fitting[low]

    def _piece(self, text: str) -> _Piece:
        return _Piece(text, self.counter.count(text), len(text.encode()))


def _parts(text: str, separator: re.Pattern[str]) -> Iterator[str]:
    """`separator.split(text)` stripped, without the empty parts, one at a time."""
    start = 0
    for match in separator.finditer(text):
        if part := text[start : match.start()].strip():
            yield part
        start = match.end()
    if part := text[start:].strip():
        yield part

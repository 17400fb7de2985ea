"""Citation markers in written answers. A writer (the offline rules or a model) cites
evidence as `[n]` or `[n, m]`, n counting the documents from 1 in the order they were
given; a reader needs the citations numbered 1, 2, 3... in order of first use, so
`CitationNumbering` rewrites the markers of a text as it is written, piece by piece."""

from __future__ import annotations

import re

from arbiter_text.sentences import MARKER

_NUMBER = re.compile(r"\d+")
_OPEN_TAIL = re.compile(r"\[[\d,\s]*$")
"""What a piece may end with when its marker continues in the next piece."""
MAX_HELD_CHARS = 64
"""A tail longer than this is no marker in the making: it is released as written."""


def markers(text: str) -> list[int]:
    """Every index cited in `text`, in order of appearance (repeats kept)."""
    return [int(n) for group in MARKER.findall(text) for n in group.split(",")]


def strip_markers(text: str) -> str:
    return MARKER.sub("", text)


def out_of_range(text: str, count: int) -> list[int]:
    """Cited indexes that name no document (there are `count`)."""
    return sorted({n for n in markers(text) if not 1 <= n <= count})


class CitationNumbering:
    """Renumbers the markers of a text written in pieces: the first document cited
    becomes [1], the next new one [2], and so on, however the pieces cut the text.

    `feed` each piece and send on what it returns, then `flush` at the end; together
    they are the renumbered text. A piece ending inside a marker (`... [1`) is held back
    until the next one completes it, so no reader ever sees a number change. Numbers
    that name no document (out of `1..count`) are left as written: they cannot collide
    with a new number, which is at most `count`."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.sources: list[int] = []
        """The document each citation number stands for: `[k]` cites `sources[k - 1]`."""
        self._numbers: dict[int, int] = {}
        self._held = ""

    def feed(self, piece: str) -> str:
        """The renumbered text that can be released now (possibly empty)."""
        text = self._held + piece
        tail = _OPEN_TAIL.search(text, max(0, len(text) - MAX_HELD_CHARS))
        cut = tail.start() if tail is not None else len(text)
        self._held = text[cut:]
        return self.renumber(text[:cut])

    def flush(self) -> str:
        """Whatever was held back, once the text is complete."""
        text, self._held = self._held, ""
        return self.renumber(text)

    def renumber(self, text: str) -> str:
        """`text` with every complete marker renumbered (numbering continues across calls)."""
        return MARKER.sub(self._marker, text)

    def _marker(self, match: re.Match[str]) -> str:
        return _NUMBER.sub(self._number, match.group(0))

    def _number(self, match: re.Match[str]) -> str:
        cited = int(match.group(0))
        if not 1 <= cited <= self.count:
            return match.group(0)
        if cited not in self._numbers:
            self.sources.append(cited)
            self._numbers[cited] = len(self.sources)
        return str(self._numbers[cited])

"""Which rulebooks a question names, from the committed table `rulebooks.json`
(rebuilt by `rulebook_table`): abbreviations match as written (`AML`, `COBS`), full names
match in any case (`conduct of business rulebook`)."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources

RULEBOOK_FIELD = "rulebook"


def _normalise(text: str) -> str:
    """Fold dashes and quotes to ASCII and collapse spaces, so names match as people type."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"[\u2010-\u2015]", "-", text)
    text = re.sub(r"[\u2018\u2019]", "'", text)
    text = re.sub(r"[\u201c\u201d]", '"', text)
    text = re.sub(r"\s*-\s*", " - ", text)
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class Rulebook:
    """One filterable rulebook value and the ways a question may name it."""

    value: str
    """The corpus' `document_short`, which search stores as the `rulebook` field."""
    abbreviations: tuple[str, ...]
    names: tuple[str, ...]


class RulebookCatalogue:
    """Finds the rulebooks a question mentions."""

    def __init__(self, rulebooks: list[Rulebook]) -> None:
        self.rulebooks = rulebooks
        self._patterns: list[tuple[re.Pattern[str], str]] = []
        for book in rulebooks:
            for abbreviation in book.abbreviations:
                pattern = re.compile(rf"(?<![\w-]){re.escape(abbreviation)}(?![\w-])")
                self._patterns.append((pattern, book.value))
            for name in book.names:
                escaped = re.escape(_normalise(name))
                pattern = re.compile(rf"(?<!\w){escaped}(?!\w)", re.IGNORECASE)
                self._patterns.append((pattern, book.value))

    @classmethod
    def load(cls) -> RulebookCatalogue:
        """The committed table shipped with the planner."""
        raw = (resources.files(__package__) / "rulebooks.json").read_text(encoding="utf-8")
        return cls(
            [
                Rulebook(
                    value=row["rulebook"],
                    abbreviations=tuple(row["abbreviations"]),
                    names=tuple(row["names"]),
                )
                for row in json.loads(raw)
            ]
        )

    def mentioned(self, text: str) -> list[str]:
        """The rulebook values `text` names, in the order it first names them."""
        normalised = _normalise(text)
        found: list[tuple[int, str]] = []
        for pattern, value in self._patterns:
            match = pattern.search(normalised)
            if match:
                found.append((match.start(), value))
        out: list[str] = []
        for _, value in sorted(found):
            if value not in out:
                out.append(value)
        return out

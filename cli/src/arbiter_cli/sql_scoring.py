"""Execution accuracy for Text2SQL, by the rules in `../shared/data/findings/README.md`:
a system's rows equal the gold query's rows as multisets (as ordered lists when the
question asks for an order); column names and order are ignored; numbers (numeric
strings too) are rounded to 2 decimals and compared with relative tolerance 1e-6; dates
and midnight timestamps compare as YYYY-MM-DD; other text exactly. Also the accuracy
over a question set, overall, per kind and per difficulty."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from arbiter_cli.eval_metrics import Share

RELATIVE_TOLERANCE = Decimal("1e-6")
_CENTS = Decimal("0.01")
_NUMBER = re.compile(r"\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\s*")
_MIDNIGHT = re.compile(r"(\d{4}-\d{2}-\d{2})[ T]00:00(?::00(?:\.0+)?)?(?:[+-]00(?::?00)?|Z)?")

NormalCell = tuple[int, Decimal | str]
"""A cell reduced to what the rules compare: (0, "") for NULL, (1, number), (2, text)."""
_NULL: NormalCell = (0, "")


def normalise_cell(value: object) -> NormalCell:
    """One cell by the rules: a number (or numeric string) rounded half away from zero to
    2 decimals, a date or midnight timestamp as YYYY-MM-DD, anything else as its text."""
    if value is None:
        return _NULL
    if isinstance(value, bool):
        return (2, "true" if value else "false")
    if isinstance(value, int | float | Decimal):
        return _number(str(value)) or (2, str(value))
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return (2, value.date().isoformat())
        return (2, value.isoformat(sep=" "))
    if isinstance(value, dt.date):
        return (2, value.isoformat())
    text = str(value)
    if _NUMBER.fullmatch(text):
        return _number(text.strip()) or (2, text)
    midnight = _MIDNIGHT.fullmatch(text.strip())
    if midnight:
        return (2, midnight.group(1))
    return (2, text)


def _number(text: str) -> NormalCell | None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    return (1, number.quantize(_CENTS, rounding=ROUND_HALF_UP) + 0)  # + 0 turns -0.00 into 0.00


def normalise_row(row: Sequence[object]) -> tuple[NormalCell, ...]:
    """A row's cells, normalised and sorted, so that column order does not matter."""
    return tuple(sorted(normalise_cell(cell) for cell in row))


def cells_equal(a: NormalCell, b: NormalCell) -> bool:
    if a[0] != b[0]:
        return False
    if isinstance(a[1], Decimal) and isinstance(b[1], Decimal):
        scale = max(abs(a[1]), abs(b[1]))
        return abs(a[1] - b[1]) <= RELATIVE_TOLERANCE * scale
    return a[1] == b[1]


def rows_equal(a: tuple[NormalCell, ...], b: tuple[NormalCell, ...]) -> bool:
    return len(a) == len(b) and all(cells_equal(x, y) for x, y in zip(a, b, strict=True))


def results_match(
    gold: Sequence[Sequence[object]],
    predicted: Sequence[Sequence[object]],
    *,
    order_matters: bool,
) -> bool:
    """Whether `predicted` answers like `gold` under the README's rules."""
    if len(gold) != len(predicted):
        return False
    expected = [normalise_row(row) for row in gold]
    actual = [normalise_row(row) for row in predicted]
    if order_matters:
        return all(rows_equal(a, b) for a, b in zip(expected, actual, strict=True))
    # Exact matches first (the common case, linear), then pair what is left within tolerance.
    missing = Counter(expected)
    missing.subtract(actual)
    left_expected = list((+missing).elements())
    extra = Counter(actual)
    extra.subtract(expected)
    left_actual = list((+extra).elements())
    for row in left_expected:
        match = next((i for i, other in enumerate(left_actual) if rows_equal(row, other)), None)
        if match is None:
            return False
        left_actual.pop(match)
    return not left_actual


@dataclass(frozen=True)
class QuestionScore:
    """One question's outcome: whether its rows matched the gold rows."""

    id: str
    kind: str
    difficulty: str
    correct: bool


@dataclass(frozen=True)
class AccuracyReport:
    """Execution accuracy overall, per kind and per difficulty (keys sorted)."""

    overall: Share
    per_kind: dict[str, Share]
    per_difficulty: dict[str, Share]


def accuracy_of(scores: Iterable[QuestionScore]) -> AccuracyReport:
    listed = list(scores)

    def over(selected: list[QuestionScore]) -> Share:
        return Share.of(s.correct for s in selected)

    def by(key: str) -> dict[str, Share]:
        values = sorted({getattr(s, key) for s in listed})
        return {v: over([s for s in listed if getattr(s, key) == v]) for v in values}

    return AccuracyReport(over(listed), by("kind"), by("difficulty"))

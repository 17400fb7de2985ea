"""A query's result as values (`ResultTable`), and its rendering into the contract's
text cells."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from arbiter.common.v1 import common_pb2

Cell = str | int | float | Decimal | dt.date | dt.datetime | bool | None
"""One value as the database returned it."""


@dataclass(frozen=True)
class ResultTable:
    """Rows as the database returned them, with their column names."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]

    @classmethod
    def of(cls, columns: Sequence[str], rows: Sequence[Sequence[Cell]]) -> ResultTable:
        return cls(tuple(columns), tuple(tuple(row) for row in rows))

    def column_values(self, index: int) -> list[Cell]:
        return [row[index] for row in self.rows]

    def to_proto(self) -> common_pb2.Table:
        return common_pb2.Table(
            columns=list(self.columns),
            rows=[common_pb2.Row(cells=[cell_text(c) for c in row]) for row in self.rows],
        )


def cell_text(value: Cell) -> str:
    """A cell as a person reads it: dates as YYYY-MM-DD (midnight timestamps too), money
    and other decimals as written, NULL as an empty string."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return format(value, ".15g")
    return str(value)

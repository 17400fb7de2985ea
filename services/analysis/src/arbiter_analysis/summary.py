"""What an analysis result says, in a few sentences a person can read and the key figures
behind them: the value, totals and shares, change over time with its direction and size,
the largest cells. Deterministic, read from the result's shape; no model involved."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from arbiter_analysis.shape import (
    ColumnInfo,
    Key,
    Shape,
    ShapeKind,
    TimeUnit,
    Unit,
    measure_value,
    read_shape,
)
from arbiter_analysis.table import Cell, ResultTable, cell_text

FLAT_PERCENT = Decimal(5)
"""A change smaller than this share of the starting value is called flat: sample noise
of a few percent is not a trend."""
_RANKED_ONE = re.compile(
    r"\b(?:(most|highest|largest|biggest)|fewest|least|lowest|smallest)\b", re.IGNORECASE
)
LISTED = 6
"""Most keys a sentence names before it says how many more there are."""


@dataclass(frozen=True)
class Figure:
    """One number the summary states, as a value and as the text it was written as."""

    name: str
    """What it is: value, total, top, bottom, highest, lowest, first, last, change,
    change_percent, peak, largest, rows."""
    value: Decimal | None
    text: str
    key: str = ""
    """The category, period or cell ("2024 · warning") the number belongs to."""
    measure: str = ""
    share_percent: Decimal | None = None
    """Its share of the total, for counts and sums."""


@dataclass(frozen=True)
class Summary:
    """The sentences and the figures they state."""

    text: str
    figures: tuple[Figure, ...]
    shape: ShapeKind


def summarise(table: ResultTable, *, question: str = "", shape: Shape | None = None) -> Summary:
    """The summary of `table`, the result of a query answering `question`; `shape` is the
    table's as read for `question` when the caller has it already."""
    shape = shape or read_shape(table, question=question)
    writer = _Writer()
    if shape.kind is ShapeKind.EMPTY:
        writer.say("No rows matched.")
    elif shape.kind is ShapeKind.SINGLE_VALUE:
        _single(writer, shape, table.rows[0])
    elif shape.kind is ShapeKind.TIME_SERIES:
        _series(writer, shape.keys[0], shape.measures[0], list(table.rows))
        _other_totals(writer, shape, table.rows)
    elif shape.kind is ShapeKind.CATEGORIES:
        _categories(writer, shape.keys[0], shape.measures[0], list(table.rows), question)
        _other_totals(writer, shape, table.rows)
    elif shape.kind is ShapeKind.TWO_KEYS:
        _two_keys(writer, shape, list(table.rows))
    else:
        _list(writer, shape, table)
    return Summary(" ".join(writer.sentences), tuple(writer.figures), shape.kind)


def format_value(value: Decimal | None, measure: ColumnInfo) -> str:
    """`value` as a person reads it: thousands separators, 2 decimals unless the measure
    is whole numbers, its unit (USD 1,250.00; 12.50%; 41.27 days)."""
    if value is None:
        return "no value"
    whole = measure.integral and value == value.to_integral_value()
    number = f"{value:,.0f}" if whole else f"{value:,.2f}"
    if measure.unit is Unit.USD:
        return f"USD {number}"
    if measure.unit is Unit.PERCENT:
        return f"{number}%"
    if measure.unit is Unit.DAYS:
        return f"{number} days"
    return number


class _Writer:
    def __init__(self) -> None:
        self.sentences: list[str] = []
        self.figures: list[Figure] = []

    def say(self, sentence: str) -> None:
        self.sentences.append(sentence)

    def figure(
        self,
        name: str,
        value: Decimal | None,
        measure: ColumnInfo,
        *,
        key: str = "",
        share: Decimal | None = None,
    ) -> str:
        """Records a figure and returns its text."""
        text = format_value(value, measure)
        self.figures.append(Figure(name, value, text, key, measure.label, share))
        return text


def _single(writer: _Writer, shape: Shape, row: Sequence[Cell]) -> None:
    if not shape.measures:
        writer.say(f"The result is {cell_text(row[0]) or 'empty (NULL)'}.")
        return
    parts = []
    for measure in shape.measures:
        value = measure_value(row[measure.index])
        text = writer.figure("value", value, measure)
        parts.append(text if value is not None else "no value (nothing matched)")
    if len(parts) == 1:
        writer.say(f"The result is {parts[0]}.")
    else:
        labelled = (f"{m.label} {p}" for m, p in zip(shape.measures, parts, strict=True))
        writer.say(f"The result: {'; '.join(labelled)}.")


def _valued(
    key: Key, measure: ColumnInfo, rows: list[tuple[Cell, ...]]
) -> list[tuple[str, Decimal]]:
    """(key text, value) of the rows that have a value, in the rows' order."""
    pairs = [(key.text(r), measure_value(r[measure.index])) for r in rows]
    return [(k, v) for k, v in pairs if v is not None]


def _total(values: Sequence[Decimal], measure: ColumnInfo) -> Decimal | None:
    """The total when shares of it mean something: additive, none negative, above zero."""
    total = sum(values, Decimal(0))
    if not measure.additive or any(v < 0 for v in values) or total <= 0:
        return None
    return total


def _share(value: Decimal, total: Decimal | None) -> Decimal | None:
    return None if total is None else (100 * value / total).quantize(Decimal("0.1"))


def _names(keys: Sequence[str]) -> str:
    if len(keys) > 3:
        return f"{', '.join(keys[:3])} and {len(keys) - 3} more"
    return keys[0] if len(keys) == 1 else f"{', '.join(keys[:-1])} and {keys[-1]}"


def _extreme(
    writer: _Writer,
    name: str,
    pairs: list[tuple[str, Decimal]],
    measure: ColumnInfo,
    total: Decimal | None = None,
    *,
    largest: bool = True,
) -> str:
    """ "AML with 642 (21.3% of the total)", or "AML and COBS with 300 each (10.0% each
    of the total)" on a tie."""
    target = max(v for _, v in pairs) if largest else min(v for _, v in pairs)
    tied = [k for k, v in pairs if v == target]
    share = _share(target, total)
    text = writer.figure(name, target, measure, key=" and ".join(tied), share=share)
    each = " each" if len(tied) > 1 else ""
    shown = f" ({share}%{each} of the total)" if share is not None else ""
    return f"{_names(tied)} with {text}{each}{shown}"


def _noun(key: Key, count: int) -> str:
    return key.label if count == 1 else key.plural


def _missing(writer: _Writer, key: Key, measure: ColumnInfo, rows: int, valued: int) -> None:
    if valued < rows:
        missing = rows - valued
        verb = "has" if missing == 1 else "have"
        writer.say(f"{missing} {_noun(key, missing)} {verb} no {measure.label}.")


def _categories(
    writer: _Writer, key: Key, measure: ColumnInfo, rows: list[tuple[Cell, ...]], question: str
) -> None:
    pairs = _valued(key, measure, rows)
    _missing(writer, key, measure, len(rows), len(pairs))
    if not pairs:
        return
    if len(pairs) == 1:
        text = writer.figure("value", pairs[0][1], measure, key=pairs[0][0])
        ranked = _RANKED_ONE.search(question)
        if ranked:  # "What is the rulebook with the most breaches?": a ranking of one
            most = "the most" if ranked.group(1) else "the fewest"
            writer.say(f"{pairs[0][0]} has {most} {measure.label}: {text}.")
        else:
            writer.say(f"One {key.label}: {pairs[0][0]} with {text}.")
        return
    total = _total([v for _, v in pairs], measure)
    if total is not None:
        text = writer.figure("total", total, measure)
        across = f"across the {len(pairs)} {_noun(key, 2)}"
        writer.say(f"The {_total_of(measure)} {across} is {text}.")
    if len({v for _, v in pairs}) == 1:
        same = format_value(pairs[0][1], measure)
        writer.say(f"All {len(pairs)} {_noun(key, 2)} have the same {measure.label}: {same}.")
        return
    if total is not None:
        top = _extreme(writer, "top", pairs, measure, total)
        bottom = _extreme(writer, "bottom", pairs, measure, total, largest=False)
        writer.say(f"Most: {top}. {'Fewest' if measure.integral else 'Least'}: {bottom}.")
    else:
        top = _extreme(writer, "highest", pairs, measure)
        bottom = _extreme(writer, "lowest", pairs, measure, largest=False)
        writer.say(f"Highest: {top}. Lowest: {bottom}.")


def _series(writer: _Writer, key: Key, measure: ColumnInfo, rows: list[tuple[Cell, ...]]) -> None:
    ordered = sorted((r for r in rows if r[key.columns[-1].index] is not None), key=key.sort_value)
    if len(ordered) < len(rows):
        writer.say(f"{len(rows) - len(ordered)} row(s) without a {key.label} are left out.")
    pairs = _valued(key, measure, ordered)
    _missing(writer, key, measure, len(ordered), len(pairs))
    if not pairs:
        return
    if len(pairs) == 1:
        text = writer.figure("value", pairs[0][1], measure, key=pairs[0][0])
        writer.say(
            f"Only one {key.label} in the result: {pairs[0][0]} with {text}; no trend can be read."
        )
        return
    (first_key, first), (last_key, last) = pairs[0], pairs[-1]
    first_text = writer.figure("first", first, measure, key=first_key)
    last_text = writer.figure("last", last, measure, key=last_key)
    change = _change(writer, first, last, measure)
    writer.say(
        f"From {first_key} to {last_key} the {measure.label} {change}: "
        f"{first_text} in {first_key}, {last_text} in {last_key}."
    )
    writer.say(f"Peak: {_extreme(writer, 'peak', pairs, measure)}.")
    total = _total([v for _, v in pairs], measure)
    if total is not None:
        text = writer.figure("total", total, measure)
        writer.say(f"Total over the {len(pairs)} {_noun(key, 2)}: {text}.")


def _change(writer: _Writer, first: Decimal, last: Decimal, measure: ColumnInfo) -> str:
    """ "rose by 120 (+35.2%)", "fell by 3.10 percentage points", "stayed flat (+2,
    +1.2%)"."""
    change = last - first
    sign = "+" if change >= 0 else "-"
    if measure.unit is Unit.PERCENT:
        # A change in a percentage is said in points; a percent of a percent misleads.
        writer.figure("change", change, _points(measure))
        sizes = [f"{abs(change):,.2f} percentage points"]
        flat = abs(change) < 1
    else:
        writer.figure("change", change, measure)
        sizes = [format_value(abs(change), measure)]
        percent = None if first == 0 else (100 * change / abs(first)).quantize(Decimal("0.1"))
        if percent is not None:
            writer.figures.append(
                Figure("change_percent", percent, f"{percent:+}%", measure=measure.label)
            )
            sizes.append(f"{abs(percent)}%")
        flat = change == 0 if percent is None else abs(percent) < FLAT_PERCENT
    if change == 0:
        return "stayed the same"
    if flat:
        return f"stayed flat ({', '.join(sign + size for size in sizes)})"
    relative = f" ({sign}{sizes[1]})" if len(sizes) > 1 else ""
    return f"{'rose' if change > 0 else 'fell'} by {sizes[0]}{relative}"


def _points(measure: ColumnInfo) -> ColumnInfo:
    return ColumnInfo(measure.index, measure.name, "percentage points", measure.role)


def _two_keys(writer: _Writer, shape: Shape, rows: list[tuple[Cell, ...]]) -> None:
    outer, inner = shape.keys
    measure = shape.measures[0]
    cells = [(f"{outer.text(r)} · {inner.text(r)}", measure_value(r[measure.index])) for r in rows]
    valued = [(k, v) for k, v in cells if v is not None]
    if not valued:
        writer.say(f"No cell has a {measure.label}.")
        return
    total = _total([v for _, v in valued], measure)
    if total is not None:
        totals: dict[str, Decimal] = {}
        ordered = sorted(rows, key=outer.sort_value)
        for row in ordered:
            value = measure_value(row[measure.index])
            totals[outer.text(row)] = totals.get(outer.text(row), Decimal(0)) + (value or 0)
        listed = [
            _keyed(outer, k, writer.figure("total", v, measure, key=k)) for k, v in totals.items()
        ]
        more = f" and {len(listed) - LISTED} more" if len(listed) > LISTED else ""
        by = f"{_total_of(measure).capitalize()} by {outer.label}"
        writer.say(f"{by}: {', '.join(listed[:LISTED])}{more}.")
        text = writer.figure("total", total, measure)
        writer.say(f"Overall: {text}.")
        if outer.time_unit and len(totals) > 1:
            (first_key, first), (last_key, last) = (
                next(iter(totals.items())),
                list(totals.items())[-1],
            )
            change = _change(writer, first, last, measure)
            writer.say(f"From {first_key} to {last_key} the {_total_of(measure)} {change}.")
        writer.say(f"Largest cell: {_extreme(writer, 'largest', valued, measure, total)}.")
    else:
        highest = _extreme(writer, "highest", valued, measure)
        lowest = _extreme(writer, "lowest", valued, measure, largest=False)
        writer.say(f"Highest {measure.label}: {highest}; lowest: {lowest}.")
    if len(valued) < len(cells):
        writer.say(f"{len(cells) - len(valued)} of {len(cells)} cells have no {measure.label}.")


def _total_of(measure: ColumnInfo) -> str:
    """ "total findings", and "total penalty" for a column already named a total."""
    return measure.label if measure.label.startswith("total") else f"total {measure.label}"


def _keyed(key: Key, text: str, value: str) -> str:
    """A value with its key, as said: "145 in Q1 2024" over time, "AML 300" otherwise."""
    return f"{value} in {text}" if key.time_unit else f"{text} {value}"


def _other_totals(writer: _Writer, shape: Shape, rows: Sequence[tuple[Cell, ...]]) -> None:
    """The totals of the measures after the first, where adding them up means something."""
    for measure in shape.measures[1:]:
        values = [v for v in (measure_value(r[measure.index]) for r in rows) if v is not None]
        total = _total(values, measure) if len(values) > 1 else None
        if total is not None:
            text = writer.figure("total", total, measure)
            writer.say(f"{measure.label.capitalize()} over all rows: {text}.")


def _list(writer: _Writer, shape: Shape, table: ResultTable) -> None:
    count = len(table.rows)
    writer.figures.append(Figure("rows", Decimal(count), f"{count:,}"))
    if count == 1:
        cells = ", ".join(
            f"{c.label} {cell_text(v)}" for c, v in zip(shape.columns, table.rows[0], strict=True)
        )
        writer.say(f"One row: {cells}.")
        return
    writer.say(f"The result lists {count:,} rows.")
    for column in shape.columns:
        if column.time_unit is TimeUnit.DATE:
            dates = sorted(cell_text(v) for v in table.column_values(column.index) if v is not None)
            if dates:
                writer.say(f"{column.label.capitalize()} from {dates[0]} to {dates[-1]}.")

"""How a query result is built, read once for the summary and the chart: which columns
are time keys, categories, identifiers, labels and measures, what each measure is (a
count, money, an average, a percentage, days), and the result's overall shape."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import Enum

from arbiter_analysis.findings.schema import SEVERITIES, TABLES
from arbiter_analysis.table import Cell, ResultTable, cell_text


class Role(Enum):
    TIME = "time"
    CATEGORY = "category"
    IDENTIFIER = "identifier"
    LABEL = "label"
    """A name or title that describes an identifier's row; never a key of its own."""
    MEASURE = "measure"


class TimeUnit(Enum):
    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"
    PERIOD = "period"
    """Ordered periods of unknown length: an unnamed extract(), '2024-03', '2024-Q1'."""
    DATE = "date"


class Unit(Enum):
    NUMBER = ""
    USD = "USD"
    PERCENT = "%"
    DAYS = "days"


class ShapeKind(Enum):
    EMPTY = "empty"
    SINGLE_VALUE = "single value"
    TIME_SERIES = "time series"
    CATEGORIES = "categories"
    TWO_KEYS = "two keys"
    LIST = "list"


@dataclass(frozen=True)
class ColumnInfo:
    """One column of a result and what it holds."""

    index: int
    name: str
    label: str
    """A short name for people ("number", "total", "firm type"), unit not included."""
    role: Role
    time_unit: TimeUnit | None = None
    unit: Unit = Unit.NUMBER
    additive: bool = False
    """For measures: values that add up to a meaningful total (counts, sums, amounts),
    so totals and shares of the total may be stated; averages and percentages do not."""
    integral: bool = False
    """Every value is a whole number as the database returned it (counts)."""
    order: tuple[str, ...] = ()
    """For categories with a natural order (severity), that order."""
    year: int | None = None
    """For quarters and months: the one year the question names, when the result has no
    year of its own ("Q1 2024", "Jan 2025")."""

    @property
    def title(self) -> str:
        """The label with its unit, for an axis or a table heading."""
        if self.unit is Unit.NUMBER or self.unit.value in self.label:
            return self.label
        return f"{self.label} ({self.unit.value})"


@dataclass(frozen=True)
class Key:
    """What identifies a row: one time or category column, or an identifier qualified
    by the categories before it (rulebook + rule_ref) and named by a label column."""

    columns: tuple[ColumnInfo, ...]
    label: str
    name_column: ColumnInfo | None = None

    @property
    def time_unit(self) -> TimeUnit | None:
        return self.columns[-1].time_unit

    @property
    def order(self) -> tuple[str, ...]:
        return self.columns[0].order if len(self.columns) == 1 else ()

    @property
    def plural(self) -> str:
        """The label for many ("rulebooks", "severities", "statuses")."""
        return plural(self.label)

    def text(self, row: Sequence[Cell]) -> str:
        """The key of `row` as a person reads it ("2024", "Q3", "March", "AML 14.3.1",
        "Falcon Bank (F012)"); a missing value is "(none)"."""
        text = " ".join(_key_part(row[c.index], c) for c in self.columns)
        if self.name_column is not None and row[self.name_column.index] is not None:
            return f"{cell_text(row[self.name_column.index])} ({text})"
        return text

    def sort_value(self, row: Sequence[Cell]) -> tuple[object, ...]:
        """A value that orders rows along this key: time in time order, ordered
        categories in their order, others by text; missing values last."""
        values: list[object] = []
        for column in self.columns:
            cell = row[column.index]
            if cell is None:
                values.append((2, ""))
            elif column.order and str(cell) in column.order:
                values.append((0, column.order.index(str(cell))))
            elif isinstance(cell, dt.datetime | dt.date):
                values.append((0, cell.isoformat()))
            elif isinstance(cell, int | float | Decimal):
                values.append((0, Decimal(str(cell))))
            else:
                values.append((1, str(cell)))
        return tuple(values)


@dataclass(frozen=True)
class Shape:
    """A result's columns, its keys (time first) and its measures."""

    kind: ShapeKind
    columns: tuple[ColumnInfo, ...]
    keys: tuple[Key, ...]
    measures: tuple[ColumnInfo, ...]


_CALENDAR = "January February March April May June July August September October November December"
MONTH_NAMES = tuple(_CALENDAR.split())
MONTHS = tuple(name[:3] for name in MONTH_NAMES)
ORDERED_CATEGORIES = (SEVERITIES,)
"""Category values with a natural order; a column whose values all come from one of
these is shown in that order rather than by size."""

# PostgreSQL's default names for an unnamed expression: they say which function made
# the value, not what it means, so the question is read for the unit.
_GENERIC = {"?column?", "round", "coalesce", "numeric", "float8", "int4", "int8", "trunc"}
_COUNT_WORDS = {"count", "n", "cnt"}
# Whole-number columns named for the rows they count: a count of fines is not money.
_COUNTED_NAMES = {*TABLES, "financial_penalties", "penalties", "fines"}
_SUM_WORDS = {"sum", "total"}
_AVERAGE_WORDS = {"avg", "average", "mean", "median"}
_EXTREME_WORDS = {"min", "max", "largest", "smallest", "longest", "shortest"}
_NOT_ADDITIVE = _AVERAGE_WORDS | _EXTREME_WORDS | {"round", "pct", "percent", "share", "rate"}
_PERCENT_WORDS = {"pct", "percent", "percentage", "share", "rate"}
_MONEY_WORDS = {"usd", "penalty", "penalties", "fine", "fines", "amount"}
_DAY_WORDS = {"day", "days"}
_PERCENT_QUESTION = re.compile(r"percent|\bshare\b|%|\bproportion\b", re.IGNORECASE)
_DAYS_QUESTION = re.compile(r"\bdays?\b|remediation time|time to remediate", re.IGNORECASE)
_MONEY_QUESTION = re.compile(r"penalt|\bfine[sd]?\b|\busd\b|monetary|\$", re.IGNORECASE)
_AVERAGE_QUESTION = re.compile(r"\baverage\b|\bmean\b", re.IGNORECASE)
_IDENTIFIER_VALUE = re.compile(r"[A-Z]{1,4}\d{2,}")
_PERIOD_VALUE = re.compile(r"\d{4}-(0[1-9]|1[0-2]|Q[1-4])")
_DATES = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_YEARS = re.compile(r"\b(?:19|20)\d{2}\b")
_QUARTER_QUESTION = re.compile(r"\bquarter|\bq[1-4]\b", re.IGNORECASE)
_MONTH_QUESTION = re.compile(r"\bmonth", re.IGNORECASE)


def plural(noun: str) -> str:
    """An English noun for many ("rulebooks", "severities", "statuses")."""
    if noun.endswith("y") and not noun.endswith(("ay", "ey", "oy")):
        return noun[:-1] + "ies"
    return noun + ("es" if noun.endswith(("s", "x", "ch", "sh")) else "s")


def read_shape(table: ResultTable, *, question: str = "") -> Shape:
    """The shape of `table`; `question` (the words the result answers) helps guess the
    unit of generically named measures ("round", "?column?")."""
    columns = _dedupe_labels(
        tuple(
            _read_column(i, name, table.column_values(i), question)
            for i, name in enumerate(table.columns)
        )
    )
    columns = _dated(columns, question)
    measures = tuple(c for c in columns if c.role is Role.MEASURE)
    keys = _keys(columns)
    return Shape(_kind(table, keys, measures), columns, keys, measures)


def named_year(question: str) -> int | None:
    """The one year `question` is about ("... in 2024, and what is the trend?"), or None
    when it names none or several ("from 2023 to 2025"); a stated today is not one."""
    years = set(_YEARS.findall(_DATES.sub(" ", question)))
    return int(years.pop()) if len(years) == 1 else None


def _dated(columns: tuple[ColumnInfo, ...], question: str) -> tuple[ColumnInfo, ...]:
    """Quarters and months with the year the question names, unless a column says it."""
    year = named_year(question)
    if year is None or any(c.time_unit is TimeUnit.YEAR for c in columns):
        return columns
    within_year = (TimeUnit.QUARTER, TimeUnit.MONTH)
    return tuple(replace(c, year=year) if c.time_unit in within_year else c for c in columns)


def measure_value(cell: Cell) -> Decimal | None:
    """A numeric cell as an exact Decimal; anything else (NULL, text) as None."""
    if isinstance(cell, bool) or not isinstance(cell, int | float | Decimal):
        return None
    return Decimal(str(cell)) if isinstance(cell, float) else Decimal(cell)


def _kind(table: ResultTable, keys: tuple[Key, ...], measures: tuple[ColumnInfo, ...]) -> ShapeKind:
    if not table.rows:
        return ShapeKind.EMPTY
    if len(table.rows) == 1 and ((not keys and measures) or len(table.columns) == 1):
        return ShapeKind.SINGLE_VALUE
    if not measures or not keys or len(keys) > 2:
        return ShapeKind.LIST
    seen = {tuple(k.text(row) for k in keys) for row in table.rows}
    if len(seen) < len(table.rows):
        return ShapeKind.LIST  # repeated keys: rows of a list, not one value per key
    if len(keys) == 2:
        return ShapeKind.TWO_KEYS
    return ShapeKind.TIME_SERIES if keys[0].time_unit else ShapeKind.CATEGORIES


def _keys(columns: tuple[ColumnInfo, ...]) -> tuple[Key, ...]:
    times = [Key((c,), c.label) for c in columns if c.role is Role.TIME]
    categories = [c for c in columns if c.role is Role.CATEGORY]
    identifiers = [c for c in columns if c.role is Role.IDENTIFIER]
    names = [c for c in columns if c.role is Role.LABEL]
    if identifiers:
        # The first identifier names the row's entity; categories before it qualify it
        # (rulebook, rule_ref); later identifiers and categories are its attributes.
        first = identifiers[0]
        qualifiers = tuple(c for c in categories if c.index < first.index)
        name = names[0] if names else None
        return (*times, Key((*qualifiers, first), first.label, name))
    if names and not categories:
        return (*times, Key((names[0],), names[0].label))
    return (*times, *(Key((c,), c.label) for c in categories))


def _read_column(index: int, name: str, values: list[Cell], question: str) -> ColumnInfo:
    present = [v for v in values if v is not None]
    words = set(re.split(r"[^a-z0-9?]+", name.lower())) - {""}
    time_unit = _time_unit(name.lower(), words, present, question)
    if time_unit is not None:
        generic = name.lower() in _TIME_FUNCTIONS or time_unit is TimeUnit.PERIOD
        label = (
            ("period" if time_unit is TimeUnit.DATE else time_unit.value)
            if generic
            else _plain(name)
        )
        return ColumnInfo(index, name, label, Role.TIME, time_unit=time_unit)
    numeric = [measure_value(v) for v in present]
    if (present and all(v is not None for v in numeric)) or (not present and _aggregate(words)):
        return _measure(index, name, words, present, question)
    texts = [str(v) for v in present]
    if (
        name.lower() == "id"
        or words & {"id", "ref"}
        or (texts and all(_IDENTIFIER_VALUE.fullmatch(t) for t in texts))
    ):
        label = re.sub(r"[_ ](id|ref)$", "", name.lower()).replace("_", " ") or name
        return ColumnInfo(index, name, label, Role.IDENTIFIER)
    if words & {"name", "title", "summary", "description"}:
        return ColumnInfo(index, name, _plain(name), Role.LABEL)
    order = next((o for o in ORDERED_CATEGORIES if texts and set(texts) <= set(o)), ())
    return ColumnInfo(index, name, _plain(name), Role.CATEGORY, order=order)


_TIME_FUNCTIONS = {"extract", "date_part", "date_trunc"}


def _time_unit(
    name: str, words: set[str], values: Sequence[Cell], question: str
) -> TimeUnit | None:
    if not values:
        return None
    if all(isinstance(v, dt.date) for v in values):
        return TimeUnit.DATE
    if all(isinstance(v, str) and _PERIOD_VALUE.fullmatch(v) for v in values):
        return TimeUnit.PERIOD
    whole = [measure_value(v) for v in values]
    if not all(v is not None and v == v.to_integral_value() for v in whole):
        return None
    low, high = min(v for v in whole if v is not None), max(v for v in whole if v is not None)
    if (words & {"year", "yr"} or name in _TIME_FUNCTIONS) and low >= 1900 and high <= 2100:
        return TimeUnit.YEAR
    if words & {"quarter", "qtr"} and low >= 1 and high <= 4:
        return TimeUnit.QUARTER
    if "month" in words and low >= 1 and high <= 12:
        return TimeUnit.MONTH
    if name in _TIME_FUNCTIONS and low >= 1 and high <= 12:
        # extract(month) or extract(quarter): the name does not say, the question may.
        if high <= 4 and _QUARTER_QUESTION.search(question):
            return TimeUnit.QUARTER
        if _MONTH_QUESTION.search(question):
            return TimeUnit.MONTH
        return TimeUnit.PERIOD
    return None


def _aggregate(words: set[str]) -> bool:
    return bool(words & (_COUNT_WORDS | _SUM_WORDS | _AVERAGE_WORDS | _GENERIC | {"min", "max"}))


def _measure(
    index: int, name: str, words: set[str], values: Sequence[Cell], question: str
) -> ColumnInfo:
    integral = bool(values) and all(
        isinstance(v, int) or (isinstance(v, Decimal) and v.as_tuple().exponent == 0)
        for v in values
    )
    generic = bool(words & (_GENERIC | _AVERAGE_WORDS | _SUM_WORDS | {"min", "max"}))
    if words & _COUNT_WORDS or (integral and name.lower() in _COUNTED_NAMES):
        unit = Unit.NUMBER
    elif words & _PERCENT_WORDS or (
        generic and not words & _SUM_WORDS and _PERCENT_QUESTION.search(question)
    ):
        unit = Unit.PERCENT
    elif words & _DAY_WORDS or (generic and _DAYS_QUESTION.search(question)):
        unit = Unit.DAYS
    elif words & _MONEY_WORDS or (generic and _MONEY_QUESTION.search(question)):
        unit = Unit.USD
    else:
        unit = Unit.NUMBER
    # Only an unnamed expression ("round") takes "average" from the question: a sum or
    # a count in the same result is still a sum or a count.
    averaged = bool(words & _AVERAGE_WORDS) or (
        bool(words & _GENERIC) and bool(_AVERAGE_QUESTION.search(question))
    )
    additive = not (words & _NOT_ADDITIVE or averaged or unit in (Unit.PERCENT, Unit.DAYS))
    if words & _GENERIC and not integral:
        additive = False  # an unnamed decimal expression: most often a ratio
    label = _measure_label(name, words, unit, averaged) if len(words) == 1 else _plain(name)
    return ColumnInfo(
        index, name, label, Role.MEASURE,
        unit=unit, additive=additive, integral=integral,
    )  # fmt: skip


def _measure_label(name: str, words: set[str], unit: Unit, averaged: bool) -> str:
    if words & _COUNT_WORDS:
        return "number"
    if words & _SUM_WORDS:
        return "total"
    if averaged:
        return "average days" if unit is Unit.DAYS else "average"
    if words & _EXTREME_WORDS:
        return "smallest" if "min" in words else "largest"
    if words & _GENERIC:
        return {Unit.PERCENT: "percentage", Unit.DAYS: "days", Unit.USD: "amount"}.get(
            unit, "value"
        )
    return _plain(name)


def _plain(name: str) -> str:
    # The unit is said in the title ("total penalty (USD)", "share (%)"), not the label.
    text = re.sub(r"_(?:usd|percent)$", "", name.lower()).replace("_", " ").strip()
    return text or name


def _dedupe_labels(columns: tuple[ColumnInfo, ...]) -> tuple[ColumnInfo, ...]:
    seen: dict[str, int] = {}
    out: list[ColumnInfo] = []
    for column in columns:
        seen[column.label] = seen.get(column.label, 0) + 1
        if seen[column.label] > 1:
            column = replace(column, label=f"{column.label} {seen[column.label]}")
        out.append(column)
    return tuple(out)


def _key_part(cell: Cell, column: ColumnInfo) -> str:
    """A key value as people write it ("2024", "Q3 2024", "Q3", "Mar 2025", "March",
    "period 3"): never a bare number for a period."""
    if cell is None:
        return "(none)"
    value = measure_value(cell)
    unit = column.time_unit
    if value is None or unit is None:
        return cell_text(cell)
    number = int(value)
    year = f" {column.year}" if column.year else ""
    if unit is TimeUnit.QUARTER:
        return f"Q{number}{year}"
    if unit is TimeUnit.MONTH:
        return f"{MONTHS[number - 1]}{year}" if year else MONTH_NAMES[number - 1]
    if unit is TimeUnit.PERIOD:
        return f"period {number}"
    return str(number)

"""What a question means, before any SQL: the entity it is about, what is measured, the
filters, the grouping, the order. Every column reference is checked against
`findings.schema`, so the parser can only name columns the database has."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from arbiter_analysis.findings.schema import TABLES

ALIASES = {"findings": "f", "audits": "a", "firms": "fm", "dispositions": "d"}
"""The alias each table has in every query the parser writes."""


class NotUnderstood(Exception):
    """The question, or a part of it, does not map onto the findings database."""

    rest: str = ""
    """What of the question was left unread when it was refused (for naming the words
    it did not know)."""


@dataclass(frozen=True)
class Expr:
    """A value a query computes from one or more tables."""

    sql: str
    tables: frozenset[str]
    label: str
    """How a person names it (`firm type`, `year of decision`)."""
    name: str = ""
    """The column name a result gives it (`quarter`, `days_to_remediate`) where its SQL
    is an expression PostgreSQL would name by its function (`extract`, `?column?`)."""


def column(table: str, name: str, label: str = "") -> Expr:
    TABLES[table].column(name)  # a KeyError here is a bug in the vocabulary, not bad input
    return Expr(f"{ALIASES[table]}.{name}", frozenset({table}), label or name.replace("_", " "))


def date_part(part: str, date: Expr) -> Expr:
    return Expr(
        f"extract({part} FROM {date.sql})::int", date.tables, f"{part} of {date.label}", part
    )


def remediation_days() -> Expr:
    remediated, identified = (
        column("findings", "remediated_on"),
        column("findings", "identified_on"),
    )
    return Expr(
        f"{remediated.sql} - {identified.sql}",
        frozenset({"findings"}),
        "days from identification to remediation",
        "days_to_remediate",
    )


@dataclass(frozen=True)
class Condition:
    """A filter, with where the question stated it (for deciding what a share counts)."""

    sql: str
    tables: frozenset[str]
    label: str
    position: int = 0


@dataclass(frozen=True)
class Entity:
    """A kind of row a question counts or lists."""

    name: str
    table: str
    key: str
    date: str
    """The date column a bare year refers to (README conventions)."""
    plural: str
    condition: Condition | None = None
    """What the noun itself implies (a fine is a disposition with a financial penalty)."""

    @property
    def key_expr(self) -> Expr:
        return column(self.table, self.key)


class Measure(Enum):
    COUNT = "count"
    COUNT_DISTINCT = "count distinct"
    SUM = "total"
    AVG = "average"
    MAX = "largest"
    MIN = "smallest"
    SHARE = "percentage"
    CHANGE = "percentage change"
    LIST = "list"


@dataclass(frozen=True)
class Aggregate:
    """One measured value: a measure over an expression (none for counting rows)."""

    measure: Measure
    of: Expr | None = None


@dataclass(frozen=True)
class ChildCount:
    """Rows of `child` counted per row of `parent` (audits per firm, findings per audit),
    for thresholds, "never", "counting none as zero" and averages per parent."""

    parent: Entity
    child: Entity
    conditions: tuple[Condition, ...] = ()


class PerParent(Enum):
    COUNT = "number of children"
    SUM_COUNT = "total of children, zero included"
    AVERAGE = "average number of children"
    PARENTS_WITH_CHILD = "parents with at least one"
    NONE = "parents with none"
    THRESHOLD = "parents over a threshold"


@dataclass(frozen=True)
class Threshold:
    operator: str
    value: int


@dataclass(frozen=True)
class Order:
    descending: bool
    limit: int | None
    ties_descending: bool = False


@dataclass(frozen=True)
class Meaning:
    """One question, understood."""

    entity: Entity
    aggregates: tuple[Aggregate, ...]
    conditions: tuple[Condition, ...] = ()
    groups: tuple[Expr, ...] = ()
    outputs: tuple[Expr, ...] = ()
    """The columns a list question asks for."""
    numerator: tuple[Condition, ...] = ()
    """What a share counts, out of all rows that pass `conditions`."""
    per_parent: tuple[PerParent, ChildCount] | None = None
    threshold: Threshold | None = None
    order: Order | None = None
    change_years: tuple[int, int] | None = None
    change_date: Expr | None = None
    above_average: bool = False
    distinct: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

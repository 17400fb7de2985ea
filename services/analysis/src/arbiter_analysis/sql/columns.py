"""Column names resolved the way PostgreSQL resolves them: each column of a guarded query
must be a known column of a findings table, or an output column of a CTE or subquery, or
(in ORDER BY) an output name of its own query. What does not resolve is refused, because
in PostgreSQL a bare table name is a whole row and `t.name` can be a function call on
it (`f.text` is `text(f)`). Join conditions are checked here too: a condition must relate
the joined table to another one."""

from __future__ import annotations

import re

from sqlglot import exp
from sqlglot.errors import OptimizeError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope
from sqlglot.schema import MappingSchema

from arbiter_analysis.findings.schema import SCHEMA, TABLES
from arbiter_analysis.sql.names import cut, findings_table
from arbiter_analysis.sql.refusal import QueryRefused, Refusal
from arbiter_analysis.sql.text import DIALECT

_COLUMNS = MappingSchema(
    {SCHEMA: {t.name: {c.name: "text" for c in t.columns} for t in TABLES.values()}},
    dialect=DIALECT,
)
"""The schema as the resolver needs it: names only (types do not change resolution)."""
_UNKNOWN = re.compile(r"Unknown column: (\w+)")


def check_columns(query: exp.Query) -> None:
    """Refuse `query` unless every column resolves and every join condition relates the
    joined table to another (on a resolved copy; `query` itself is not changed)."""
    try:
        resolved = qualify(
            query.copy(),
            dialect=DIALECT,
            db=SCHEMA,
            schema=_COLUMNS,
            validate_qualify_columns=False,
            quote_identifiers=False,
            identify=False,
        )
        scopes = traverse_scope(resolved)
    except RecursionError:
        raise QueryRefused(Refusal.TOO_DEEP, "the query is nested too deeply to check") from None
    except OptimizeError as error:
        # The resolver stops at a qualified column its table lacks (`f.text`); its message
        # is the only place that names it.
        unknown = _UNKNOWN.fullmatch(str(error))
        what = f"{cut(unknown.group(1))} is" if unknown else "a column of the query is"
        raise QueryRefused(
            Refusal.UNKNOWN_COLUMN, f"{what} not a column of the table it names"
        ) from None
    except Exception:  # the resolver reads hostile trees; a tree it cannot resolve is refused
        raise QueryRefused(
            Refusal.UNKNOWN_COLUMN, "the query's column names could not be resolved"
        ) from None
    for row in resolved.find_all(exp.TableColumn):
        raise QueryRefused(
            Refusal.UNKNOWN_COLUMN,
            f"{cut(row.name)} names a whole row, not a column; name the columns you need",
        )
    for scope in scopes:
        for column in scope.columns:
            _check_column(scope, column)
    for join in resolved.find_all(exp.Join):
        _check_join_condition(join)


def _check_column(scope: Scope, column: exp.Column) -> None:
    name = column.name
    if not column.table:
        if _orders_by_output(scope, column):
            return
        raise QueryRefused(
            Refusal.UNKNOWN_COLUMN,
            f"{cut(name)} is not a column of the tables in the query",
        )
    source = _source(scope, column.table)
    if source is None:
        raise QueryRefused(
            Refusal.UNKNOWN_COLUMN,
            f"{cut(column.table)}.{cut(name)} names no table of the query",
        )
    if isinstance(column.this, exp.Star):
        return
    if isinstance(source, Scope):
        outputs = getattr(source.expression, "named_selects", ())
        if name in outputs or "*" in outputs:
            return
        raise QueryRefused(
            Refusal.UNKNOWN_COLUMN,
            f"{cut(name)} is not a column of {cut(column.table)}",
        )
    table = findings_table(source) if isinstance(source, exp.Table) else None
    if table is not None and name in table.column_names:
        return
    where = f"{SCHEMA}.{table.name}" if table is not None else cut(column.table)
    raise QueryRefused(
        Refusal.UNKNOWN_COLUMN,
        f"{cut(name)} is not a column of {where}"
        + (f" (its columns: {', '.join(table.column_names)})" if table is not None else ""),
    )


def _source(scope: Scope, name: str) -> exp.Table | Scope | None:
    """The table or subquery `name` denotes, looked up outward (correlated subqueries)."""
    current: Scope | None = scope
    while current is not None:
        source = current.sources.get(name)
        if isinstance(source, (exp.Table, Scope)):
            return source
        current = current.parent
    return None


def _orders_by_output(scope: Scope, column: exp.Column) -> bool:
    """Whether `column` is an ORDER BY reference to an output name of its own query."""
    query = scope.expression
    order = column.find_ancestor(exp.Order)
    return (
        order is not None
        and order.parent is query
        and column.name in getattr(query, "named_selects", ())
    )


def _check_join_condition(join: exp.Join) -> None:
    condition = join.args.get("on")
    if condition is None:
        return  # no condition at all is refused by the tree walk before this runs
    joined = join.this.alias_or_name
    tables = {column.table for column in condition.find_all(exp.Column)}
    if joined not in tables or not tables - {joined, ""}:
        raise QueryRefused(
            Refusal.CROSS_JOIN,
            f"the join condition of {cut(joined)} does not relate it to another table "
            "(a join without one is a cross join)",
        )

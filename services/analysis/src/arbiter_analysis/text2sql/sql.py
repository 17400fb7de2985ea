"""From a `Meaning` to one PostgreSQL SELECT over schema `findings`: the joins its
columns need (through findings, the hub), the aggregates, per-parent child counts
(thresholds, "never", zero-filled groups), shares, changes between two years, order and
limit. Composed from the meaning; no question has a query of its own.

Every computed column is named for the person reading the table: counts by the plural of
what they count (`findings`, `financial_penalties`, `rulebooks`), other measures by what
they measure and its unit (`total_penalty_usd`, `average_days_to_remediate`,
`share_percent`, `change_percent`), time parts by their unit (`year`, `quarter`,
`month`). Scoring compares values, so the names change no answer."""

from __future__ import annotations

from arbiter_analysis.findings.schema import SCHEMA
from arbiter_analysis.shape import plural
from arbiter_analysis.text2sql.meaning import (
    ALIASES,
    Aggregate,
    ChildCount,
    Condition,
    Entity,
    Expr,
    Meaning,
    Measure,
    PerParent,
)

_JOINS = {
    "audits": "a.audit_id = f.audit_id",
    "firms": "fm.firm_id = f.firm_id",
    "dispositions": "d.finding_id = f.finding_id",
}
_MANY = {"firms": {"audits", "findings", "dispositions"}, "audits": {"findings", "dispositions"}}
"""Tables that hold many rows per row of the key (a firm has many findings)."""


def source(root: str, tables: set[str]) -> str:
    """FROM `root` with joins to `tables`, through findings when any path needs it."""
    parts = [f"{SCHEMA}.{root} {ALIASES[root]}"]
    others = tables - {root}
    if not others:
        return parts[0]
    if others == {"firms"} and root == "audits":
        return f"{parts[0]} JOIN {SCHEMA}.firms fm ON fm.firm_id = a.firm_id"
    if others == {"audits"} and root == "firms":
        return f"{parts[0]} JOIN {SCHEMA}.audits a ON a.firm_id = fm.firm_id"
    if root != "findings":
        parts.append(f"JOIN {SCHEMA}.findings f ON {_JOINS[root]}")
    for table in ("dispositions", "audits", "firms"):
        if table in others and table != root:
            parts.append(f"JOIN {SCHEMA}.{table} {ALIASES[table]} ON {_JOINS[table]}")
    return " ".join(parts)


def _where(conditions: tuple[Condition, ...]) -> str:
    return " WHERE " + " AND ".join(c.sql for c in conditions) if conditions else ""


def _tables(meaning: Meaning) -> set[str]:
    exprs: list[Expr] = [*meaning.groups, *meaning.outputs]
    exprs += [a.of for a in meaning.aggregates if a.of is not None]
    found = {meaning.entity.table}
    found |= {t for e in exprs for t in e.tables}
    found |= {t for c in (*meaning.conditions, *meaning.numerator) for t in c.tables}
    return found


Value = tuple[str, str]
"""A measured column: its SQL and its name."""


def _selected(expr: Expr) -> str:
    return f"{expr.sql} AS {expr.name}" if expr.name else expr.sql


def _select(groups: list[str], values: list[Value]) -> str:
    return ", ".join([*groups, *(f"{sql} AS {name}" for sql, name in values)])


def counted(entity: Entity) -> str:
    """The name of a count of `entity` rows: its plural (`findings`, `financial_penalties`)."""
    return entity.plural.replace(" ", "_")


def _aggregate(aggregate: Aggregate, count: str, entity: Entity) -> Value:
    of = aggregate.of
    if of is None or aggregate.measure is Measure.COUNT:
        return count, counted(entity)
    days = of.name == "days_to_remediate"
    match aggregate.measure:
        case Measure.AVG:
            sql, word = f"round(avg({of.sql})::numeric, 2)", "average"
        case Measure.SUM:
            sql, word = f"sum({of.sql})", "total"
        case Measure.MAX:
            sql, word = f"max({of.sql})", "longest" if days else "largest"
        case Measure.MIN:
            sql, word = f"min({of.sql})", "shortest" if days else "smallest"
        case _:  # COUNT_DISTINCT: how many different values ("rulebooks")
            return f"count(DISTINCT {of.sql})", plural(of.label).replace(" ", "_")
    return sql, f"{word}_{of.name or of.sql.rsplit('.', 1)[-1]}"


def build(meaning: Meaning) -> str:
    if meaning.per_parent:
        return _per_parent(meaning, *meaning.per_parent)
    tables = _tables(meaning)
    entity = meaning.entity
    from_ = source(entity.table, tables)
    fans_out = bool(tables & _MANY.get(entity.table, set()))
    count = f"count(DISTINCT {entity.key_expr.sql})" if fans_out else "count(*)"
    first = meaning.aggregates[0]
    if first.measure is Measure.LIST:
        return _list(meaning, from_, fans_out)
    if first.measure is Measure.SHARE:
        numerator = " AND ".join(c.sql for c in meaning.numerator)
        share = f"round(100.0 * count(*) FILTER (WHERE {numerator}) / count(*), 2)"
        values = [(share, "share_percent")]
    elif meaning.change_years and meaning.change_date:
        return _change(meaning, from_, _aggregate(first, count, entity)[0])
    else:
        values = [_aggregate(a, count, entity) for a in meaning.aggregates]
    return _grouped(meaning, from_, meaning.conditions, values)


def _grouped(
    meaning: Meaning, from_: str, conditions: tuple[Condition, ...], values: list[Value]
) -> str:
    groups = [_selected(g) for g in meaning.groups]
    sql = f"SELECT {_select(groups, values)} FROM {from_}{_where(conditions)}"
    if groups:
        sql += " GROUP BY " + ", ".join(str(i) for i in range(1, len(groups) + 1))
    return sql + _order(meaning, values[0][0], len(groups))


def _order(meaning: Meaning, value: str, groups: int) -> str:
    order = meaning.order
    if order is None:
        return ""
    ties = " DESC" if order.ties_descending else ""
    keys = [f"{value} {'DESC' if order.descending else 'ASC'}"]
    keys += [f"{i}{ties}" for i in range(1, groups + 1)]
    limit = f" LIMIT {order.limit}" if order.limit else ""
    return " ORDER BY " + ", ".join(keys) + limit


def _list(meaning: Meaning, from_: str, fans_out: bool) -> str:
    outputs = [_selected(o) for o in meaning.outputs]
    distinct = "DISTINCT " if fans_out or meaning.distinct else ""
    conditions = meaning.conditions
    if meaning.above_average:
        value = next((o for o in meaning.outputs if "penalty_usd" in o.sql), None)
        if value is None:
            value = Expr("d.penalty_usd", frozenset({"dispositions"}), "penalty")
        average = f"(SELECT avg({value.sql}) FROM {from_}{_where(conditions)})"
        conditions = (
            *conditions,
            Condition(f"{value.sql} > {average}", value.tables, "above average"),
        )
    sql = f"SELECT {distinct}{', '.join(outputs)} FROM {from_}{_where(conditions)}"
    order = meaning.order
    if order is not None:
        value_sql = next(
            (o.sql for o in meaning.outputs if "penalty_usd" in o.sql or "_on" in o.sql),
            meaning.outputs[0].sql,
        )
        sql += f" ORDER BY {value_sql} {'DESC' if order.descending else 'ASC'}, 1"
        sql += f" LIMIT {order.limit}" if order.limit else ""
    return sql


def _change(meaning: Meaning, from_: str, value: str) -> str:
    assert meaning.change_years and meaning.change_date
    first, last = meaning.change_years
    date = meaning.change_date.sql

    def in_year(year: int) -> str:
        start, end = f"DATE '{year}-01-01'", f"DATE '{year + 1}-01-01'"
        return f"{value} FILTER (WHERE {date} >= {start} AND {date} < {end})"

    both = f"{in_year(first)} AS v0, {in_year(last)} AS v1"
    inner = f"SELECT {both} FROM {from_}{_where(meaning.conditions)}"
    return f"SELECT round(100.0 * (v1 - v0) / v0, 2) AS change_percent FROM ({inner}) s"


def child_counts(child: ChildCount) -> str:
    """One row per parent that has children: its key and how many (`n`)."""
    parent_key = child.parent.key
    tables = {child.child.table} | {t for c in child.conditions for t in c.tables}
    if child.child.table == "audits" and tables <= {"audits"}:
        key = f"a.{parent_key}"
    else:
        tables.add("findings")
        key = f"f.{parent_key}"
    root = "findings" if "findings" in tables else child.child.table
    from_ = f"{source(root, tables)}{_where(child.conditions)}"
    return f"SELECT {key} AS parent_key, count(*) AS n FROM {from_} GROUP BY 1"


def _per_parent(meaning: Meaning, mode: PerParent, child: ChildCount) -> str:
    parent = child.parent
    tables = _tables(meaning) - {"findings", "dispositions"}
    from_ = (
        f"{source(parent.table, tables)} LEFT JOIN ({child_counts(child)}) c "
        f"ON c.parent_key = {parent.key_expr.sql}"
    )
    n = "coalesce(c.n, 0)"
    parents, children = counted(parent), counted(child.child)
    conditions = meaning.conditions
    if mode is PerParent.NONE:
        conditions = (*conditions, Condition(f"{n} = 0", frozenset(), "none"))
    if mode is PerParent.THRESHOLD and meaning.threshold:
        t = meaning.threshold
        conditions = (
            *conditions,
            Condition(f"{n} {t.operator} {t.value}", frozenset(), "threshold"),
        )
    if mode in (PerParent.NONE, PerParent.THRESHOLD):
        if meaning.aggregates[0].measure is Measure.LIST:
            outputs = [_selected(o) if o.tables else f"{n} AS {children}" for o in meaning.outputs]
            outputs = outputs or [parent.key_expr.sql]
            return f"SELECT {', '.join(outputs)} FROM {from_}{_where(conditions)}"
        return _grouped(meaning, from_, conditions, [("count(*)", parents)])
    average = f"average_{children}_per_{parent.name}"
    value = {
        PerParent.SUM_COUNT: (f"sum({n})", children),
        PerParent.PARENTS_WITH_CHILD: ("count(c.parent_key)", parents),
        PerParent.AVERAGE: (f"round(avg({n})::numeric, 2)", average),
        PerParent.COUNT: ("round(avg(c.n)::numeric, 2)", average),
    }[mode]
    if mode is PerParent.SUM_COUNT and any(parent.key_expr.sql == g.sql for g in meaning.groups):
        value = (n, children)  # one row per parent: its own count, no sum needed
        return _grouped_rows(meaning, from_, conditions, value)
    return _grouped(meaning, from_, conditions, [value])


def _grouped_rows(
    meaning: Meaning, from_: str, conditions: tuple[Condition, ...], value: Value
) -> str:
    groups = [_selected(g) for g in meaning.groups]
    sql = f"SELECT {_select(groups, [value])} FROM {from_}{_where(conditions)}"
    return sql + _order(meaning, value[0], len(groups))

"""Names in a query as PostgreSQL reads them: identifiers folded to lower case unless
quoted, the findings tables a name may denote, and the CTE names visible where a table
is named."""

from __future__ import annotations

from sqlglot import exp

from arbiter_analysis.findings.schema import SCHEMA, TABLES, Table

_SHOWN_NAME = 64


def folded(identifier: exp.Identifier | str | None) -> str:
    """The name PostgreSQL looks up: an unquoted identifier folds to lower case, a quoted
    one is taken as written (so "FINDINGS" is not the findings schema)."""
    if identifier is None:
        return ""
    if isinstance(identifier, str):
        return identifier.lower()
    text = str(identifier.this)
    return text if identifier.quoted else text.lower()


def cut(name: str) -> str:
    """A name from the query as a reason quotes it: at most 64 characters."""
    return name if len(name) <= _SHOWN_NAME else f"{name[:_SHOWN_NAME]}..."


def findings_table(table: exp.Table) -> Table | None:
    """The findings table `table` names when it is written `findings.<table>`."""
    if table.args.get("catalog") or folded(table.args.get("db")) != SCHEMA:
        return None
    return TABLES.get(folded(table.args.get("this")))


def visible_ctes(node: exp.Expr) -> set[str]:
    """The CTE names `node` can refer to: every CTE of an enclosing WITH seen from its
    query's body, and only the earlier ones seen from inside one of its CTEs."""
    names: set[str] = set()
    previous, current = node, node.parent
    while current is not None:
        if isinstance(current, exp.With):
            earlier = current.expressions[: _index(current.expressions, previous)]
            names.update(folded(cte.args["alias"].this) for cte in earlier)
        elif isinstance(current, exp.Query):
            with_ = current.args.get("with_")
            if isinstance(with_, exp.With) and previous is not with_:
                names.update(folded(cte.args["alias"].this) for cte in with_.expressions)
        previous, current = current, current.parent
    return names


def _index(items: list[exp.Expr], item: exp.Expr) -> int:
    for index, candidate in enumerate(items):
        if candidate is item:
            return index
    return 0

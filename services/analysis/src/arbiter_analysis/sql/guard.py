"""The SQL guard: `check_query` reads one SQL text on sqlglot's tree (PostgreSQL dialect),
refuses anything but one read-only SELECT over the findings schema, and returns the SQL to
run, rendered from the checked tree with its outer LIMIT forced. Nothing the caller wrote
reaches the database as text: comments are dropped, unqualified findings tables are
qualified, and the rendering is read and checked again before it is returned."""

from __future__ import annotations

from sqlglot import exp

from arbiter_analysis.findings.schema import SCHEMA, TABLES
from arbiter_analysis.sql.columns import check_columns
from arbiter_analysis.sql.names import folded, visible_ctes
from arbiter_analysis.sql.refusal import GuardLimits, QueryRefused, Refusal
from arbiter_analysis.sql.text import DIALECT, check_text, first_word, parse_statement
from arbiter_analysis.sql.tree import check_tree


def check_query(sql: str, *, limits: GuardLimits = GuardLimits.default) -> str:
    """The SQL to run for `sql`, or `QueryRefused` naming the rule it breaks."""
    check_text(sql, limits)
    query = _checked(sql, limits)
    check_columns(query)
    _qualify_tables(query)
    rendered = _render(query)
    # What runs is sqlglot's rendering, not the caller's text: it is read and its tree
    # checked once more, and must render to itself, so a place where the renderer and the
    # reader disagree is refused rather than run. (Its columns are those just resolved:
    # the same rendering is the same tree.)
    again = _render(_checked(rendered, limits))
    if again != rendered:
        raise QueryRefused(Refusal.UNSTABLE, "the query could not be checked reliably")
    return rendered


def _checked(sql: str, limits: GuardLimits) -> exp.Query:
    statement = parse_statement(sql)
    query = _outer_query(statement, sql)
    _force_limit(query, limits.max_rows)
    check_tree(query, limits)
    return query


def _outer_query(statement: exp.Expr, sql: str) -> exp.Query:
    while isinstance(statement, exp.Subquery) and set(_present(statement)) == {"this"}:
        statement = statement.this  # a parenthesised SELECT is a SELECT
    if isinstance(statement, (exp.Select, exp.SetOperation)):
        return statement
    raise QueryRefused(
        Refusal.NOT_SELECT,
        f"only SELECT queries are allowed; this statement starts with {first_word(sql)}",
    )


def _present(node: exp.Expr) -> list[str]:
    return [key for key, value in node.args.items() if value not in (None, [], False)]


def _force_limit(query: exp.Query, max_rows: int) -> None:
    """Give the outer query a LIMIT of at most `max_rows`: added when absent, lowered when
    above, kept when within (so `ORDER BY ... LIMIT 5` still returns five rows)."""
    limit = query.args.get("limit")
    if limit is None:
        rows = max_rows
    elif isinstance(limit, exp.Fetch):
        rows = min(_fetch_rows(limit, max_rows), max_rows)
    elif isinstance(limit, exp.Limit):
        rows = min(_limit_rows(limit.expression, max_rows), max_rows)
    else:
        raise QueryRefused(Refusal.LIMIT_NOT_ALLOWED, "the query's LIMIT could not be read")
    query.set("limit", exp.Limit(expression=exp.Literal.number(rows)))


def _limit_rows(value: exp.Expr | None, max_rows: int) -> int:
    if isinstance(value, exp.Null) or (isinstance(value, exp.Var) and value.name.upper() == "ALL"):
        return max_rows  # LIMIT ALL and LIMIT NULL mean no limit
    if isinstance(value, exp.Literal) and value.is_int:
        return int(value.this)
    raise QueryRefused(Refusal.LIMIT_NOT_ALLOWED, "the outer LIMIT must be a whole number of rows")


def _fetch_rows(fetch: exp.Fetch, max_rows: int) -> int:
    options = fetch.args.get("limit_options")
    if isinstance(options, exp.LimitOptions) and (
        options.args.get("percent") or options.args.get("with_ties")
    ):
        raise QueryRefused(
            Refusal.LIMIT_NOT_ALLOWED, "FETCH ... PERCENT and WITH TIES are not allowed"
        )
    count = fetch.args.get("count")
    return 1 if count is None else _limit_rows(count, max_rows)


def _qualify_tables(query: exp.Query) -> None:
    """Write every findings table as `findings.<table>`, so what runs does not depend on
    the role's search_path (a CTE of the same name keeps its bare name: it shadows)."""
    for table in query.find_all(exp.Table):
        if table.args.get("db") is None and table.args.get("catalog") is None:
            name = folded(table.args.get("this"))
            if name in TABLES and name not in visible_ctes(table):
                table.set("db", exp.to_identifier(SCHEMA))


def _render(query: exp.Query) -> str:
    try:
        return query.sql(dialect=DIALECT, comments=False)
    except RecursionError:
        raise QueryRefused(Refusal.TOO_DEEP, "the query is nested too deeply to check") from None
    except Exception:  # a tree sqlglot cannot write back is not run
        raise QueryRefused(Refusal.UNSTABLE, "the query could not be checked reliably") from None

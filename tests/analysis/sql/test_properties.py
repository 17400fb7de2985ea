"""Properties of the guard over generated queries: random compositions of allowed pieces
(tables, their columns, joins along the foreign keys, filters, aggregates, ORDER BY and
LIMIT) are accepted and come back as one statement whose outer LIMIT is within
max_rows; random hostile fragments inserted anywhere never yield an accepted query that
holds a forbidden node (judged here independently of the guard's own allow-lists)."""

from __future__ import annotations

import sqlglot
from arbiter_analysis.findings.schema import FOREIGN_KEYS, SCHEMA, TABLES
from arbiter_analysis.sql import GuardLimits, QueryRefused, check_query
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

MAX_ROWS = GuardLimits.default.max_rows
WRITES_AND_STATEMENTS = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Into,
    exp.Lock,
    exp.Command,
    exp.DDL,
    exp.Set,
    exp.Transaction,
    exp.Copy,
    exp.Values,
    exp.Lateral,
    exp.Dot,
    exp.ObjectIdentifier,
    exp.Collate,
)
SAFE_NAMED = {"make_date", "age", "date_part"}
DANGEROUS_WORDS = ("pg_", "lo_", "dblink", "set_config", "current_setting", "txid", "version")


@st.composite
def string_literals(draw: st.DrawFn) -> str:
    text = draw(st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20))
    return "'" + text.replace("'", "''") + "'"


@st.composite
def allowed_queries(draw: st.DrawFn) -> tuple[str, int | None]:
    """A query built from allowed pieces, and the LIMIT it asked for (None: none)."""
    fk = draw(st.sampled_from((None, *FOREIGN_KEYS)))
    if fk is None:
        base = draw(st.sampled_from(sorted(TABLES)))
        sources = [(base, "t0")]
        from_ = f"{SCHEMA}.{base} t0"
    else:
        child, column, parent = fk
        sources = [(child, "t0"), (parent, "t1")]
        key = TABLES[parent].primary_key
        side = draw(st.sampled_from(("JOIN", "LEFT JOIN")))
        from_ = f"{SCHEMA}.{child} t0 {side} {SCHEMA}.{parent} t1 ON t1.{key} = t0.{column}"
    columns = [f"{alias}.{c}" for table, alias in sources for c in TABLES[table].column_names]
    picked = draw(st.lists(st.sampled_from(columns), min_size=1, max_size=3, unique=True))
    aggregate = draw(st.sampled_from((None, "count(*)", "count(DISTINCT {c})", "min({c})")))
    select = list(picked)
    group = ""
    if aggregate is not None:
        select.append(aggregate.format(c=draw(st.sampled_from(columns))))
        group = " GROUP BY " + ", ".join(picked)
    where = ""
    if draw(st.booleans()):
        column = draw(st.sampled_from(columns))
        op = draw(st.sampled_from(("=", "<>", "<", ">=")))
        where = f" WHERE {column} {op} {draw(string_literals())}"
        if draw(st.booleans()):
            where += f" AND {draw(st.sampled_from(columns))} IS NOT NULL"
    order = f" ORDER BY {', '.join(picked)}" if draw(st.booleans()) else ""
    limit = draw(st.none() | st.integers(min_value=0, max_value=5 * MAX_ROWS))
    tail = "" if limit is None else f" LIMIT {limit}"
    return f"SELECT {', '.join(select)} FROM {from_}{where}{group}{order}{tail}", limit


HOSTILE = [
    "; DROP TABLE findings.firms",
    "; DELETE FROM findings.findings",
    ";",
    "--",
    "/*",
    "*/",
    "$$",
    "'",
    '"',
    ")",
    "(",
    "pg_sleep(5)",
    ", pg_read_file('/etc/passwd')",
    "UNION SELECT usename FROM pg_catalog.pg_user",
    "UNION SELECT 1 FROM information_schema.tables",
    "FOR UPDATE",
    "INTO stolen",
    "CROSS JOIN findings.findings x",
    ", findings.findings y",
    "::regclass",
    "::oid",
    "WITH RECURSIVE r AS (SELECT 1 UNION ALL SELECT 1 FROM r)",
    "WITH d AS (DELETE FROM findings.findings RETURNING *)",
    "E'\\x27'",
    "U&'\\0027'",
    "\u200b",
    "\u202e",
    "pg_catalog.",
    "public.",
    "set_config('a', 'b', false)",
    "current_setting('data_directory')",
    "generate_series(1, 1000000)",
    'COLLATE "C"',
    "OR 1=1",
    "LIMIT ALL",
    "LIMIT 100000000",
    "FETCH FIRST 100000 ROWS ONLY",
    "lo_import('/etc/passwd')",
    "dblink('x', 'y')",
    "txid_current()",
    "version()",
    "current_user",
    "t0",
    "t0.text",
    "COPY findings.firms TO PROGRAM 'sh'",
]


def forbidden_nodes(sql: str) -> list[str]:
    """What in `sql` must never reach the database, judged without the guard's lists."""
    statements = [s for s in sqlglot.parse(sql, read="postgres") if s is not None]
    problems = [] if len(statements) == 1 else [f"{len(statements)} statements"]
    for statement in statements:
        if not isinstance(statement, (exp.Select, exp.SetOperation)):
            problems.append(f"top-level {type(statement).__name__}")
        limit = statement.args.get("limit")
        if not (isinstance(limit, exp.Limit) and limit.expression.is_int):
            problems.append("no numeric outer LIMIT")
        elif int(limit.expression.this) > MAX_ROWS:
            problems.append("outer LIMIT above max_rows")
        for node in statement.walk():
            if isinstance(node, WRITES_AND_STATEMENTS):
                problems.append(type(node).__name__)
            elif isinstance(node, exp.With) and node.args.get("recursive"):
                problems.append("recursive CTE")
            elif isinstance(node, exp.Anonymous) and node.name.lower() not in SAFE_NAMED:
                problems.append(f"function {node.name}")
            elif isinstance(node, exp.Func) and any(
                word in node.sql("postgres").lower().split("(")[0] for word in DANGEROUS_WORDS
            ):
                problems.append(f"function {node.sql('postgres')[:30]}")
            elif isinstance(node, exp.Table) and (
                node.args.get("catalog") or node.db not in ("", SCHEMA)
            ):
                problems.append(f"table {node.sql('postgres')}")
            elif isinstance(node, exp.Join) and not (node.args.get("on") or node.args.get("using")):
                problems.append("join without a condition")
            elif isinstance(node, exp.TableColumn):
                problems.append("whole-row reference")
    return problems


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(allowed_queries())
def test_allowed_compositions_are_accepted_with_a_bounded_limit(
    query: tuple[str, int | None],
) -> None:
    sql, asked = query
    checked = check_query(sql)
    statements = sqlglot.parse(checked, read="postgres")
    assert len(statements) == 1 and statements[0] is not None
    limit = statements[0].args["limit"]
    assert isinstance(limit, exp.Limit)
    rows = int(limit.expression.this)
    assert rows == (MAX_ROWS if asked is None else min(asked, MAX_ROWS))
    assert forbidden_nodes(checked) == []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    allowed_queries(),
    st.lists(st.tuples(st.sampled_from(HOSTILE), st.integers(min_value=0)), min_size=1, max_size=3),
)
def test_hostile_insertions_never_yield_an_accepted_forbidden_node(
    query: tuple[str, int | None], insertions: list[tuple[str, int]]
) -> None:
    words = query[0].split(" ")
    for fragment, at in insertions:
        words.insert(at % (len(words) + 1), fragment)
    try:
        checked = check_query(" ".join(words))
    except QueryRefused:
        return
    assert forbidden_nodes(checked) == [], checked

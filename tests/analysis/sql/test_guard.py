"""The SQL guard on queries a Text2SQL step should be able to run: the dev file's gold SQL
(0 false refusals, the LIMIT rewrite keeping their results), each allowed function and
construct, the LIMIT rules, table qualification, and what a refusal says."""

from __future__ import annotations

import json
import re

import pytest
import sqlglot
from arbiter_analysis.sql import GuardLimits, QueryRefused, Refusal, check_query
from arbiter_cli.suite import data_dir
from sqlglot import exp

FINDINGS_DIR = data_dir().parent / "findings"
QUESTIONS = FINDINGS_DIR / "questions_dev.jsonl"


def gold_sql() -> list[tuple[str, str]]:
    if not QUESTIONS.is_file():
        return []
    lines = QUESTIONS.read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    return [(row["id"], row["gold_sql"]) for row in rows]


def outer_limit(sql: str) -> int:
    tree = sqlglot.parse_one(sql, read="postgres")
    limit = tree.args["limit"]
    assert isinstance(limit, exp.Limit)
    return int(limit.expression.this)


def refused(sql: str, limits: GuardLimits = GuardLimits.default) -> QueryRefused:
    with pytest.raises(QueryRefused) as caught:
        check_query(sql, limits=limits)
    return caught.value


@pytest.mark.skipif(not QUESTIONS.is_file(), reason=f"the dev questions are absent: {QUESTIONS}")
@pytest.mark.parametrize(("qid", "sql"), gold_sql() or [("none", "")])
def test_every_gold_query_is_accepted_and_keeps_its_meaning(qid: str, sql: str) -> None:
    checked = check_query(sql)
    original = sqlglot.parse_one(sql, read="postgres")
    rewritten = sqlglot.parse_one(checked, read="postgres")
    limit = original.args.get("limit")
    if limit is None:
        assert outer_limit(checked) == GuardLimits.default.max_rows
    else:
        assert outer_limit(checked) == int(limit.expression.this), qid
    # Apart from the outer LIMIT the query is the same tree: same tables, columns, clauses.
    rewritten.set("limit", None)
    original.set("limit", None)
    assert rewritten.sql("postgres") == original.sql("postgres"), qid


def test_the_dev_file_has_its_fifty_questions() -> None:
    if not QUESTIONS.is_file():
        pytest.skip(f"the dev questions are absent: {QUESTIONS}")
    assert len(gold_sql()) == 50


ALLOWED = [
    "SELECT count(*), sum(penalty_usd), avg(penalty_usd), min(penalty_usd), max(penalty_usd) "
    "FROM findings.dispositions",
    "SELECT stddev(penalty_usd), stddev_pop(penalty_usd), stddev_samp(penalty_usd), "
    "variance(penalty_usd), var_pop(penalty_usd) FROM findings.dispositions",
    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY penalty_usd), "
    "percentile_disc(0.9) WITHIN GROUP (ORDER BY penalty_usd), "
    "mode() WITHIN GROUP (ORDER BY outcome) FROM findings.dispositions",
    "SELECT string_agg(DISTINCT rulebook, ', '), array_agg(severity), bool_and(remediated_on "
    "IS NULL), bool_or(status = 'open') FROM findings.findings",
    "SELECT count(*) FILTER (WHERE severity = 'critical') FROM findings.findings",
    "SELECT finding_id, row_number() OVER (PARTITION BY rulebook ORDER BY identified_on), "
    "rank() OVER (ORDER BY identified_on), dense_rank() OVER (ORDER BY severity), "
    "lag(identified_on) OVER (ORDER BY identified_on), lead(identified_on, 2) OVER "
    "(ORDER BY identified_on), ntile(4) OVER (ORDER BY identified_on), first_value(finding_id) "
    "OVER (ORDER BY identified_on), last_value(finding_id) OVER (ORDER BY identified_on) "
    "FROM findings.findings",
    "SELECT extract(year FROM identified_on), date_part('month', identified_on), "
    "date_trunc('quarter', identified_on), make_date(2024, 1, 1), age(remediated_on, "
    "identified_on), to_char(identified_on, 'YYYY-MM'), current_date - identified_on "
    "FROM findings.findings",
    "SELECT identified_on + INTERVAL '30 days', identified_on - interval '1 month' "
    "FROM findings.findings",
    "SELECT round(penalty_usd, 2), abs(penalty_usd), ceil(penalty_usd), floor(penalty_usd), "
    "greatest(penalty_usd, 0), least(penalty_usd, 1), nullif(penalty_usd, 0), "
    "coalesce(penalty_usd, 0), power(penalty_usd, 2), sqrt(penalty_usd), ln(penalty_usd + 1), "
    "exp(0), mod(3, 2), sign(penalty_usd) FROM findings.dispositions",
    "SELECT lower(name), upper(name), length(name), substring(name FROM 1 FOR 3), "
    "substring(name, 2, 2), trim(name), concat(name, '!'), replace(name, 'a', 'b'), "
    "left(name, 2), right(name, 2), position('a' IN name), split_part(name, ' ', 1), "
    "name || '.' FROM findings.firms",
    "SELECT penalty_usd::int, penalty_usd::numeric(14, 2), CAST(decided_on AS text), "
    "decided_on::timestamp, penalty_usd::double precision, outcome::varchar(20), "
    "penalty_usd > 0 AS fined, CAST('2024-01-01' AS date) FROM findings.dispositions",
    "SELECT CASE WHEN severity IN ('high', 'critical') THEN 'serious' ELSE 'minor' END, "
    "CASE status WHEN 'open' THEN 1 ELSE 0 END FROM findings.findings "
    "WHERE identified_on BETWEEN DATE '2024-01-01' AND DATE '2024-12-31' "
    "AND summary LIKE '%record%' AND rulebook ILIKE 'a%' AND rulebook NOT IN ('GEN') "
    "AND remediated_on IS DISTINCT FROM identified_on",
    "SELECT name FROM findings.firms fm WHERE EXISTS (SELECT 1 FROM findings.audits a "
    "WHERE a.firm_id = fm.firm_id) AND firm_id = ANY (SELECT firm_id FROM findings.audits)",
    "WITH per_firm AS (SELECT firm_id, count(*) AS n FROM findings.findings GROUP BY firm_id), "
    "ranked AS (SELECT firm_id, n FROM per_firm WHERE n > 1) "
    "SELECT fm.name, r.n FROM ranked r JOIN findings.firms fm USING (firm_id) ORDER BY r.n DESC",
    "SELECT rulebook FROM findings.findings UNION SELECT firm_type FROM findings.firms",
    "SELECT severity, status, count(*) FROM findings.findings GROUP BY ROLLUP (severity, status)",
    "SELECT DISTINCT ON (firm_id) firm_id, started_on FROM findings.audits "
    "ORDER BY firm_id, started_on DESC",
    "SELECT count(*) FROM findings.findings f LEFT JOIN findings.dispositions d "
    "ON d.finding_id = f.finding_id WHERE d.finding_id IS NULL",
    "SELECT name FROM firms ORDER BY name",
    "SELECT f.* FROM findings.findings f WHERE f.status = 'open' OFFSET 10",
    'SELECT "name" AS "Firm name" FROM "findings"."firms"',
    "(SELECT count(*) FROM findings.audits)",
    "SELECT count(*) FROM findings.findings;",
]


@pytest.mark.parametrize("sql", ALLOWED)
def test_allowed_functions_and_constructs_are_accepted(sql: str) -> None:
    checked = check_query(sql)
    assert len(sqlglot.parse(checked, read="postgres")) == 1
    assert outer_limit(checked) <= GuardLimits.default.max_rows


def test_the_outer_limit_is_added_lowered_or_kept() -> None:
    assert outer_limit(check_query("SELECT name FROM findings.firms")) == 1000
    assert outer_limit(check_query("SELECT name FROM findings.firms LIMIT 50000")) == 1000
    assert outer_limit(check_query("SELECT name FROM findings.firms LIMIT 5")) == 5
    assert outer_limit(check_query("SELECT name FROM findings.firms LIMIT ALL")) == 1000
    assert outer_limit(check_query("SELECT name FROM findings.firms FETCH FIRST 7 ROWS ONLY")) == 7
    union = check_query(
        "SELECT firm_id FROM findings.firms UNION SELECT firm_id FROM findings.audits LIMIT 3"
    )
    assert outer_limit(union) == 3
    small = GuardLimits(max_rows=10)
    assert outer_limit(check_query("SELECT name FROM findings.firms", limits=small)) == 10
    # only the outer query is limited: a subquery's LIMIT is its own
    inner = check_query("SELECT count(*) FROM (SELECT name FROM findings.firms LIMIT 3) s")
    assert "LIMIT 3" in inner and outer_limit(inner) == 1000


def test_a_limit_that_is_not_a_number_is_refused() -> None:
    error = refused("SELECT name FROM findings.firms LIMIT (SELECT count(*) FROM findings.firms)")
    assert error.code is Refusal.LIMIT_NOT_ALLOWED


def test_findings_tables_are_qualified_and_a_cte_of_the_same_name_shadows_them() -> None:
    assert "FROM findings.firms" in check_query("SELECT name FROM firms")
    shadowed = check_query("WITH firms AS (SELECT name FROM findings.firms) SELECT name FROM firms")
    assert shadowed.endswith("SELECT name FROM firms LIMIT 1000")
    # a CTE is visible to the ones after it only, so an earlier one cannot name a later one
    later = refused("WITH a AS (SELECT x FROM b), b AS (SELECT 1 AS x) SELECT x FROM a")
    assert later.code is Refusal.UNKNOWN_TABLE


def test_comments_never_reach_the_database() -> None:
    checked = check_query("SELECT name /* note */ FROM findings.firms -- trailing\n")
    assert "note" not in checked and "trailing" not in checked and "--" not in checked


def test_columns_resolve_through_aliases_ctes_and_subqueries() -> None:
    assert check_query("SELECT s.n FROM (SELECT count(*) AS n FROM findings.firms) s")
    assert refused("SELECT s.m FROM (SELECT count(*) AS n FROM findings.firms) s").code is (
        Refusal.UNKNOWN_COLUMN
    )
    error = refused("SELECT fm.nme FROM findings.firms fm")
    assert error.code is Refusal.UNKNOWN_COLUMN and "nme" in str(error)
    assert refused("SELECT nosuch FROM findings.firms").code is Refusal.UNKNOWN_COLUMN
    assert refused("SELECT x.name FROM findings.firms fm").code is Refusal.UNKNOWN_COLUMN
    # a system column is a column PostgreSQL has, but not one of the findings schema
    assert refused("SELECT ctid FROM findings.firms").code is Refusal.UNKNOWN_COLUMN


@pytest.mark.parametrize(
    ("field", "value", "sql", "code"),
    [
        (
            "max_joins",
            1,
            "SELECT count(*) FROM findings.findings f JOIN findings.firms fm "
            "ON fm.firm_id = f.firm_id JOIN findings.audits a ON a.audit_id = f.audit_id",
            Refusal.TOO_MANY_JOINS,
        ),
        (
            "max_depth",
            1,
            "SELECT count(*) FROM (SELECT * FROM (SELECT firm_id FROM findings.firms) a) b",
            Refusal.TOO_DEEP,
        ),
        ("max_chars", 20, "SELECT name FROM findings.firms", Refusal.TOO_LONG),
        (
            "max_literal_chars",
            3,
            "SELECT name FROM findings.firms WHERE name = 'abcd'",
            Refusal.LITERAL_TOO_LONG,
        ),
    ],
)
def test_each_limit_is_configurable(field: str, value: int, sql: str, code: Refusal) -> None:
    check_query(sql)  # within the defaults
    limits = GuardLimits(**{field: value})
    assert refused(sql, limits).code is code


def test_a_parse_failure_is_reworded_for_a_person() -> None:
    error = refused("SELECT FROM WHERE (((")
    assert error.code is Refusal.PARSE_ERROR
    text = str(error)
    assert text.startswith("the query could not be read as PostgreSQL")
    assert not re.search(r"Error|Traceback|sqlglot|\x1b|<class", text)


def test_a_refusal_quotes_the_callers_text_only_cut_short() -> None:
    long_name = "x" * 300
    error = refused(f"SELECT {long_name}(1)")
    assert error.code is Refusal.FUNCTION_NOT_ALLOWED
    assert len(str(error)) < 200 and long_name not in str(error)


def test_guard_limits_are_plain_ints_with_a_default() -> None:
    limits = GuardLimits.default
    assert limits == GuardLimits()
    assert (limits.max_rows, limits.max_joins, limits.max_depth) == (1000, 6, 4)
    assert (limits.max_chars, limits.max_literal_chars) == (8000, 500)
    assert all(type(value) is int for value in vars(limits).values())

"""Two families on paraphrases written for these tests, each run on the sample as the
read-only role against hand-written gold SQL and scored by `sql_scoring`: a superlative
with no number ("which rules are most often breached?") returns a ranked list with its
counts when it asks about a plural, one row when about a singular; a negated value
("findings not closed", "audits that are not routine") is read where it is unambiguous,
and refused naming "not" where it is not."""

from __future__ import annotations

import datetime as dt

import asyncpg
import pytest
from arbiter_analysis.text2sql import Translation, Unmapped, translate
from arbiter_analysis.text2sql.plurality import RANKED_ROWS, asks_for_several
from arbiter_cli.sql_scoring import results_match

from tests.support.postgres import FindingsDb

TODAY = dt.date(2026, 1, 15)
BY_RULE = (
    "SELECT rulebook, rule_ref, count(*) FROM findings.findings GROUP BY rulebook, rule_ref "
    "ORDER BY count(*) DESC, rulebook, rule_ref LIMIT {n}"
)
BY_RULEBOOK = (
    "SELECT rulebook, count(*) FROM findings.findings GROUP BY rulebook "
    "ORDER BY count(*) DESC, rulebook LIMIT {n}"
)
FIRMS_BY_AUDITS = (
    "SELECT fm.firm_id, fm.name, count(*) FROM findings.audits a JOIN findings.firms fm "
    "USING (firm_id) GROUP BY fm.firm_id, fm.name ORDER BY count(*) {way}, fm.firm_id LIMIT {n}"
)
OPEN_BY_FIRM = (
    "SELECT fm.firm_id, fm.name, count(*) FROM findings.findings f JOIN findings.firms fm "
    "USING (firm_id) WHERE f.status = 'open' GROUP BY fm.firm_id, fm.name "
    "ORDER BY count(*) DESC, fm.firm_id LIMIT 1"
)
RANKED = [
    ("Which rules are most often breached?", BY_RULE.format(n=RANKED_ROWS)),
    ("What are the rules breached most often?", BY_RULE.format(n=RANKED_ROWS)),
    ("Which rulebooks have the most findings?", BY_RULEBOOK.format(n=RANKED_ROWS)),
    ("Which rulebooks had the most deficiencies?", BY_RULEBOOK.format(n=RANKED_ROWS)),
    ("Which rulebook has the most findings?", BY_RULEBOOK.format(n=1)),
    ("Which rulebook has had the most breaches?", BY_RULEBOOK.format(n=1)),
    ("Which firms have had the most inspections?", FIRMS_BY_AUDITS.format(way="DESC", n=10)),
    ("Which firm has had the fewest audits?", FIRMS_BY_AUDITS.format(way="ASC", n=1)),
    # "What is the ... with the most ...": a ranking of one, as "which ... has the most".
    ("What is the rulebook with the most breaches?", BY_RULEBOOK.format(n=1)),
    ("What's the rulebook with the most deficiencies?", BY_RULEBOOK.format(n=1)),
    ("The rulebook with the most findings", BY_RULEBOOK.format(n=1)),
    ("What are the rulebooks with the most findings?", BY_RULEBOOK.format(n=RANKED_ROWS)),
    ("What\u2019s the firm with the most inspections?", FIRMS_BY_AUDITS.format(way="DESC", n=1)),
    ("Show me the firm with the fewest audits", FIRMS_BY_AUDITS.format(way="ASC", n=1)),
    ("the firm with the most open findings", OPEN_BY_FIRM),
    ("What is the firm with the most open findings?", OPEN_BY_FIRM),
]
NEGATED = [
    (
        "How many findings are not closed?",
        "SELECT count(*) FROM findings.findings WHERE status IN ('open', 'remediated')",
    ),
    (
        "List the audits that are not routine.",
        "SELECT audit_id FROM findings.audits WHERE audit_type IN ('thematic', 'for cause')",
    ),
    (
        "Number of non-critical breaches identified in 2024",
        "SELECT count(*) FROM findings.findings WHERE severity IN ('low', 'medium', 'high') "
        "AND identified_on >= DATE '2024-01-01' AND identified_on < DATE '2025-01-01'",
    ),
    (
        "Count the findings that aren't open, by severity",
        "SELECT severity, count(*) FROM findings.findings WHERE status <> 'open' GROUP BY 1",
    ),
    (
        "How many inspections that were not for cause started in 2023?",
        "SELECT count(*) FROM findings.audits WHERE audit_type IN ('routine', 'thematic') "
        "AND started_on >= DATE '2023-01-01' AND started_on < DATE '2024-01-01'",
    ),
    (
        "How many findings are not low and not medium?",
        "SELECT count(*) FROM findings.findings WHERE severity IN ('high', 'critical')",
    ),
    (
        "What share of findings is not closed?",
        "SELECT round(100.0 * count(*) FILTER (WHERE status <> 'closed') / count(*), 2) "
        "FROM findings.findings",
    ),
]


async def _rows(conn: asyncpg.Connection, sql: str) -> list[tuple[object, ...]]:
    return [tuple(r.values()) for r in await conn.fetch(sql)]


async def _check(db: FindingsDb, cases: list[tuple[str, str]], *, ordered: bool) -> None:
    conn = await asyncpg.connect(db.reader)
    try:
        for question, gold in cases:
            answer = translate(question, today=TODAY)
            assert isinstance(answer, Translation), (question, answer)
            expected, got = await _rows(conn, gold), await _rows(conn, answer.sql)
            assert expected, gold  # a gold with no rows would prove nothing
            assert results_match(expected, got, order_matters=ordered), (question, answer.sql)
    finally:
        await conn.close()


async def test_a_superlative_without_a_number_ranks_a_plural_and_picks_a_singular(
    findings_db: FindingsDb,
) -> None:
    await _check(findings_db, RANKED, ordered=True)


async def test_a_negated_value_is_read_as_every_other_value(findings_db: FindingsDb) -> None:
    await _check(findings_db, NEGATED, ordered=False)


def test_a_ranking_of_one_names_its_column_and_its_count() -> None:
    answer = translate("What is the severity with the fewest breaches?", today=TODAY)
    assert isinstance(answer, Translation), answer
    assert answer.sql.startswith("SELECT f.severity, count(*) AS findings FROM")
    assert answer.sql.endswith("ORDER BY count(*) ASC, 1 LIMIT 1")


def test_the_ranked_list_carries_its_count_and_says_how_many() -> None:
    answer = translate("Which rules are most often breached?", today=TODAY)
    assert isinstance(answer, Translation)
    assert "count(*)" in answer.sql and answer.sql.endswith(f"LIMIT {RANKED_ROWS}")
    assert f"the first {RANKED_ROWS}" in answer.explanation
    one = translate("Which rulebook has the most findings?", today=TODAY)
    assert isinstance(one, Translation) and "the first only" in one.explanation


@pytest.mark.parametrize(
    ("question", "several"),
    [
        ("Which audit types had the most findings?", True),
        ("Rules most often breached", True),
        ("Which firms received the most fines?", True),
        ("Which firm received the most fines?", False),
        ("In which year were the most audits started?", False),
        ("Which month of 2024 saw the most findings identified?", False),
        ("Which status has the most findings?", False),
        ("What is the rulebook with the most breaches?", False),
        ("What's the firm with the most open findings?", False),
        ("What are the rulebooks with the most breaches?", True),
    ],
)
def test_the_plural_is_the_asked_noun_s_before_the_verb_s(question: str, several: bool) -> None:
    assert asks_for_several(question) is several


@pytest.mark.parametrize(
    "question",
    [
        "How many findings are not high or critical?",  # neither, or critical only?
        "How many audits are not routine, thematic or for cause?",
        "How many firms are not banks?",  # a noun: it names the rows as well
        "Which findings are not in the database?",
    ],
)
def test_an_ambiguous_negation_is_refused_naming_it(question: str) -> None:
    answer = translate(question, today=TODAY)
    assert isinstance(answer, Unmapped), answer
    assert "'not'" in answer.reason

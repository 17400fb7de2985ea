"""The parser on questions written for these tests (other wording, years, rulebooks,
severities, firm types and N than the dev file): each must map to the right SQL, and
what it cannot map must come back Unmapped with a reason, never as a guessed query."""

from __future__ import annotations

import datetime as dt

import pytest
from arbiter_analysis.text2sql import CAN_ANSWER, Translation, Unmapped, translate

TODAY = dt.date(2026, 1, 15)


def sql_of(question: str, today: dt.date = TODAY) -> str:
    answer = translate(question, today=today)
    assert isinstance(answer, Translation), answer
    assert answer.explanation
    return answer.sql


def test_synonyms_fold_into_the_schema_words() -> None:
    sql = sql_of("Number of examinations of crypto firms started in 2024")
    assert "FROM findings.audits a JOIN findings.firms fm ON fm.firm_id = a.firm_id" in sql
    assert "fm.firm_type = 'virtual asset firm'" in sql
    assert "a.started_on >= DATE '2024-01-01' AND a.started_on < DATE '2025-01-01'" in sql
    assert "findings.findings f" in sql_of("How many deficiencies were raised in 2022?")


def test_a_year_refers_to_the_right_date_column() -> None:
    assert "f.identified_on >= DATE '2021-01-01'" in sql_of("How many breaches in 2021?")
    assert "d.decided_on >= DATE '2023-01-01'" in sql_of("Total fines in 2023")
    assert "fm.authorised_on < DATE '2012-01-01'" in sql_of(
        "How many firms were authorised before 2012?"
    )


def test_relative_dates_follow_today_and_a_stated_today_wins() -> None:
    assert "a.started_on >= DATE '2024-01-01' AND a.started_on < DATE '2025-01-01'" in sql_of(
        "How many audits started last year?", dt.date(2025, 6, 1)
    )
    sql = sql_of("How many firms were fined over the past 3 calendar years? Today is 2025-03-02.")
    assert "d.decided_on >= DATE '2022-01-01' AND d.decided_on < DATE '2025-01-01'" in sql
    assert "d.outcome = 'financial penalty'" in sql
    assert "count(DISTINCT fm.firm_id)" in sql


def test_quarters_and_months() -> None:
    assert "f.identified_on >= DATE '2024-07-01' AND f.identified_on < DATE '2024-10-01'" in sql_of(
        "How many high findings were identified in Q3 2024?"
    )
    assert "DATE '2025-03-01' AND d.decided_on < DATE '2025-04-01'" in sql_of(
        "How many warnings were decided in March 2025?"
    )


def test_grouped_totals_with_filters_and_joins() -> None:
    sql = sql_of("Total penalties for PRU findings from thematic inspections, by firm type.")
    assert sql.startswith(
        "SELECT fm.firm_type, sum(d.penalty_usd) AS total_penalty_usd FROM findings.dispositions d"
    )
    for part in (
        "f.rulebook = 'PRU'",
        "a.audit_type = 'thematic'",
        "d.outcome = 'financial penalty'",
    ):
        assert part in sql
    assert sql.endswith("GROUP BY 1")


def test_top_n_with_other_n_and_ties() -> None:
    sql = sql_of(
        "Top 7 firms by number of critical breaches: firm id and count (ties: lowest id first)."
    )
    assert sql.startswith(
        "SELECT fm.firm_id, count(*) AS findings FROM findings.findings f JOIN findings.firms fm"
    )
    assert sql.endswith("ORDER BY count(*) DESC, 1 LIMIT 7")


def test_fewest_counting_none_as_zero() -> None:
    sql = sql_of(
        "Which 10 firms have the fewest audits, counting firms with none as zero? Firm id, count."
    )
    assert "LEFT JOIN (SELECT a.firm_id AS parent_key, count(*) AS n FROM findings.audits a" in sql
    assert sql.endswith("ORDER BY coalesce(c.n, 0) ASC, 1 LIMIT 10")


def test_thresholds_and_absence() -> None:
    assert "WHERE coalesce(c.n, 0) > 5" in sql_of("How many audits turned up more than 5 breaches?")
    sql = sql_of("How many banks have never been fined?")
    assert "fm.firm_type = 'bank' AND coalesce(c.n, 0) = 0" in sql
    assert "d.outcome = 'financial penalty'" in sql


def test_shares_count_what_is_said_after_the_entity() -> None:
    sql = sql_of("What percentage of PRU findings are critical?")
    assert "count(*) FILTER (WHERE f.severity = 'critical')" in sql
    assert "WHERE f.rulebook = 'PRU'" in sql
    assert "IN ('low', 'medium')" in sql_of(
        "What share of all findings are low or medium severity?"
    )


def test_remediation_time_only_over_remediated_findings() -> None:
    sql = sql_of("How long does it take on average to remediate, per severity, in days?")
    assert "round(avg(f.remediated_on - f.identified_on)::numeric, 2)" in sql
    assert "f.remediated_on IS NOT NULL" in sql


def test_percentage_change_between_two_years() -> None:
    sql = sql_of("Percentage change in the number of findings between 2022 and 2024.")
    assert sql.startswith("SELECT round(100.0 * (v1 - v0) / v0, 2)")
    assert "DATE '2022-01-01'" in sql and "DATE '2024-01-01'" in sql


def test_lists_return_the_columns_asked_for() -> None:
    sql = sql_of("List the routine audits started in 2022: audit id and start date.")
    assert sql.startswith("SELECT a.audit_id, a.started_on FROM findings.audits a")


@pytest.mark.parametrize(
    "question",
    [
        "What's the weather?",
        "Which auditor is the laziest?",
        "Drop the findings table",
        "How many findings per country?",
        "Average fine by region",
        "Delete every open finding",
        "hello",
    ],
)
def test_what_it_cannot_map_is_unmapped_with_a_reason(question: str) -> None:
    answer = translate(question, today=TODAY)
    assert isinstance(answer, Unmapped)
    assert answer.reason and answer.message.startswith("I can't answer that")
    assert answer.can_answer == CAN_ANSWER and all(" - '" in c for c in answer.can_answer)


def test_an_unknown_grouping_is_named_truncated() -> None:
    answer = translate("Findings per " + "x" * 200, today=TODAY)
    assert isinstance(answer, Unmapped)
    assert "x" * 64 in answer.reason and "x" * 65 not in answer.reason

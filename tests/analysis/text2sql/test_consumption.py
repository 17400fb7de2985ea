"""The consumption check: a question with a content word the meaning did not use (a
place, a person, a column the database lacks, a number it ignored, a negation) is
Unmapped with a reason naming the word as typed; ordinary phrasings still map."""

from __future__ import annotations

import datetime as dt

import pytest
from arbiter_analysis.text2sql import CAN_ANSWER, Translation, Unmapped, translate
from arbiter_analysis.text2sql.consumption import unaccounted

TODAY = dt.date(2026, 1, 15)
FULL_WIDTH_SELECT = "".join(chr(ord(c) + 0xFEE0) for c in "SELECT")


def refusal(question: str) -> Unmapped:
    answer = translate(question, today=TODAY)
    assert isinstance(answer, Unmapped), answer
    assert answer.message.startswith("I can't answer that from the findings database: ")
    assert answer.can_answer == CAN_ANSWER
    return answer


@pytest.mark.parametrize(
    ("question", "word"),
    [
        ("How many findings in London?", "London"),
        ("Total penalties for banks in Dubai", "Dubai"),
        ("How many open findings did Falcon Bank have?", "Falcon"),
        ("Which findings were raised by the auditor?", "auditor"),
        ("How many employees do banks have?", "employees"),
        ("Total bonus paid to insurers in 2024", "bonus"),
        ("Average salary of bank staff", "salary"),
        ("How many critical findings per country?", "country"),
        ("How many AML findings were appealed?", "appealed"),
        ("How many findings in Москва?", "Москва"),
        (f"{FULL_WIDTH_SELECT} count(*) FROM findings.findings", FULL_WIDTH_SELECT),
    ],
)
def test_an_unknown_filter_word_is_refused_by_name(question: str, word: str) -> None:
    assert f"'{word}'" in refusal(question).reason


@pytest.mark.parametrize(
    ("question", "word"),
    [
        ("How many findings at firms with more than 500 employees?", "500"),
        ("How many AML findings excluding banks?", "excluding"),
        # A negation read only where it is unambiguous (test_negation.py): "not high or
        # critical" may mean neither or critical only; "not banks" also names the rows.
        ("How many findings are not high or critical?", "not"),
        ("How many firms are not banks?", "not"),
        ("Which critical findings are unresolved?", "unresolved"),
    ],
)
def test_an_ignored_number_or_negation_is_refused(question: str, word: str) -> None:
    assert f"'{word}'" in refusal(question).reason


def test_a_schema_word_the_query_does_not_use_is_refused() -> None:
    # "rulebooks" names a column, but a count of rows would not use it.
    rows = "SELECT count(*) FROM findings.findings f"
    assert unaccounted("how many rulebooks", rows) == ("rulebooks",)
    distinct = "SELECT count(DISTINCT f.rulebook) FROM findings.findings f"
    assert unaccounted("how many rulebooks", distinct) == ()
    assert unaccounted("penalty in usd", "SELECT count(*) FROM findings.audits a") == (
        "penalty",
        "usd",
    )


def test_the_words_named_are_truncated() -> None:
    reason = refusal("How many findings in " + "Atlantis" * 30 + "?").reason
    assert "Atlantis" in reason
    assert "Atlantis" * 9 not in reason  # 72 characters: past the 64 allowed


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Could you please tell me how many audits were started in 2024?", "a.started_on >="),
        ("I'd like to know the number of open findings, thanks.", "f.status = 'open'"),
        ("Roughly how many findings do we have on our books altogether?", "count(*)"),
        ("How many critical findings are still open right now?", "f.severity = 'critical'"),
        ("Give me a breakdown of findings by rulebook, please.", "GROUP BY 1"),
        ("How many fines were handed out in 2025?", "d.decided_on >= DATE '2025-01-01'"),
        ("What is the total amount of fines imposed on banks?", "sum(d.penalty_usd)"),
        ("How many findings have been remediated so far?", "f.remediated_on IS NOT NULL"),
        ("Which fines were above $500k? Finding id and amount.", "d.penalty_usd > 500000"),
        ("What was the largest fine in 2024?", "max(d.penalty_usd)"),
        ("How many audits of each type do we have?", "a.audit_type, count(*)"),
        ("How many different rulebooks have findings been cited under?", "count(DISTINCT"),
        ("Hi, how many thematic audits do we have?", "a.audit_type = 'thematic'"),
        ("Show a chart of the number of findings per year since 2019", "extract(year"),
        ("Which rules are most often breached?", "f.rule_ref, count(*)"),
        ("What is the average number of AML findings per firm in 2023?", "avg(c.n)"),
    ],
)
def test_ordinary_phrasings_still_map(question: str, expected: str) -> None:
    answer = translate(question, today=TODAY)
    assert isinstance(answer, Translation), answer
    assert expected in answer.sql


def test_an_order_said_as_highest_first_sorts_without_a_limit() -> None:
    answer = translate("Total fines by firm type, highest first", today=TODAY)
    assert isinstance(answer, Translation)
    assert answer.sql.endswith("ORDER BY sum(d.penalty_usd) DESC, 1")


def test_a_trend_is_a_time_grouping_by_quarter_within_one_year() -> None:
    answer = translate(
        "How many findings per rulebook in 2024, and what is the trend?", today=TODAY
    )
    assert isinstance(answer, Translation)
    assert answer.sql.startswith(
        "SELECT f.rulebook, extract(quarter FROM f.identified_on)::int AS quarter, "
        "count(*) AS findings"
    )
    answer = translate("What is the trend in total fines?", today=TODAY)
    assert isinstance(answer, Translation)
    assert answer.sql.startswith(
        "SELECT extract(year FROM d.decided_on)::int AS year, "
        "sum(d.penalty_usd) AS total_penalty_usd"
    )

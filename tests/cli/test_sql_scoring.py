"""The execution-accuracy rules of `../shared/data/findings/README.md`, one by one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from arbiter_cli.sql_scoring import (
    QuestionScore,
    accuracy_of,
    normalise_cell,
    results_match,
)


def test_rows_compare_as_multisets_when_order_does_not_matter() -> None:
    gold = [("AML", 3), ("COBS", 5), ("AML", 3)]
    assert results_match(gold, [("COBS", 5), ("AML", 3), ("AML", 3)], order_matters=False)
    # A multiset, not a set: a repeated row must be repeated.
    assert not results_match(gold, [("COBS", 5), ("AML", 3), ("COBS", 5)], order_matters=False)
    assert not results_match(gold, [("COBS", 5), ("AML", 3)], order_matters=False)


def test_rows_compare_as_ordered_lists_when_order_matters() -> None:
    gold = [("F002", 9), ("F001", 7)]
    assert results_match(gold, [("F002", 9), ("F001", 7)], order_matters=True)
    assert not results_match(gold, [("F001", 7), ("F002", 9)], order_matters=True)


def test_column_order_and_names_are_ignored() -> None:
    gold = [("bank", 12, Decimal("3.50"))]
    assert results_match(gold, [(Decimal("3.5"), "bank", 12)], order_matters=False)
    assert results_match(gold, [(12, Decimal("3.5"), "bank")], order_matters=True)


def test_a_missing_or_extra_column_does_not_match() -> None:
    assert not results_match([("bank", 12)], [("bank", 12, "F001")], order_matters=False)
    assert not results_match([("bank", 12)], [(12,)], order_matters=False)


def test_numbers_are_rounded_to_two_decimals() -> None:
    assert results_match([(Decimal("33.33"),)], [(33.333333,)], order_matters=False)
    assert results_match([(Decimal("2.68"),)], [(Decimal("2.675"),)], order_matters=False)
    assert not results_match([(Decimal("33.33"),)], [(33.34,)], order_matters=False)
    assert normalise_cell(-0.001) == normalise_cell(0)


def test_numeric_strings_are_numbers() -> None:
    assert results_match([(12,)], [("12",)], order_matters=False)
    assert results_match([(Decimal("1500.5"),)], [(" 1500.50 ",)], order_matters=False)
    assert not results_match([(12,)], [("12 findings",)], order_matters=False)


def test_numbers_within_relative_tolerance_match() -> None:
    big = Decimal("123456789.01")
    assert results_match([(big,)], [(big + Decimal("0.01"),)], order_matters=False)
    assert not results_match([(Decimal("100.01"),)], [(Decimal("100.02"),)], order_matters=False)


def test_tolerance_pairs_rows_beyond_exact_matches() -> None:
    gold = [("x", Decimal("123456789.01")), ("y", Decimal("5"))]
    predicted = [(5, "y"), ("x", Decimal("123456789.02"))]
    assert results_match(gold, predicted, order_matters=False)


def test_dates_and_midnight_timestamps_compare_as_days() -> None:
    day = dt.date(2024, 3, 1)
    assert results_match([(day,)], [(dt.datetime(2024, 3, 1),)], order_matters=False)
    assert results_match([(day,)], [("2024-03-01",)], order_matters=False)
    assert results_match([(day,)], [("2024-03-01 00:00:00",)], order_matters=False)
    assert results_match([(day,)], [("2024-03-01T00:00:00+00:00",)], order_matters=False)
    assert not results_match([(day,)], [(dt.datetime(2024, 3, 1, 9, 30),)], order_matters=False)


def test_other_text_compares_exactly() -> None:
    assert not results_match([("Bank",)], [("bank",)], order_matters=False)
    assert not results_match([("bank",)], [("bank ",)], order_matters=False)


def test_null_is_not_zero_or_empty_text() -> None:
    assert results_match([(None,)], [(None,)], order_matters=False)
    assert not results_match([(None,)], [(0,)], order_matters=False)
    assert not results_match([(None,)], [("",)], order_matters=False)


def test_empty_results_match_only_empty_results() -> None:
    assert results_match([], [], order_matters=True)
    assert not results_match([], [(0,)], order_matters=False)


def test_accuracy_overall_per_kind_and_per_difficulty() -> None:
    report = accuracy_of(
        [
            QuestionScore("Q1", "count", "easy", True),
            QuestionScore("Q2", "count", "hard", False),
            QuestionScore("Q3", "join", "hard", True),
            QuestionScore("Q4", "join", "hard", True),
        ]
    )
    assert (report.overall.hits, report.overall.total) == (3, 4)
    assert report.overall.value == 0.75
    assert report.per_kind["count"].value == 0.5
    assert report.per_kind["join"].value == 1.0
    assert list(report.per_difficulty) == ["easy", "hard"]
    assert report.per_difficulty["hard"].hits == 2

"""The summary of results like the dev questions' gold SQL returns: the sentences a
person reads and the figures behind them, for every shape and its edge cases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from arbiter_analysis.shape import ShapeKind
from arbiter_analysis.summary import Figure, Summary, summarise
from arbiter_analysis.table import Cell, ResultTable


def summary(columns: list[str], rows: list[list[Cell]], question: str = "") -> Summary:
    return summarise(ResultTable.of(columns, rows), question=question)


def figure(result: Summary, name: str) -> Figure:
    found = [f for f in result.figures if f.name == name]
    assert len(found) == 1, (name, result.figures)
    return found[0]


def test_an_empty_result_says_no_rows_matched() -> None:
    result = summary(["rulebook", "count"], [])
    assert result.shape is ShapeKind.EMPTY
    assert result.text == "No rows matched."
    assert result.figures == ()


def test_a_single_count() -> None:
    result = summary(["count"], [[1234]], "How many for-cause audits have there been?")
    assert result.text == "The result is 1,234."
    assert figure(result, "value").value == 1234


def test_a_single_sum_of_money_in_usd() -> None:
    question = "Total monetary penalties imposed on payment firms with a 2025 decision date?"
    result = summary(["sum"], [[Decimal("1234567.8")]], question)
    assert result.text == "The result is USD 1,234,567.80."


def test_a_null_sum_says_nothing_matched() -> None:
    result = summary(["sum"], [[None]], "Total fines for insurers in 2025")
    assert "no value" in result.text
    assert figure(result, "value").value is None


def test_average_remediation_days_and_a_negative_percentage() -> None:
    days = summary(["round"], [[Decimal("41.27")]], "Average time to remediate, in days")
    assert days.text == "The result is 41.27 days."
    change = summary(
        ["round"], [[Decimal("-12.5")]], "Percentage change in total penalties 2023 to 2025"
    )
    assert change.text == "The result is -12.50%."


def test_several_values_in_one_row_are_each_named() -> None:
    result = summary(["count", "sum"], [[12, Decimal("50000.00")]], "number and total of fines")
    assert result.text == "The result: number 12; total USD 50,000.00."


def test_categories_state_total_top_and_bottom_with_shares() -> None:
    rows: list[list[Cell]] = [["AML", 642], ["COBS", 512], ["GEN", 300], ["PIN", 12]]
    result = summary(["rulebook", "count"], rows, "findings count by rulebook")
    assert result.shape is ShapeKind.CATEGORIES
    assert result.text == (
        "The total number across the 4 rulebooks is 1,466. "
        "Most: AML with 642 (43.8% of the total). Fewest: PIN with 12 (0.8% of the total)."
    )
    assert figure(result, "total").value == 1466
    top = figure(result, "top")
    assert (top.key, top.share_percent) == ("AML", Decimal("43.8"))


def test_averages_per_category_get_no_total_and_no_shares() -> None:
    rows: list[list[Cell]] = [
        ["bank", Decimal("40.10")],
        ["insurer", Decimal("55.00")],
        ["fund manager", None],
    ]
    result = summary(
        ["firm_type", "round"], rows, "Average remediation time per firm type, in days."
    )
    assert result.text == (
        "1 firm type has no average days. "
        "Highest: insurer with 55.00 days. Lowest: bank with 40.10 days."
    )
    assert all(f.share_percent is None for f in result.figures)
    assert not [f for f in result.figures if f.name == "total"]


def test_tied_categories_are_named_together() -> None:
    rows: list[list[Cell]] = [["AML", 300], ["COBS", 300], ["GEN", 100]]
    result = summary(["rulebook", "count"], rows)
    assert "Most: AML and COBS with 300 each (42.9% each of the total)." in result.text
    assert figure(result, "top").key == "AML and COBS"


def test_equal_categories_say_so() -> None:
    result = summary(["status", "count"], [["open", 5], ["closed", 5]])
    assert result.text.endswith("All 2 statuses have the same number: 5.")


def test_firms_are_named_with_their_ids() -> None:
    rows: list[list[Cell]] = [["F001", "Falcon Bank", 90], ["F002", "Gull Capital", 88]]
    result = summary(["firm_id", "name", "count"], rows, "Top 5 firms by number of findings")
    assert "Most: Falcon Bank (F001) with 90 (50.6% of the total)." in result.text


def test_one_valued_category_is_stated_without_a_ranking() -> None:
    one = summary(["rulebook", "count"], [["AML", 3], ["GEN", None]])
    assert one.text == "1 rulebook has no number. One rulebook: AML with 3."


def test_a_rising_yearly_series_with_its_peak() -> None:
    rows: list[list[Cell]] = [[2023, 812], [2021, 400], [2022, 650], [2024, 700], [2025, 760]]
    result = summary(["year", "count"], rows, "Per year, how many findings?")
    assert result.shape is ShapeKind.TIME_SERIES
    assert result.text == (
        "From 2021 to 2025 the number rose by 360 (+90.0%): 400 in 2021, 760 in 2025. "
        "Peak: 2023 with 812. Total over the 5 years: 3,322."
    )
    assert figure(result, "change").value == 360
    assert figure(result, "change_percent").value == Decimal("90.0")
    assert figure(result, "peak").key == "2023"


def test_a_falling_series_of_money() -> None:
    rows: list[list[Cell]] = [[2023, Decimal("90000.00")], [2024, Decimal("60000.00")]]
    result = summary(["year", "round"], rows, "Average financial penalty per year of decision.")
    assert result.text.startswith(
        "From 2023 to 2024 the average fell by USD 30,000.00 (-33.3%): "
        "USD 90,000.00 in 2023, USD 60,000.00 in 2024."
    )
    assert "Total" not in result.text  # averages do not add up


def test_a_small_change_is_flat() -> None:
    result = summary(["quarter", "count"], [[1, 100], [2, 120], [3, 90], [4, 102]])
    assert "From Q1 to Q4 the number stayed flat (+2, +2.0%)" in result.text
    assert "Peak: Q2 with 120." in result.text


def test_a_percentage_changes_in_points() -> None:
    rows: list[list[Cell]] = [[2021, Decimal("10.00")], [2022, Decimal("13.25")]]
    result = summary(["year", "round"], rows, "Share of critical findings by year, as a percentage")
    assert "the percentage rose by 3.25 percentage points" in result.text
    assert not [f for f in result.figures if f.name == "change_percent"]


def test_one_period_claims_no_trend() -> None:
    result = summary(["year", "count"], [[2024, 95]], "In which year were the most audits started?")
    assert result.text == "Only one year in the result: 2024 with 95; no trend can be read."


def test_months_read_as_names_and_missing_years_are_left_out() -> None:
    result = summary(["month", "count"], [[3, 21], [1, 20], [2, 30]])
    assert result.text.startswith("From January to March")
    years = summary(["year", "count"], [[2024, 5], [None, 2], [2025, 6]])
    assert years.text.startswith("1 row(s) without a year are left out. From 2024 to 2025")


def test_two_keys_give_totals_per_first_key_and_the_largest_cell() -> None:
    rows: list[list[Cell]] = [
        [2024, "warning", 10],
        [2024, "financial penalty", 5],
        [2025, "warning", 12],
        [2025, "financial penalty", 8],
    ]
    result = summary(["year", "outcome", "count"], rows, "Dispositions per year and outcome")
    assert result.shape is ShapeKind.TWO_KEYS
    assert result.text == (
        "Total number by year: 15 in 2024, 20 in 2025. Overall: 35. "
        "From 2024 to 2025 the total number rose by 5 (+33.3%). "
        "Largest cell: 2025 · warning with 12 (34.3% of the total)."
    )
    assert figure(result, "largest").key == "2025 · warning"


def test_two_keys_of_averages_give_highest_and_lowest_cells() -> None:
    rows: list[list[Cell]] = [
        ["bank", "warning", Decimal("12.30")],
        ["insurer", "warning", Decimal("3.00")],
        ["bank", "financial penalty", None],
    ]
    result = summary(
        ["firm_type", "outcome", "round"], rows, "average findings per firm type and outcome"
    )
    assert result.text == (
        "Highest average: bank · warning with 12.30; lowest: insurer · warning with 3.00. "
        "1 of 3 cells have no average."
    )


def test_many_first_keys_are_cut_in_the_sentence() -> None:
    books = ["AML", "COBS", "GEN", "PRU", "FUNDS", "IFR", "MKT", "FSMR"]
    rows: list[list[Cell]] = [
        [b, t, Decimal("1000.00")] for b in books for t in ("bank", "insurer")
    ]
    result = summary(
        ["rulebook", "firm_type", "sum"], rows, "Total penalties by rulebook and firm type"
    )
    assert "and 2 more." in result.text
    assert "Overall: USD 16,000.00." in result.text


def test_other_measures_are_totalled_only_when_they_add_up() -> None:
    rows: list[list[Cell]] = [
        ["AML", 3, Decimal("300000.00"), Decimal("100000.00")],
        ["GEN", 1, Decimal("5000.00"), Decimal("5000.00")],
    ]
    question = (
        "Insurers only: per rulebook, the number of financial penalties, "
        "the total and the average amount in USD."
    )
    result = summary(["rulebook", "count", "sum", "round"], rows, question)
    assert result.text.endswith("Total over all rows: USD 305,000.00.")
    assert "105,000.00" not in result.text


def test_a_thousand_row_list_says_how_many_rows() -> None:
    start = dt.date(2021, 1, 1)
    rows: list[list[Cell]] = [
        [f"FD{i:05d}", f"F{i % 60:03d}", start + dt.timedelta(days=i)] for i in range(1000)
    ]
    result = summary(["finding_id", "firm_id", "identified_on"], rows)
    assert result.shape is ShapeKind.LIST
    assert (
        result.text == "The result lists 1,000 rows. Identified on from 2021-01-01 to 2023-09-27."
    )
    assert figure(result, "rows").value == 1000


def test_a_one_row_list_shows_the_row() -> None:
    result = summary(["firm_id", "name"], [["F004", "Heron Bank"]])
    assert result.text == "One row: firm F004, name Heron Bank."


def test_the_same_table_gives_the_same_summary() -> None:
    rows: list[list[Cell]] = [["AML", 642], ["COBS", 512]]
    assert summary(["rulebook", "count"], rows) == summary(["rulebook", "count"], rows)


def test_no_change_and_a_start_from_zero() -> None:
    same = summary(["year", "count"], [[2024, 5], [2025, 5]])
    assert same.text.startswith(
        "From 2024 to 2025 the number stayed the same: 5 in 2024, 5 in 2025."
    )
    from_zero = summary(["year", "count"], [[2024, 0], [2025, 5]])
    assert from_zero.text.startswith("From 2024 to 2025 the number rose by 5: 0 in 2024")
    assert not [f for f in from_zero.figures if f.name == "change_percent"]


def test_quarters_and_months_of_the_named_year() -> None:
    rows: list[list[Cell]] = [[1, 145], [2, 136], [3, 117], [4, 144]]
    result = summary(["quarter", "findings"], rows, "Findings in 2024 by quarter: the trend?")
    assert result.text.startswith(
        "From Q1 2024 to Q4 2024 the findings stayed flat (-1, -0.7%): "
        "145 in Q1 2024, 144 in Q4 2024. Peak: Q1 2024 with 145."
    )
    months = summary(["month", "audits"], [[1, 4], [2, 9]], "Audits started each month of 2025")
    assert months.text.startswith("From Jan 2025 to Feb 2025 the audits rose by 5 (+125.0%)")
    # Two years named, or a year column of its own: the quarter alone.
    both = summary(["quarter", "findings"], rows, "Findings per quarter from 2023 to 2024")
    assert both.text.startswith("From Q1 to Q4")
    today = summary(["quarter", "findings"], rows, "Today is 2026-01-15. Findings per quarter")
    assert today.text.startswith("From Q1 to Q4")


def test_an_unnamed_time_part_is_read_from_the_question_else_called_a_period() -> None:
    rows: list[list[Cell]] = [[1, 10], [2, 12]]
    quarterly = summary(["extract", "count"], rows, "Quarterly findings in 2024")
    assert quarterly.text.startswith("From Q1 2024 to Q2 2024")
    unknown = summary(["date_part", "count"], rows, "Findings over time")
    assert unknown.text.startswith("From period 1 to period 2")


def test_a_ranking_of_one_says_what_it_has_the_most_of() -> None:
    most = summary(
        ["rulebook", "findings"], [["AML", 418]], "What is the rulebook with the most breaches?"
    )
    assert most.text == "AML has the most findings: 418."
    fewest = summary(
        ["severity", "findings"], [["critical", 97]], "The severity with the fewest findings"
    )
    assert fewest.text == "critical has the fewest findings: 97."


def test_measure_labels_come_from_the_column_names() -> None:
    rows: list[list[Cell]] = [["AML", 3, Decimal("300000.00")], ["GEN", 1, Decimal("5000.00")]]
    result = summary(["rulebook", "financial_penalties", "total_penalty_usd"], rows, "Fines")
    assert result.text.startswith("The total financial penalties across the 2 rulebooks is 4.")
    assert result.text.endswith("Total penalty over all rows: USD 305,000.00.")

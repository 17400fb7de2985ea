"""A result's shape read from what PostgreSQL returns for the dev questions' gold SQL:
time keys by type, name and values; categories, identifiers and labels; measures with
their unit and whether they add up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from arbiter_analysis.shape import Role, ShapeKind, TimeUnit, Unit, named_year, read_shape
from arbiter_analysis.table import Cell, ResultTable


def table(columns: list[str], rows: list[list[Cell]]) -> ResultTable:
    return ResultTable.of(columns, rows)


def test_a_single_count_is_a_single_value() -> None:
    shape = read_shape(table(["count"], [[87]]))
    assert shape.kind is ShapeKind.SINGLE_VALUE
    assert shape.measures[0].label == "number"
    assert shape.measures[0].additive and shape.measures[0].integral


@pytest.mark.parametrize(
    ("question", "unit", "label"),
    [
        ("What is the average time to remediate a finding, in days?", Unit.DAYS, "average days"),
        ("What percentage of all findings are high or critical?", Unit.PERCENT, "percentage"),
        ("Average financial penalty per year of decision.", Unit.USD, "average"),
        ("Average number of findings per audit", Unit.NUMBER, "average"),
        # Percent wins over money: a percentage change of penalties is a percentage.
        (
            "Percentage change in total financial penalties between 2023 and 2025",
            Unit.PERCENT,
            "percentage",
        ),
    ],
)
def test_a_generic_round_takes_its_unit_from_the_question(
    question: str, unit: Unit, label: str
) -> None:
    measure = read_shape(table(["round"], [[Decimal("41.27")]]), question=question).measures[0]
    assert (measure.unit, measure.label, measure.additive) == (unit, label, False)


def test_a_sum_of_penalties_is_money_that_adds_up() -> None:
    measure = read_shape(
        table(["sum"], [[Decimal("1250000.00")]]), question="Total fines in 2025"
    ).measures[0]
    assert (measure.unit, measure.label, measure.additive) == (Unit.USD, "total", True)
    assert measure.title == "total (USD)"


def test_a_null_sum_is_still_a_measure() -> None:
    shape = read_shape(table(["sum"], [[None]]))
    assert shape.kind is ShapeKind.SINGLE_VALUE
    assert shape.columns[0].role is Role.MEASURE


@pytest.mark.parametrize(
    ("name", "values", "unit", "label"),
    [
        ("year", [2023, 2021, 2022], TimeUnit.YEAR, "year"),
        ("decision_year", [2024, 2025], TimeUnit.YEAR, "decision year"),
        ("quarter", [1, 2, 3, 4], TimeUnit.QUARTER, "quarter"),
        ("month", [1, 5, 12], TimeUnit.MONTH, "month"),
        ("extract", [Decimal(2021), Decimal(2022)], TimeUnit.YEAR, "year"),  # unnamed, numeric
        ("date_part", [3, 7], TimeUnit.PERIOD, "period"),
        ("date_trunc", [dt.datetime(2024, 1, 1), dt.datetime(2024, 2, 1)], TimeUnit.DATE, "period"),
        ("ym", ["2024-01", "2024-02"], TimeUnit.PERIOD, "period"),
    ],
)
def test_time_keys_by_type_name_and_values(
    name: str, values: list[Cell], unit: TimeUnit, label: str
) -> None:
    shape = read_shape(table([name, "count"], [[v, 10 + i] for i, v in enumerate(values)]))
    assert shape.kind is ShapeKind.TIME_SERIES
    assert (shape.columns[0].time_unit, shape.columns[0].label) == (unit, label)


@pytest.mark.parametrize(
    ("name", "values"),
    [("year", [1850, 2021]), ("month", [0, 13]), ("quarter", [1, 5]), ("count", [2021, 2022])],
)
def test_numbers_outside_a_time_range_or_unnamed_are_not_time(
    name: str, values: list[Cell]
) -> None:
    shape = read_shape(table(["rulebook", name], [["AML", values[0]], ["GEN", values[1]]]))
    assert shape.columns[1].role is Role.MEASURE
    assert shape.kind is ShapeKind.CATEGORIES


def test_category_and_count() -> None:
    shape = read_shape(table(["rulebook", "count"], [["AML", 642], ["COBS", 512], ["GEN", 300]]))
    assert shape.kind is ShapeKind.CATEGORIES
    assert shape.keys[0].label == "rulebook" and shape.keys[0].plural == "rulebooks"


def test_severity_is_an_ordered_category() -> None:
    rows: list[list[Cell]] = [["high", 5], ["low", 9], ["critical", 2]]
    key = read_shape(table(["severity", "count"], rows)).keys[0]
    assert key.order == ("low", "medium", "high", "critical")
    assert [key.text(r) for r in sorted(rows, key=key.sort_value)] == ["low", "high", "critical"]


def test_two_keys_put_time_first() -> None:
    rows: list[list[Cell]] = [["warning", 2024, 10], ["warning", 2025, 12]]
    shape = read_shape(table(["outcome", "year", "count"], rows))
    assert shape.kind is ShapeKind.TWO_KEYS
    assert [k.label for k in shape.keys] == ["year", "outcome"]


def test_firm_id_and_name_make_one_entity_key() -> None:
    rows: list[list[Cell]] = [["F001", "Falcon Bank", 90], ["F002", "Gull Capital", 88]]
    shape = read_shape(table(["firm_id", "name", "count"], rows))
    assert shape.kind is ShapeKind.CATEGORIES
    assert [c.role for c in shape.columns] == [Role.IDENTIFIER, Role.LABEL, Role.MEASURE]
    assert shape.keys[0].label == "firm"
    assert shape.keys[0].text(rows[0]) == "Falcon Bank (F001)"


def test_a_rule_ref_is_qualified_by_its_rulebook() -> None:
    rows: list[list[Cell]] = [["AML", "14.3.1", 20], ["COBS", "3.4.1", 18]]
    shape = read_shape(table(["rulebook", "rule_ref", "count"], rows))
    assert shape.kind is ShapeKind.CATEGORIES
    assert [shape.keys[0].text(r) for r in rows] == ["AML 14.3.1", "COBS 3.4.1"]


def test_an_audit_with_its_firm_is_keyed_by_the_audit() -> None:
    rows: list[list[Cell]] = [["A0012", "F003", 17], ["A0100", "F003", 15]]
    shape = read_shape(table(["audit_id", "firm_id", "count"], rows))
    assert shape.kind is ShapeKind.CATEGORIES
    assert shape.keys[0].text(rows[0]) == "A0012"


def test_ids_and_dates_without_a_measure_are_a_list() -> None:
    rows: list[list[Cell]] = [
        ["FD00001", "F001", dt.date(2024, 1, 2)],
        ["FD00002", "F003", dt.date(2025, 3, 2)],
    ]
    shape = read_shape(table(["finding_id", "firm_id", "decided_on"], rows))
    assert shape.kind is ShapeKind.LIST
    assert shape.columns[2].time_unit is TimeUnit.DATE


def test_repeated_keys_are_a_list_not_categories() -> None:
    rows: list[list[Cell]] = [["AML", 3], ["AML", 5], ["GEN", 1]]
    assert read_shape(table(["rulebook", "n"], rows)).kind is ShapeKind.LIST


def test_several_measures_keep_their_own_units() -> None:
    rows: list[list[Cell]] = [["AML", 3, Decimal("300000.00"), Decimal("100000.00")]]
    rows.append(["GEN", 1, Decimal("5000.00"), Decimal("5000.00")])
    question = (
        "Insurers only: per rulebook, the number of financial penalties, "
        "the total and the average amount in USD."
    )
    shape = read_shape(table(["rulebook", "count", "sum", "round"], rows), question=question)
    assert [(m.label, m.unit, m.additive) for m in shape.measures] == [
        ("number", Unit.NUMBER, True),
        ("total", Unit.USD, True),
        ("average", Unit.USD, False),
    ]


def test_duplicate_labels_are_told_apart() -> None:
    shape = read_shape(table(["rulebook", "count", "count"], [["AML", 1, 2], ["GEN", 3, 4]]))
    assert [m.label for m in shape.measures] == ["number", "number 2"]


def test_an_empty_result_is_empty() -> None:
    assert read_shape(table(["rulebook", "count"], [])).kind is ShapeKind.EMPTY


def test_a_missing_category_reads_as_none() -> None:
    rows: list[list[Cell]] = [["AML", 3], [None, 5]]
    shape = read_shape(table(["rulebook", "count"], rows))
    assert shape.keys[0].text(rows[1]) == "(none)"


@pytest.mark.parametrize(
    ("question", "year"),
    [
        ("How many findings per rulebook in 2024, and what is the trend?", 2024),
        ("Findings in Q3 2025 by month", 2025),
        ("Findings from 2023 to 2025", None),
        ("Today is 2026-01-15. How many findings per quarter?", None),
        ("How many findings per quarter?", None),
    ],
)
def test_the_one_year_a_question_names(question: str, year: int | None) -> None:
    assert named_year(question) == year


@pytest.mark.parametrize(
    ("name", "values", "label", "title", "unit", "additive"),
    [
        ("findings", [145, 136], "findings", "findings", Unit.NUMBER, True),
        ("financial_penalties", [3, 5], "financial penalties", "financial penalties",
         Unit.NUMBER, True),
        ("total_penalty_usd", [Decimal("5.00"), Decimal("7.50")], "total penalty",
         "total penalty (USD)", Unit.USD, True),
        ("average_days_to_remediate", [Decimal("41.2"), Decimal("3.5")],
         "average days to remediate", "average days to remediate", Unit.DAYS, False),
        ("share_percent", [Decimal("12.5"), Decimal("7.25")], "share", "share (%)",
         Unit.PERCENT, False),
        ("largest_penalty_usd", [Decimal("9.00"), Decimal("1.00")], "largest penalty",
         "largest penalty (USD)", Unit.USD, False),
    ],
)  # fmt: skip
def test_a_named_measure_is_labelled_by_its_name_with_its_unit(
    name: str, values: list[Cell], label: str, title: str, unit: Unit, additive: bool
) -> None:
    rows = [["AML", values[0]], ["GEN", values[1]]]
    measure = read_shape(table(["rulebook", name], rows)).measures[0]
    assert (measure.label, measure.title, measure.unit, measure.additive) == (
        label, title, unit, additive,
    )  # fmt: skip

"""Calendar arithmetic: months by the calendar, UAE business days before and after the
2022 weekend change, and periods compared across units."""

from __future__ import annotations

import datetime as dt

from arbiter_audit.checks.calendar import (
    add,
    add_business_days,
    add_months,
    business_days_between,
    days_range,
    elapsed_words,
    is_business_day,
)
from arbiter_audit.model import Quantity


def test_months_keep_the_day_or_the_month_end() -> None:
    assert add_months(dt.date(2023, 3, 31), 4) == dt.date(2023, 7, 31)
    assert add_months(dt.date(2022, 12, 31), 4) == dt.date(2023, 4, 30)
    assert add_months(dt.date(2023, 1, 10), 3) == dt.date(2023, 4, 10)
    assert add_months(dt.date(2023, 9, 30), 1) == dt.date(2023, 10, 31)
    assert add_months(dt.date(2024, 1, 30), 1) == dt.date(2024, 2, 29)
    assert add(dt.date(2017, 6, 1), Quantity(6, "year")) == dt.date(2023, 6, 1)


def test_the_uae_weekend_moved_to_saturday_and_sunday_in_2022() -> None:
    assert not is_business_day(dt.date(2023, 9, 9))  # Saturday
    assert is_business_day(dt.date(2023, 9, 8))  # Friday
    assert not is_business_day(dt.date(2021, 9, 10))  # Friday, under the old weekend
    assert is_business_day(dt.date(2021, 9, 12))  # Sunday, under the old weekend


def test_business_days_are_counted_after_the_first_day_up_to_the_last() -> None:
    assert business_days_between(dt.date(2023, 9, 4), dt.date(2023, 9, 20)) == 12
    assert business_days_between(dt.date(2023, 11, 7), dt.date(2023, 11, 10)) == 3
    assert business_days_between(dt.date(2023, 8, 31), dt.date(2023, 8, 28)) == -3
    assert add_business_days(dt.date(2023, 9, 4), 5) == dt.date(2023, 9, 11)
    assert add_business_days(dt.date(2023, 8, 31), -10) == dt.date(2023, 8, 17)


def test_periods_in_other_units_compare_as_ranges_of_days() -> None:
    assert days_range(Quantity(2, "month")) == (56, 62)
    low, high = days_range(Quantity(10, "business day"))
    assert low == 10 and high >= 14


def test_elapsed_time_in_the_rule_s_unit() -> None:
    assert elapsed_words(dt.date(2023, 1, 10), dt.date(2023, 5, 28), "month") == (
        "4 months and 18 days"
    )
    assert elapsed_words(dt.date(2023, 9, 30), dt.date(2023, 10, 24), "month") == "24 days"
    assert elapsed_words(dt.date(2017, 12, 31), dt.date(2024, 1, 1), "year") == (
        "6 years and 1 day"
    )
    assert elapsed_words(dt.date(2023, 9, 4), dt.date(2023, 9, 20), "business day") == (
        "12 business days"
    )


def test_huge_periods_do_not_overflow_or_hang() -> None:
    assert add(dt.date(2023, 1, 1), Quantity(1e12, "day")) > dt.date(2400, 1, 1)
    assert add(dt.date(2023, 1, 1), Quantity(9000, "year")).year == dt.MAXYEAR
    assert add_business_days(dt.date(2023, 1, 1), 10**9) > dt.date(2023, 1, 1)

"""Calendar arithmetic for the time checks: a period added to a day (calendar days, UAE
business days, months by the calendar), business days counted between two days, and a
period's length in calendar days as a range, so that periods in different units compare
only where the answer is certain."""

from __future__ import annotations

import calendar
import datetime as dt
import math

from arbiter_audit.model import Quantity

WEEKEND_CHANGE = dt.date(2022, 1, 1)
"""The UAE weekend is Saturday-Sunday from 1 January 2022, Friday-Saturday before."""
HOLIDAYS_NOTE = "public holidays are not taken out, so a holiday in the period would add a day"
MAX_DAYS = 400 * 366
"""Longer periods are not counted day by day (no rule sets one)."""


def is_business_day(day: dt.date) -> bool:
    """A UAE working day (public holidays aside)."""
    weekend = (5, 6) if day >= WEEKEND_CHANGE else (4, 5)
    return day.weekday() not in weekend


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole months; a day the month lacks (31 April) becomes its last
    day, and a month's last day stays the last day ("four months after 31 March" is 31
    July, after 31 December is 30 April)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    year = min(max(year, dt.MINYEAR), dt.MAXYEAR)
    last = calendar.monthrange(year, month + 1)[1]
    was_last = day.day == calendar.monthrange(day.year, day.month)[1]
    return dt.date(year, month + 1, last if was_last else min(day.day, last))


def add_business_days(day: dt.date, count: int) -> dt.date:
    """The `count`-th business day after `day`."""
    step = 1 if count >= 0 else -1
    left = min(abs(count), MAX_DAYS)
    while left:
        day += dt.timedelta(days=step)
        if is_business_day(day):
            left -= 1
    return day


def add(day: dt.date, period: Quantity, *, sign: int = 1) -> dt.date:
    """`day` moved by `period` (forward, or back with `sign` -1)."""
    n = period.value
    whole = int(n)
    try:
        if period.unit == "business day":
            return add_business_days(day, sign * math.ceil(n))
        if period.unit == "month" and n == whole:
            return add_months(day, sign * whole)
        if period.unit == "year" and n == whole:
            return add_months(day, sign * 12 * whole)
        return day + dt.timedelta(days=sign * min(n * _DAYS_PER[period.unit], MAX_DAYS))
    except OverflowError:
        return dt.date.max if sign > 0 else dt.date.min


_DAYS_PER = {"day": 1.0, "week": 7.0, "month": 30.4375, "year": 365.25}


def business_days_between(first: dt.date, last: dt.date) -> int:
    """Business days after `first` up to and including `last` (negative when `last` is
    earlier)."""
    if last < first:
        return -business_days_between(last, first)
    span = min((last - first).days, MAX_DAYS)
    return sum(is_business_day(first + dt.timedelta(days=i)) for i in range(1, span + 1))


def days_range(period: Quantity) -> tuple[float, float]:
    """The fewest and most calendar days `period` can be."""
    n = period.value
    if period.unit == "business day":
        return n, n + 2 * math.ceil(n / 5) + 2  # a weekend per five, and one at each edge
    low, high = {"day": (1, 1), "week": (7, 7), "month": (28, 31), "year": (365, 366)}.get(
        period.unit, (1, 1)
    )
    return n * low, n * high


def elapsed_words(first: dt.date, last: dt.date, unit: str) -> str:
    """How long from `first` to `last`, in the rule's unit: "28 days", "12 business
    days", "4 months and 19 days"."""
    if unit == "business day":
        return _plural(business_days_between(first, last), "business day")
    if unit in ("month", "year"):
        months = (last.year - first.year) * 12 + last.month - first.month
        if add_months(first, months) > last:
            months -= 1
        rest = (last - add_months(first, months)).days
        if months == 0:
            return _plural(rest, "day")
        whole = _plural(months, "month")
        if unit == "year" and months >= 12:
            years, months = divmod(months, 12)
            whole = _plural(years, "year") + (f" {_plural(months, 'month')}" if months else "")
        return f"{whole} and {_plural(rest, 'day')}" if rest else whole
    if unit == "week":
        return f"{_plural((last - first).days, 'day')} ({(last - first).days / 7:.1f} weeks)"
    return _plural((last - first).days, "day")


def quantity_words(period: Quantity) -> str:
    """ "15 days", "4 months", "10 business days"."""
    return _plural(period.value, period.unit)


def _plural(n: float, unit: str) -> str:
    return f"{n:g} {unit}{'' if n == 1 else 's'}"


def describe_day(when: dt.date, until: dt.date) -> str:
    """A day, or the range a less precise date spans."""
    if when == until:
        return f"{when.day} {when:%B %Y}"
    if when.day == 1 and until == add_months(when, 1) - dt.timedelta(days=1):
        return f"{when:%B %Y}"
    if (when.month, when.day, until.month, until.day) == (1, 1, 12, 31) and when.year == until.year:
        return str(when.year)
    return f"{when.day} {when:%B %Y} - {until.day} {until:%B %Y}"

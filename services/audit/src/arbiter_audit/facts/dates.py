"""Dates as situations write them, at the precision they are given: a day ("on 27 July
2023", "Tuesday 7 November 2023", "15 May" after a dated sentence), a month ("in March
2023", "late April 2023", "the June 2024 quarter-end"), a year ("in 2024", "mid-2023"), and
the day after a dated event ("the next morning"). Each mention carries the earliest and the
latest day it can mean, so a check decides only what both bounds agree on."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

MONTHS: dict[str, int] = {
    name.lower(): number
    for number in range(1, 13)
    for name in (calendar.month_name[number], calendar.month_abbr[number])
}
MONTHS["sept"] = 9
_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
_MONTH = rf"(?P<month>(?i:{_MONTH_NAMES}))\.?"
_WEEKDAY = r"(?:(?i:monday|tuesday|wednesday|thursday|friday|saturday|sunday),?\s+)?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)(?!\d)"
_PART = r"(?P<part>(?i:early|mid|late|the\s+(?:start|beginning|middle|end)\s+of))[\s-]+"

_DAY_MONTH = re.compile(rf"\b{_WEEKDAY}{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?\b")
# The look-aheads let the scan skip, at one character's cost, words no month can start.
_MONTH_DAY = re.compile(rf"\b(?=[JFMASONDTWjfmasondtw]){_WEEKDAY}{_MONTH}\s+{_DAY},?\s+{_YEAR}")
_MONTH_YEAR = re.compile(rf"\b(?=[JFMASONDELTjfmasondelt])(?:{_PART})?\b{_MONTH},?\s+{_YEAR}")
_YEAR_ALONE = re.compile(
    r"(?:(?P<yp>\b(?i:mid|early|late)-?\s?)|\b(?i:in|during|since|until|by|of|the)\s+)"
    rf"{_YEAR}(?![-/.]\d|\s+(?i:{_MONTH_NAMES})\b)"
)
_ISO = re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>[01]\d)-(?P<day>[0-3]\d)\b")
_NEXT_DAY = re.compile(
    r"\b(?i:the\s+(?:next|following)\s+(?:day|morning|afternoon|evening|business\s+day)"
    r"|the\s+day\s+after)\b"
)


@dataclass(frozen=True)
class DateMention:
    """One date in a text: `text[start:end]` is its words; `when`..`until` the days it
    can mean; `precision` "day", "month" or "year"."""

    start: int
    end: int
    when: dt.date
    until: dt.date
    precision: str

    def iso(self) -> str:
        """The date as ISO 8601 at its precision: "2023-07-27", "2023-03", "2023"."""
        if self.precision == "day":
            return self.when.isoformat()
        if self.precision == "month" and self.when.day == 1 and self.until.day > 27:
            return f"{self.when:%Y-%m}"
        if self.when.year == self.until.year and (self.when.month, self.until.month) == (1, 12):
            return str(self.when.year)
        return f"{self.when.isoformat()}/{self.until.isoformat()}"

    def words(self) -> str:
        """The date in plain words: "27 July 2023", "March 2023", "2023"."""
        if self.precision == "day":
            return f"{self.when.day} {self.when:%B %Y}"
        if self.when.day == 1 and self.until == month_end(self.until.year, self.until.month):
            if self.when.year == self.until.year and self.when.month == self.until.month:
                return f"{self.when:%B %Y}"
            if (self.when.month, self.until.month) == (1, 12):
                return str(self.when.year)
        return f"between {self.when.day} {self.when:%B %Y} and {self.until.day} {self.until:%B %Y}"


def month_end(year: int, month: int) -> dt.date:
    """The last day of a month."""
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _day(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None  # "31 February": not a date, so not read as one


def _month_part(part: str | None, year: int, month: int) -> tuple[dt.date, dt.date]:
    """The days "early/mid/late <month>" can mean (thirds of the month)."""
    first, last = dt.date(year, month, 1), month_end(year, month)
    word = (part or "").lower()
    if word.startswith("early") or "start" in word or "beginning" in word:
        return first, dt.date(year, month, 10)
    if word.startswith("mid") or "middle" in word:
        return dt.date(year, month, 11), dt.date(year, month, 20)
    if word.startswith("late") or "end" in word:
        return dt.date(year, month, 21), last
    return first, last


def _year_part(text: str, year: int) -> tuple[dt.date, dt.date]:
    word = text.lower()
    if word.startswith("mid"):
        return dt.date(year, 4, 1), dt.date(year, 9, 30)
    if word.startswith("early"):
        return dt.date(year, 1, 1), dt.date(year, 4, 30)
    if word.startswith("late"):
        return dt.date(year, 9, 1), dt.date(year, 12, 31)
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def find_dates(text: str) -> list[DateMention]:
    """Every date mention of `text`, in order, none overlapping another (the most
    precise reading of a stretch of words wins)."""
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []

    def add(mention: DateMention | None) -> None:
        if mention is None or any(mention.start < e and s < mention.end for s, e in taken):
            return
        taken.append((mention.start, mention.end))
        found.append(mention)

    for m in _ISO.finditer(text):
        day = _day(int(m["year"]), int(m["month"]), int(m["day"]))
        add(DateMention(m.start(), m.end(), day, day, "day") if day else None)
    for m in _MONTH_DAY.finditer(text):
        day = _day(int(m["year"]), MONTHS[m["month"].lower()], int(m["day"]))
        add(DateMention(m.start(), m.end(), day, day, "day") if day else None)
    undated: list[re.Match[str]] = []
    for m in _DAY_MONTH.finditer(text):
        if m["year"] is None:
            undated.append(m)
            continue
        day = _day(int(m["year"]), MONTHS[m["month"].lower()], int(m["day"]))
        add(DateMention(m.start(), m.end(), day, day, "day") if day else None)
    for m in _MONTH_YEAR.finditer(text):
        year, month = int(m["year"]), MONTHS[m["month"].lower()]
        when, until = _month_part(m["part"], year, month)
        add(DateMention(m.start(), m.end(), when, until, "month"))
    for m in _YEAR_ALONE.finditer(text):
        when, until = _year_part(m["yp"] or "", int(m["year"]))
        start = m.start("yp") if m["yp"] else m.start("year")
        add(DateMention(start, m.end(), when, until, "year"))
    found.sort(key=lambda d: d.start)
    for m in undated:  # "15 May": the year of the nearest dated mention before it
        known = _year_before(found, m.start())
        day = _day(known, MONTHS[m["month"].lower()], int(m["day"])) if known else None
        add(DateMention(m.start(), m.end(), day, day, "day") if day else None)
    found.sort(key=lambda d: d.start)
    for m in _NEXT_DAY.finditer(text):
        add(_next_day(found, m))
    found.sort(key=lambda d: d.start)
    return found


def _year_before(found: list[DateMention], start: int) -> int | None:
    years = [d.until.year for d in found if d.end <= start and d.when.year == d.until.year]
    return years[-1] if years else None


_RIGHT_AFTER = 4
"""A relative day followed this closely by a stated date ("the next morning, 15 May") is
that date: the stated one is read instead."""


def _next_day(found: list[DateMention], m: re.Match[str]) -> DateMention | None:
    before = [d for d in found if d.end <= m.start() and d.precision == "day"]
    stated = [d for d in found if 0 <= d.start - m.end() <= _RIGHT_AFTER]
    if not before or stated:
        return None
    day = before[-1].when + dt.timedelta(days=1)
    if "business" in m[0].lower():
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
    return DateMention(m.start(), m.end(), day, day, "day")

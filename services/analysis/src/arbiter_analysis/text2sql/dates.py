"""Dates in a question: the "today" it states, the periods it names ("in 2024", "before
2015", "Q3 2024", "March 2025", "last year", "the last two calendar years") as half-open
ranges, and which date column a period or a time grouping refers to."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from arbiter_analysis.text2sql.meaning import Entity, Expr, column
from arbiter_analysis.text2sql.vocabulary import NUMBER, number_value

TODAY_PATTERN = re.compile(
    r"(?:today is|today's date is|it is|it's|as of|the date is)\s+(\d{4})-(\d{2})-(\d{2})"
    r"(?: today)?"
    r"|(\d{4})-(\d{2})-(\d{2}),? (?:is )?today(?: is)?",
    re.IGNORECASE,
)
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_QUARTER_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": 4}

DATE_CUES: tuple[tuple[str, str, str], ...] = (
    (r"\bdecid\w*|\bdecision", "dispositions", "decided_on"),
    (r"\bstarted\b|\bstart\b", "audits", "started_on"),
    (r"\bclosed\b|\bclose date", "audits", "closed_on"),
    (r"\bidentified\b|\bidentification\b", "findings", "identified_on"),
    (r"\bremediated on\b|\bremediation date", "findings", "remediated_on"),
    (r"\bauthorised\b|\bauthorisation\b", "firms", "authorised_on"),
)
"""Words that say which date a period or a year means, overriding the entity's own date."""


def stated_today(question: str) -> dt.date | None:
    """A date the question gives as today ("Today is 2026-01-15"), which wins over the
    configured one."""
    match = TODAY_PATTERN.search(question)
    if not match:
        return None
    parts = [int(g) for g in match.groups() if g is not None]
    try:
        return dt.date(parts[0], parts[1], parts[2])
    except ValueError:
        return None


@dataclass(frozen=True)
class Period:
    """A half-open date range [start, end); either end may be open."""

    start: dt.date | None
    end: dt.date | None
    label: str
    span: tuple[int, int]
    """Where the question states it."""


def _year(y: int) -> tuple[dt.date, dt.date]:
    return dt.date(y, 1, 1), dt.date(y + 1, 1, 1)


def _month_range(year: int, month: int) -> tuple[dt.date, dt.date]:
    end = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
    return dt.date(year, month, 1), end


def periods(text: str, today: dt.date) -> list[Period]:
    """Every period the (normalised) question names, in order, without overlaps."""
    found: list[Period] = []
    taken: list[tuple[int, int]] = []

    def add(match: re.Match[str], start: dt.date | None, end: dt.date | None, label: str) -> None:
        span = match.span()
        if any(a < span[1] and span[0] < b for a, b in taken):
            return
        taken.append(span)
        found.append(Period(start, end, label, span))

    relative = (
        rf"\b(?:in |over |during )?(?:the )?(?:last|past|previous) {NUMBER} "
        r"(?:calendar |full )?years\b"
    )
    for m in re.finditer(relative, text):
        n = number_value(m.group(1))
        add(
            m,
            dt.date(today.year - n, 1, 1),
            dt.date(today.year, 1, 1),
            f"the last {n} calendar years",
        )
    for m in re.finditer(r"\b(?:in |during )?(last|this|previous) (?:calendar )?year\b", text):
        y = today.year if m.group(1) == "this" else today.year - 1
        add(m, *_year(y), f"{y}")
    quarter = (
        r"\b(?:in |during )?(?:q([1-4])|(first|second|third|fourth|last) quarter)(?: of)? (\d{4})\b"
    )
    for m in re.finditer(quarter, text):
        q = int(m.group(1)) if m.group(1) else _QUARTER_WORDS[m.group(2)]
        y = int(m.group(3))
        start, _ = _month_range(y, 3 * q - 2)
        _, end = _month_range(y, 3 * q)
        add(m, start, end, f"Q{q} {y}")
    month = rf"\b(?:in |during )?({'|'.join(_MONTHS)})(?: of)? (\d{{4}})\b"
    for m in re.finditer(month, text):
        mi, y = _MONTHS.index(m.group(1)) + 1, int(m.group(2))
        add(m, *_month_range(y, mi), f"{m.group(1).title()} {y}")
    between = r"\b(?:between|from) (\d{4}) (?:and|to|through|until) (\d{4})\b"
    for m in re.finditer(between, text):
        a, b = sorted((int(m.group(1)), int(m.group(2))))
        add(m, dt.date(a, 1, 1), dt.date(b + 1, 1, 1), f"{a} to {b}")
    bounds = r"\b(before|prior to|until|after|since|from|up to|through) (\d{4})\b"
    for m in re.finditer(bounds, text):
        word, y = m.group(1), int(m.group(2))
        if word in ("before", "prior to"):
            add(m, None, dt.date(y, 1, 1), f"before {y}")
        elif word in ("until", "up to", "through"):
            add(m, None, dt.date(y + 1, 1, 1), f"up to {y}")
        elif word == "after":
            add(m, dt.date(y + 1, 1, 1), None, f"after {y}")
        else:
            add(m, dt.date(y, 1, 1), None, f"since {y}")
    for m in re.finditer(r"\b(?:in |during |of )?((?:19|20)\d{2})\b", text):
        add(m, *_year(int(m.group(1))), m.group(1))
    return sorted(found, key=lambda p: p.span)


def date_column(text: str, entity: Entity, *, fined: bool) -> Expr:
    """The date a period or time grouping refers to: one the question names, else a
    penalty's decision date, else the entity's own date (README conventions)."""
    for cue, table, name in DATE_CUES:
        if re.search(cue, text):
            return column(table, name)
    if fined:
        return column("dispositions", "decided_on")
    return column(entity.table, entity.date)


def within(date: Expr, period: Period) -> str:
    parts = []
    if period.start:
        parts.append(f"{date.sql} >= DATE '{period.start.isoformat()}'")
    if period.end:
        parts.append(f"{date.sql} < DATE '{period.end.isoformat()}'")
    return " AND ".join(parts)

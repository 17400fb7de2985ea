"""What a question measures: a count, a count of distinct values, a total, an average, the
largest or smallest value, a share, or a list; and of which value (a penalty's amount, a
remediation time). Reads the normalised question; the parser decides the rest."""

from __future__ import annotations

import re

from arbiter_analysis.text2sql.clauses import ColumnList, Span
from arbiter_analysis.text2sql.meaning import (
    Aggregate,
    Entity,
    Expr,
    Measure,
    NotUnderstood,
    column,
    remediation_days,
)
from arbiter_analysis.text2sql.vocabulary import DISPOSITION, GROUP_NOUNS, OUTPUT_NOUNS, PENALTY

REMEDIATION_TIME = (
    r"remediation times?|time to remediat\w*|days? to remediat\w*|how long\b.*\bremediat\w*"
    r"|from identification to remediation|time taken to remediat\w*"
    r"|\btime\b(?: \w+){0,4} (?:took|takes?|taken|needed) to remediat\w*"
)
LIST_CUE = r"^(?:which|list|show|give|names?|what are|who)\b"
AVERAGE = r"\b(?:average|mean|avg)\b(?! (?:number|count) of)"
TOTAL = r"\b(?:total|sum|combined|how much)\b(?! number)"
COUNT = r"\bhow many\b|\bnumber of\b|\bcount\b|\bhow often\b|\bfrequen\w*"
SHARE = r"\b(?:percentage|percent|share|proportion|fraction|ratio)\b|%"
DISTINCT = r"\b(?:once|distinct|unique|different)\b"
MONEY = r"\busd\b|\bamount|\$|\bdollars?\b|\bmoney\b|\bvalue\b"

_LARGEST = r"largest|biggest|highest|maximum|max|longest|greatest"
_SMALLEST = r"smallest|lowest|minimum|min|shortest"
_EXTREME = (
    rf"\b(?:the )?({_LARGEST}|{_SMALLEST})\b(?= (?:single )?(?:penalty|amount|time|days?"
    r"|remediation time)\b)"
)
_RANKING = r"^(?:which|what|in which) (?!is\b|was\b|are\b|were\b|'s\b)"
"""A question that ranks rows ("Which firm had the largest fine?"), not one that measures
the extreme value itself ("What was the largest fine?")."""

_COLUMN_NOUNS = tuple((p, e) for p, e in OUTPUT_NOUNS if "_id" not in e.sql)


def extreme(work: str) -> tuple[Measure, Span] | None:
    """ "the largest fine", "the longest time to remediate": the largest or smallest value,
    unless the question ranks rows by it or asks for the N largest."""
    m = re.search(_EXTREME, work)
    if m is None or re.search(_RANKING, work):
        return None
    if re.search(r"\b(?:top|bottom) \w+|\d+ ?$", work[: m.start()]):
        return None
    measure = Measure.MIN if re.fullmatch(_SMALLEST, m.group(1)) else Measure.MAX
    return measure, m.span()


def value_superlative(work: str) -> bool:
    """Whether an order is said of a value ("the 5 largest fines"), so rows are listed by
    it rather than counted."""
    return re.search(_EXTREME, work) is not None


def counted_column(text: str) -> Expr | None:
    """ "How many different rulebooks ...": the column whose distinct values are counted."""
    nouns = "|".join(p for p, _ in _COLUMN_NOUNS)
    other = r"(?!per |by |for |each |in |of |finding|audit|firm|penalt|disposition)"
    m = re.search(rf"\bhow many (?:{other}[a-z]+ ){{0,2}}?({nouns})\b", text)
    if m is None:
        return None
    named = m.group(1)
    if not re.search(DISTINCT, m.group(0)) and not any(
        re.fullmatch(p, named) for p, _ in GROUP_NOUNS
    ):
        return None  # "how many rule references" without "different" may mean rows
    return next(e for p, e in _COLUMN_NOUNS if re.fullmatch(p, named))


def aggregates(
    text: str,
    work: str,
    entity: Entity,
    remediation: bool,
    listed: ColumnList | None,
    grouped: bool,
    change: bool,
    extreme_measure: Measure | None,
) -> tuple[Aggregate, ...]:
    if not change and re.search(SHARE, text):
        return (Aggregate(Measure.SHARE),)
    money = entity is PENALTY or entity is DISPOSITION or re.search(MONEY, text)
    value = (
        remediation_days()
        if remediation
        else column("dispositions", "penalty_usd")
        if money
        else None
    )
    found: list[tuple[int, Aggregate]] = []
    if extreme_measure is not None:
        if value is None:
            raise NotUnderstood(
                "it asks for the largest or smallest of something the database does not record"
            )
        found.append((0, Aggregate(extreme_measure, value)))
    for m in re.finditer(AVERAGE, work):
        if value is None:
            raise NotUnderstood(
                "it asks for an average of something the findings database does not record"
            )
        found.append((m.start(), Aggregate(Measure.AVG, value)))
    for m in re.finditer(TOTAL, work):
        if value is not None and not remediation:
            found.append((m.start(), Aggregate(Measure.SUM, value)))
    for m in re.finditer(COUNT, work):
        found.append((m.start(), Aggregate(Measure.COUNT)))
    if remediation and not found:
        found.append((0, Aggregate(Measure.AVG, value)))
    counted = counted_column(text)
    if counted is not None:
        return (Aggregate(Measure.COUNT_DISTINCT, counted),)
    if found:
        return tuple(dict.fromkeys(a for _, a in sorted(found, key=lambda f: f[0])))
    if grouped:
        return (Aggregate(Measure.COUNT),)
    if re.search(LIST_CUE, text) or listed:
        return (Aggregate(Measure.LIST),)
    raise NotUnderstood("it does not ask for a count, a total, an average, a share or a list")

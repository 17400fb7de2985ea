"""The offline Text2SQL provider's entry point: a compliance officer's question becomes
either a `Translation` (SQL over schema `findings` and a sentence saying what it counts)
or `Unmapped` (why not, and the families of questions it does answer). Pure, synchronous
and deterministic, so it can also serve as the offline rules of an LLM task."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from arbiter_analysis.text2sql.consumption import named_as_asked, unaccounted
from arbiter_analysis.text2sql.dates import TODAY_PATTERN, stated_today
from arbiter_analysis.text2sql.meaning import Meaning, Measure, NotUnderstood, PerParent
from arbiter_analysis.text2sql.parser import understand
from arbiter_analysis.text2sql.sql import build

CAN_ANSWER: tuple[str, ...] = (
    "counts with filters - 'How many thematic audits started in 2023?'",
    "grouped counts and totals - 'Total fines per firm type for AML findings'",
    "lists of rows - 'Which findings ended in a warning? Finding id and decision date.'",
    "trends by year, quarter or month - 'Monthly count of findings identified in 2025'",
    "top-N and fewest - 'Top 5 firms by number of open critical findings'",
    "remediation times - 'Average remediation time per firm type, in days'",
    "shares and changes - 'What percentage of audits is still open, by audit type?'",
    "thresholds and absence - 'How many firms have never received a financial penalty?'",
)
"""The question families the parser handles, each with an example."""


@dataclass(frozen=True)
class Translation:
    sql: str
    explanation: str


@dataclass(frozen=True)
class Unmapped:
    reason: str
    can_answer: tuple[str, ...] = CAN_ANSWER

    @property
    def message(self) -> str:
        return f"I can't answer that from the findings database: {self.reason}."


def translate(question: str, *, today: dt.date) -> Translation | Unmapped:
    """The SQL for `question`, or why there is none. A date the question states as today
    ("Today is 2026-01-15") wins over `today`."""
    day = stated_today(question) or today
    try:
        reading = understand(_without_today(question), today=day)
    except NotUnderstood as refused:
        unknown = unaccounted(refused.rest, None) if refused.rest else ()
        known = f"; nor does it know {named_as_asked(unknown, question)}" if unknown else ""
        return Unmapped(f"{refused}{known}")
    sql = build(reading.meaning)
    unused = unaccounted(reading.rest, sql)
    if unused:
        words = named_as_asked(unused, question)
        return Unmapped(f"no column, value or date in it matches {words}")
    return Translation(sql, explain(reading.meaning))


def _without_today(question: str) -> str:
    return TODAY_PATTERN.sub(" ", question)


def explain(meaning: Meaning) -> str:
    """One or two sentences: what is measured, of which rows, filtered how, grouped how."""
    entity = meaning.entity.plural
    first = meaning.aggregates[0]
    if meaning.per_parent:
        mode, child = meaning.per_parent
        children, parent = child.child.plural, meaning.entity.name
        what = {
            PerParent.NONE: f"Counts {entity} with no {children}",
            PerParent.THRESHOLD: f"Counts {entity} by their number of {children}",
            PerParent.SUM_COUNT: f"Counts {children}, with zero where there are none",
            PerParent.PARENTS_WITH_CHILD: f"Counts {entity} with at least one of {children}",
            PerParent.AVERAGE: f"Averages the number of {children} per {parent}, none as zero",
            PerParent.COUNT: f"Averages the number of {children} per {parent}",
        }[mode]
        filters = [c.label for c in (*meaning.conditions, *child.conditions)]
    else:
        if first.measure is Measure.LIST:
            what = f"Lists {entity} ({', '.join(o.label for o in meaning.outputs)})"
        elif first.measure is Measure.SHARE:
            counted = " and ".join(c.label for c in meaning.numerator)
            what = f"The percentage of {entity} where {counted}"
        elif meaning.change_years:
            first_year, last_year = meaning.change_years
            what = f"The percentage change in the {first.measure.value} of {entity}"
            what += f" from {first_year} to {last_year}"
        else:
            parts = [
                a.measure.value + (f" {a.of.label}" if a.of else "") for a in meaning.aggregates
            ]
            what = f"The {', '.join(parts)} of {entity}"
        filters = [c.label for c in meaning.conditions if c.label]
    sentence = what
    if filters:
        sentence += " where " + ", ".join(dict.fromkeys(filters))
    if meaning.groups:
        sentence += ", by " + ", ".join(g.label for g in meaning.groups)
    sentence += "."
    if meaning.order:
        way = "highest" if meaning.order.descending else "lowest"
        limit = meaning.order.limit
        rows = "" if not limit else ", the first only" if limit == 1 else f", the first {limit}"
        sentence += f" Ordered {way} first{rows}."
    return sentence[0].upper() + sentence[1:]

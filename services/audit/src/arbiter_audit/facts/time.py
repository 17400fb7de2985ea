"""The time facts of a situation: dated events ("the complaint was received on 1 June
2023"), financial year and quarter ends, stated durations ("40 days later", "for seven years
after the report is filed"), and statements that something did not happen up to a date ("no
further training ... before the FSRA's visit in October 2023") or that no other period was
set ("the letter set no special deadline")."""

from __future__ import annotations

import datetime as dt
import re

from arbiter_audit.facts.dates import MONTHS, DateMention, find_dates, month_end
from arbiter_audit.facts.numbers import NUMBER, parse_number
from arbiter_audit.facts.time_topics import sentences_of, topic_of
from arbiter_audit.model import Fact, FactKind, Span

FINANCIAL_YEAR_END = "financial year end"
QUARTER_END = "quarter end"
OTHER_PERIOD = "another time period or deadline specified"
"""The topic of a statement that no period other than the rule's own was set."""

MAX_DATES = 100
"""Dates (and durations) read from one situation at most: a described case has a handful;
each date's clause is looked at against the others, so a flood of them is cut here."""
_CONTEXT = 48
"""How far before or after a date its framing words ("year to", "quarter-end") are looked for."""
_FY_BEFORE = re.compile(
    r"(?i:(?:financial|fiscal|accounting)\s+year(?:\s+|-)(?:ends|ended|ending|end)(?:\s+on)?"
    r"|\byear\s+(?:to|ended|ending)|year[\s-]end(?:\s+(?:of|on))?)\s+$"
)
_FY_AFTER = re.compile(r"^\s+(?i:(?:financial\s+|fiscal\s+)?year[\s-]?end)")
_QUARTER_BEFORE = re.compile(r"(?i:quarter(?:\s+|-)(?:ended|ending|end)(?:\s+on)?)\s+$")
_QUARTER_AFTER = re.compile(r"^\s+(?i:quarter[\s-]?end)")
_RECURRING_FY = re.compile(
    r"(?i:(?:financial|fiscal|accounting)\s+year\s+(?:ends|ended|ending|end)\s+(?:on\s+)?)"
    rf"(?P<day>[0-3]?\d)\s+(?P<month>(?i:{'|'.join(sorted(MONTHS, key=len, reverse=True))}))"
    r"\b(?!,?\s+(?:19|20)\d\d)"
)
_DURATION = re.compile(
    r"(?P<lead>\b(?i:for|within|after|over|in|of|giving|gave|given)\s+"
    r"(?:(?i:a\s+period\s+of|the\s+next|only|just|about|some|around|nearly|almost|over|"
    r"more\s+than|less\s+than|at\s+least)\s+)?)?"
    rf"(?P<num>{NUMBER}|\b(?i:a|an|one)\b)\s+"
    r"(?P<kind>(?i:business|working|calendar|clear)\s+)?"
    r"(?P<unit>(?i:days?|weeks?|months?|years?))\b(?P<own>['\u2019])?"
    r"(?P<tail>\s+(?i:later|after|earlier|before|ago|late|afterwards))?"
)
_NOTHING_SINCE = re.compile(
    r"\b(?i:nothing|no\s+(?:further\s+)?(?:action|work|review|step|update)s?)\s+"
    r"(?i:had|has|have|was|were)\s+(?i:been\s+)?"
    r"(?i:done|carried\s+out|performed|undertaken|taken|held|repeated|updated)\s+(?i:since)\b"
)
_NONE_UNTIL = re.compile(
    r"\b(?i:no|none\s+of\s+the)\s+(?i:further|other|more|new|subsequent|additional|later|fresh)"
    r"\s+(?P<what>[^.;]{3,120}?)\s+(?i:before|until|by|prior\s+to|up\s+to|since)\s"
)
_UNDONE = re.compile(
    r"\b(?i:(?:had|has|have|was|were|did|do|does)\s+(?:still\s+|yet\s+)?(?:not|never)|never|nothing"
    r"|(?:made|gave|sent|filed|took|held|delivered|submitted|paid|provided|received)\s+no"
    r"|no\s+(?:further\s+)?\w+\s+(?:was|were|had\s+been|has\s+been))\b|n't\b"
)
_NO_OTHER_PERIOD = re.compile(
    r"\b(?:(?i:no|without\s+any)|(?i:not|never)\s+(?:(?i:specif|set|state|gave|give|fix|impos)"
    r"\w*)\s+(?i:any|a))\s+(?:(?i:special|other|different|specific|separate|particular|"
    r"shorter|longer|alternative)\s+)?(?i:deadline|time[\s-]?limit|time\s+period|period|"
    r"time[\s-]?frame)\b"
)


def read(situation: str) -> list[Fact]:
    """The EVENT and DURATION facts of `situation`, in order of appearance."""
    sentences = sentences_of(situation)
    dates = find_dates(situation)[:MAX_DATES]
    facts: list[Fact] = []
    recurring = list(_RECURRING_FY.finditer(situation))
    facts += [_recurring_year_end(m) for m in recurring]
    dates = [d for d in dates if not any(_inside(d, m) for m in recurring)]
    cut = [(d.start, d.end) for d in dates] + [m.span() for m in recurring]
    # A year or quarter end frames the story; it does not split it into episodes.
    bounds = [(d.start, d.end) for d in dates if not _end_of(situation, d)]
    # The date a negation runs to is not itself the thing not done: its words are cut.
    cut += [m.span() for m in _NONE_UNTIL.finditer(situation)]
    cut += [m.span() for m in _NOTHING_SINCE.finditer(situation)]
    events = [_event(situation, sentences, d, bounds, cut) for d in dates]
    facts += events + _not_done(situation, sentences, dates, events)
    facts += _durations(situation, sentences, bounds, cut)
    facts += [
        Fact(
            kind=FactKind.DURATION,
            text=f"no other time period or deadline was set ({m[0]!r})",
            span=Span(m.start(), m.end()),
            value="none",
            negated=True,
            topic=OTHER_PERIOD,
        )
        for m in _NO_OTHER_PERIOD.finditer(situation)
    ]
    return sorted(facts, key=lambda f: (f.span.start, f.span.end))


def _inside(d: DateMention, m: re.Match[str]) -> bool:
    return d.start < m.end() and m.start() < d.end


def _recurring_year_end(m: re.Match[str]) -> Fact:
    month, day = MONTHS[m["month"].lower()], int(m["day"])
    return Fact(
        kind=FactKind.EVENT,
        text=f"the financial year ends on {day} {dt.date(2000, month, 1):%B} every year",
        span=Span(m.start("day"), m.end()),
        value=f"--{month:02d}-{day:02d}",
        topic=FINANCIAL_YEAR_END,
    )


def _event(
    text: str,
    sentences: list[tuple[int, int]],
    d: DateMention,
    dates: list[tuple[int, int]],
    cut: list[tuple[int, int]],
) -> Fact:
    end_of = _end_of(text, d)
    when, until = d.when, d.until
    if end_of and d.precision == "month" and d.until.day > 27:
        # "the June 2024 quarter-end": the period ends on the month's last day.
        when = until = month_end(d.until.year, d.until.month)
    mention = DateMention(d.start, d.end, when, until, "day" if when == until else d.precision)
    topic = end_of or topic_of(text, sentences, (d.start, d.end), dates, cut)
    topic = topic or "something happened"
    preposition = "on" if mention.precision == "day" else "in"
    # "As of 20 May it had made no disclosure": a date something was still not done by.
    undone = _UNDONE.search(topic) is not None
    return Fact(
        kind=FactKind.EVENT,
        text=f"{topic}: {'as of' if undone else preposition} {mention.words()}",
        span=Span(d.start, d.end),
        value=mention.iso(),
        negated=undone,
        topic=topic,
        when=when,
        until=until,
    )


def _end_of(text: str, d: DateMention) -> str:
    """FINANCIAL_YEAR_END or QUARTER_END when the words around `d` say it ends one."""
    before = text[max(0, d.start - _CONTEXT) : d.start]
    after = text[d.end : d.end + _CONTEXT]
    if _FY_BEFORE.search(before) or _FY_AFTER.match(after):
        return FINANCIAL_YEAR_END
    if _QUARTER_BEFORE.search(before) or _QUARTER_AFTER.match(after):
        return QUARTER_END
    return ""


_UNIT_LETTER = {"day": "D", "week": "W", "month": "M", "year": "Y"}


def _durations(
    text: str,
    sentences: list[tuple[int, int]],
    dates: list[tuple[int, int]],
    cut: list[tuple[int, int]],
) -> list[Fact]:
    found: list[Fact] = []
    for m in _DURATION.finditer(text):
        if len(found) >= MAX_DATES:
            break
        if not (m["lead"] or m["tail"] or m["own"]):
            continue  # "two days" with nothing saying it is a length of time
        word = m["num"].lower()
        number = 1.0 if word in ("a", "an", "one") else parse_number(m["num"])
        if number is None or number <= 0:
            continue
        unit = m["unit"].lower().rstrip("s")
        business = (m["kind"] or "").strip().lower() in ("business", "working")
        value = f"P{number:g}{_UNIT_LETTER[unit]}"
        if business:
            unit, value = "business day", f"{number:g} business days"
        start = m.start("num")
        topic = topic_of(text, sentences, (start, m.end()), dates, cut, both_sides=True)
        found.append(
            Fact(
                kind=FactKind.DURATION,
                text=f"{m[0].strip()} ({topic})" if topic else m[0].strip(),
                span=Span(m.start(), m.end()),
                value=value,
                topic=topic,
                quantity=number,
                unit=unit,
            )
        )
    return found


def _not_done(
    text: str, sentences: list[tuple[int, int]], dates: list[DateMention], facts: list[Fact]
) -> list[Fact]:
    """What the situation says did not happen up to a date: a negated EVENT whose
    `when`..`until` is the date it had still not happened by."""
    if not dates:
        return []
    latest = max(dates, key=lambda d: d.until)
    found: list[Fact] = []
    for m in _NONE_UNTIL.finditer(text):
        sentence_end = next((e for s, e in sentences if s <= m.start() < e), len(text))
        bound = next((d for d in dates if m.end() <= d.start < sentence_end), None)
        if bound is None and m[0].rstrip().lower().endswith("since"):
            bound = latest
        if bound is not None:
            found.append(_not_by(m, m["what"], bound))
    events = [f for f in facts if f.kind is FactKind.EVENT and f.when is not None]
    for m in _NOTHING_SINCE.finditer(text):
        earlier = [f for f in events if f.span.end <= m.start()]
        if earlier:  # "nothing had been done since": since the event just told
            found.append(_not_by(m, earlier[-1].topic, latest))
    return found


def _not_by(m: re.Match[str], what: str, bound: DateMention) -> Fact:
    what = " ".join(what.split())
    return Fact(
        kind=FactKind.EVENT,
        text=f"no further {what} up to {bound.words()}",
        span=Span(m.start(), m.end()),
        value=bound.iso(),
        negated=True,
        topic=what,
        when=bound.when,
        until=bound.until,
    )

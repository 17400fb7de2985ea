"""The parts of a question the parser reads one at a time: filters on enumerated values
and rulebooks, grouping keys, the column list a question asks for, order and top-N,
thresholds, "never", and mentions of the entities. Each works on the normalised text and
reports where it matched, so the parser can blank out what it has understood."""

from __future__ import annotations

import re
from dataclasses import dataclass

from arbiter_analysis.findings.schema import RULEBOOKS
from arbiter_analysis.text2sql.meaning import Condition, Entity, Expr, Order, Threshold, column
from arbiter_analysis.text2sql.negation import column_of, negated, state_negation, value_negation
from arbiter_analysis.text2sql.plurality import rows_wanted
from arbiter_analysis.text2sql.vocabulary import (
    AUDIT,
    AUDIT_CLOSED,
    AUDIT_OPEN,
    ENTITY_NOUNS,
    FINDING,
    GROUP_NOUNS,
    NOT_REMEDIATED,
    NUMBER,
    OUTPUT_NOUNS,
    REMEDIATED,
    VALUE_PHRASES,
    ValuePhrase,
    number_value,
    rulebook_condition,
)

Span = tuple[int, int]


def blank(text: str, span: Span) -> str:
    """`text` with `span` replaced by spaces (positions elsewhere unchanged)."""
    return text[: span[0]] + " " * (span[1] - span[0]) + text[span[1] :]


@dataclass(frozen=True)
class Mention:
    entity: Entity
    span: Span
    condition: Condition | None = None


def mentions(text: str) -> list[Mention]:
    """Every entity noun, and every value phrase that names rows by itself ("banks")."""
    found = [Mention(e, m.span()) for p, e in ENTITY_NOUNS for m in re.finditer(p, text)]
    for phrase in VALUE_PHRASES:
        if phrase.is_noun:
            for m in re.finditer(phrase.pattern, text):
                found.append(Mention(phrase.entity, m.span(), phrase.condition))
    found.sort(key=lambda m: m.span)
    kept: list[Mention] = []
    for mention in found:  # "virtual asset firms" is one mention, not two
        if kept and mention.span[0] < kept[-1].span[1]:
            if mention.span[1] - mention.span[0] > kept[-1].span[1] - kept[-1].span[0]:
                kept[-1] = mention
            continue
        kept.append(mention)
    return kept


def value_filters(text: str, original: str) -> list[tuple[Condition, Entity, Span]]:
    """Filters on enumerated values and rulebooks, with the entity each belongs to. "open"
    and "closed" said of audits mean the audit's close date."""
    found: list[tuple[Condition, Entity, Span]] = []
    for phrase in VALUE_PHRASES:
        for m in re.finditer(phrase.pattern, text):
            cond = phrase.condition
            word = m.group(0)
            if word in ("open", "closed") and _said_of_audits(text, m.span()):
                said_not = state_negation(text, m.start())
                cond = AUDIT_OPEN if (word == "open") != bool(said_not) else AUDIT_CLOSED
                start = said_not.start() if said_not else m.start()
                found.append((_at(cond, m.start()), AUDIT, (start, m.end())))
                continue
            not_at = _negated_at(text, m.span(), phrase)
            if not_at is not None:
                cond = negated(cond)
            span = (m.start() if not_at is None else not_at, m.end())
            found.append((_at(cond, m.start()), phrase.entity, span))
    for m in re.finditer(_REMEDIATED_SAID, text):
        said_not = state_negation(text, m.start())
        if m.group(1) or m.group(2):
            cond = _STATUS_REMEDIATED
        else:
            unremediated = m.group(0).startswith("un")
            cond = NOT_REMEDIATED if said_not or unremediated else REMEDIATED
        start = said_not.start() if said_not else m.start()
        found.append((_at(cond, m.start()), FINDING, (start, m.end())))
    for name in RULEBOOKS:
        said = rf"\b{name.lower()}\b"
        named = re.search(rf"\b{name}\b", original) or re.search(said + r" (?:rule|finding)", text)
        if named:
            for t in re.finditer(said, text):
                found.append((_at(rulebook_condition(name), t.start()), FINDING, t.span()))
    return _dedupe(found)


_REMEDIATED_SAID = (
    r"(\bstatus (?:is |of |= )?)?\b(?:un)?remediated\b(?! on\b| dates?\b| within\b)( status\b)?"
)
"""A finding said to be remediated: the status when the word "status" is said with it,
else a remediation date (README: closed findings were remediated too)."""
_STATUS_REMEDIATED = Condition(
    "f.status = 'remediated'", frozenset({"findings"}), "status is remediated"
)


def _negated_at(text: str, span: Span, phrase: ValuePhrase) -> int | None:
    """Where a negation of the value phrase at `span` starts, if it is read: only for
    phrases that filter (a noun such as "banks" also names the rows, and stays refused)."""
    if phrase.is_noun:
        return None
    same = column_of(phrase.condition)
    others = [
        p.pattern for p in VALUE_PHRASES if p is not phrase and column_of(p.condition) == same
    ]
    return value_negation(text, span, "|".join(others) or "$^")


def _dedupe(found: list[tuple[Condition, Entity, Span]]) -> list[tuple[Condition, Entity, Span]]:
    seen: set[Span] = set()
    kept = []
    for item in sorted(found, key=lambda f: f[2]):
        if item[2] not in seen:
            seen.add(item[2])
            kept.append(item)
    return kept


def _at(cond: Condition, position: int) -> Condition:
    return Condition(cond.sql, cond.tables, cond.label, position)


def _said_of_audits(text: str, span: Span) -> bool:
    window = text[max(0, span[0] - 40) : span[1] + 40]
    nouns = [(abs(m.start() - 40), m.group(0)) for m in re.finditer(r"audit|finding", window)]
    return bool(nouns) and min(nouns)[1] == "audit"


_GROUP_LEAD = (
    r"\b(?:per|by|for each|for every|each|in each|of each|across|grouped by|split by"
    r"|broken down by|by the)\s+"
)
TIME_NOUN = r"(year|quarter|month)s?\b"
_TIME_WORDS = {
    "monthly": "month",
    "yearly": "year",
    "annual": "year",
    "annually": "year",
    "quarterly": "quarter",
}


@dataclass(frozen=True)
class GroupWord:
    """A grouping key as said: a column, a time part, or an entity (firm, audit, rule
    reference) whose columns depend on what the question lists."""

    kind: str
    span: Span
    expr: Expr | None = None


def group_words(text: str) -> list[GroupWord]:
    found: list[GroupWord] = []
    lead = re.compile(_GROUP_LEAD + r"(?:the\s+)?")
    nouns: list[tuple[str, str, Expr | None]] = [(p, "column", e) for p, e in GROUP_NOUNS]
    nouns += [
        (r"(?:decision |calendar )?" + TIME_NOUN, "time", None),
        (r"rule ref(?:erence)?s?|rules?", "rule", None),
        (r"firms?|compan(?:y|ies)", "firm", None),
        (r"audits?", "audit", None),
        (r"types?|kinds?", "type", None),  # of the entity counted: audit or firm type
    ]
    for m in lead.finditer(text):
        position = m.end()
        while True:
            match = _noun_at(text, position, nouns)
            if match is None:
                break
            found.append(match)
            more = re.match(
                r"\s*(?:,|and|, and)\s*(?:by\s+|per\s+)?(?:the\s+)?", text[match.span[1] :]
            )
            if not more:
                break
            position = match.span[1] + more.end()
    for m in re.finditer(r"\b(monthly|yearly|annual(?:ly)?|quarterly)\b", text):
        found.append(GroupWord("time:" + _TIME_WORDS[m.group(1)], m.span()))
    for m in re.finditer(r"\b(?:which|what|in which|the) " + TIME_NOUN, text):
        found.append(GroupWord("time:" + m.group(1), m.span()))
    return sorted({g.span: g for g in found}.values(), key=lambda g: g.span)


_RANK_ASKED = r"\b(?:top|bottom|which|what)(?:(?: is| are| was| were|'s)(?= the\b))?"
_RANK_LEAD = r"^(?:(?:show|give|name|tell|list) )?(?:me |us )?(?:the )?"


def ranked_group(text: str) -> GroupWord | None:
    """A column the question ranks ("which 3 rulebooks", "what is the rulebook with")."""
    nouns = "|".join(p for p, _ in GROUP_NOUNS)
    with_ = r" (?:with|that (?:has|had|have|saw|got|received)|having)\b"
    asked = re.search(rf"{_RANK_ASKED}(?: {NUMBER})? (?:the )?({nouns})\b", text)
    m = asked or re.search(rf"{_RANK_LEAD}(?:{NUMBER} )?({nouns}){with_}", text)
    if m is None:
        return None
    expr = next(e for p, e in GROUP_NOUNS if re.fullmatch(p, m.group(2)))
    return GroupWord("column", m.span(2), expr)


def _noun_at(
    text: str, position: int, nouns: list[tuple[str, str, Expr | None]]
) -> GroupWord | None:
    for pattern, kind, expr in nouns:
        m = re.compile(rf"(?:{pattern})\b").match(text, position)
        if m:
            if kind == "time":
                time = re.search(TIME_NOUN, m.group(0))
                kind = "time:" + (time.group(1) if time else "year")
            return GroupWord(kind, m.span(), expr)
    return None


_KNOWN_AFTER_BY = (
    r"rule|rules|firm|firms|compan(?:y|ies)|audits?|findings?|penalty|dispositions?|decisions?"
    r"|number|count|total|amount|value|size|how|the|a|an|date|which|far|\d+|kind|type"
    r"|decided|identification|identified|start|started|calendar"
)


def unknown_group(text: str) -> str | None:
    """A word the question groups by that the database has no column for ("per country")."""
    known = [p for p, _ in GROUP_NOUNS] + [TIME_NOUN, _KNOWN_AFTER_BY]
    lead = r"\b(?:per|by|for each|for every|grouped by|broken down by)\s+(?:the\s+)?([a-z]+)"
    for m in re.finditer(lead, text):
        if not any(re.fullmatch(rf"(?:{p})", m.group(1)) for p in known):
            return m.group(1)
    return None


@dataclass(frozen=True)
class ColumnList:
    """The columns a question asks for by name, in its order; `counts` for "and count"."""

    columns: tuple[Expr | str, ...]
    span: Span


_MEASURE_ITEM = (
    r"(?:the )?(?:count|number(?: of \w+)?|total(?: \w+)?|average(?: \w+)?"
    r"|percentage(?: [a-z ]*?)?|share)"
)


def column_list(text: str) -> ColumnList | None:
    item_patterns = [p for p, _ in OUTPUT_NOUNS] + [
        r"(?:month|year|quarter)(?: number| of (?:the )?decision)?"
    ]
    item = r"(?:the )?(?:" + "|".join(item_patterns) + r")"
    listing = re.compile(rf"\b{item}(?:\s*(?:,\s*and|,|and)\s*(?:{item}|{_MEASURE_ITEM}))+")
    for m in listing.finditer(text):
        parts = re.split(r"\s*(?:,\s*and|,|\band\b)\s*", m.group(0))
        columns: list[Expr | str] = []
        for part in parts:
            part = re.sub(r"^the ", "", part.strip())
            columns.append(_output(part, item_patterns))
        return ColumnList(tuple(columns), m.span())
    return _leading_column(text)


def _leading_column(text: str) -> ColumnList | None:
    """ "Names of insurers authorised after 2018": one column asked for before its rows
    (not a grouping column, which "rulebook of ..." would rather mean)."""
    groups = {e for _, e in GROUP_NOUNS}
    for pattern, expr in OUTPUT_NOUNS:
        if expr in groups:
            continue
        m = re.match(rf"\s*(?:the |all )?(?:{pattern})(?= (?:of|for)\b)", text)
        if m:
            return ColumnList((expr,), m.span())
    return None


def _output(part: str, item_patterns: list[str]) -> Expr | str:
    if re.fullmatch(_MEASURE_ITEM, part) or re.fullmatch(_MEASURE_ITEM, "the " + part):
        return "measure"
    time = re.match(TIME_NOUN[:-3], part)
    if time:
        return "time:" + time.group(1)
    for pattern, expr in OUTPUT_NOUNS:
        if re.fullmatch(pattern, part):
            return expr
    return "measure"


_MOST = r"most|highest|largest|biggest"
_FEWEST = r"fewest|(?<!at )least|lowest|smallest"


def order(text: str, *, asked: str) -> tuple[Order, list[Span]] | None:
    """Top-N, most, fewest; the tie-break direction a question asks for. With no number,
    `asked` (the question as typed) says whether one row or a ranked list is wanted."""
    desc = re.search(rf"\btop {NUMBER}\b|\b(?:which |the )?{NUMBER}? ?(?:{_MOST})\b", text)
    asc = re.search(
        rf"\bbottom {NUMBER}\b"
        rf"|\b(?:which |the )?{NUMBER}? ?(?:{_FEWEST})\b",
        text,
    )
    found = min((m for m in (desc, asc) if m), key=lambda m: m.start(), default=None)
    if found is None:
        return None
    number = next((g for g in found.groups() if g), None)
    spans = [found.span()]
    if number is None:
        which = re.search(rf"\b(?:which|the|top|list) {NUMBER}\b", text)
        number = which.group(1) if which else None
        spans += [which.span(1)] if which else []
    sorted_only = number is None and text[found.end() :].startswith(" first")
    limit = number_value(number) if number else None if sorted_only else rows_wanted(asked)
    ties = re.search(r"\bt(?:ie|ied|ies)\b[^.;?]*", text)
    ties_desc = bool(
        ties and re.search(r"\b(?:latest|later|highest|most recent|last)\b", ties.group(0))
    )
    spans += [ties.span()] if ties else []
    # The same direction said again ("the fewest findings ..., fewest first") is read too.
    again = _MOST if found is desc else _FEWEST
    spans += [m.span() for m in re.finditer(rf"\b(?:{again})\b(?: first)?", text)]
    return Order(descending=found is desc, limit=limit, ties_descending=ties_desc), spans


_COMPARE = {
    "more than": ">", "over": ">", "greater than": ">", "above": ">", "at least": ">=",
    "no fewer than": ">=", "fewer than": "<", "less than": "<", "under": "<", "below": "<",
    "at most": "<=", "no more than": "<=", "exactly": "=",
}  # fmt: skip


def threshold(text: str) -> tuple[Threshold, Entity, Span] | None:
    """ "more than 10 findings", "at least one penalty": a count of child rows per row."""
    words = "|".join(sorted(_COMPARE, key=len, reverse=True))
    nouns = "|".join(p for p, _ in ENTITY_NOUNS)
    m = re.search(rf"\b({words}) {NUMBER} (?:[a-z-]+ ){{0,3}}?({nouns})", text)
    if not m:
        return None
    entity = next(e for p, e in ENTITY_NOUNS if re.fullmatch(p, m.group(3)))
    return Threshold(_COMPARE[m.group(1)], number_value(m.group(2))), entity, m.span()


_SCALE = {"k": 1_000, "thousand": 1_000, "m": 1_000_000, "million": 1_000_000, "mn": 1_000_000}
_EXCEEDS = {"exceeding": ">", "exceeded": ">", "exceeds": ">", "exceed": ">", "in excess of": ">"}


def money_threshold(text: str) -> tuple[Condition, Span] | None:
    """ "fines over 1,000,000 USD", "penalties of at least $250k": a bound on the amount."""
    compare = _COMPARE | _EXCEEDS
    words = "|".join(sorted(compare, key=len, reverse=True))
    scale = "|".join(_SCALE)
    m = re.search(
        rf"\b({words}) (?:usd |\$ ?)?(\d[\d,]*(?:\.\d+)?)(?: ?({scale})\b)?(?: ?(usd|dollars)\b)?",
        text,
    )
    if m is None:
        return None
    said_as_money = "$" in m.group(0) or m.group(3) or m.group(4) or "usd" in m.group(0)
    if not said_as_money and not re.search(r"\bpenalt|\bamount", text):
        return None
    amount = float(m.group(2).replace(",", "")) * _SCALE.get(m.group(3) or "", 1)
    value = f"{amount:.2f}".rstrip("0").rstrip(".")
    operator = compare[m.group(1)]
    penalty = column("dispositions", "penalty_usd")
    label = f"penalty {operator} {value} USD"
    return Condition(
        f"{penalty.sql} {operator} {value}", penalty.tables, label, m.start()
    ), m.span()


def absence(text: str) -> tuple[Entity, Span] | None:
    """ "never received a penalty", "audits without findings", "with no open findings"."""
    nouns = "|".join(p for p, _ in ENTITY_NOUNS)
    m = re.search(
        r"\b(?:never|not once|without(?: any| a)?|with no|with zero|have no|had no)\b"
        rf"(?: [a-z-]+){{0,3}}? ({nouns})",
        text,
    )
    if not m:
        return None
    entity = next(e for p, e in ENTITY_NOUNS if re.fullmatch(p, m.group(1)))
    return entity, m.span()


def firm_columns(listed: ColumnList | None) -> tuple[Expr, ...]:
    """The columns that name a firm in a result: those the question lists, else id and name."""
    wanted = [
        c for c in (listed.columns if listed else ()) if isinstance(c, Expr) and "firms" in c.tables
    ]
    return tuple(wanted) or (column("firms", "firm_id"), column("firms", "name"))

"""From a question to its `Meaning`: reads the clauses, blanks out each one it has
understood, decides what is measured and of which entity, and refuses (with a reason)
what it did not understand instead of guessing."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from arbiter_analysis.text2sql import clauses, measures
from arbiter_analysis.text2sql.clauses import ColumnList, GroupWord, blank
from arbiter_analysis.text2sql.dates import Period, date_column, periods, within
from arbiter_analysis.text2sql.meaning import (
    Condition,
    Entity,
    Expr,
    Meaning,
    Measure,
    NotUnderstood,
    column,
    date_part,
    remediation_days,
)
from arbiter_analysis.text2sql.measures import (
    AVERAGE,
    COUNT,
    DISTINCT,
    LIST_CUE,
    REMEDIATION_TIME,
    SHARE,
    TOTAL,
)
from arbiter_analysis.text2sql.parents import (
    AVERAGE_PER,
    ZERO_PHRASE,
    ZERO_WORDS,
    outputs_of,
    per_parent,
    split_share,
)
from arbiter_analysis.text2sql.vocabulary import (
    AUDIT,
    FINDING,
    FIRM,
    GROUP_NOUNS,
    PENALTY,
    REMEDIATED,
    normalise,
)

_GROUP_EXPRS = {e for _, e in GROUP_NOUNS}


_WRITES = (
    r"\b(?:drop|delete|truncate|insert|update|alter|grant|revoke|create|remove|erase|modify)\b"
)
_SEVERITY = r"(critical|high|medium|low)"
_TARGET = (
    rf"(\d+) (?:days? )?(?:for|on) {_SEVERITY}\b|\b{_SEVERITY}(?: findings)?:? (\d+)(?: days)?"
)
_CUES = (
    r"\bhow many\b|\bnumber of\b|\bcount\b|\bwhich\b|\blist\b|\btotal\b|\baverage\b"
    r"|\bmean\b|\bshare\b|\bpercentage\b|\btop\b|\bwhat\b"
)
_CHANGE = (
    r"\b(?:percentage|percent|%) change\b|\bchange(?:d|s)?\b|\bgrowth\b|\bgrew\b"
    r"|\bincrease\b|\bdecrease\b|%"
)
_NOTHING_KNOWN = (
    "it names nothing the findings database holds (findings, audits, firms, dispositions, "
    "penalties)"
)


@dataclass(frozen=True)
class Reading:
    """A question understood, and what of it the parser did not use."""

    meaning: Meaning
    rest: str
    """The normalised question with every phrase the parser read blanked out: what is
    left must be accounted for (`consumption.unaccounted`) before the meaning is trusted."""


def understand(question: str, *, today: dt.date) -> Reading:
    text = normalise(question)
    if re.search(_WRITES, text):
        raise NotUnderstood(
            "it asks to change data; questions here only read the findings database"
        )
    work = text
    targets, work = _targets(work)
    change, work = _change(work)
    found_periods = periods(work, today)
    for period in found_periods:
        work = blank(work, period.span)
    filters = clauses.value_filters(work, question)
    zero_phrase = re.search(ZERO_PHRASE, work)
    if zero_phrase:
        work = blank(work, zero_phrase.span())
    average = re.search(AVERAGE_PER, work)
    if average:
        work = blank(work, (average.start(2) - 1, average.end()))
    top = measures.extreme(work)
    if top:
        work = blank(work, top[1])
    value_ranked = measures.value_superlative(work)
    ordering = clauses.order(work, asked=question)
    ranked_column = clauses.ranked_group(work) if ordering else None
    for span in ordering[1] if ordering else ():
        work = blank(work, span)
    unknown = clauses.unknown_group(work)
    if unknown:
        raise NotUnderstood(
            f"the findings database has nothing called '{unknown[:64]}' to group by"
        )
    once = re.search(r"\b(?:each|every) (?:\w+ )?once\b", work)  # one row each, not a group
    if once:
        work = blank(work, once.span())
    groups = clauses.group_words(work)
    if ranked_column and not groups:
        groups.append(ranked_column)
    trend = _trend(work, groups, found_periods)
    groups += [trend] if trend else []
    for said in re.finditer(_TREND, work):
        work = blank(work, said.span())
    for g in groups:
        work = blank(work, g.span)
    listed = clauses.column_list(work)
    if listed:
        work = blank(work, listed.span)
    above_average = re.search(r"\babove (?:the )?(?:average|mean)\b(?: [a-z]+){0,2}", work)
    if above_average:
        work = blank(work, above_average.span())
    limit = clauses.threshold(work)
    if limit:
        work = blank(work, limit[2])
    bound = clauses.money_threshold(work)
    if bound:
        work = blank(work, bound[1])
    absent = clauses.absence(work)
    if absent:
        work = blank(work, absent[1])
    mentions = clauses.mentions(work)
    for _, _, span in filters:
        work = blank(work, span)
    try:
        rule_refs = re.search(r"\brule ref(?:erence)?s?\b|\brules\b", work)
        remediation = re.search(REMEDIATION_TIME, text)

        entity, group_entity = _entities(
            work, mentions, ordering is not None, rule_refs, remediation
        )
        conditions = [c for c, _, _ in filters] + [m.condition for m in mentions if m.condition]
        conditions += [bound[0]] if bound else []
        conditions += [m.entity.condition for m in mentions if m.entity.condition]
        if entity.condition:
            conditions.append(entity.condition)
        if remediation or targets:
            conditions.append(REMEDIATED)
        fined = (
            any(m.entity is PENALTY for m in mentions)
            or (limit and limit[1] is PENALTY)
            or (absent and absent[0] is PENALTY)
        )
        date = date_column(text, entity, fined=bool(fined))
        for period in found_periods:
            conditions.append(
                Condition(
                    within(date, period),
                    date.tables,
                    f"{date.label} in {period.label}",
                    period.span[0],
                )
            )
        if ordering and rule_refs and group_entity is None and not groups:
            groups.append(GroupWord("rule", (0, 0)))
        group_exprs = _group_exprs(groups, group_entity, entity, listed, date)
        ranked = ordering is not None and not (value_ranked and not group_exprs)
        aggregates = measures.aggregates(
            text,
            work,
            entity,
            remediation is not None,
            listed,
            bool(group_exprs) or ranked,
            bool(change),
            top[0] if top else None,
        )
        if aggregates[0].measure is not Measure.LIST and listed:
            named = [c for c in listed.columns if isinstance(c, Expr) and c in _GROUP_EXPRS]
            group_exprs = tuple(dict.fromkeys([*group_exprs, *named]))

        meaning = Meaning(
            entity=entity,
            aggregates=aggregates,
            conditions=tuple(_merge(conditions)),
            groups=group_exprs,
            order=ordering[0] if ordering else None,
            above_average=above_average is not None,
            distinct=bool(re.search(DISTINCT, text)),
        )
        if aggregates[0].measure is Measure.LIST:
            meaning = replace(meaning, outputs=_outputs(listed, entity))
        if targets or aggregates[0].measure is Measure.SHARE:
            meaning = split_share(meaning, targets, mentions)
        if change:
            meaning = replace(meaning, change_years=change, change_date=date)
        meaning = per_parent(meaning, text, limit, absent, groups, listed)
    except NotUnderstood as refused:
        refused.rest = _blank_read(work, bool(change), average is not None)
        raise
    return Reading(meaning, _blank_read(work, bool(change), average is not None))


def _blank_read(work: str, change: bool, average_per: bool) -> str:
    """`work` without the phrases that decided the measure, the entity or the shape of
    the answer (they were read wherever they stand, so they are used)."""
    read = [_CUES, LIST_CUE, AVERAGE, TOTAL, COUNT, SHARE, DISTINCT, REMEDIATION_TIME]
    if average_per:
        read.append(r"\b(?:average|mean)\b(?= (?:number|count) of)")
    read.append(ZERO_WORDS)
    if change:
        read.append(_CHANGE)
    for pattern in read:
        for m in reversed(list(re.finditer(pattern, work))):
            work = blank(work, m.span())
    return work


def _targets(work: str) -> tuple[Condition | None, str]:
    """Remediation targets per severity ("30 days for critical, 60 for high, ...")."""
    found = list(re.finditer(_TARGET, work))
    if len(found) < 2:
        return None, work
    days = {}
    for m in found:
        severity = m.group(2) or m.group(3)
        days[severity] = int(m.group(1) or m.group(4))
    severity = column("findings", "severity")
    default = days.pop("low", None) if len(days) == 4 else None
    cases = " ".join(f"WHEN '{s}' THEN {d}" for s, d in days.items())
    otherwise = f" ELSE {default}" if default is not None else ""
    sql = f"{remediation_days().sql} <= CASE {severity.sql} {cases}{otherwise} END"
    span = (found[0].start(), found[-1].end())
    sentence = re.search(r"targets? (?:are|is)\b", work)
    start = sentence.start() if sentence and sentence.start() < span[0] else span[0]
    return Condition(
        sql, frozenset({"findings"}), "remediated within its severity's target"
    ), blank(work, (start, span[1]))


def _change(work: str) -> tuple[tuple[int, int] | None, str]:
    if not re.search(_CHANGE, work):
        return None, work
    m = re.search(
        r"\b(?:between |from )?((?:19|20)\d{2}) (?:and|to|vs\.?|versus) ((?:19|20)\d{2})\b", work
    )
    if not m:
        return None, work
    return (int(m.group(1)), int(m.group(2))), blank(work, m.span())


def _entities(
    work: str,
    mentions: list[clauses.Mention],
    ordered: bool,
    rule_refs: re.Match[str] | None,
    remediation: re.Match[str] | None,
) -> tuple[Entity, Entity | None]:
    """The entity counted or listed, and an entity the question ranks (top 5 firms by
    number of findings) when it names two."""
    distinct = list(dict.fromkeys(m.entity for m in mentions))
    if ordered and len(distinct) >= 2 and distinct[0] in (FIRM, AUDIT):
        return distinct[1], distinct[0]
    if ordered and rule_refs and (not distinct or distinct[0] is FINDING):
        return FINDING, None
    cue = re.search(_CUES, work)
    start = cue.start() if cue else 0
    after = [m.entity for m in mentions if m.span[0] >= start]
    if after:
        return after[0], None
    if mentions:
        return mentions[0].entity, None
    if rule_refs or remediation:
        return FINDING, None
    raise NotUnderstood(_NOTHING_KNOWN)


_TREND = r"\b(?:the )?trends?\b|\bover time\b|\b(?:the )?evolution\b|\bevolved?\b"


def _trend(work: str, groups: list[GroupWord], found: list[Period]) -> GroupWord | None:
    """ "..., and what is the trend?": a time grouping, by quarter within the one year the
    question is about, else by year (unless it already groups by a time part)."""
    said = re.search(_TREND, work)
    if said is None or any(g.kind.startswith("time:") for g in groups):
        return None
    years = [p for p in found if p.start and p.end and (p.end - p.start).days <= 366]
    part = "quarter" if len(found) == 1 and years else "year"
    return GroupWord(f"time:{part}", (0, 0))


def _group_exprs(
    groups: list[GroupWord],
    group_entity: Entity | None,
    entity: Entity,
    listed: ColumnList | None,
    date: Expr,
) -> tuple[Expr, ...]:
    exprs: list[Expr] = []
    words = list(groups)
    if group_entity is not None and not any(g.kind in ("firm", "audit") for g in words):
        words.append(GroupWord(group_entity.name, (0, 0)))
    for g in words:
        if g.expr is not None:
            exprs.append(g.expr)
        elif g.kind.startswith("time:"):
            exprs.append(date_part(g.kind[5:], date))
        elif g.kind == "firm":
            exprs.extend(clauses.firm_columns(listed))
        elif g.kind == "audit":
            wanted = [
                c
                for c in (listed.columns if listed else ())
                if isinstance(c, Expr) and c.label in ("audit id", "firm id")
            ]
            exprs.extend(wanted or [column("audits", "audit_id")])
        elif g.kind == "rule":
            exprs.extend([column("findings", "rulebook"), column("findings", "rule_ref")])
        elif g.kind == "type" and entity in (AUDIT, FIRM):
            exprs.append(column(entity.table, f"{entity.table[:-1]}_type"))
        elif g.kind == "type":
            raise NotUnderstood(f"it groups {entity.plural} by a type, which they do not have")
    if listed:  # "month number and count": a time part the list names is a grouping too
        for c in listed.columns:
            if isinstance(c, str) and c.startswith("time:"):
                exprs.append(date_part(c[5:], date))
    return tuple(dict.fromkeys(exprs))


def _outputs(listed: ColumnList | None, entity: Entity) -> tuple[Expr, ...]:
    wanted = [c for c in (listed.columns if listed else ()) if isinstance(c, Expr)]
    if not wanted:
        if entity is PENALTY:
            return (column("dispositions", "finding_id"), column("dispositions", "penalty_usd"))
        if entity is FIRM:
            return (column("firms", "firm_id"), column("firms", "name"))
        return (entity.key_expr,)
    return outputs_of(tuple(wanted), entity)


def _merge(conditions: list[Condition]) -> list[Condition]:
    """One condition per column: values said of the same column are alternatives
    ("high or critical")."""
    by_column: dict[str, list[Condition]] = {}
    kept: list[Condition] = []
    for c in conditions:
        m = re.fullmatch(r"(\w+\.\w+) = ('[^']*')", c.sql)
        if m:
            by_column.setdefault(m.group(1), []).append(c)
        elif c.sql not in {k.sql for k in kept}:
            kept.append(c)
    for name, same in by_column.items():
        values = list(dict.fromkeys(c.sql.split(" = ", 1)[1] for c in same))
        if len(values) == 1:
            kept.append(same[0])
        else:
            label = " or ".join(v.strip("'") for v in values)
            kept.append(
                Condition(
                    f"{name} IN ({', '.join(values)})",
                    same[0].tables,
                    f"{same[0].label.split(' is ')[0]} is {label}",
                    same[0].position,
                )
            )
    return kept

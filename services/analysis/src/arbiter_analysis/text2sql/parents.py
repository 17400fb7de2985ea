"""Questions that count rows of one entity per row of another (findings per audit,
penalties per firm): thresholds, "never", "counting none as zero", averages per parent;
and which filters a share counts. Turns a `Meaning` into its per-parent form."""

from __future__ import annotations

import re
from dataclasses import replace

from arbiter_analysis.findings.schema import TABLES
from arbiter_analysis.text2sql import clauses
from arbiter_analysis.text2sql.clauses import ColumnList, GroupWord
from arbiter_analysis.text2sql.meaning import (
    Aggregate,
    ChildCount,
    Condition,
    Entity,
    Expr,
    Meaning,
    Measure,
    NotUnderstood,
    PerParent,
    Threshold,
    column,
)
from arbiter_analysis.text2sql.vocabulary import AUDIT, FINDING, FIRM

AVERAGE_PER = (
    r"\b(?:average|mean) (?:number|count) of ((?:[\w-]+ ){0,2}?\w+) ((?:per|for each|in each)"
    r" (audit|firm))\b"
)
ZERO_PHRASE = r"\bcounting [^.?;]*? as (?:zero|0)\b"
_KEEP_OR_DROP_NONE = r"\b(?:include|including|show|leave out|exclude|omit|skip)\b"
ZERO_WORDS = (
    rf"\bshow (?:0|zero)\b|{_KEEP_OR_DROP_NONE}(?=[^.?;]*\b(?:zero|none|0)\b)|\b(?:zero|none)\b"
)
"""The words of "include those with none" or "leave out those with none", which decide
whether groups without rows are shown."""


def split_share(
    meaning: Meaning, targets: Condition | None, mentions: list[clauses.Mention]
) -> Meaning:
    """What a share counts: the target condition, else the filters said after the entity
    ("percentage of audits still open"), else all value filters ("share of critical
    findings"); the rest (periods among them) is what it is a share of."""
    if targets:
        return replace(meaning, numerator=(targets,))
    at = next((m.span[0] for m in mentions if m.entity is meaning.entity), 0)
    values = [
        c for c in meaning.conditions if "DATE '" not in c.sql and c is not meaning.entity.condition
    ]
    numerator = [c for c in values if c.position > at] or values
    if not numerator:
        raise NotUnderstood("it asks for a share without saying of what")
    base = tuple(c for c in meaning.conditions if c not in numerator)
    return replace(meaning, numerator=tuple(numerator), conditions=base)


_PARENT_SIDE = {"firms": {"firms"}, "audits": {"audits", "firms"}}
_ZERO = r"\bas (?:zero|0)\b|\bshow (?:0|zero)\b|\binclud\w*\b[^.?]*\b(?:zero|none)\b|\bwith none\b"


def per_parent(
    meaning: Meaning,
    text: str,
    limit: tuple[Threshold, Entity, clauses.Span] | None,
    absent: tuple[Entity, clauses.Span] | None,
    groups: list[GroupWord],
    listed: ColumnList | None,
) -> Meaning:
    zero = bool(re.search(_ZERO, text)) and not re.search(
        r"\b(?:leave out|exclude|omit|skip)\b", text
    )
    average = re.search(AVERAGE_PER, text)
    entity = meaning.entity
    if absent:
        return _with_child(meaning, PerParent.NONE, entity, absent[0])
    if limit:
        threshold, child, _ = limit
        if threshold.operator == ">=" and threshold.value == 1:
            if zero:
                return _with_child(
                    meaning, PerParent.PARENTS_WITH_CHILD, _parent_of(meaning, entity), child
                )
            key = child.key_expr
            exists = Condition(f"{key.sql} IS NOT NULL", key.tables, f"at least one {child.name}")
            return replace(meaning, conditions=(*meaning.conditions, exists), distinct=True)
        if listed and any(isinstance(c, Expr) for c in listed.columns):
            counted = Expr("", frozenset(), "number")  # the child count, where the list names it
            outputs = tuple(c if isinstance(c, Expr) else counted for c in listed.columns)
            meaning = replace(
                meaning, outputs=outputs_of(outputs, entity), aggregates=(Aggregate(Measure.LIST),)
            )
        return replace(
            _with_child(meaning, PerParent.THRESHOLD, entity, child), threshold=threshold
        )
    if average:
        parent = AUDIT if average.group(3) == "audit" else FIRM
        child = next((m.entity for m in clauses.mentions(average.group(1)) if m), FINDING)
        return _with_child(meaning, PerParent.AVERAGE if zero else PerParent.COUNT, parent, child)
    if zero and (meaning.groups or groups):
        return _with_child(meaning, PerParent.SUM_COUNT, _parent_of(meaning, entity), entity)
    return meaning


def _parent_of(meaning: Meaning, entity: Entity) -> Entity:
    tables = {t for g in meaning.groups for t in g.tables}
    if entity in (FIRM, AUDIT) and tables <= {entity.table}:
        return entity
    if "audits" in tables:
        return AUDIT
    if "firms" in tables:
        return FIRM
    raise NotUnderstood(
        "it asks to count rows with none as zero for a grouping that is not of firms or audits"
    )


def _with_child(meaning: Meaning, mode: PerParent, parent: Entity, child: Entity) -> Meaning:
    if parent not in (FIRM, AUDIT) or child in (FIRM, parent):
        raise NotUnderstood(
            f"it counts {child.plural} per {parent.name}, "
            "which the database does not relate that way"
        )
    side = _PARENT_SIDE[parent.table]
    child_conditions = tuple(c for c in meaning.conditions if not c.tables <= side)
    if child.condition and child.condition.sql not in {c.sql for c in child_conditions}:
        child_conditions += (child.condition,)
    outer = tuple(c for c in meaning.conditions if c.tables <= side and c is not child.condition)
    return replace(
        meaning,
        entity=parent,
        conditions=outer,
        per_parent=(mode, ChildCount(parent, child, child_conditions)),
    )


def outputs_of(wanted: tuple[Expr, ...], entity: Entity) -> tuple[Expr, ...]:
    # An id the entity's own table holds is read there, without a join for it.
    own = [
        column(entity.table, c.sql.split(".")[1])
        if c.sql
        and c.sql.split(".")[1] in ("firm_id", "audit_id", "finding_id")
        and has_column(entity.table, c)
        else c
        for c in wanted
    ]
    return tuple(own)


def has_column(table: str, expr: Expr) -> bool:
    return expr.sql.split(".")[1] in TABLES[table].column_names

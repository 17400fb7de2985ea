"""The words a compliance officer uses for the findings database: synonyms folded into one
spelling, the nouns for each entity, the phrases for enumerated values (built from
`findings.schema`), for grouping keys and for the columns a list asks for."""

from __future__ import annotations

import re
from dataclasses import dataclass

from arbiter_analysis.findings.schema import (
    AUDIT_TYPES,
    FIRM_TYPES,
    OUTCOMES,
    SEVERITIES,
    STATUSES,
)
from arbiter_analysis.text2sql.meaning import Condition, Entity, Expr, column

_SYNONYMS: tuple[tuple[str, str], ...] = (
    (r"[\u2018\u2019`]", "'"),
    (r"[\u2010-\u2015]", "-"),
    (r"\bfor-cause\b", "for cause"),
    (
        r"\b(?:breach|deficienc(?:y|ie)|violation|infraction|non-compliance issue)(e?s)?\b",
        "finding",
    ),
    (r"\bfinding(s)?\b", "finding"),
    (r"\b(?:inspection|examination|review|exam)(s)?\b", "audit"),
    (r"\bcrypto(?:currency)? (?:firm|compan(?:y|ie)|business(?:e)?)s?\b", "virtual asset firms"),
    (r"\bvasps?\b", "virtual asset firms"),
    (r"\bpayments? (?:firm|compan(?:y|ie)|provider|institution)s?\b", "payment service providers"),
    (r"\b(?:monetary|financial) penalt(?:y|ies)\b|\bfines?\b|\bpenalt(?:y|ies)\b", "penalty"),
    (r"\b(?:fined|penali[sz]ed)\b", "penalised"),
    (r"\blicense\b", "licence"),
    (r"\bauthorized\b", "authorised"),
    (r"\b(?:kick(?:ed)? off|kicked-off|launched|opened|began|begun|commenced)\b", "started"),
    (r"\b(?:raised|found|recorded|detected|logged)\b", "identified"),
    (r"\bfix(?:ed)?\b", "remediated"),
)
"""Applied in order to the lower-cased question; plurals fold into one form per noun so
that later patterns need one spelling ("finding", "audit", "penalty")."""


def normalise(question: str) -> str:
    text = " ".join(question.lower().split())
    for pattern, replacement in _SYNONYMS:
        text = re.sub(pattern, replacement, text)
    return text


def _cond(table: str, name: str, value: str) -> Condition:
    col = column(table, name)
    return Condition(f"{col.sql} = '{value}'", col.tables, f"{col.label} is {value}")


PENALTY_OUTCOME = "financial penalty"
FINDING = Entity("finding", "findings", "finding_id", "identified_on", "findings")
AUDIT = Entity("audit", "audits", "audit_id", "started_on", "audits")
FIRM = Entity("firm", "firms", "firm_id", "authorised_on", "firms")
DISPOSITION = Entity("disposition", "dispositions", "finding_id", "decided_on", "dispositions")
PENALTY = Entity(
    "penalty",
    "dispositions",
    "finding_id",
    "decided_on",
    "financial penalties",
    _cond("dispositions", "outcome", PENALTY_OUTCOME),
)

ENTITY_NOUNS: tuple[tuple[str, Entity], ...] = (
    (r"\bfindings?\b", FINDING),
    (r"\baudits?\b", AUDIT),
    (r"\b(?:firms?|compan(?:y|ies)|institutions?|entit(?:y|ies))\b", FIRM),
    (r"\b(?:dispositions?|decisions|enforcement actions?|sanctions)\b", DISPOSITION),
    (r"\bpenalty\b|\bpenalised\b", PENALTY),
)
"""Nouns (after `normalise`) and the entity each names."""


@dataclass(frozen=True)
class ValuePhrase:
    """A phrase that names an enumerated value, and the entity its column belongs to."""

    pattern: str
    condition: Condition
    entity: Entity
    is_noun: bool = False
    """Whether the phrase names rows by itself ("banks", "warnings"), not only a filter."""


def _plural(value: str) -> str:
    return value[:-1] + "ies" if value.endswith("y") else value + "s"


def _value_phrases() -> tuple[ValuePhrase, ...]:
    phrases: list[ValuePhrase] = []
    for firm_type in FIRM_TYPES:
        cond = _cond("firms", "firm_type", firm_type)
        words = re.escape(firm_type)
        phrases.append(ValuePhrase(rf"\b{words}(?:s|es)?\b", cond, FIRM, is_noun=True))
    for audit_type in AUDIT_TYPES:
        phrases.append(
            ValuePhrase(rf"\b{audit_type}\b", _cond("audits", "audit_type", audit_type), AUDIT)
        )
    for severity in SEVERITIES:
        cond = _cond("findings", "severity", severity)
        phrases.append(ValuePhrase(rf"\b{severity}(?:[- ]severity)?\b(?! for\b)", cond, FINDING))
    for status in STATUSES:
        if status == "remediated":
            continue  # "remediated" means a remediation date, see `remediation_phrases`
        phrases.append(ValuePhrase(rf"\b{status}\b", _cond("findings", "status", status), FINDING))
    for outcome in OUTCOMES:
        if outcome == PENALTY_OUTCOME:
            continue  # the PENALTY entity covers fines
        words = re.escape(outcome).replace(r"\ ", r"[\s-]")
        cond = _cond("dispositions", "outcome", outcome)
        phrases.append(ValuePhrase(rf"\b{words}(?:s)?\b", cond, DISPOSITION, is_noun=True))
    return tuple(phrases)


VALUE_PHRASES = _value_phrases()

AUDIT_OPEN = Condition("a.closed_on IS NULL", frozenset({"audits"}), "the audit is still open")
AUDIT_CLOSED = Condition("a.closed_on IS NOT NULL", frozenset({"audits"}), "the audit is closed")
REMEDIATED = Condition(
    "f.remediated_on IS NOT NULL", frozenset({"findings"}), "the finding has a remediation date"
)
NOT_REMEDIATED = Condition(
    "f.remediated_on IS NULL", frozenset({"findings"}), "the finding has no remediation date"
)


def rulebook_condition(name: str) -> Condition:
    col = column("findings", "rulebook")
    return Condition(f"{col.sql} = '{name}'", col.tables, f"rulebook is {name}")


GROUP_NOUNS: tuple[tuple[str, Expr], ...] = (
    (r"firm[- ]?types?|types? of firms?|kinds? of firms?", column("firms", "firm_type")),
    (r"audit[- ]?types?|types? of audits?|kinds? of audits?", column("audits", "audit_type")),
    (r"rulebooks?", column("findings", "rulebook")),
    (r"severit(?:y|ies)|severity levels?", column("findings", "severity")),
    (r"status(?:es)?", column("findings", "status")),
    (r"outcomes?|disposition outcomes?", column("dispositions", "outcome")),
)
"""Grouping keys that are one column (dates, firms, audits and rule references are the
parser's, since they depend on the entity)."""

OUTPUT_NOUNS: tuple[tuple[str, Expr], ...] = (
    (r"finding ids?", column("findings", "finding_id")),
    (r"audit ids?", column("audits", "audit_id")),
    (r"firm ids?", column("firms", "firm_id")),
    (r"(?:firm )?names?", column("firms", "name")),
    (
        r"decision dates?|dates? of (?:the )?decision|decided on",
        column("dispositions", "decided_on"),
    ),
    (
        r"authorisation dates?|dates? of authorisation|authorised on",
        column("firms", "authorised_on"),
    ),
    (r"start(?:ed)? dates?|dates? started|started on", column("audits", "started_on")),
    (r"clos(?:e|ed|ing) dates?|closed on", column("audits", "closed_on")),
    (r"identification dates?|dates? identified|identified on", column("findings", "identified_on")),
    (r"remediation dates?|remediated on", column("findings", "remediated_on")),
    (
        r"(?:penalty )?amounts?|penalty in usd|penalty amounts?",
        column("dispositions", "penalty_usd"),
    ),
    (r"rule ref(?:erence)?s?", column("findings", "rule_ref")),
    (r"passage ids?", column("findings", "passage_id")),
    (r"summar(?:y|ies)", column("findings", "summary")),
    *GROUP_NOUNS,
)
"""Columns a list question can ask for by name."""

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "twenty": 20, "a": 1, "an": 1,
}  # fmt: skip
NUMBER = r"(\d+|" + "|".join(k for k in NUMBER_WORDS if len(k) > 2) + ")"


def number_value(text: str) -> int:
    return int(text) if text.isdigit() else NUMBER_WORDS[text]

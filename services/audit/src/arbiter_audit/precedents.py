"""Precedents: earlier findings (passages of documents of type `finding`, the audit reports
`arbiter findings reports` writes) read for what the trial needs — the rules each cites,
how it ended and any penalty — and the ones under a given rule."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from arbiter.common.v1 import common_pb2

OUTCOMES: tuple[tuple[str, common_pb2.OutcomeKind], ...] = (
    ("no further action", common_pb2.OUTCOME_KIND_NO_ACTION),
    ("warning", common_pb2.OUTCOME_KIND_WARNING),
    ("remediation order", common_pb2.OUTCOME_KIND_REMEDIATION_ORDER),
    ("financial penalty", common_pb2.OUTCOME_KIND_FINANCIAL_PENALTY),
    ("licence restriction", common_pb2.OUTCOME_KIND_LICENCE_RESTRICTION),
)
"""The findings database's outcomes, lightest first, and the contract's kind of each."""
SEVERITY = {name: rank for rank, (name, _) in enumerate(OUTCOMES)}
KIND = dict(OUTCOMES)

_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_OUTCOME = re.compile(
    r"\boutcome\b[^\n]{0,40}?\b(" + "|".join(re.escape(n) for n, _ in OUTCOMES) + r")\b",
    re.IGNORECASE,
)
_PENALTY = re.compile(r"\bpenalty\b[^\n]{0,40}?\b(USD|AED)\s?([0-9][0-9,]*(?:\.[0-9]+)?)", re.I)
_RULE_CITED = re.compile(r"^[-*\s]*Rule cited:\s*(.+?)(?:,\s*passage\b.*)?$", re.M | re.I)
"""A report's line naming the rule it cites ("Rule cited: PRU 3.10.3.(2), passage <uuid>")."""
_FINDING_ID = re.compile(r"\bFD\d{3,}\b")
"""A finding's id as `arbiter findings reports` writes it (its document id too)."""


@dataclass(frozen=True)
class Precedent:
    """An earlier finding, as the trial uses it."""

    passage: common_pb2.Passage
    finding_id: str
    outcome: str
    """One of OUTCOMES' names; empty when the report does not say."""
    penalty: float
    currency: str
    rule_ids: frozenset[str]
    """The corpus passage ids (UUIDs) it cites."""
    rule_refs: tuple[str, ...] = ()
    """The references of the rules it cites, as the report writes them ("PRU 3.10.3.(2)")."""

    @property
    def severity(self) -> int:
        return SEVERITY.get(self.outcome, -1)


def read_precedent(passage: common_pb2.Passage) -> Precedent:
    text = passage.text
    outcome = _OUTCOME.search(text)
    penalty = _PENALTY.search(text)
    finding = _FINDING_ID.search(passage.document_id) or _FINDING_ID.search(passage.title)
    return Precedent(
        passage=passage,
        finding_id=finding.group(0) if finding else passage.document_id or passage.source_id,
        outcome=outcome.group(1).lower() if outcome else "",
        penalty=float(penalty.group(2).replace(",", "")) if penalty else 0.0,
        currency=penalty.group(1).upper() if penalty else "",
        rule_ids=frozenset(_UUID.findall(text)),
        rule_refs=tuple(dict.fromkeys(m.strip() for m in _RULE_CITED.findall(text))),
    )


def cites(precedent: Precedent, rule: common_pb2.Passage) -> bool:
    """Whether a finding's text cites `rule`: by its passage id, or by its reference as a
    report writes it ("COBS 19.22.1.(2)"), which is all a chunk quoting the rule may hold."""
    if rule.source_id and rule.source_id in precedent.rule_ids:
        return True
    reference = f"{rule.rulebook} {rule.passage_ref}".strip()
    return bool(rule.passage_ref) and reference in precedent.passage.text


def under(rule: common_pb2.Passage, precedents: Sequence[Precedent]) -> list[Precedent]:
    """The findings citing `rule`, one per finding (its chunks merged), in the order first
    found."""
    return merged([p for p in precedents if cites(p, rule)])


def merged(precedents: Iterable[Precedent]) -> list[Precedent]:
    """One precedent per finding: a report's chunks each hold part of it (the facts with
    the outcome and penalty, the rule's words), so what any chunk says is kept."""
    by_finding: dict[str, Precedent] = {}
    for p in precedents:
        known = by_finding.get(p.finding_id)
        if known is None:
            by_finding[p.finding_id] = p
            continue
        by_finding[p.finding_id] = Precedent(
            passage=known.passage if known.outcome or not p.outcome else p.passage,
            finding_id=known.finding_id,
            outcome=known.outcome or p.outcome,
            penalty=max(known.penalty, p.penalty),
            currency=known.currency or p.currency,
            rule_ids=known.rule_ids | p.rule_ids,
            rule_refs=tuple(dict.fromkeys(known.rule_refs + p.rule_refs)),
        )
    return list(by_finding.values())


def outcome_counts(precedents: Sequence[Precedent]) -> Counter[str]:
    return Counter(p.outcome for p in precedents if p.outcome)

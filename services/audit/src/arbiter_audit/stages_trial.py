"""The trial's turns with a model (`audit_defense.*`, `audit_prosecution.*`,
`audit_judge.*`): the rules assessed and the precedents go in as numbered documents, the
SOP's findings as values; a turn cites documents by index and a recommendation names
precedents by finding id, and both must exist."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from arbiter.common.v1 import common_pb2
from arbiter_llm import JSON, Document, TaskInput

from arbiter_audit.assessment import Disposition
from arbiter_audit.model import Applicability
from arbiter_audit.stages_common import (
    Exchange,
    document_of,
    id_problems,
    index_problems,
    render_facts,
)
from arbiter_audit.trial import Case, Judgement, Outcome, Role, Turn

PENALTY = "financial penalty"
"""The one outcome that carries a penalty range (see precedents.OUTCOMES)."""


@dataclass(frozen=True)
class Record:
    """What every turn is shown: the case's documents (rules, then precedents) and the
    SOP's findings in words."""

    documents: tuple[Document, ...]
    source_ids: tuple[str, ...]
    """The source passage id of each document, by position (index - 1)."""
    values: dict[str, str]

    def cited(self, indexes: Sequence[int]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.source_ids[i - 1] for i in indexes))

    def indexes(self, source_ids: Sequence[str]) -> list[int]:
        wanted = list(dict.fromkeys(source_ids))
        return [self.source_ids.index(s) + 1 for s in wanted if s in self.source_ids]

    def data(self, **turns: str) -> TaskInput:
        return TaskInput(values={**self.values, **turns}, documents=self.documents)


def record_of(case: Case) -> Record:
    passages: list[tuple[common_pb2.Passage, str]] = []
    rules = [a for a in (case.rule, *case.assessments) if a is not None]
    passages += [(a.rule.passage, a.rule.reference) for a in rules]
    passages += [(p.passage, f"finding {p.finding_id}") for p in case.precedents]
    first: dict[str, tuple[common_pb2.Passage, str]] = {}
    for passage, reference in passages:
        first.setdefault(passage.source_id, (passage, reference))
    unique = list(first.values())
    documents = tuple(document_of(n, p, ref) for n, (p, ref) in enumerate(unique, 1))
    source_ids = tuple(p.source_id for p, _ in unique)
    number = {s: n for n, s in enumerate(source_ids, 1)}
    return Record(
        documents=documents,
        source_ids=source_ids,
        values={
            "situation": case.situation,
            "facts": render_facts(case.facts),
            "sop": _sop(case, number),
            "assessments": _assessments(case, number),
            "precedents": _precedents(case, number),
        },
    )


def _sop(case: Case, number: dict[str, int]) -> str:
    decision = case.decision
    text = f"{decision.disposition} (confidence {decision.confidence:.2f}): {decision.reason}"
    if decision.deciding is not None:
        rule = decision.deciding.rule
        text += f"\nDeciding rule: [{number[rule.passage.source_id]}] {rule.reference}"
    if decision.missing:
        text += "\nMissing: " + "; ".join(decision.missing)
    return text


def _assessments(case: Case, number: dict[str, int]) -> str:
    lines = []
    for a in case.assessments:
        line = f"[{number[a.rule.passage.source_id]}] {a.rule.reference}: "
        line += f"{a.applies.applicability.value} ({a.applies.reason})"
        deciding = a.deciding
        if deciding is not None and a.applies.applicability is not Applicability.DOES_NOT_APPLY:
            line += f"; {deciding.condition.describe()}: {a.compliance.value}"
            line += f" ({deciding.check.reason})"
            if deciding.condition.exceptions:
                line += "; exceptions: " + "; ".join(deciding.condition.exceptions)
        lines.append(line)
    return "\n".join(lines) or "(no rule was assessed)"


def _precedents(case: Case, number: dict[str, int]) -> str:
    lines = []
    for p in case.precedents:
        penalty = f", penalty {p.currency} {p.penalty:,.0f}" if p.penalty else ""
        lines.append(f"[{number[p.passage.source_id]}] {p.finding_id}: {p.outcome or '?'}{penalty}")
    return "\n".join(lines) or "(no precedent was found)"


def turn_exchange(record: Record, role: Role, **turns: str) -> Exchange[Turn]:
    """A defence or prosecution turn; `turns` are the earlier turns' words by name."""

    def problems(output: JSON) -> list[str]:
        return index_problems("citations", output["citations"], len(record.documents))

    def read(output: JSON) -> Turn:
        return Turn(role, tuple(output["arguments"]), record.cited(output["citations"]))

    return Exchange(
        data=record.data(**turns),
        to_json=lambda turn: _turn_json(record, turn),
        problems=problems,
        read=read,
    )


def _turn_json(record: Record, turn: Turn) -> JSON:
    return {"arguments": list(turn.arguments), "citations": record.indexes(turn.citations)}


def judge_exchange(
    case: Case, record: Record, defense: Turn, prosecution: Turn
) -> Exchange[Judgement]:
    findings = frozenset(p.finding_id for p in case.precedents)
    sop = case.decision.disposition

    def to_json(judgement: Judgement) -> JSON:
        return {
            **_turn_json(record, judgement.turn),
            "upheld": judgement.turn.upheld,
            "disposition": judgement.disposition,
            "outcome": _outcome_json(judgement.outcome),
            "missing": list(judgement.missing),
        }

    def problems(output: JSON) -> list[str]:
        found = index_problems("citations", output["citations"], len(record.documents))
        disposition, outcome = output["disposition"], output.get("outcome")
        if output["upheld"] != (disposition == sop):
            found.append(f"upheld: the SOP found {sop} and the judge {disposition}")
        if (outcome is not None) != (disposition == Disposition.BREACH):
            found.append("outcome: recommended for a breach, and only for a breach")
        overturned_for_want = (
            disposition == Disposition.INSUFFICIENT_INFORMATION and not output["upheld"]
        )
        if overturned_for_want and not [m for m in output.get("missing", []) if m.strip()]:
            found.append("missing: overturned for want of a fact, which it must name")
        if outcome is not None:
            found += _outcome_problems(outcome, findings)
        return found

    def read(output: JSON) -> Judgement:
        turn = Turn(
            Role.JUDGE,
            tuple(output["arguments"]),
            record.cited(output["citations"]),
            upheld=output["upheld"],
        )
        outcome = output.get("outcome")
        return Judgement(
            turn=turn,
            disposition=output["disposition"],
            outcome=None if outcome is None else _outcome(outcome),
            missing=tuple(m for m in output.get("missing", []) if m.strip()),
        )

    return Exchange(
        data=record.data(defense=defense.text, prosecution=prosecution.text),
        to_json=to_json,
        problems=problems,
        read=read,
    )


def _outcome_problems(outcome: JSON, findings: frozenset[str]) -> list[str]:
    found = id_problems("outcome/precedent_ids", outcome["precedent_ids"], findings, "precedent")
    low, high = outcome.get("penalty_low", 0.0), outcome.get("penalty_high", 0.0)
    if low > high:
        found.append("outcome: penalty_low is above penalty_high")
    if high > 0 and outcome["kind"] != PENALTY:
        found.append(f"outcome: only a {PENALTY} has a penalty range")
    if high > 0 and not outcome.get("currency"):
        found.append("outcome/currency: a penalty range needs its currency")
    return found


def _outcome_json(outcome: Outcome | None) -> JSON | None:
    if outcome is None:
        return None
    return {
        "kind": outcome.kind,
        "reason": outcome.reason,
        "penalty_low": outcome.penalty_low,
        "penalty_high": outcome.penalty_high,
        "currency": outcome.currency,
        "precedent_ids": list(outcome.precedent_ids),
    }


def _outcome(item: JSON) -> Outcome:
    return Outcome(
        kind=item["kind"],
        reason=item["reason"],
        penalty_low=float(item.get("penalty_low", 0.0)),
        penalty_high=float(item.get("penalty_high", 0.0)),
        currency=item.get("currency", ""),
        precedent_ids=tuple(item["precedent_ids"]),
    )

"""The verdict as the contract carries it: the SOP's facts, rule assessments and
disposition, the trial's turns and recommendation, the precedents, and a summary whose
citations are numbered 1, 2, 3... in order of first use (rules first, as the summary
names them, then what only the trial or the assessments cite)."""

from __future__ import annotations

from collections.abc import Sequence

from arbiter.common.v1 import common_pb2

from arbiter_audit.assessment import Assessment, Decision, Disposition
from arbiter_audit.model import Applicability, Compliance, Fact, FactKind
from arbiter_audit.precedents import KIND, Precedent
from arbiter_audit.trial import Judgement, Role, Turn

QUOTE_CHARS = 2000
"""Most characters of a passage a citation quotes (the answer that explains the verdict
is written from these quotes)."""
DISPOSITIONS = {
    Disposition.COMPLIANT: common_pb2.DISPOSITION_COMPLIANT,
    Disposition.BREACH: common_pb2.DISPOSITION_BREACH,
    Disposition.INSUFFICIENT_INFORMATION: common_pb2.DISPOSITION_INSUFFICIENT_INFORMATION,
}
APPLICABILITY = {
    Applicability.APPLIES: common_pb2.APPLICABILITY_APPLIES,
    Applicability.DOES_NOT_APPLY: common_pb2.APPLICABILITY_DOES_NOT_APPLY,
    Applicability.CANNOT_TELL: common_pb2.APPLICABILITY_CANNOT_TELL,
}
COMPLIANCE = {
    Compliance.MET: common_pb2.COMPLIANCE_MET,
    Compliance.NOT_MET: common_pb2.COMPLIANCE_NOT_MET,
    Compliance.CANNOT_TELL: common_pb2.COMPLIANCE_CANNOT_TELL,
}
FACT_KINDS = {
    FactKind.EVENT: common_pb2.FACT_KIND_EVENT,
    FactKind.DURATION: common_pb2.FACT_KIND_DURATION,
    FactKind.AMOUNT: common_pb2.FACT_KIND_AMOUNT,
    FactKind.PROPORTION: common_pb2.FACT_KIND_PROPORTION,
    FactKind.ACTION: common_pb2.FACT_KIND_ACTION,
    FactKind.PARTY: common_pb2.FACT_KIND_PARTY,
    FactKind.UNKNOWN: common_pb2.FACT_KIND_UNKNOWN,
}
ROLES = {
    Role.DEFENSE: common_pb2.TRIAL_ROLE_DEFENSE,
    Role.PROSECUTION: common_pb2.TRIAL_ROLE_PROSECUTION,
    Role.JUDGE: common_pb2.TRIAL_ROLE_JUDGE,
}


class Citations:
    """Citation numbers handed out in order of first use, one per source passage."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}
        self.cited: list[common_pb2.Citation] = []

    def cite(self, passage: common_pb2.Passage) -> int:
        key = passage.source_id or passage.id
        if key not in self._numbers:
            self._numbers[key] = len(self.cited) + 1
            self.cited.append(
                common_pb2.Citation(
                    index=self._numbers[key],
                    source_id=passage.source_id,
                    passage_ref=passage.passage_ref,
                    rulebook=passage.rulebook,
                    title=passage.title,
                    quote=passage.text[:QUOTE_CHARS],
                )
            )
        return self._numbers[key]

    def number_of(self, source_id: str) -> int | None:
        return self._numbers.get(source_id)


def summary(decision: Decision, citations: Citations, judgement: Judgement | None) -> str:
    """The disposition in a few sentences, citing the rule it rests on."""
    name = (judgement.disposition if judgement else decision.disposition).replace("_", " ")
    text = f"{name.capitalize()}."
    deciding = decision.deciding
    if deciding is not None:
        n = citations.cite(deciding.rule.passage)
        text += f" {deciding.rule.reference} [{n}]: {decision.reason}."
    else:
        text += f" {decision.reason[:1].upper()}{decision.reason[1:]}."
    missing = judgement.missing if judgement and judgement.missing else decision.missing
    if missing and (judgement is None or judgement.disposition != Disposition.BREACH):
        text += " It would be decided by: " + "; ".join(missing) + "."
    if judgement is not None:
        verdict = "upheld" if judgement.turn.upheld else "overturned"
        text += f" The trial {verdict} it"
        if judgement.outcome is not None:
            text += f" and recommends {judgement.outcome.kind}"
        text += "."
    return text.replace("..", ".")


def verdict(
    *,
    facts: Sequence[Fact],
    decision: Decision,
    assessments: Sequence[Assessment],
    precedents: Sequence[Precedent],
    turns: Sequence[Turn],
    judgement: Judgement | None,
    passages_by_source: dict[str, common_pb2.Passage],
) -> common_pb2.Verdict:
    citations = Citations()
    text = summary(decision, citations, judgement)
    rules = [_assessment(a, citations) for a in assessments]
    trial = [_turn(t, citations, passages_by_source) for t in turns]
    shown = [_precedent(p, citations) for p in precedents]
    final = judgement.disposition if judgement else decision.disposition
    missing = judgement.missing if judgement and judgement.missing else decision.missing
    return common_pb2.Verdict(
        disposition=DISPOSITIONS[final],
        sop_disposition=DISPOSITIONS[decision.disposition],
        summary=text,
        confidence=decision.confidence,
        citations=citations.cited,
        facts=[_fact(f) for f in facts],
        assessments=rules,
        missing_facts=list(missing) if final == Disposition.INSUFFICIENT_INFORMATION else [],
        trial=trial,
        recommended_outcome=_outcome(judgement),
        precedents=shown,
    )


def _fact(fact: Fact) -> common_pb2.Fact:
    return common_pb2.Fact(
        id=fact.id,
        kind=FACT_KINDS[fact.kind],
        text=fact.text,
        span=common_pb2.TextSpan(start=fact.span.start, end=fact.span.end),
        value=fact.value,
        negated=fact.negated,
    )


def _assessment(a: Assessment, citations: Citations) -> common_pb2.RuleAssessment:
    rule = common_pb2.RuleAssessment(
        rule=citations.cited[citations.cite(a.rule.passage) - 1],
        applicability=APPLICABILITY[a.applies.applicability],
        applicability_reason=a.applies.reason,
    )
    deciding = a.deciding
    if deciding is not None:
        rule.template = deciding.condition.template.value
        rule.condition = deciding.condition.describe()
        rule.compliance_reason = deciding.check.reason
        rule.fact_ids.extend(deciding.check.fact_ids)
    if a.applies.applicability is not Applicability.DOES_NOT_APPLY:
        rule.compliance = COMPLIANCE[a.compliance]
    return rule


def _turn(
    turn: Turn, citations: Citations, passages: dict[str, common_pb2.Passage]
) -> common_pb2.TrialTurn:
    indexes = [citations.cite(passages[s]) for s in turn.citations if s in passages]
    return common_pb2.TrialTurn(
        role=ROLES[turn.role],
        text=turn.text,
        arguments=list(turn.arguments),
        citation_indexes=indexes,
        upheld=turn.upheld,
    )


def _precedent(p: Precedent, citations: Citations) -> common_pb2.Precedent:
    return common_pb2.Precedent(
        finding_id=p.finding_id,
        title=p.passage.title,
        outcome=p.outcome,
        rule_refs=list(p.rule_refs),
        citation_index=citations.cite(p.passage),
        penalty_amount=p.penalty,
        currency=p.currency,
    )


def _outcome(judgement: Judgement | None) -> common_pb2.RecommendedOutcome | None:
    if judgement is None or judgement.outcome is None:
        return None
    o = judgement.outcome
    return common_pb2.RecommendedOutcome(
        kind=KIND.get(o.kind, common_pb2.OUTCOME_KIND_UNSPECIFIED),
        reason=o.reason,
        penalty_low=o.penalty_low,
        penalty_high=o.penalty_high,
        currency=o.currency,
        precedent_ids=list(o.precedent_ids),
    )

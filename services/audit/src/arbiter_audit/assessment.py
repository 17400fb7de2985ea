"""SOP stage 3, the compliance check: per rule found, whether it applies to this firm and
situation, and whether the facts meet each condition it sets; then, over the rules, the
disposition (stage 4) with its confidence and, when the facts do not decide it, the
missing facts that would."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from arbiter_audit.applicability import applicability
from arbiter_audit.applicability_only import limited, only_rule
from arbiter_audit.matching import Candidate
from arbiter_audit.model import (
    Applicability,
    Applies,
    Check,
    Compliance,
    Condition,
    Fact,
    FactKind,
)
from arbiter_audit.reading import check


@dataclass(frozen=True)
class ConditionCheck:
    condition: Condition
    check: Check

    @property
    def engaged(self) -> bool:
        """Whether the situation speaks of this condition at all (a fact decided it, or
        one of the facts it needs is there)."""
        return bool(self.check.fact_ids)


@dataclass(frozen=True)
class Assessment:
    """One rule against the situation."""

    rule: Candidate
    applies: Applies
    checks: tuple[ConditionCheck, ...]

    @property
    def compliance(self) -> Compliance:
        """NOT_MET when a condition is not met; CANNOT_TELL when a condition the
        situation speaks of cannot be decided; MET when one is met; otherwise (the
        situation speaks of none of its conditions) CANNOT_TELL."""
        engaged = [c.check.compliance for c in self.checks if c.engaged]
        if Compliance.NOT_MET in engaged:
            return Compliance.NOT_MET
        if Compliance.CANNOT_TELL in engaged or not engaged:
            return Compliance.CANNOT_TELL
        return Compliance.MET

    @property
    def deciding(self) -> ConditionCheck | None:
        """The condition check the rule's compliance rests on."""
        wanted = self.compliance
        for c in self.checks:
            if c.engaged and c.check.compliance is wanted:
                return c
        return self.checks[0] if self.checks else None

    @property
    def decided(self) -> bool:
        """Whether this rule settles the matter one way or the other."""
        return (
            self.applies.applicability is not Applicability.DOES_NOT_APPLY
            and self.compliance is not Compliance.CANNOT_TELL
        )

    def missing(self) -> list[str]:
        """What would decide this rule: the applicability's missing fact, then the
        deciding condition's."""
        found = [self.applies.missing] if self.applies.missing else []
        deciding = self.deciding
        if deciding is not None and deciding.check.missing:
            found.append(deciding.check.missing)
        return found


def applies_to(
    rule: Candidate, facts: Sequence[Fact], *, among: Sequence[Candidate] = ()
) -> Applies:
    """Whether `rule` governs this firm and situation (regulation matching's verdict):
    an application rule found `among` the candidates ("Only this Rule and Rules 12.2 ...
    apply to a Qualified Investor Fund") that leaves it out decides first; otherwise its
    own scope does."""
    passage = rule.passage
    for other in among:
        same_book = other is not rule and other.passage.rulebook == passage.rulebook
        if same_book and only_rule(other.passage.text) is not None:
            limit = limited(other.passage.text, passage.passage_ref, facts)
            if limit is not None:
                return limit
    return applicability(passage.text, facts, rulebook=passage.rulebook, title=passage.title)


def spoken_of(
    pool: Sequence[Candidate], facts: Sequence[Fact], *, among: Sequence[Candidate] = ()
) -> list[Assessment]:
    """The rules of `pool` assessed, those whose conditions the facts speak of first (a
    fact decides a condition, or is one the check needs), each group in its retrieval
    order: a rule found by words alone, whose conditions nothing in the situation bears
    on, is the weaker match."""
    assessed = [assess(rule, applies_to(rule, facts, among=among), facts) for rule in pool]
    return sorted(assessed, key=lambda a: not any(c.engaged for c in a.checks))


def assess(rule: Candidate, applies: Applies, facts: Sequence[Fact]) -> Assessment:
    """Each condition `rule` sets, checked against the facts."""
    checks = tuple(ConditionCheck(c, check(c, facts)) for c in rule.conditions)
    return Assessment(rule=rule, applies=applies, checks=checks)


class Disposition:
    COMPLIANT = "COMPLIANT"
    BREACH = "BREACH"
    INSUFFICIENT_INFORMATION = "INSUFFICIENT_INFORMATION"


@dataclass(frozen=True)
class Decision:
    """The SOP's disposition and what it rests on."""

    disposition: str
    confidence: float
    reason: str
    deciding: Assessment | None
    missing: tuple[str, ...] = ()


def decide(assessments: Sequence[Assessment], facts: Sequence[Fact]) -> Decision:
    """The disposition over the rules assessed, best matched first.

    The best-matched rule the situation speaks of decides: not met where it applies is a
    BREACH; met where it applies is COMPLIANT, unless another rule that applies is not
    met. A rule that may not apply (the scope turns on a fact not given) or a condition
    that cannot be checked makes it INSUFFICIENT_INFORMATION, naming what would decide
    it. It never guesses: no rule with a readable condition means no disposition but
    INSUFFICIENT_INFORMATION.
    """
    if not assessments:
        return Decision(
            Disposition.INSUFFICIENT_INFORMATION,
            0.3,
            "no rule with a condition the offline templates can read was found for this situation",
            None,
            ("the rule that governs the situation",),
        )
    applicable = [
        a for a in assessments if a.applies.applicability is not Applicability.DOES_NOT_APPLY
    ]
    if not applicable:
        first = assessments[0]
        return Decision(
            Disposition.COMPLIANT,
            0.55,
            f"the rules found do not apply: {first.applies.reason}",
            first,
        )
    breached = [
        a
        for a in applicable
        if a.compliance is Compliance.NOT_MET and a.applies.applicability is Applicability.APPLIES
    ]
    spoken_of = [a for a in applicable if any(c.engaged for c in a.checks)]
    lead = (spoken_of or applicable)[0]
    doubtful = [
        a
        for a in applicable
        if a.compliance is Compliance.NOT_MET
        and a.applies.applicability is Applicability.CANNOT_TELL
    ]
    if breached and breached[0] is lead:
        return Decision(Disposition.BREACH, 0.8, _because(lead), lead)
    if breached:
        # A lesser-matched rule not met while the best-matched one is not: the rules found
        # disagree, and a false accusation is the worst error.
        other = breached[0]
        return Decision(
            Disposition.INSUFFICIENT_INFORMATION,
            0.5,
            f"{other.rule.reference} is not met ({_because(other)}), but the rule that best "
            f"matches the situation, {lead.rule.reference}, is not found broken",
            other,
            (f"whether {other.rule.reference} governs this situation",),
        )
    if doubtful:
        # A rule not met whose scope turns on a fact not given outweighs one that is met:
        # the missing fact decides the case.
        first = doubtful[0]
        return Decision(
            Disposition.INSUFFICIENT_INFORMATION,
            0.6,
            _cannot_tell(first),
            first,
            tuple(dict.fromkeys(first.missing())),
        )
    if lead.compliance is Compliance.MET and lead.applies.applicability is Applicability.APPLIES:
        return Decision(Disposition.COMPLIANT, 0.75, _because(lead), lead)
    unknown = [f.topic for f in facts if f.kind is FactKind.UNKNOWN and f.topic]
    missing = tuple(dict.fromkeys(lead.missing() or unknown or ["the fact the rule turns on"]))
    return Decision(Disposition.INSUFFICIENT_INFORMATION, 0.6, _cannot_tell(lead), lead, missing)


def _because(assessment: Assessment) -> str:
    deciding = assessment.deciding
    return deciding.check.reason if deciding is not None else assessment.applies.reason


def _cannot_tell(assessment: Assessment) -> str:
    if assessment.applies.applicability is Applicability.CANNOT_TELL:
        return f"whether the rule applies cannot be told: {assessment.applies.reason}"
    return _because(assessment)

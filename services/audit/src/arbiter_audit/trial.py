"""The adversarial trial, offline: the strongest template-based arguments on each side,
then a judge who upholds or overturns the SOP's disposition and recommends an outcome
grounded in the precedents. Each role is a function of the case and the turns before it,
so a model can stand in for any one of them (see `tasks.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from arbiter_audit.assessment import Assessment, Decision, Disposition
from arbiter_audit.model import Applicability, Fact, FactKind
from arbiter_audit.precedents import OUTCOMES, SEVERITY, Precedent, outcome_counts, under
from arbiter_audit.topics import overlap

EXCEPTION_SHOWN = 0.5
"""Share of an exception's words the situation must name for it to count as shown."""
LIGHT = frozenset({"no further action", "warning"})
"""Outcomes the defence cites as lighter precedents."""


class Role(StrEnum):
    DEFENSE = "defense"
    PROSECUTION = "prosecution"
    JUDGE = "judge"


@dataclass(frozen=True)
class Turn:
    role: Role
    arguments: tuple[str, ...]
    citations: tuple[str, ...] = ()
    """Source ids of the rules and precedents the turn relies on."""
    upheld: bool = False
    """For the judge: whether the SOP's disposition stands."""

    @property
    def text(self) -> str:
        return " ".join(self.arguments)


@dataclass(frozen=True)
class Outcome:
    """The judge's recommendation."""

    kind: str
    """One of precedents.OUTCOMES' names."""
    reason: str
    penalty_low: float = 0.0
    penalty_high: float = 0.0
    currency: str = ""
    precedent_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Case:
    """What the trial works on."""

    situation: str
    facts: tuple[Fact, ...]
    decision: Decision
    assessments: tuple[Assessment, ...]
    precedents: tuple[Precedent, ...] = field(default=())

    @property
    def rule(self) -> Assessment | None:
        return self.decision.deciding

    def under_rule(self) -> list[Precedent]:
        rule = self.rule
        if rule is None:
            return []
        return under(rule.rule.passage, self.precedents)


@dataclass(frozen=True)
class Judgement:
    """The judge's turn, the disposition after the trial, and the recommendation."""

    turn: Turn
    disposition: str
    outcome: Outcome | None
    missing: tuple[str, ...] = ()


def defend(case: Case) -> Turn:
    """Exceptions the rule admits, doubts about whether it applies, what the firm did
    right, and precedents that ended lightly."""
    args: list[str] = []
    cites: list[str] = []
    rule = case.rule
    if rule is not None:
        cites.append(rule.rule.passage.source_id)
        deciding = rule.deciding
        for exception in deciding.condition.exceptions if deciding else ():
            shown = overlap(exception, case.situation) >= EXCEPTION_SHOWN
            args.append(
                f"{rule.rule.reference} admits an exception ({exception})"
                + ("; the situation speaks of it." if shown else "; the firm may rely on it.")
            )
        if rule.applies.applicability is not Applicability.APPLIES:
            args.append(
                f"It is not established that {rule.rule.reference} applies: {rule.applies.reason}."
            )
    for other in case.assessments:
        if other is not rule and other.applies.applicability is Applicability.CANNOT_TELL:
            args.append(f"Whether {other.rule.reference} applies is open: {other.applies.reason}.")
    duty = rule.deciding.condition.action if rule is not None and rule.deciding else ""
    done = [
        f
        for f in case.facts
        if f.kind is FactKind.ACTION and not f.negated and overlap(duty, f.topic or f.text) > 0
    ]
    for fact in done[:3]:
        args.append(f"In the firm's favour: {fact.text} ({fact.id}).")
    light = [p for p in case.under_rule() if p.outcome in LIGHT]
    if light:
        cites += [p.passage.source_id for p in light]
        args.append(
            f"{len(light)} earlier finding(s) under the same rule ended with a warning or "
            "no further action."
        )
    if not args:
        args.append(
            "The defence finds no exception, no doubt about the rule's scope and no "
            "mitigating fact in the situation as described."
        )
    return Turn(Role.DEFENSE, tuple(args), tuple(dict.fromkeys(cites)))


def prosecute(case: Case, defense: Turn) -> Turn:
    """The deciding fact as the situation states it, each exception the situation does
    not show, what else the firm failed to do, and precedents that ended in penalties."""
    del defense  # the rebuttal answers the rule's exceptions, which the case holds
    args: list[str] = []
    cites: list[str] = []
    rule = case.rule
    by_id = {f.id: f for f in case.facts}
    if rule is not None:
        cites.append(rule.rule.passage.source_id)
        deciding = rule.deciding
        if deciding is not None:
            stated = [by_id[i] for i in deciding.check.fact_ids if i in by_id]
            quoted = "; ".join(
                f'"{case.situation[f.span.start : f.span.end]}" ({f.id})' for f in stated
            )
            args.append(
                f"{rule.rule.reference}: {deciding.check.reason}"
                + (f". The situation states {quoted}." if quoted else ".")
            )
            for exception in deciding.condition.exceptions:
                if overlap(exception, case.situation) < EXCEPTION_SHOWN:
                    args.append(
                        f"Nothing in the situation shows that the exception applies ({exception})."
                    )
        decided = set(deciding.check.fact_ids) if deciding else set()
        for fact in case.facts:
            if fact.kind is FactKind.ACTION and fact.negated and fact.id not in decided:
                args.append(f"Aggravating: {fact.text} ({fact.id}).")
    heavy = [p for p in case.under_rule() if p.outcome not in LIGHT and p.outcome]
    if heavy:
        cites += [p.passage.source_id for p in heavy]
        ended = ", ".join(f"{n} ({k})" for k, n in outcome_counts(heavy).most_common())
        args.append(
            f"{len(heavy)} earlier finding(s) under the same rule ended in {ended}"
            f"{_penalties(heavy, 'up to')}."
        )
    return Turn(Role.PROSECUTION, tuple(args), tuple(dict.fromkeys(cites)))


def judge(case: Case, defense: Turn, prosecution: Turn) -> Judgement:
    """Upholds a breach the situation states, unless an exception the situation speaks
    of or an open question of scope stands against it (then: insufficient information,
    naming it); recommends the outcome most precedents under the rule reached."""
    del defense, prosecution  # the judge weighs the same case the arguments came from
    rule = case.rule
    sop = case.decision.disposition
    if rule is None or sop != Disposition.BREACH:
        turn = Turn(
            Role.JUDGE,
            (f"The SOP's disposition, {sop.lower().replace('_', ' ')}, stands.",),
            upheld=True,
        )
        return Judgement(turn, sop, None)
    deciding = rule.deciding
    shown = [
        e
        for e in (deciding.condition.exceptions if deciding else ())
        if overlap(e, case.situation) >= EXCEPTION_SHOWN
    ]
    if shown:
        reason = (
            f"the situation speaks of an exception the rule admits ({shown[0]}), which the "
            "SOP did not weigh"
        )
        turn = Turn(
            Role.JUDGE,
            (f"Overturned: {reason}; whether it holds decides the case.",),
            (rule.rule.passage.source_id,),
        )
        return Judgement(turn, Disposition.INSUFFICIENT_INFORMATION, None, (f"whether {shown[0]}",))
    outcome = recommend(case)
    upheld = f"Upheld: {rule.rule.reference} applies and is not met"
    if deciding is not None:
        upheld += f"; {deciding.check.reason}"
    args = (upheld + ".", f"Recommended: {outcome.kind}. {outcome.reason}")
    cites = (
        rule.rule.passage.source_id,
        *(p.passage.source_id for p in case.under_rule() if p.finding_id in outcome.precedent_ids),
    )
    return Judgement(Turn(Role.JUDGE, args, tuple(dict.fromkeys(cites)), upheld=True), sop, outcome)


def recommend(case: Case) -> Outcome:
    """The outcome most precedents under the rule reached (the lighter on a tie), with
    their penalty range; without precedents, a remediation order (or a warning when the
    firm has already acted), said to rest on no precedent."""
    precedents = case.under_rule()
    counts = outcome_counts(precedents)
    if counts:
        top = max(counts.values())
        kind = min((k for k, n in counts.items() if n == top), key=lambda k: SEVERITY[k])
        chosen = [p for p in precedents if p.outcome == kind]
        penalties = sorted(p.penalty for p in chosen if p.penalty > 0)
        reason = f"{counts[kind]} of {len(precedents)} earlier finding(s) under the same rule"
        return Outcome(
            kind,
            f"{reason} ended so{_penalties(chosen, 'of')}.",
            penalty_low=penalties[0] if penalties else 0.0,
            penalty_high=penalties[-1] if penalties else 0.0,
            currency=next((p.currency for p in chosen if p.currency), ""),
            precedent_ids=tuple(p.finding_id for p in chosen),
        )
    acted = any(f.kind is FactKind.ACTION and not f.negated for f in case.facts)
    kind = OUTCOMES[1][0] if acted else OUTCOMES[2][0]
    return Outcome(
        kind,
        "No precedent under this rule was found; "
        + (
            "the firm has acted since, so a warning."
            if acted
            else "the least measure that has the firm put it right."
        ),
    )


def hold(case: Case) -> tuple[list[Turn], Judgement]:
    """The whole trial offline, turn by turn."""
    defense = defend(case)
    prosecution = prosecute(case, defense)
    return [defense, prosecution], judge(case, defense, prosecution)


def wanted(setting: str, disposition: str) -> bool:
    """Whether the trial is held: `always`, `never`, or `on_breach`."""
    return setting == "always" or (setting == "on_breach" and disposition == Disposition.BREACH)


def _penalties(precedents: Sequence[Precedent], how: str) -> str:
    """ ", penalties up to USD 920,500" or ", penalties of USD 10,000 to 25,000"; empty
    when none was fined."""
    fined = sorted(p.penalty for p in precedents if p.penalty > 0)
    if not fined:
        return ""
    currency = next(p.currency for p in precedents if p.penalty > 0)
    if how == "up to" or fined[0] == fined[-1]:
        return f", penalties {how} {currency} {fined[-1]:,.0f}"
    return f", penalties of {currency} {fined[0]:,.0f} to {fined[-1]:,.0f}"

"""`arbiter ask` shows a verdict as a reader follows it: facts, rules and the check, the
trial as a transcript, then the disposition with what would decide it or the outcome."""

from __future__ import annotations

from arbiter.common.v1 import common_pb2 as c
from arbiter_cli.verdict_view import verdict_lines


def breach() -> c.Verdict:
    rule = c.Citation(index=1, rulebook="COBS", passage_ref="19.22.1.(2)", title="COBS")
    return c.Verdict(
        disposition=c.DISPOSITION_BREACH,
        sop_disposition=c.DISPOSITION_BREACH,
        confidence=0.8,
        citations=[rule],
        facts=[
            c.Fact(id="f1", kind=c.FACT_KIND_EVENT, text="complaint received on 1 June 2023"),
            c.Fact(id="f2", kind=c.FACT_KIND_EVENT, text="final response sent on 29 June 2023"),
        ],
        assessments=[
            c.RuleAssessment(
                rule=rule,
                applicability=c.APPLICABILITY_APPLIES,
                applicability_reason="a payment service provider",
                condition="deadline: resolve (15 day) from receipt",
                compliance=c.COMPLIANCE_NOT_MET,
                compliance_reason="28 days after receipt; the rule allows 15",
                fact_ids=["f1", "f2"],
            )
        ],
        trial=[
            c.TrialTurn(
                role=c.TRIAL_ROLE_DEFENSE, text="No exception applies.", citation_indexes=[1]
            ),
            c.TrialTurn(role=c.TRIAL_ROLE_PROSECUTION, text="The dates are stated."),
            c.TrialTurn(role=c.TRIAL_ROLE_JUDGE, text="Upheld.", upheld=True),
        ],
        recommended_outcome=c.RecommendedOutcome(
            kind=c.OUTCOME_KIND_FINANCIAL_PENALTY,
            reason="2 of 3 earlier findings ended so.",
            penalty_low=10_000,
            penalty_high=25_000,
            currency="USD",
        ),
    )


def test_a_breach_reads_facts_then_rules_then_the_trial_then_the_verdict() -> None:
    lines = verdict_lines(breach())
    text = "\n".join(lines)
    order = [text.index(h) for h in ("Facts:", "Rules and the check:", "Trial:", "Verdict:")]
    assert order == sorted(order)
    assert "  f2 final response sent on 29 June 2023" in lines
    assert "  [1] COBS 19.22.1.(2): applies (a payment service provider)" in lines
    assert "    not met: 28 days after receipt; the rule allows 15 [f1, f2]" in lines
    assert "  Defence: No exception applies. [1]" in lines
    assert "Verdict: BREACH (confidence 0.80)" in lines
    assert any("financial penalty, USD 10,000 to 25,000" in line for line in lines)


def test_insufficient_information_names_what_would_decide_it() -> None:
    verdict = c.Verdict(
        disposition=c.DISPOSITION_INSUFFICIENT_INFORMATION,
        missing_facts=["the firm's financial year-end date"],
    )
    lines = verdict_lines(verdict)
    assert lines[0].startswith("Verdict: INSUFFICIENT INFORMATION")
    assert "  would be decided by: the firm's financial year-end date" in lines


def test_an_overturned_disposition_says_so_and_no_verdict_shows_nothing() -> None:
    overturned = c.Verdict(
        disposition=c.DISPOSITION_INSUFFICIENT_INFORMATION,
        sop_disposition=c.DISPOSITION_BREACH,
    )
    assert "  (the SOP found breach; the trial overturned it)" in verdict_lines(overturned)
    assert verdict_lines(c.Verdict()) == []
    # A number no enum names (a newer server's) is shown, not a crash.
    odd = c.Verdict(disposition=c.DISPOSITION_BREACH, trial=[c.TrialTurn(role=9, text="?")])  # type: ignore[arg-type]
    assert "  Speaker: ?" in verdict_lines(odd)

"""The checks of duties to act, on the corpus's rule texts (looked up by UUID at test time)
against invented situations: approvals by the right party or refused, notices given or not
and conditional ones, roles held or never appointed, role holders at home or abroad (and
waivers), forbidden acts done or not and what may exempt them. Never NOT_MET without the
deciding fact."""

from __future__ import annotations

import dataclasses

import pytest
from arbiter_audit.checks.actions import TEMPLATES, check
from arbiter_audit.facts import actions, parties
from arbiter_audit.model import Check, Compliance, Condition, Fact, Template
from arbiter_audit.templates.actions import exemptions, read

from tests.audit.templates.test_actions import (
    BUY_BACK,
    ENHANCED_CDD,
    FEE_INCREASE,
    MANDATORY_APPOINTMENTS,
    MLRO,
    PROMOTION,
    PROMOTION_EXEMPTIONS,
    RESIDENCE,
    SHELL_BANK,
    passage_text,
)

EARLY_WARNING = "bbfd9205-e2d8-4fa4-be46-44da5d8e990d"  # PRU 3.20.2


def facts_of(situation: str) -> list[Fact]:
    """This family's facts of `situation`, numbered as the SOP numbers them."""
    found = sorted(actions.read(situation) + parties.read(situation), key=lambda f: f.span.start)
    return [dataclasses.replace(f, id=f"f{i}") for i, f in enumerate(found, 1)]


def _condition(uuid: str, template: Template) -> Condition:
    return next(c for c in read(passage_text(uuid)) if c.template is template)


def _check(uuid: str, template: Template, situation: str) -> Check:
    result = check(_condition(uuid, template), facts_of(situation))
    if result.compliance is Compliance.CANNOT_TELL:
        assert result.missing
    else:
        assert result.fact_ids
    return result


def test_approval_by_the_regulator_obtained() -> None:
    situation = (
        "The listed company obtained the Regulator's prior written approval, then bought "
        "back shares."
    )
    assert _check(BUY_BACK, Template.APPROVAL, situation).compliance is Compliance.MET


@pytest.mark.parametrize(
    "situation",
    [
        "The listed company bought back 2% of its shares; it did not ask the FSRA for approval.",
        "It never asked for the Regulator's consent before the buy-back.",
    ],
)
def test_approval_by_the_regulator_not_sought(situation: str) -> None:
    result = _check(BUY_BACK, Template.APPROVAL, situation)
    assert result.compliance is Compliance.NOT_MET
    assert "Regulator" in result.reason


def test_approval_by_other_parties_alone_is_not_senior_managements() -> None:
    situation = "The relationship was approved by the branch manager and a compliance analyst only."
    result = _check(ENHANCED_CDD, Template.APPROVAL, situation)
    assert result.compliance is Compliance.NOT_MET
    assert "only by branch manager and a compliance analyst" in result.reason


def test_approval_by_others_not_said_to_be_alone_cannot_tell() -> None:
    situation = "The relationship was approved by the branch manager."
    result = _check(ENHANCED_CDD, Template.APPROVAL, situation)
    assert result.compliance is Compliance.CANNOT_TELL
    assert "Senior Management" in result.missing


def test_a_senior_executive_is_not_named_senior_management() -> None:
    situation = "No senior executive sign-off was sought."
    result = _check(ENHANCED_CDD, Template.APPROVAL, situation)
    assert result.compliance is Compliance.CANNOT_TELL


def test_an_approval_required_for_one_alternative_only() -> None:
    situation = "The manager raised its fee after 30 days' notice; no unitholder meeting was held."
    result = _check(FEE_INCREASE, Template.APPROVAL, situation)
    assert result.compliance is Compliance.CANNOT_TELL
    assert "new category" in result.missing


def test_an_approval_required_for_the_alternative_done() -> None:
    situation = "The manager introduced a new category of fee; no unitholder meeting was held."
    assert _check(FEE_INCREASE, Template.APPROVAL, situation).compliance is Compliance.NOT_MET


def test_a_conditional_notice_not_given_waits_for_its_trigger() -> None:
    situation = "The firm did not notify the FSRA."
    result = _check(EARLY_WARNING, Template.NOTIFICATION, situation)
    assert result.compliance is Compliance.CANNOT_TELL
    assert "Capital Resources fall below 120%" in result.missing


def test_a_duty_to_notify_not_done_and_done() -> None:
    condition = read("An Insurer must notify the Regulator of any change to its auditor.")[0]
    refused = check(condition, facts_of("The insurer changed auditor and did not tell the FSRA."))
    assert refused.compliance is Compliance.NOT_MET
    told = check(condition, facts_of("The insurer notified the FSRA of its new auditor."))
    assert told.compliance is Compliance.MET


@pytest.mark.parametrize(
    ("situation", "expected"),
    [
        ("The Compliance Officer lives in Muscat, Oman and works remotely.", Compliance.NOT_MET),
        ("The SEO holds a UAE residence visa and lives in Dubai.", Compliance.MET),
        (
            "The MLRO moved his home to Doha in 2023. The FSRA granted a waiver of the "
            "residence requirement.",
            Compliance.MET,
        ),
        (
            "The Compliance Officer lives in Cairo. The file does not say whether the FSRA "
            "granted any relief from the residence requirement.",
            Compliance.CANNOT_TELL,
        ),
        ("The firm's Compliance Officer is very experienced.", Compliance.CANNOT_TELL),
    ],
)
def test_residence_of_role_holders(situation: str, expected: Compliance) -> None:
    assert _check(RESIDENCE, Template.RESIDENCE, situation).compliance is expected


def test_a_role_the_rule_does_not_name_is_not_its_residence() -> None:
    condition = read("The MLRO must be resident in the U.A.E.")[0]
    result = check(condition, facts_of("The Compliance Officer lives in Amman."))
    assert result.compliance is Compliance.CANNOT_TELL


def test_a_role_never_appointed() -> None:
    result = _check(MLRO, Template.APPOINTMENT, "The firm has never appointed an MLRO.")
    assert result.compliance is Compliance.NOT_MET
    held = _check(MLRO, Template.APPOINTMENT, "The firm's MLRO reviewed the alert.")
    assert held.compliance is Compliance.MET


def test_a_role_not_appointed_under_a_rule_subject_to_another_cannot_tell() -> None:
    conditions = [
        c for c in read(passage_text(MANDATORY_APPOINTMENTS)) if c.party == "Finance Officer"
    ]
    result = check(conditions[0], facts_of("It has never appointed a Finance Officer."))
    assert result.compliance is Compliance.CANNOT_TELL
    assert "(2)" in result.missing


def test_a_forbidden_promotion_sent() -> None:
    situation = (
        "A Jakarta firm with no licence in the UAE sent emails to ADGM residents inviting them "
        "to subscribe to its fund. No ADGM Authorised Person approved the emails."
    )
    assert _check(PROMOTION, Template.PROHIBITION, situation).compliance is Compliance.NOT_MET


def test_a_forbidden_act_done_while_a_licence_is_unknown_cannot_tell() -> None:
    situation = (
        "A Cairo firm sent letters inviting residents of ADGM to invest in its notes. The "
        "summary does not say whether it is licensed by any regulator in the UAE."
    )
    result = _check(PROMOTION, Template.PROHIBITION, situation)
    assert result.compliance is Compliance.CANNOT_TELL
    assert "licensed" in result.missing


def test_a_forbidden_act_done_with_an_approval_cannot_tell_then_an_exemption_holds() -> None:
    situation = (
        "A London manager emailed ADGM residents inviting them to invest in its fund; the "
        "content of the email was approved by an ADGM Authorised Person for the purposes of "
        "the financial promotion section."
    )
    bare = _check(PROMOTION, Template.PROHIBITION, situation)
    assert bare.compliance is Compliance.CANNOT_TELL
    exempted = dataclasses.replace(
        _condition(PROMOTION, Template.PROHIBITION),
        exceptions=exemptions(passage_text(PROMOTION_EXEMPTIONS)),
    )
    assert check(exempted, facts_of(situation)).compliance is Compliance.MET


def test_a_forbidden_act_not_done() -> None:
    situation = (
        "The bank did not enter into a correspondent banking relationship with a Shell Bank."
    )
    assert _check(SHELL_BANK, Template.PROHIBITION, situation).compliance is Compliance.MET


@pytest.mark.parametrize(
    "uuid",
    [
        BUY_BACK,
        ENHANCED_CDD,
        FEE_INCREASE,
        MANDATORY_APPOINTMENTS,
        MLRO,
        PROMOTION,
        RESIDENCE,
        SHELL_BANK,
        EARLY_WARNING,
    ],
)
def test_never_not_met_without_a_deciding_fact(uuid: str) -> None:
    for condition in read(passage_text(uuid)):
        assert condition.template in TEMPLATES
        for situation in ("", "The firm is an ADGM broker with 12 staff.", "\x00\x07" * 300):
            result = check(condition, facts_of(situation))
            assert result.compliance is Compliance.CANNOT_TELL
            assert result.missing and not result.fact_ids

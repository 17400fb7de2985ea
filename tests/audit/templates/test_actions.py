"""APPROVAL, NOTIFICATION, APPOINTMENT, RESIDENCE and PROHIBITION conditions read from the
corpus's own rule texts (looked up by UUID at test time) and from invented ones, with their
parties and exceptions, and the grounds a passage exempts another rule on."""

from __future__ import annotations

import pytest
from arbiter_audit.model import Condition, Template
from arbiter_audit.templates.actions import exemptions, read

from tests.support.corpus import passage_text

RESIDENCE = "2710afc2-0e16-4e0a-8581-bed4f4073ae9"  # GEN 5.5.2
MLRO_RESIDENCE = "155bb86c-67d5-4888-93d6-c31262952bad"  # AML 12.1.1(2)
MANDATORY_APPOINTMENTS = "d1835ce4-cadf-4599-b0d9-c629dec4e147"  # GEN 5.5.1(1)
MLRO = "9d69b315-ad8e-45e5-a84d-472467bfd27a"  # AML 12.1.1(1)
BUY_BACK = "214193bb-9adc-4b9a-8f44-a78e97189f61"  # MKT 2.7.4(1)
RUN_OFF_DISTRIBUTION = "fa07df29-ff4f-47f8-95b8-561da613699c"  # PIN 9.6.1
ENHANCED_CDD = "4f4b7087-c603-4a62-81b7-25c36199e9da"  # AML 8.4.1
FEE_INCREASE = "875324e2-6879-42e6-a733-43cfcea12ed8"  # FUNDS 12.13.3
PROMOTION = "c2546ae9-0e95-45ef-8b05-3eba1a846b4e"  # FSMR 18(1)
PROMOTION_EXEMPTIONS = "935b4cec-6477-40f3-b883-ac781aa466f3"  # FSMR 18(2)
EARLY_WARNING = "bbfd9205-e2d8-4fa4-be46-44da5d8e990d"  # PRU 3.20.2
DIVIDEND_REPORT = "03375a8c-b4a1-4a28-bc78-ba74a08846b1"  # PIN 8.5.2
SHELL_BANK = "fecd2f1d-9351-4124-a157-5e76ff9d4b89"  # AML 10.2.2
SAFE_CUSTODY = "788b8b33-8176-4f23-8f1a-e6eab9427098"  # COBS 15.4.4
CELL_COMPANY = "63d89318-df40-4a8d-82c7-5dc44747eec0"  # FUNDS 3.6.3.1
DEPUTY_MLRO = "6b446a61-8461-4845-ac7f-b6bda01236a4"  # AML 12.1.5


def _read(text: str) -> list[Condition]:
    found = read(text)
    for condition in found:
        assert text[condition.span.start : condition.span.end] == condition.text
        assert condition.trigger is None
    return found


def _one(text: str) -> Condition:
    found = _read(text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("uuid", "role"), [(RESIDENCE, "Approved Persons"), (MLRO_RESIDENCE, "MLRO")]
)
def test_a_residence_requirement_names_whom_it_is_on(uuid: str, role: str) -> None:
    condition = _one(passage_text(uuid))
    assert condition.template is Template.RESIDENCE
    assert condition.party.startswith(role)


def test_each_listed_appointment_is_its_own_condition_subject_to_its_exception() -> None:
    found = _read(passage_text(MANDATORY_APPOINTMENTS))
    assert [c.template for c in found] == [Template.APPOINTMENT] * 4
    assert [c.party for c in found] == [
        "Senior Executive Officer",
        "Finance Officer",
        "Compliance Officer",
        "Money Laundering Reporting Officer",
    ]
    assert all(c.exceptions and "(2)" in c.exceptions[0] for c in found)


@pytest.mark.parametrize(("uuid", "role"), [(MLRO, "MLRO"), (DEPUTY_MLRO, "deputy MLRO")])
def test_appoint_an_individual_as_a_role_names_the_role(uuid: str, role: str) -> None:
    condition = _one(passage_text(uuid))
    assert condition.template is Template.APPOINTMENT
    assert condition.party.startswith(role)


def test_an_exception_for_a_kind_of_firm_stops_at_its_comma() -> None:
    condition = _one(passage_text(DEPUTY_MLRO))
    assert condition.exceptions == ("a Representative Office",)


@pytest.mark.parametrize(
    ("uuid", "party", "action"),
    [
        (BUY_BACK, "Regulator", "purchase its own Shares"),
        (RUN_OFF_DISTRIBUTION, "Regulator", "make any distribution of profits or surplus"),
        (SAFE_CUSTODY, "that Client", "use a Client's Safe Custody Assets"),
        (CELL_COMPANY, "Regulator", "be established in the Abu Dhabi Global Market"),
    ],
)
def test_a_prohibition_without_approval_is_an_approval(uuid: str, party: str, action: str) -> None:
    condition = _one(passage_text(uuid))
    assert condition.template is Template.APPROVAL
    assert condition.party == party
    assert condition.action.startswith(action)


def test_an_approval_in_a_list_under_the_duty_of_its_header() -> None:
    approvals = [c for c in _read(passage_text(ENHANCED_CDD)) if c.template is Template.APPROVAL]
    assert len(approvals) == 1
    assert approvals[0].party == "Senior Management"
    assert approvals[0].action == "commence a business relationship with the customer"


def test_unless_a_body_approves_by_resolution_is_the_requirement_not_its_way_out() -> None:
    condition = _one(passage_text(FEE_INCREASE))
    assert condition.template is Template.APPROVAL
    assert condition.party == "Unitholders by Special Resolution"
    assert condition.exceptions == ()


@pytest.mark.parametrize(
    ("uuid", "party", "verb"),
    [(EARLY_WARNING, "Regulator", "notify"), (DIVIDEND_REPORT, "Regulator", "report")],
)
def test_a_duty_to_notify_names_whom(uuid: str, party: str, verb: str) -> None:
    condition = _one(passage_text(uuid))
    assert condition.template is Template.NOTIFICATION
    assert condition.party == party
    assert condition.action.startswith(verb)


def test_a_prohibition_skips_the_words_set_off_after_its_modal() -> None:
    condition = _one(passage_text(PROMOTION))
    assert condition.template is Template.PROHIBITION
    assert condition.action == (
        "communicate an invitation or inducement to Engage in Investment Activity"
    )


def test_a_forbidden_act_as_a_list_item() -> None:
    prohibitions = [
        c for c in _read(passage_text(SHELL_BANK)) if c.template is Template.PROHIBITION
    ]
    assert prohibitions[0].action == (
        "enter into a correspondent banking relationship with a Shell Bank"
    )


def test_the_grounds_a_passage_exempts_another_rule_on() -> None:
    grounds = exemptions(passage_text(PROMOTION_EXEMPTIONS))
    assert len(grounds) == 4
    assert grounds[2].startswith("the content of the communication is approved")
    assert exemptions(passage_text(PROMOTION)) == ()


@pytest.mark.parametrize(
    ("text", "template"),
    [
        ("A Fund Manager must not disclose Client information to a third party.", "prohibition"),
        ("A firm shall not appoint a person who is not fit and proper.", "prohibition"),
        ("A firm is prohibited from offering cash incentives to Retail Clients.", "prohibition"),
        ("An Insurer must notify the Regulator of any change to its auditor.", "notification"),
        ("A Captive Insurer must have a compliance officer at all times.", "appointment"),
        ("The MLRO must be ordinarily resident in the UAE.", "residence"),
    ],
)
def test_invented_duties(text: str, template: str) -> None:
    assert [c.template.value for c in _read(text)] == [template]


@pytest.mark.parametrize(
    "text",
    [
        "The Fund's borrowing must not exceed 20% of its gross asset value.",
        "A firm must submit the return within 14 days of the quarter end.",
        "The Regulator may, by written notice, direct a firm to do anything.",
        "This Rule does not apply to a Representative Office.",
    ],
)
def test_figures_times_and_powers_are_not_duties_to_act(text: str) -> None:
    assert _read(text) == []


def test_an_exception_is_kept_with_the_prohibition() -> None:
    text = "A firm must not accept cash from a customer unless the customer is a bank."
    condition = _one(text)
    assert condition.action == "accept cash from a customer"
    assert condition.exceptions == ("the customer is a bank",)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\x00\x1b" * 4000,
        "must not " * 3000,
        "(a) obtain the approval of\n" * 1500,
        "An Authorised Person must:\n" + "(a) not do a thing;\n" * 2000,
    ],
)
def test_hostile_rule_texts_read_without_crashing(text: str) -> None:
    _read(text)

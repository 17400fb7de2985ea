"""DEADLINE, ADVANCE_NOTICE, RETENTION and PERIODIC conditions read from the corpus's own
rule texts (looked up by UUID at test time) and from invented ones."""

from __future__ import annotations

import pytest
from arbiter_audit.model import Condition, Quantity, Template
from arbiter_audit.templates.time import read

from tests.support.corpus import passage_text

AUDITOR_REPORTS = "42a0a8e7-7432-4aa3-882b-fdc0ca95d1a6"  # GEN 6.6.2
PSP_COMPLAINTS = "a5add7b8-e93a-4747-b412-5a611cdfaefb"  # COBS 19.22.1(2)
SHARIA_REPORT = "7c7d2458-f20b-49ff-b2e8-c3b2be7785c1"  # IFR 3.6.2(b)
CLIENT_MONEY = "8af76618-d710-4d22-a88d-119e9ac8bc4d"  # COBS 14.4.1
CONNECTED_PERSON = "775c89ee-7e2d-48f1-99a7-383974a66c2b"  # MKT 7.3.3(1)
DNFBP_CEASING = "54252d00-7a87-4172-82dd-2e57bfeca2f5"  # AML 15.6.2(1)
FEE_INCREASE = "2e58ea10-a48e-4c37-8924-0ab95f47c1ce"  # FUNDS 12.13.2(2)
CRS_RECORDS = "e2261508-17ee-4ce6-b877-cb6cd6bfc04a"  # CRS Part 3 7(2)
AML_TRAINING = "f4fdd8ca-fb58-4467-a5a0-e6677a49a759"  # AML 13.2.1
AML_REVIEW = "154a27c0-08bc-44c6-adb9-532f64f1689e"  # AML 4.1.1(4)
RESOLVABILITY = "ab69e490-530b-4a22-bb4d-11e772fffa70"  # BRR 15(2)
QUARTERLY_RETURN = "0f35f8ee-7fde-4838-a64a-1ec8b607ed7a"  # PIN 6.6.7
OVERSIGHT_VACANCY = "8b5950c9-6d92-448e-b21a-1e452d08ca86"  # FUNDS 13.3.4(3)
ANNUAL_RETURNS = "48fd63cf-2165-4c5e-a5e4-474d9a746a3d"  # PRU 2.3.7(1)
WITHDRAWAL_RECORDS = "44accb83-033f-474a-8cb3-5ba2b7ff995d"  # COBS 7.11.16
BUFFER_PLAN = "7a946965-716a-431a-b643-57f91e0ff92e"  # PRU 3.19.9
AUDITOR_TERMINATED = "cfa6238f-5142-4d79-b10f-7b038e12e1c5"  # GEN 6.4.2
UNVERIFIED_CUSTOMER = "c33c8ac3-eed4-4ff8-99f7-28de179f3681"  # AML 8.2.1(5)
ACCOUNTING_RECORDS = "16204a41-c1b0-43de-8573-bb5bd41aeea8"  # GEN 6.3.3
PROBLEM_CREDITS = "d1e02962-a524-48d5-8410-3c3ec1bbc83f"  # PRU 4.5.9
CONTRACT_CHANGES = "5034d490-7144-4672-b527-0854d50aeec5"  # COBS 19.2.4


def _one(text: str) -> Condition:
    found = read(text)
    assert len(found) == 1, found
    condition = found[0]
    assert text[condition.span.start : condition.span.end] == condition.text
    return condition


@pytest.mark.parametrize(
    ("uuid", "limit", "action", "anchor"),
    [
        (AUDITOR_REPORTS, Quantity(4, "month"), "submit any reports", "financial year end"),
        (PSP_COMPLAINTS, Quantity(15, "day"), "complaints be recorded", "received the complaint"),
        (SHARIA_REPORT, Quantity(14, "day"), "deliver a copy", "having received it"),
        (CLIENT_MONEY, Quantity(1, "day"), "paid into a Client Account", "receipt"),
        (CONNECTED_PERSON, Quantity(5, "business day"), "make the disclosures", "occurrence"),
        (RESOLVABILITY, Quantity(3, "month"), "propose to the Regulator", "receipt of a notif"),
        (QUARTERLY_RETURN, Quantity(1, "month"), "submit its quarterly", "end of each period"),
        (ANNUAL_RETURNS, Quantity(4, "month"), "annual returns", "end of the financial year"),
        (BUFFER_PLAN, Quantity(5, "business day"), "capital conservation plan", "identified"),
    ],
)
def test_deadlines_of_the_corpus(uuid: str, limit: Quantity, action: str, anchor: str) -> None:
    condition = _one(passage_text(uuid))
    assert condition.template is Template.DEADLINE
    assert condition.limit == limit
    assert action in condition.action
    assert anchor in condition.anchor


def test_a_generic_anchor_is_completed_by_the_rule_s_if_clause() -> None:
    condition = _one(passage_text(OVERSIGHT_VACANCY))
    assert condition.limit == Quantity(60, "day")
    assert condition.action.startswith("appoint a replacement")
    assert "the event causing the vacancy" in condition.anchor and "resigns" in condition.anchor


def test_an_alternative_period_is_an_exception_not_part_of_the_action() -> None:
    condition = _one(passage_text(RESOLVABILITY))
    assert condition.exceptions == (
        "or such other time period as may be specified in such notification",
    )
    assert "such other" not in condition.action and "such other" not in condition.anchor


def test_immediately_is_a_deadline_without_a_number() -> None:
    condition = _one(passage_text(AUDITOR_TERMINATED))
    assert condition.template is Template.DEADLINE and condition.limit is None
    assert condition.action.startswith("notify the Regulator")


def test_a_time_in_the_rule_s_if_clause_sets_the_duty_off_and_is_no_deadline() -> None:
    assert read(passage_text(UNVERIFIED_CUSTOMER)) == []


@pytest.mark.parametrize(
    ("uuid", "limit", "anchor"),
    [
        (DNFBP_CEASING, Quantity(10, "business day"), "it ceasing to carry on"),
        (FEE_INCREASE, Quantity(90, "day"), "any increase proposed"),
        (CONTRACT_CHANGES, Quantity(2, "month"), "the date on which they are to take effect"),
    ],
)
def test_advance_notice_of_the_corpus(uuid: str, limit: Quantity, anchor: str) -> None:
    condition = _one(passage_text(uuid))
    assert condition.template is Template.ADVANCE_NOTICE
    assert condition.limit == limit
    assert condition.anchor.startswith(anchor)
    assert (
        "notif" in condition.action
        or "notice" in condition.action
        or "provided" in (condition.action)
    )


@pytest.mark.parametrize(
    ("uuid", "anchor"),
    [
        (CRS_RECORDS, "the date of reporting to the Regulatory Authority"),
        (WITHDRAWAL_RECORDS, "the date of withdrawal or realisation"),
        (ACCOUNTING_RECORDS, "the date to which they relate"),
    ],
)
def test_retention_of_the_corpus(uuid: str, anchor: str) -> None:
    condition = _one(passage_text(uuid))
    assert condition.template is Template.RETENTION
    assert condition.limit == Quantity(6, "year")
    assert condition.anchor == anchor


@pytest.mark.parametrize(
    ("uuid", "limit", "action"),
    [
        (AML_TRAINING, Quantity(1, "year"), "provide AML/TFS training"),
        (AML_REVIEW, Quantity(1, "year"), "review the effectiveness"),
        (PROBLEM_CREDITS, Quantity(1, "month"), "review its problem credits"),
    ],
)
def test_periodic_duties_of_the_corpus(uuid: str, limit: Quantity, action: str) -> None:
    condition = _one(passage_text(uuid))
    assert condition.template is Template.PERIODIC
    assert condition.limit == limit
    assert action in condition.action


@pytest.mark.parametrize(
    ("text", "template", "limit"),
    [
        (
            "A firm must file the form within ten business days of the change.",
            "deadline",
            (10, "business day"),
        ),
        (
            "The notice shall be given no later than 30 days after the meeting.",
            "deadline",
            (30, "day"),
        ),
        (
            "A firm must inform its clients at least one month before the change.",
            "advance notice",
            (1, "month"),
        ),
        (
            "The operator must give not less than 21 days' notice of a meeting.",
            "advance notice",
            (21, "day"),
        ),
        (
            "A firm must keep these records for at least five years from the trade.",
            "retention",
            (5, "year"),
        ),
        ("The board must meet at least quarterly.", "periodic", (3, "month")),
        ("The firm must test its plan every 12 months.", "periodic", (12, "month")),
        ("The firm must review its controls on a regular basis.", "periodic", None),
        ("A firm must report a breach without delay.", "deadline", None),
    ],
)
def test_invented_rules(text: str, template: str, limit: tuple[float, str] | None) -> None:
    condition = _one(text)
    assert condition.template.value == template
    assert condition.limit == (Quantity(*limit) if limit else None)


def test_a_sentence_that_sets_no_duty_has_no_condition() -> None:
    assert read("Firms usually reply within 14 days of a request. Reviews happen annually.") == []


def test_a_number_in_words_with_a_figure_after_it() -> None:
    condition = _one(
        "Records shall be retained for a period of at least six (6) years after filing."
    )
    assert condition.limit == Quantity(6, "year") and condition.anchor == "filing"


@pytest.mark.parametrize(
    "text",
    ["", "\x00\x07 must within \x1b" * 400, "must within " * 3000 + "days", "x" * 20_000],
)
def test_hostile_rule_text_does_not_break_the_reader(text: str) -> None:
    for condition in read(text):
        assert 0 <= condition.span.start <= condition.span.end <= len(text)


def test_a_long_rule_is_read_whole_up_to_its_limit() -> None:
    long = ("The firm must keep records for at least six years from the trade. " * 300)[:20_000]
    found = read(long)
    assert found and all(c.template is Template.RETENTION for c in found)

"""Applicability of the corpus's rules (looked up by UUID at test time) and invented ones to
invented situations: kinds of firm, statuses, categories, captive classes, fund types (and
funds a rule excepts), retail clients, high-risk customers and PEPs. CANNOT_TELL only when
the scope turns on something the situation does not state, naming it."""

from __future__ import annotations

import pytest
from arbiter_audit.applicability import applicability
from arbiter_audit.model import Applicability, Applies

from tests.audit.checks.test_actions import EARLY_WARNING, facts_of
from tests.audit.templates.test_actions import ENHANCED_CDD, RUN_OFF_DISTRIBUTION, passage_text

QIF_ONLY = "ff03d53c-e929-45bb-a062-5e766d9e9000"  # FUNDS 12.1.1(3)
FUND_BORROWING = "52648a25-d75a-4749-b913-0a27d5689455"  # FUNDS 13.4.7(2)
CAPTIVE_BASE_CAPITAL = "8d1801dc-db03-4cd2-96f2-e95dfc73fcd7"  # CIB 2.2.2
RETAIL_MARGIN = "f94c0125-fd88-40e4-ad50-24c5e7841bef"  # COBS 23.6
SHARIA_REPORT = "7c7d2458-f20b-49ff-b2e8-c3b2be7785c1"  # IFR 3.6.2(b)
HIGH_RISK_EDD = "dbda992f-a353-48f1-9df1-87be7a7adf8c"  # AML 8.1.1(3)
DNFBP_CDD = "2a2b0705-d7c4-46f7-be10-11fdca3db9c5"  # AML 8.1.1(2)
TPP_COMPLAINTS = "ac8b7ade-695c-43b9-b6cc-899b8dd88b7e"  # COBS 20.13.2, a passive duty


def _applies(uuid: str, situation: str) -> Applies:
    result = applicability(passage_text(uuid), facts_of(situation))
    if result.applicability is Applicability.CANNOT_TELL:
        assert result.missing
    if result.applicability is Applicability.DOES_NOT_APPLY:
        assert result.fact_ids
    return result


@pytest.mark.parametrize(
    ("situation", "expected"),
    [
        ("A Category 4 arranger's capital fell.", Applicability.APPLIES),
        ("A Category 3C asset manager's capital fell.", Applicability.APPLIES),
        ("A Category 2 bank's capital fell.", Applicability.DOES_NOT_APPLY),
        ("An authorised firm's capital fell.", Applicability.CANNOT_TELL),
    ],
)
def test_a_rule_for_some_prudential_categories(situation: str, expected: Applicability) -> None:
    result = _applies(EARLY_WARNING, situation)
    assert result.applicability is expected
    if expected is Applicability.CANNOT_TELL:
        assert "prudential category" in result.missing


@pytest.mark.parametrize(
    ("situation", "expected"),
    [
        ("The manager of a Qualified Investor Fund raised fees.", Applicability.APPLIES),
        ("The manager of a Public Fund raised fees.", Applicability.DOES_NOT_APPLY),
        ("The manager of an Exempt Fund raised fees.", Applicability.DOES_NOT_APPLY),
        ("The manager of a Domestic Fund raised fees.", Applicability.CANNOT_TELL),
    ],
)
def test_a_rule_for_qualified_investor_funds(situation: str, expected: Applicability) -> None:
    assert _applies(QIF_ONLY, situation).applicability is expected


def test_what_the_situation_says_it_does_not_know_is_what_is_missing() -> None:
    situation = (
        "The manager raised fees. The summary does not say whether the fund is a Public Fund "
        "or a Qualified Investor Fund."
    )
    result = _applies(QIF_ONLY, situation)
    assert result.applicability is Applicability.CANNOT_TELL
    assert result.missing == "whether the fund is a Public Fund or a Qualified Investor Fund"


@pytest.mark.parametrize(
    ("situation", "expected"),
    [
        ("A Public Fund's borrowings reached 30% of its gross assets.", Applicability.CANNOT_TELL),
        ("A Public Fund investing in Asian bonds borrowed 30%.", Applicability.APPLIES),
        ("A Public Fund investing in real estate borrowed 30%.", Applicability.APPLIES),
    ],
)
def test_a_rule_that_excepts_property_funds(situation: str, expected: Applicability) -> None:
    result = _applies(FUND_BORROWING, situation)
    assert result.applicability is expected
    if expected is Applicability.CANNOT_TELL:
        assert result.missing == "whether the fund is a Property Fund"


def test_a_captive_insurers_class() -> None:
    unsure = _applies(CAPTIVE_BASE_CAPITAL, "A captive insurer holds capital of USD 300,000.")
    assert unsure.applicability is Applicability.CANNOT_TELL
    assert "class" in unsure.missing
    known = _applies(CAPTIVE_BASE_CAPITAL, "A Class 2 Captive Insurer holds USD 300,000.")
    assert known.applicability is Applicability.APPLIES


@pytest.mark.parametrize(
    ("situation", "expected"),
    [
        ("An ADGM insurer in run-off paid a dividend.", Applicability.APPLIES),
        ("An insurer that stopped writing new business paid a dividend.", Applicability.APPLIES),
        ("An ADGM bank paid a dividend.", Applicability.DOES_NOT_APPLY),
        (
            "An ADGM insurer paid a dividend. The file does not say whether it is in run-off.",
            Applicability.CANNOT_TELL,
        ),
    ],
)
def test_a_rule_for_insurers_in_run_off(situation: str, expected: Applicability) -> None:
    assert _applies(RUN_OFF_DISTRIBUTION, situation).applicability is expected


@pytest.mark.parametrize("uuid", [ENHANCED_CDD, HIGH_RISK_EDD])
@pytest.mark.parametrize(
    ("situation", "expected"),
    [
        ("The bank rated the customer high risk.", Applicability.APPLIES),
        (
            "The bank rated her medium risk; PEP screening was negative.",
            Applicability.DOES_NOT_APPLY,
        ),
        ("The broker verified the client's identity.", Applicability.CANNOT_TELL),
    ],
)
def test_a_rule_for_high_risk_customers(uuid: str, situation: str, expected: Applicability) -> None:
    result = _applies(uuid, situation)
    assert result.applicability is expected
    if expected is Applicability.CANNOT_TELL:
        assert "risk rating" in result.missing


def test_a_pep_puts_a_customer_in_scope_of_the_rule_that_names_peps() -> None:
    situation = "The bank rated the client low risk, but the client is a PEP."
    assert _applies(ENHANCED_CDD, situation).applicability is Applicability.APPLIES


@pytest.mark.parametrize(
    ("situation", "expected"),
    [
        ("A Retail Client opened a CFD.", Applicability.APPLIES),
        ("A Professional Client opened a CFD.", Applicability.DOES_NOT_APPLY),
    ],
)
def test_a_rule_for_retail_clients(situation: str, expected: Applicability) -> None:
    assert _applies(RETAIL_MARGIN, situation).applicability is expected


def test_an_addressee_with_a_generic_alternative_names_no_kind_of_firm() -> None:
    result = _applies(SHARIA_REPORT, "A takaful broker sent its report late.")
    assert result.applicability is Applicability.APPLIES


def test_a_generic_addressee_qualified_by_a_kind_of_firm() -> None:
    assert _applies(DNFBP_CDD, "A DNFBP sold gold bars.").applicability is Applicability.APPLIES
    bank = _applies(DNFBP_CDD, "An ADGM bank opened an account.")
    assert bank.applicability is Applicability.DOES_NOT_APPLY


@pytest.mark.parametrize(
    ("situation", "expected"),
    [
        ("A Third Party Provider resolved a complaint 20 days late.", Applicability.APPLIES),
        ("A payment service provider resolved a complaint late.", Applicability.DOES_NOT_APPLY),
        ("A firm resolved a complaint 20 days after it came in.", Applicability.CANNOT_TELL),
    ],
)
def test_a_passive_duty_is_on_the_kind_of_firm_it_names(
    situation: str, expected: Applicability
) -> None:
    # No firm is the subject; "the Third Party Provider received the complaint" says whose
    # duty it is.
    assert _applies(TPP_COMPLAINTS, situation).applicability is expected


def test_a_passive_duty_naming_a_firm_indefinitely_names_no_scope() -> None:
    rule = "All payments must be recorded within two days of receipt from a bank."
    result = applicability(rule, facts_of("An insurer recorded a payment late."))
    assert result.applicability is Applicability.APPLIES


@pytest.mark.parametrize(
    "rule_text",
    [
        "A person must not communicate a financial promotion.",
        "",
        "\x00\x1b" * 3000,
        "Category " * 5000,
    ],
)
def test_a_rule_that_names_no_scope_applies(rule_text: str) -> None:
    result = applicability(rule_text, facts_of("A Category 2 bank sent emails."))
    assert result.applicability is Applicability.APPLIES

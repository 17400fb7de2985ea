"""LIMIT and MINIMUM conditions read from the corpus's own rule texts (looked up by UUID at
test time) and from invented ones, and the thresholds that set off a duty."""

from __future__ import annotations

import pytest
from arbiter_audit.model import Condition, Quantity, Template
from arbiter_audit.templates.quantities import read, read_trigger, read_triggers

from tests.support.corpus import passage_text

LARGE_EXPOSURE = "e70c0e97-fb04-4f48-9b0f-9aa5f025cd7f"  # PRU 4.15.5
SUM_OF_LARGE_EXPOSURES = "342299bc-1d26-4555-9104-cf3347054697"  # PRU 4.15.7
NSFR = "908085ab-b4ba-4be1-b226-19adb0638c04"  # PRU 9.3.12
NSFR_NOTICE = "e8e425e3-f15b-47d9-9b48-e76f53145383"  # PRU 9.3.13
LCR = "c41ed5f5-76a0-4eca-8400-3d337298bc14"  # PRU 9.3.4
EARLY_WARNING = "bbfd9205-e2d8-4fa4-be46-44da5d8e990d"  # PRU 3.20.2
FUND_BORROWING = "52648a25-d75a-4749-b913-0a27d5689455"  # FUNDS 13.4.7(2)
CAPTIVE_BASE_CAPITAL = "8d1801dc-db03-4cd2-96f2-e95dfc73fcd7"  # CIB 2.2.2
CELL_CAPITAL = "dbe3fe89-3c5b-4979-ab7a-ef52de795825"  # CIB 4.2.1
RETAIL_MARGIN = "f94c0125-fd88-40e4-ad50-24c5e7841bef"  # COBS 23.6
CONNECTED_DISCLOSURE = "be9bb70d-2a37-451a-a820-c45102e53065"  # MKT 7.3.3(3)
DNFBP_CDD = "2a2b0705-d7c4-46f7-be10-11fdca3db9c5"  # AML 8.1.1(2)
LARGE_EXPOSURE_DEFINED = "3708b0bd-05d2-4200-a5ff-5292100ca4a8"  # PRU 4.15.4
GROUP_LARGE_EXPOSURE = "daaa6de1-3ef9-4148-ae13-789a1bb8a600"  # PRU 8.4.1
REIT_DISTRIBUTION = "7eeb333a-ac57-43f2-832c-9c128abb682c"  # FUNDS 13.5.2(1)
CLASS_7B_PREMIUM = "4ae42f69-50e3-437f-a83c-6bcf0f62bc02"  # PIN 2.5.2


def _one(text: str) -> Condition:
    found = read(text)
    assert len(found) == 1, found
    return found[0]


def _spans_hold(text: str, conditions: list[Condition]) -> None:
    for condition in conditions:
        assert text[condition.span.start : condition.span.end] == condition.text


def test_a_limit_as_a_share_of_a_base() -> None:
    text = passage_text(LARGE_EXPOSURE)
    condition = _one(text)
    assert condition.template is Template.LIMIT
    assert condition.measure == "Large Exposures"
    assert condition.limit == Quantity(25, "%")
    assert condition.base == "Tier 1"
    _spans_hold(text, [condition])


def test_a_limit_on_a_sum_keeps_the_sum_in_its_measure() -> None:
    condition = _one(passage_text(SUM_OF_LARGE_EXPOSURES))
    assert (condition.measure, condition.limit, condition.base) == (
        "sum of its Large Exposures",
        Quantity(800, "%"),
        "Tier 1",
    )


def test_a_minimum_ratio_to_maintain() -> None:
    condition = _one(passage_text(NSFR))
    assert condition.template is Template.MINIMUM
    assert (condition.measure, condition.limit, condition.base) == ("NSFR", Quantity(100, "%"), "")


def test_a_reference_to_another_rule_is_not_an_exception_to_check() -> None:
    condition = _one(passage_text(LCR))
    assert (condition.measure, condition.limit, condition.exceptions) == (
        "LCR",
        Quantity(100, "%"),
        (),
    )


def test_a_minimum_amount() -> None:
    condition = _one(passage_text(CELL_CAPITAL))
    assert condition.template is Template.MINIMUM
    assert condition.limit == Quantity(50_000, "USD")
    assert condition.measure == "non-cellular eligible capital"


def test_a_minimum_share_of_income_to_distribute() -> None:
    condition = _one(passage_text(REIT_DISTRIBUTION))
    assert (condition.template, condition.limit, condition.base) == (
        Template.MINIMUM,
        Quantity(80, "%"),
        "audited annual net income",
    )


def test_the_limits_of_one_sentence_each_with_its_fund_and_exception() -> None:
    text = passage_text(FUND_BORROWING)
    every_fund, property_fund = read(text)
    assert (every_fund.measure, every_fund.limit) == ("borrowing", Quantity(20, "%"))
    assert every_fund.base == "gross asset value of the Fund Property"
    assert every_fund.exceptions == ("Property Fund",)
    assert every_fund.party == ""
    assert (property_fund.measure, property_fund.limit) == (
        "aggregate borrowings",
        Quantity(65, "%"),
    )
    assert property_fund.party == "Public Property Fund"
    _spans_hold(text, [every_fund, property_fund])


def test_a_list_of_minimums_per_class_of_firm() -> None:
    found = read(passage_text(CAPTIVE_BASE_CAPITAL))
    assert [(c.party, c.limit) for c in found] == [
        ("Class 1 Captive Insurer", Quantity(150_000, "USD")),
        ("Class 2 Captive Insurer", Quantity(250_000, "USD")),
        ("Class 3 Captive Insurer", Quantity(500_000, "USD")),
        ("Class 4 Captive Insurer", Quantity(1_000_000, "USD")),
    ]
    assert {c.template for c in found} == {Template.MINIMUM}
    assert {c.measure for c in found} == {"capital"}
    assert found[1].exceptions == ("the Regulator sets a different amount",)


def test_a_list_of_minimum_shares_per_kind_of_thing() -> None:
    found = read(passage_text(RETAIL_MARGIN))
    assert [c.limit.value for c in found if c.limit] == [3.33, 5, 10, 20, 50]
    assert found[1].measure == "margin for non-major currency pairs, gold and major equity indices"
    assert {c.base for c in found} == {"value of the exposure of the Retail Client"}


def test_an_item_under_a_duty_is_a_condition() -> None:
    [condition] = read(passage_text(CLASS_7B_PREMIUM))
    assert condition.limit == Quantity(5, "%")
    assert condition.base == "total Gross Written Premium"


def test_definitions_and_duties_set_off_by_a_figure_are_not_conditions() -> None:
    for uuid in (LARGE_EXPOSURE_DEFINED, NSFR_NOTICE, EARLY_WARNING, DNFBP_CDD):
        assert read(passage_text(uuid)) == []


def test_a_limit_on_a_group_figure() -> None:
    condition = _one(passage_text(GROUP_LARGE_EXPOSURE))
    assert condition.measure == "Financial Group Large Exposure"
    assert condition.base == "Group's Tier 1"


@pytest.mark.parametrize(
    ("rule", "template", "measure", "limit"),
    [
        (
            "A Fund Manager must ensure that the leverage of the Fund does not exceed 3:1.",
            Template.LIMIT,
            "leverage of the Fund",
            Quantity(3, "ratio"),
        ),
        (
            "A Representative Office must hold a minimum of USD 10,000 in a local account.",
            Template.MINIMUM,
            "",
            Quantity(10_000, "USD"),
        ),
        (
            "The Insurer must maintain a solvency margin of not less than 150 per cent.",
            Template.MINIMUM,
            "solvency margin",
            Quantity(150, "%"),
        ),
        (
            "Gross exposure to any single issuer must not at any time exceed ten percent.",
            Template.LIMIT,
            "Gross exposure to any single issuer",
            Quantity(10, "%"),
        ),
    ],
)
def test_invented_rules(rule: str, template: Template, measure: str, limit: Quantity) -> None:
    condition = _one(rule)
    assert (condition.template, condition.limit) == (template, limit)
    if measure:
        assert condition.measure == measure


def test_a_figure_in_an_if_clause_is_a_trigger_not_a_limit() -> None:
    rule = "A firm must notify the Regulator within 5 days if its leverage exceeds 10:1."
    assert read(rule) == []
    trigger = read_trigger(rule)
    assert trigger is not None
    assert (trigger.template, trigger.measure, trigger.limit) == (
        Template.LIMIT,
        "leverage",
        Quantity(10, "ratio"),
    )


def test_the_trigger_of_an_early_warning_notification() -> None:
    text = passage_text(EARLY_WARNING)
    trigger = read_trigger(text)
    assert trigger is not None
    assert (trigger.template, trigger.measure, trigger.limit, trigger.base) == (
        Template.MINIMUM,
        "Capital Resources",
        Quantity(120, "%"),
        "Capital Requirement",
    )
    assert text[trigger.span.start : trigger.span.end] == trigger.text


def test_a_ratio_falling_below_sets_off_a_notification() -> None:
    trigger = read_trigger(passage_text(NSFR_NOTICE))
    assert trigger is not None
    assert (trigger.template, trigger.measure, trigger.limit) == (
        Template.MINIMUM,
        "NSFR",
        Quantity(100, "%"),
    )


def test_of_several_triggers_the_change_is_the_one_read() -> None:
    text = passage_text(CONNECTED_DISCLOSURE)
    crossing, change = read_triggers(text)
    assert crossing.limit == Quantity(5, "%") and crossing.measure == "voting Securities"
    assert change.limit == Quantity(1, "%") and "decrease" in change.measure
    assert read_trigger(text) == change


def test_an_amount_or_more_sets_off_a_duty() -> None:
    triggers = read_triggers(passage_text(DNFBP_CDD))
    assert triggers and triggers[0].measure == "Transaction in cash"
    assert triggers[0].limit == Quantity(15_000, "USD")


def test_a_duty_with_no_threshold_has_no_trigger() -> None:
    assert read_trigger("The firm must notify the Regulator of any change of its name.") is None


def test_hostile_rule_texts_neither_crash_nor_hang() -> None:
    hostile = [
        "",
        "\x00\x1b must not exceed \x07 5%",
        "must not exceed " * 1_500,
        "(a) 5% for x;\n" * 1_500,
        "at least 10% " * 1_800,
        "The requirement for a firm is:\n" + "(a) for a Class 1 firm: $1;\n" * 1_000,
        "9" * 20_000,
    ]
    for text in hostile:
        for condition in read(text) + read_triggers(text):
            assert 0 <= condition.span.start <= condition.span.end <= len(text)

"""The check of limits and minimums read from the corpus's rules against invented
situations: stated figures, shares computed from two amounts, changes and crossings, and
CANNOT_TELL (never a guess) when the figure, the firm's kind, an exception or the thing
a figure is set for is not stated."""

from __future__ import annotations

import dataclasses

import pytest
from arbiter_audit.checks.quantities import TEMPLATES, check
from arbiter_audit.facts.quantities import read as read_facts
from arbiter_audit.model import (
    Check,
    Compliance,
    Condition,
    Fact,
    FactKind,
    Quantity,
    Span,
    Template,
)
from arbiter_audit.templates.quantities import read, read_trigger, read_triggers

from tests.audit.templates.test_quantities import (
    CAPTIVE_BASE_CAPITAL,
    CONNECTED_DISCLOSURE,
    EARLY_WARNING,
    FUND_BORROWING,
    LARGE_EXPOSURE,
    NSFR,
    RETAIL_MARGIN,
    SUM_OF_LARGE_EXPOSURES,
    passage_text,
)

MET, NOT_MET, UNSURE = Compliance.MET, Compliance.NOT_MET, Compliance.CANNOT_TELL


def _facts(situation: str, *others: Fact) -> list[Fact]:
    """The situation's quantity facts and any others, numbered as the SOP numbers them."""
    found = read_facts(situation) + list(others)
    return [dataclasses.replace(f, id=f"f{i}") for i, f in enumerate(found, 1)]


def _party(attribute: str, value: str, *, negated: bool = False) -> Fact:
    return Fact(FactKind.PARTY, value, Span(0, 1), value, negated=negated, attribute=attribute)


def _rule(uuid: str, index: int = 0) -> Condition:
    return read(passage_text(uuid))[index]


def _decided(result: Check, compliance: Compliance) -> None:
    assert result.compliance is compliance, result
    if compliance is UNSURE:
        assert result.missing, "CANNOT_TELL names what would decide it"
    assert result.reason


def test_the_family_checks_limits_and_minimums() -> None:
    assert {Template.LIMIT, Template.MINIMUM} == TEMPLATES


def test_a_share_computed_from_two_amounts_over_the_limit() -> None:
    facts = _facts(
        "A Category 3A bank with Tier 1 capital of USD 80 million has lent USD 26 million "
        "to a single property developer."
    )
    result = check(_rule(LARGE_EXPOSURE), facts)
    _decided(result, NOT_MET)
    assert set(result.fact_ids) == {"f1", "f2"}
    assert "32.5%" in result.reason and "25%" in result.reason


def test_a_share_computed_from_two_amounts_within_the_limit() -> None:
    facts = _facts(
        "The firm's Tier 1 capital of USD 80 million covers an exposure of USD 15 million to "
        "one shipping group."
    )
    _decided(check(_rule(LARGE_EXPOSURE), facts), MET)


def test_a_total_is_not_taken_for_one_exposure() -> None:
    facts = _facts("The sum of all its large exposures is about 300% of Tier 1.")
    _decided(check(_rule(LARGE_EXPOSURE), facts), UNSURE)
    _decided(check(_rule(SUM_OF_LARGE_EXPOSURES), facts), MET)


def test_one_exposure_within_a_limit_on_the_sum_decides_nothing() -> None:
    facts = _facts("Tier 1 capital of USD 10 million; an exposure of USD 20 million to one bank.")
    _decided(check(_rule(SUM_OF_LARGE_EXPOSURES), facts), UNSURE)


def test_an_acronym_pairs_with_the_words_it_stands_for() -> None:
    under = _facts("The bank's net stable funding ratio stood at 97% on 30 June.")
    above = _facts("Its net stable funding ratio rose from 99% to 104% in the quarter.")
    _decided(check(_rule(NSFR), under), NOT_MET)
    _decided(check(_rule(NSFR), above), MET)


def test_no_figure_for_the_measure_is_cannot_tell_naming_it() -> None:
    result = check(_rule(NSFR), _facts("The bank's capital resources were USD 9 million."))
    _decided(result, UNSURE)
    assert "NSFR" in result.missing


def test_an_exception_the_situation_leaves_open_keeps_a_breach_undecided() -> None:
    condition = _rule(FUND_BORROWING)
    situation = "A Public Fund's borrowings reached 35% of the gross asset value of the fund."
    open_question = check(condition, _facts(situation))
    _decided(open_question, UNSURE)
    assert "Property Fund" in open_question.missing
    not_property = _party("fund_type", "property fund", negated=True)
    _decided(check(condition, _facts(situation, not_property)), NOT_MET)
    _decided(check(condition, _facts(situation, _party("fund_type", "property fund"))), MET)


def test_a_figure_within_the_limit_is_met_whatever_the_exception() -> None:
    facts = _facts("The fund's borrowings peaked at 9% of the gross asset value of its property.")
    _decided(check(_rule(FUND_BORROWING), facts), MET)


def test_a_minimum_for_one_class_of_firm() -> None:
    class_2, class_3 = _rule(CAPTIVE_BASE_CAPITAL, 1), _rule(CAPTIVE_BASE_CAPITAL, 2)
    situation = "The captive insurer holds capital of USD 400,000."
    no_other_amount = Fact(
        FactKind.ACTION,
        "the FSRA has not set a different capital amount",
        Span(0, 1),
        "set a different capital amount",
        negated=True,
    )
    stated = _facts(situation, _party("captive_class", "class 3"), no_other_amount)
    _decided(check(class_2, stated), MET)
    result = check(class_3, stated)
    _decided(result, NOT_MET)
    assert "USD 500,000" in result.reason
    regulator_may_have_set_another = check(class_3, stated[:2])
    _decided(regulator_may_have_set_another, UNSURE)
    assert "different amount" in regulator_may_have_set_another.missing
    other_class = _facts(situation, _party("captive_class", "class 2"))
    assert check(class_3, other_class).compliance is MET  # set for Class 3 only
    unknown = check(class_3, _facts(situation))
    _decided(unknown, UNSURE)
    assert "Class 3" in unknown.missing


def test_a_minimum_share_for_the_kind_of_thing_the_situation_names() -> None:
    major_pairs, gold, commodities = (_rule(RETAIL_MARGIN, i) for i in range(3))
    facts = _facts(
        "A retail client opened a USD 40,000 position on a gold CFD after posting "
        "USD 1,200 of cash margin."
    )
    _decided(check(gold, facts), NOT_MET)  # 3% against 5% for gold
    _decided(check(commodities, facts), MET)  # "excluding gold"
    _decided(check(major_pairs, facts), UNSURE)  # 3% under 3.33%, but not a currency pair
    enough = _facts("A USD 40,000 position on a gold CFD against USD 2,400 of margin.")
    _decided(check(gold, enough), MET)


def test_a_change_threshold_needs_both_levels() -> None:
    trigger = read_trigger(passage_text(CONNECTED_DISCLOSURE))
    assert trigger is not None
    _decided(
        check(trigger, _facts("It raised its holding from 5.5% to 6.8% of the shares.")), NOT_MET
    )
    _decided(check(trigger, _facts("It raised its holding from 6.1% to 6.6% of the shares.")), MET)
    unknown = check(trigger, _facts("After the purchase it held 6.2% of the voting shares."))
    _decided(unknown, UNSURE)
    assert "before" in unknown.missing


def test_a_later_level_of_a_stake_is_read_as_a_change() -> None:
    trigger = read_trigger(passage_text(CONNECTED_DISCLOSURE))
    assert trigger is not None
    facts = _facts(
        "The investor held 12.4% of the voting shares of the issuer. In May it cut its "
        "stake to 10.9%."
    )
    result = check(trigger, facts)
    _decided(result, NOT_MET)
    assert "1.50 points" in result.reason


def test_a_threshold_crossed_either_way() -> None:
    crossing = read_triggers(passage_text(CONNECTED_DISCLOSURE))[0]
    _decided(check(crossing, _facts("Its holding went from 4.6% to 5.3% of the shares.")), NOT_MET)
    _decided(check(crossing, _facts("Its holding went from 5.6% to 4.9% of the shares.")), NOT_MET)
    _decided(check(crossing, _facts("Its holding went from 6% to 7.5% of the shares.")), MET)
    _decided(check(crossing, _facts("It holds 7.5% of the shares.")), UNSURE)


def test_an_early_warning_trigger_from_two_amounts() -> None:
    trigger = read_trigger(passage_text(EARLY_WARNING))
    assert trigger is not None
    low = _facts(
        "A Category 4 firm has a capital requirement of USD 250,000 and capital resources of "
        "USD 280,000."
    )
    high = _facts(
        "Capital resources of USD 2 million against a capital requirement of USD 1 million."
    )
    result = check(trigger, low)
    _decided(result, NOT_MET)
    assert "112.0%" in result.reason
    _decided(check(trigger, high), MET)


def test_a_bound_decides_only_what_it_can() -> None:
    minimum = Condition(
        Template.MINIMUM, "", Span(0, 0), measure="capital", limit=Quantity(250_000, "USD")
    )
    under = _facts("Its capital is under USD 100,000.")
    over = _facts("Its capital is over USD 100,000.")
    _decided(check(minimum, under), NOT_MET)
    _decided(check(minimum, over), UNSURE)


def test_figures_in_other_units_are_not_compared() -> None:
    limit = Condition(
        Template.LIMIT, "", Span(0, 0), measure="holding", limit=Quantity(10_000, "USD")
    )
    _decided(check(limit, _facts("Its holding is AED 90,000.")), UNSURE)
    _decided(check(limit, _facts("Its holding is 90,000 shares.")), UNSURE)


def test_a_condition_without_a_figure_and_no_facts_at_all() -> None:
    bare = Condition(Template.LIMIT, "", Span(0, 0), measure="leverage")
    _decided(check(bare, []), UNSURE)
    with_limit = dataclasses.replace(bare, limit=Quantity(30, "ratio"))
    _decided(check(with_limit, []), UNSURE)
    _decided(check(with_limit, _facts("It offered leverage of 50:1.")), NOT_MET)


@pytest.mark.parametrize("situation", ["", "\x00\x1b 5%", "USD 1 " * 1_300, "9" * 8_000])
def test_hostile_situations_end_in_a_check(situation: str) -> None:
    for condition in read(passage_text(RETAIL_MARGIN)):
        assert check(condition, _facts(situation)).compliance in (MET, NOT_MET, UNSURE)


def test_a_requirement_is_not_the_thing_required() -> None:
    minimum = read("A Captive Insurer must hold capital of at least USD 500,000.")[0]
    facts = _facts("Its capital requirement is USD 200,000 and its technical risk is USD 90,000.")
    result = check(minimum, facts)
    _decided(result, UNSURE)
    assert "capital" in result.missing


def test_phrases_with_different_heads_are_not_paired() -> None:
    early_warning = read_trigger(passage_text(EARLY_WARNING))
    assert early_warning is not None
    facts = _facts("The firm has a capital requirement of USD 250,000 and 40 employees.")
    _decided(check(early_warning, facts), UNSURE)


def test_a_share_of_another_base_is_not_compared() -> None:
    facts = _facts("The fund's borrowings reached 35% of its net asset value.")
    _decided(check(_rule(FUND_BORROWING), facts), UNSURE)

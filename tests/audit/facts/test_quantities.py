"""The quantity facts of invented situations: amounts, counts, percentages, ratios and
changes, what each measures, and the exact words each was read from."""

from __future__ import annotations

import pytest
from arbiter_audit.facts import numbers
from arbiter_audit.facts.quantities import read
from arbiter_audit.model import Fact, FactKind


def _only(situation: str) -> Fact:
    facts = read(situation)
    assert len(facts) == 1, facts
    return facts[0]


def _spans_are_verbatim(situation: str, facts: list[Fact]) -> None:
    for fact in facts:
        words = situation[fact.span.start : fact.span.end]
        assert words.strip() == words and words, fact
        assert not fact.id


@pytest.mark.parametrize(
    ("written", "value", "unit"),
    [
        ("USD 250,000", 250_000, "USD"),
        ("USD 1.2 million", 1_200_000, "USD"),
        ("$150,000", 150_000, "USD"),
        ("USD15,000", 15_000, "USD"),
        ("AED 5m", 5_000_000, "AED"),
        ("five million dirhams", 5_000_000, "AED"),
        ("one hundred and fifty thousand US dollars", 150_000, "USD"),
        ("USD 1 000 000", 1_000_000, "USD"),
        ("EUR 2.5 bn", 2_500_000_000, "EUR"),
    ],
)
def test_a_sum_of_money_reads_in_digits_words_and_scales(
    written: str, value: float, unit: str
) -> None:
    [figure] = numbers.money(f"It paid {written} in total.")
    assert (figure.value, figure.unit) == (value, unit)


def test_years_days_and_bare_numbers_are_not_quantities() -> None:
    assert read("On 12 October 2023 the firm had 3 offices and 2024 plans.") == []


def test_an_amount_is_said_of_the_noun_phrase_before_it() -> None:
    situation = "A Category 2 firm with Tier 1 capital of USD 60 million has 12 staff."
    fact = _only(situation)
    assert fact.kind is FactKind.AMOUNT
    assert (fact.quantity, fact.unit, fact.value) == (60_000_000, "USD", "USD 60000000")
    assert fact.topic == "Tier 1 capital"
    assert situation[fact.span.start : fact.span.end] == "Tier 1 capital of USD 60 million"


def test_an_amount_followed_by_of_is_that_thing() -> None:
    fact = _only("The client posted USD 4,500 of cash margin on Monday.")
    assert (fact.topic, fact.quantity) == ("cash margin", 4500)


def test_a_sum_after_an_article_names_what_follows() -> None:
    fact = _only("The broker let him open a USD 80,000 short position on a silver CFD.")
    assert fact.topic == "short position on a silver CFD"


def test_a_change_from_one_level_to_another_keeps_both() -> None:
    situation = "Its liquidity coverage ratio declined from 131% to 97% during May."
    fact = _only(situation)
    assert fact.kind is FactKind.PROPORTION
    assert (fact.quantity, fact.before, fact.unit) == (97, 131, "%")
    assert fact.topic == "liquidity coverage ratio"
    assert "from 131% to 97%" in fact.text
    _spans_are_verbatim(situation, [fact])


def test_a_change_between_amounts_keeps_the_currency() -> None:
    fact = _only("Its capital resources fell from AED 9 million to AED 7.5 million.")
    assert (fact.quantity, fact.before, fact.unit) == (7_500_000, 9_000_000, "AED")


def test_a_later_level_of_the_same_holding_is_a_change_from_the_earlier() -> None:
    situation = (
        "A pension fund held 6.1% of the voting shares of a listed bank. "
        "In June it increased its stake to 7.4% by buying on market."
    )
    held, raised = read(situation)
    assert (held.quantity, held.before) == (6.1, None)
    assert (raised.quantity, raised.before) == (7.4, 6.1)


def test_a_later_level_of_another_thing_is_not_a_change() -> None:
    situation = (
        "The firm has a capital requirement of USD 500,000. Its capital resources dropped to "
        "USD 560,000 in March."
    )
    _, resources = read(situation)
    assert resources.topic == "capital resources" and resources.before is None


def test_a_percentage_of_a_base_names_both() -> None:
    situation = (
        "A Public Fund's borrowings, including those of its subsidiaries, reached 31% of the "
        "net asset value of the fund."
    )
    fact = _only(situation)
    assert fact.topic == "borrowings of net asset value of the fund"
    assert fact.value == "31%"


def test_a_ratio_to_one() -> None:
    fact = _only("The platform advertised leverage of 30:1 to retail clients.")
    assert (fact.kind, fact.quantity, fact.unit, fact.value) == (
        FactKind.PROPORTION,
        30,
        "ratio",
        "30:1",
    )
    assert fact.topic == "leverage"


def test_a_bound_is_kept_as_a_bound_not_a_figure() -> None:
    under = _only("Its operational risk charge is well under USD 90,000.")
    over = _only("Its operational risk charge is over USD 90,000.")
    assert (under.value, under.quantity) == ("<USD 90000", 90_000)
    assert over.value == ">USD 90000"


def test_an_approximate_figure_says_so_in_words() -> None:
    fact = _only("The buyer paid about USD 40,000 for the watches.")
    assert fact.text.endswith("about USD 40,000")
    assert fact.quantity == 40_000


def test_a_count_of_shares_is_an_amount_in_shares_not_money() -> None:
    fact = _only("The director sold 15,000 shares in the issuer during a closed period.")
    assert (fact.kind, fact.unit, fact.quantity) == (FactKind.AMOUNT, "shares", 15_000)
    assert (fact.topic, fact.text) == ("shares", "shares: 15,000 shares")


def test_a_sum_received_or_lent_is_a_receipt_or_a_loan() -> None:
    received = _only("On 2 May a broker received USD 90,000 from a retail client.")
    lent = _only("The bank lent USD 3 million to its largest depositor.")
    assert (received.topic, lent.topic) == ("receipt", "loan")


def test_a_percentage_written_in_words() -> None:
    fact = _only("The fund invested twenty-five per cent of its assets in one issuer.")
    assert fact.quantity == 25 and fact.unit == "%"


def test_several_figures_in_order_with_verbatim_spans() -> None:
    situation = (
        "A captive insurer holds capital of USD 320,000.\n"
        "Its NSFR fell to 94% at quarter-end; margin was USD 2,000 against a USD 100,000 "
        "position."
    )
    facts = read(situation)
    assert [f.quantity for f in facts] == [320_000, 94, 2_000, 100_000]
    _spans_are_verbatim(situation, facts)


def test_hostile_input_neither_crashes_nor_hangs() -> None:
    hostile = [
        "",
        "\x00\x01\x1b[31m USD \x07 5%",
        "USD " * 2_000,
        "9" * 8_000,
        "from 1% to " * 700,
        ("A firm held 5% of shares. " * 300)[:8_000],
        "%" * 8_000 + "1:1",
    ]
    for text in hostile:
        for fact in read(text):
            assert 0 <= fact.span.start < fact.span.end <= len(text)

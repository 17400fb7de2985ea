"""The PARTY facts of invented situations: who the firm is, who holds its roles and where
they live, who its customer is; words a situation says it does not know are no facts."""

from __future__ import annotations

import pytest
from arbiter_audit.facts.parties import read
from arbiter_audit.model import Fact


def _read(situation: str) -> list[Fact]:
    facts = read(situation)
    for fact in facts:
        words = situation[fact.span.start : fact.span.end]
        assert words and words == words.strip(), fact
        assert not fact.id
    return facts


def _values(situation: str, attribute: str) -> list[tuple[str, bool]]:
    return [(f.value, f.negated) for f in _read(situation) if f.attribute == attribute]


@pytest.mark.parametrize(
    ("situation", "attribute", "expected"),
    [
        ("A Category 3B broker in ADGM.", "category", [("category 3B", False)]),
        ("An ADGM Class 2 Captive Insurer.", "captive_class", [("class 2", False)]),
        (
            "The manager of a Public Property Fund.",
            "fund_type",
            [("public fund", False), ("property fund", False)],
        ),
        ("A fund investing in real estate.", "fund_type", [("property fund", False)]),
        ("A reinsurer that stopped writing new business in 2021.", "status", [("run off", False)]),
        ("The board of an ADGM Listed Entity met.", "status", [("listed entity", False)]),
        ("A Retail Client opened a CFD.", "client_type", [("retail client", False)]),
        ("Its risk model rated him high risk.", "risk_rating", [("high", False)]),
        ("The client was rated as a low-risk customer.", "risk_rating", [("low", False)]),
        ("PEP screening was negative.", "pep", [("no", False)]),
        ("The customer is a PEP.", "pep", [("yes", False)]),
        ("The customer is not a politically exposed person.", "pep", [("no", False)]),
        ("A DNFBP that deals in gold bullion.", "firm_type", [("dnfbp", False)]),
    ],
)
def test_who_the_firm_and_its_customer_are(
    situation: str, attribute: str, expected: list[tuple[str, bool]]
) -> None:
    assert _values(situation, attribute) == expected


def test_a_denied_status_is_negated() -> None:
    situation = "It is neither an ADGM Authorised Person nor an Exempt Person."
    assert _values(situation, "status") == [("authorised person", True), ("exempt person", True)]


def test_a_party_that_approved_something_is_not_what_the_firm_is() -> None:
    situation = "The email was approved by an ADGM Authorised Person before it was sent."
    assert _values(situation, "status") == []


def test_a_committee_named_for_high_risk_clients_is_no_rating() -> None:
    assert _values("No one on the high-risk client committee approved it.", "risk_rating") == []


def test_a_licence_held_nowhere_in_the_uae() -> None:
    situation = "A Muscat company with no licence in ADGM or elsewhere in the UAE sent emails."
    assert _values(situation, "licence") == [("UAE licence", True)]


def test_what_a_permission_covers() -> None:
    situation = "A firm whose permission covers only arranging deals in investments runs a desk."
    assert _values(situation, "licence") == [("only arranging deals in investments", False)]


def test_a_role_holder_living_abroad_and_one_at_home() -> None:
    situation = (
        "The firm's MLRO lives in Muscat, Oman, and reviews alerts remotely. Its Senior "
        "Executive Officer holds a UAE residence visa and lives with his family in Sharjah."
    )
    lives = [(f.topic, f.value, f.negated) for f in _read(situation) if f.attribute == "residence"]
    assert lives == [
        ("money laundering reporting officer", "Muscat, Oman", True),
        ("senior executive officer", "UAE", False),
        ("senior executive officer", "UAE", False),
    ]


def test_a_move_abroad_is_said_of_the_role_named_before_the_pronoun() -> None:
    situation = (
        "The Compliance Officer of a small arranger resigned his lease. In May he moved his "
        "wife and children to Cairo and now works remotely, flying to Abu Dhabi monthly."
    )
    lives = [(f.topic, f.value) for f in _read(situation) if f.attribute == "residence"]
    assert lives == [("compliance officer", "Cairo")]


def test_all_the_roles_of_a_sentence_live_where_it_says() -> None:
    situation = "It has a Compliance Officer and an MLRO, all living in Dubai."
    topics = {f.topic for f in _read(situation) if f.attribute == "residence"}
    assert topics == {"compliance officer", "money laundering reporting officer"}


def test_clients_living_somewhere_are_not_a_role_holder_residence() -> None:
    situation = "Its Compliance Officer reviewed emails sent to retail investors living in Paris."
    assert _values(situation, "residence") == []


def test_words_inside_what_the_situation_does_not_know_are_no_facts() -> None:
    situation = (
        "The Fund Manager raised its fee. The summary does not say whether the fund is a "
        "Public Fund or a Qualified Investor Fund, or whether the insurer is in run-off."
    )
    facts = _read(situation)
    assert [f.attribute for f in facts] == ["firm_type"]


@pytest.mark.parametrize(
    "situation",
    ["", "\x00\x01\x02" * 1000, "Category " * 2000, "lives in " * 2000, "A Public Fund. " * 500],
)
def test_hostile_input_reads_without_crashing(situation: str) -> None:
    _read(situation)

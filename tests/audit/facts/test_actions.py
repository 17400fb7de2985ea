"""The ACTION and UNKNOWN facts of invented situations: what was or was not done, by or to
whom, what the description says it does not know, and the exact words each was read from."""

from __future__ import annotations

import pytest
from arbiter_audit.facts.actions import alone, kind_of, party_of, read
from arbiter_audit.model import Fact, FactKind


def _verbatim(situation: str, facts: list[Fact]) -> None:
    for fact in facts:
        words = situation[fact.span.start : fact.span.end]
        assert words and words == words.strip(), fact
        assert not fact.id


def _actions(situation: str) -> list[Fact]:
    facts = read(situation)
    _verbatim(situation, facts)
    return [f for f in facts if f.kind is FactKind.ACTION]


@pytest.mark.parametrize(
    ("situation", "kind", "party"),
    [
        ("The trustee never asked for the Regulator's consent.", "consent", "Regulator"),
        ("The company did not ask the FSRA for approval before the sale.", "approval", "FSRA"),
        ("It paid the bonus without seeking the FSRA's consent.", "consent", "FSRA"),
        ("It did not notify the FSRA of the change.", "notification", "FSRA"),
        ("No unitholder meeting was held.", "meeting", "unitholder"),
        ("No unitholder resolution was passed.", "resolution", "unitholder"),
        ("There is no record of board approval.", "approval", "board"),
        ("The firm has not sought any waiver.", "waiver", ""),
        ("The manager has never appointed a Finance Officer.", "appointment", "Finance Officer"),
        (
            "No member of senior management or the risk committee approved the account.",
            "approval",
            "member of senior management or the risk committee",
        ),
    ],
)
def test_what_was_not_done_and_by_or_to_whom(situation: str, kind: str, party: str) -> None:
    (fact,) = [f for f in _actions(situation) if kind_of(f) != "act"]
    assert fact.negated
    assert kind_of(fact) == kind
    assert party_of(fact) == party


def test_an_approval_by_some_parties_alone() -> None:
    situation = "The loan was approved by the deputy head of credit alone."
    (fact,) = _actions(situation)
    assert (kind_of(fact), party_of(fact), alone(fact), fact.negated) == (
        "approval",
        "deputy head of credit",
        True,
        False,
    )


def test_a_sign_off_by_named_parties_only() -> None:
    situation = "The account opened after sign-off by the desk head and a junior analyst only."
    approvals = [f for f in _actions(situation) if kind_of(f) == "approval"]
    assert len(approvals) == 1
    assert alone(approvals[0]) and party_of(approvals[0]) == "desk head and a junior analyst"


def test_a_notice_given_and_a_report_made_to_someone() -> None:
    situation = (
        "The manager wrote to investors about the change, and reported the loss to the FSRA "
        "within a week."
    )
    kinds = {(kind_of(f), party_of(f)) for f in _actions(situation)}
    assert ("notice", "investors") in kinds
    assert ("report", "FSRA") in kinds


def test_an_act_keeps_its_decimals_and_a_later_act_in_its_clause() -> None:
    situation = (
        "The fund raised its fee from 1.25% to 1.5% of net assets, and its platform "
        "automatically matches buy and sell orders."
    )
    topics = [f.topic for f in _actions(situation)]
    assert "raised its fee from 1.25% to 1.5% of net assets" in topics
    assert any(t.startswith("matches buy and sell orders") for t in topics)


def test_a_sending_is_not_an_approval_because_its_words_mention_one() -> None:
    situation = "The leaflet was sent only in the approved form."
    (fact,) = _actions(situation)
    assert kind_of(fact) == "act" and not fact.negated


def test_a_denied_act_is_not_also_read_as_done() -> None:
    situation = "The broker did not send the confirmation to the client."
    facts = _actions(situation)
    assert facts and all(f.negated for f in facts)


@pytest.mark.parametrize(
    ("situation", "topic"),
    [
        (
            "The case summary does not say whether the fund is a Property Fund.",
            "whether the fund is a Property Fund",
        ),
        (
            "The file is silent on whether the adviser holds a licence in the UAE.",
            "whether the adviser holds a licence in the UAE",
        ),
        (
            "The extract you were given omits the page showing the customer's risk rating.",
            "the customer's risk rating",
        ),
        (
            "The report says nothing about whether the FSRA granted relief.",
            "whether the FSRA granted relief",
        ),
        ("It is not known whether the captive is Class 3.", "whether the captive is Class 3"),
    ],
)
def test_what_the_description_does_not_know(situation: str, topic: str) -> None:
    facts = read(situation)
    _verbatim(situation, facts)
    unknown = [f for f in facts if f.kind is FactKind.UNKNOWN]
    assert [f.topic for f in unknown] == [topic]
    assert not [f for f in facts if f.kind is FactKind.ACTION and f.span == unknown[0].span]


def test_a_firm_that_lacks_something_is_not_a_gap_in_the_facts() -> None:
    facts = read("The insurer lacks capital to cover the claim.")
    assert not [f for f in facts if f.kind is FactKind.UNKNOWN]


@pytest.mark.parametrize(
    "situation",
    [
        "",
        "no no no not never without",
        "\x00\x07\x1b" * 500,
        "The firm did not notify the FSRA. " * 250,
        "approved by " * 2000,
        "No " * 3000 + "approved",
    ],
)
def test_hostile_input_reads_without_crashing(situation: str) -> None:
    facts = read(situation)
    _verbatim(situation, facts)

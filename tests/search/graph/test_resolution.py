"""Addresses read from passage refs, and mentions resolved to passages."""

from __future__ import annotations

import pytest
from arbiter_search.graph.addresses import Place, place_of
from arbiter_search.graph.model import PassageNode
from arbiter_search.graph.references import extract
from arbiter_search.graph.resolution import MAX_CHILDREN, AddressBook


@pytest.mark.parametrize(
    ("ref", "place"),
    [
        ("1.", Place("1", None)),
        ("8.3.1", Place("8.3.1", "8.3")),
        ("1.1.1.(1)", Place("1.1.1(1)", "1.1.1")),
        ("8.3.1.Guidance.2.", Place(None, "8.3.1")),
        ("6.4.5.(1).Guidance.1.", Place(None, "6.4.5(1)")),
        ("APP4.A4.10.2", Place("A4.10.2", "A4.10")),
        ("PART 5.12.12.8.(3)", Place("12.12.8(3)", "12.12.8")),
        ("PART 1", Place("P1", None)),
        ("Part 22.258.(1)", Place("258(1)", "258")),
        ("Part 6.Chapter 1.42.", Place("42", None)),
        ("Schedule 1.Part 2.Chapter 3.12.(1)", Place("S1:12(1)", "S1:12")),
        ("66)", Place("66", None)),
        ("66).a)", Place("66(a)", "66")),
        ("3.3.a.", Place("3.3(a)", "3.3")),
        ("Definitions", Place(None, None)),
    ],
)
def test_place_of_a_passage_ref(ref: str, place: Place) -> None:
    assert place_of(ref) == place


def passage(source_id: str, ref: str, document: str = "1", text: str = "") -> PassageNode:
    mentions = tuple(m.encode() for m in extract(text))
    return PassageNode("t", source_id, ref, document, "", "h", mentions)


@pytest.fixture
def book() -> AddressBook:
    book = AddressBook()
    book.name_document("1", rulebook="AML", title="Anti-Money Laundering Rules (AML)")
    book.name_document("3", rulebook="COBS", title="Conduct of Business Rulebook")
    book.name_document(
        "17", rulebook="FSMR", title="FINANCIAL SERVICES AND MARKETS REGULATIONS 2015"
    )
    for node in [
        passage("aml-831", "8.3.1"),
        passage("aml-832-1", "8.3.2.(1)"),
        passage("aml-832-2", "8.3.2.(2)"),
        passage("aml-832-3", "8.3.2.(3)"),
        passage("aml-722", "7.2.2"),
        passage("aml-4", "4."),
        passage("cobs-941-2", "9.4.1.(2)", "3"),
        passage("cobs-831", "8.3.1", "3"),
        passage("fsmr-58-1", "Part 5.58.(1)", "17"),
        passage("fsmr-58", "Part 5.58.", "17"),
    ]:
        book.put(node)
    return book


def resolved(book: AddressBook, text: str, *, ref: str = "1.1.1", document: str = "1") -> set[str]:
    citing = passage("citing", ref, document, text)
    book.put(citing)
    return set(book.resolve(citing).targets)


def test_a_rule_in_the_same_document(book: AddressBook) -> None:
    assert resolved(book, "as required by Rule 8.3.1") == {"aml-831"}
    assert resolved(book, "as required by Rule 8.3.1", document="3") == {"cobs-831"}


def test_a_named_rulebook_crosses_documents(book: AddressBook) -> None:
    assert resolved(book, "see COBS Rule 9.4.1(2)") == {"cobs-941-2"}
    assert resolved(book, "under section 58(1) of the FSMR") == {"fsmr-58-1"}
    assert resolved(book, "under section 58 of the Financial Services and Markets Regulations") == {
        "fsmr-58"
    }
    assert resolved(book, "see XYZ Rule 8.3.1") == set()


def test_sub_paragraphs_fall_back_to_the_rule(book: AddressBook) -> None:
    assert resolved(book, "Rule 7.2.2(1)(d) allows") == {"aml-722"}


def test_a_rule_without_its_own_passage_resolves_to_its_few_children(book: AddressBook) -> None:
    assert resolved(book, "in Rule 8.3.2") == {"aml-832-1", "aml-832-2", "aml-832-3"}
    for n in range(MAX_CHILDREN + 1):
        book.put(passage(f"big-{n}", f"9.9.9.({n + 1})"))
    assert resolved(book, "in Rule 9.9.9") == set()


def test_relative_paragraph_is_a_sibling(book: AddressBook) -> None:
    assert resolved(book, "subject to paragraph (3)", ref="8.3.2.(1)") == {"aml-832-3"}


def test_chapters_resolve_only_to_their_heading(book: AddressBook) -> None:
    assert resolved(book, "Chapter 4 sets out") == {"aml-4"}
    assert resolved(book, "Chapter 8 sets out") == set()


def test_never_itself_and_unresolved_are_counted(book: AddressBook) -> None:
    citing = passage("aml-831", "8.3.1", "1", "this Rule 8.3.1 and Rule 99.1.1")
    book.put(citing)
    result = book.resolve(citing)
    assert dict(result.targets) == {}
    assert (result.mentions, result.unresolved) == (2, 2)
    assert not result.settled


def test_settled_only_when_every_address_exists(book: AddressBook) -> None:
    citing = passage("x", "1.1.1", "1", "Rule 8.3.1 and COBS Rule 9.4.1(2)")
    book.put(citing)
    assert book.resolve(citing).settled
    citing = passage("y", "1.1.2", "1", "Rule 8.3.2")
    book.put(citing)
    assert not book.resolve(citing).settled

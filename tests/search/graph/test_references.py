"""Extraction of cross-references from rule text, on snippets written as the corpus writes."""

from __future__ import annotations

import pytest
from arbiter_search.graph.references import Kind, Mention, extract


def targets(text: str) -> list[tuple[str, str, str]]:
    return [(m.kind.value, m.target, m.rulebook) for m in extract(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("as set out in Rule 8.3.1.", [("rule", "8.3.1", "")]),
        ("Rules 3.2.1 and 3.2.2 apply", [("rule", "3.2.1", ""), ("rule", "3.2.2", "")]),
        ("see section 6.2 below", [("section", "6.2", "")]),
        ("Chapter 4 contains the requirements", [("chapter", "4", "")]),
        ("GEN 2.2.3 requires", [("bare", "2.2.3", "GEN")]),
        ("COBS Rule 9.4.1(2) says", [("rule", "9.4.1(2)", "COBS")]),
        ("subject to paragraph (3), a firm", [("paragraph", "(3)", "")]),
        ("a firm under 14.3.1 must", [("bare", "14.3.1", "")]),
        ("section 58 of FSMR", [("section", "58", "FSMR")]),
        ("Section 112 of the FSMR, to apply", [("section", "112", "FSMR")]),
        ("MIR Rules 3.8 and 4.3.  In choosing", [("rule", "3.8", "MIR"), ("rule", "4.3", "MIR")]),
        ("Rule 7.2.2(1)(d) allows", [("rule", "7.2.2(1)(d)", "")]),
        ("RULE 7.2.2 NON-DISCLOSURE", [("rule", "7.2.2", "")]),
        ("Rule A4.10.2 applies", [("rule", "A4.10.2", "")]),
        ("paragraph 1 of the FEES Rulebook", [("paragraph", "1", "FEES")]),
        ("Chapter 15 of COBS sets out", [("chapter", "15", "COBS")]),
        ("for the purposes of subsection (3)", [("section", "(3)", "")]),
        ("Rule 12.12.1.(1) of these Rules", [("rule", "12.12.1(1)", "")]),
    ],
)
def test_one_citation(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert targets(text) == expected


def test_ranges_expand_into_their_members() -> None:
    assert [m.target for m in extract("refer to Rules 9.3.14 to 9.3.20. These")] == [
        f"9.3.{n}" for n in range(14, 21)
    ]
    assert [m.target for m in extract("set out at paragraphs 98 - 100.")] == ["98", "99", "100"]
    assert [m.target for m in extract("as set out in Rules 17.1 \u2013 17.6, an")] == [
        f"17.{n}" for n in range(1, 7)
    ]


def test_a_named_regulation_scopes_every_item_of_the_list() -> None:
    text = (
        "sections 205 to 207 and section 217 of the Financial Services and Markets "
        "Regulations 2015 apply"
    )
    found = extract(text)
    assert [m.target for m in found] == ["205", "206", "207", "217"]
    assert {m.rulebook for m in found} == {"Financial Services and Markets Regulations 2015"}


def test_invisible_marks_do_not_split_a_list() -> None:
    # The corpus has left-to-right marks inside lists of rules.
    assert [m.target for m in extract("(b)\tRules 14.6.2 and \u200e15.4.3 (master lists")] == [
        "14.6.2",
        "15.4.3",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "under Article 6(1) of Law No. 4 of 2013",
        "on 1 January 2020 at 10.30 am",
        "a ratio of 2.5 per cent",
        "Carts 5 and 6",
        "within 30 days of the end of the period",
    ],
)
def test_no_citation(text: str) -> None:
    assert extract(text) == []


def test_surface_text_and_round_trip() -> None:
    [mention] = extract("in accordance with COBS Rule 9.4.1(2), the firm")
    assert mention.surface == "COBS Rule 9.4.1(2)"
    assert Mention.decode(mention.encode()) == mention
    assert not mention.relative
    assert Mention(Kind.PARAGRAPH, "(3)").relative


def test_repeats_are_kept_once_in_order() -> None:
    text = "Rule 3.2.1 and Rule 3.1.1; again Rule 3.2.1"
    assert [m.target for m in extract(text)] == ["3.2.1", "3.1.1"]

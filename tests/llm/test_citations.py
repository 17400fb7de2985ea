"""Citation markers: renumbered by first use however a stream cuts the text, held back
while a marker is incomplete, and left alone where they name no document."""

from __future__ import annotations

import pytest
from arbiter_llm.citations import (
    MAX_HELD_CHARS,
    CitationNumbering,
    markers,
    out_of_range,
    strip_markers,
)
from arbiter_text import complete_sentences

WRITTEN = "Report it [3]. Do not tip off [1, 3]. Train staff [2][3]. See [14] and [x]."
READ = "Report it [1]. Do not tip off [2, 1]. Train staff [3][1]. See [14] and [x]."


def streamed(numbering: CitationNumbering, pieces: list[str]) -> list[str]:
    released = [numbering.feed(p) for p in pieces]
    return [*released, numbering.flush()]


def test_citations_are_numbered_by_first_use() -> None:
    numbering = CitationNumbering(3)
    assert numbering.renumber(WRITTEN) == READ
    assert numbering.sources == [3, 1, 2]
    # Numbering continues across calls: a later text keeps the numbers already given.
    assert numbering.renumber("Again [2] and [1].") == "Again [3] and [2]."


@pytest.mark.parametrize("cut", range(len(WRITTEN) + 1))
def test_any_cut_gives_the_same_text_and_no_half_marker(cut: int) -> None:
    numbering = CitationNumbering(3)
    released = streamed(numbering, [WRITTEN[:cut], WRITTEN[cut:]])
    assert "".join(released) == READ
    assert numbering.sources == [3, 1, 2]
    # What is released before the end never stops inside a marker a later piece completes.
    first = released[0]
    assert markers(first) == markers(READ[: len(first)])
    assert READ.startswith(first)
    assert not first.rstrip().endswith(("[", "[1", "[1,", "[2", "[3"))


def test_a_text_fed_a_character_at_a_time_reads_the_same() -> None:
    numbering = CitationNumbering(3)
    assert "".join(streamed(numbering, list(WRITTEN))) == READ


def test_numbers_naming_no_document_are_left_as_written() -> None:
    numbering = CitationNumbering(2)
    assert numbering.renumber("A [2]. B [0], [3] and [2, 7].") == "A [1]. B [0], [3] and [1, 7]."
    assert numbering.sources == [2]
    assert CitationNumbering(0).renumber("None [1].") == "None [1]."


def test_an_open_bracket_is_held_only_while_it_can_still_be_a_marker() -> None:
    numbering = CitationNumbering(3)
    assert numbering.feed("Rule [") == "Rule "
    assert numbering.feed("a] applies [2") == "[a] applies "
    assert numbering.feed(". ") == "[2. "  # never closed: text, as written
    spaces = "[" + " " * (MAX_HELD_CHARS + 1)
    assert numbering.feed(spaces) == spaces  # too long to be one: not held
    assert numbering.flush() == ""
    assert numbering.sources == []


def test_marker_helpers() -> None:
    assert markers(WRITTEN) == [3, 1, 3, 2, 3, 14]
    assert out_of_range(WRITTEN, 3) == [14]
    assert strip_markers("Report it [3]. Train [1, 2].") == "Report it . Train ."


def test_a_marker_after_the_full_stop_belongs_to_its_sentence() -> None:
    text = "Report it. [2] Then train staff [1, 3]. More"
    assert text[: complete_sentences(text)] == "Report it. [2] Then train staff [1, 3]. "

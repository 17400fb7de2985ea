"""The chunker: budgets, boundaries, and nothing lost."""

from __future__ import annotations

import pytest
from arbiter_search.chunker import MAX_CHUNK_CHARS, TEXT_MAX_BYTES, Chunker


def visible(text: str) -> str:
    return "".join(text.split())


def test_short_text_is_one_chunk_and_blank_text_none() -> None:
    chunker = Chunker(max_chars=500)
    assert chunker.split("  A rule.  ") == ["A rule."]
    assert chunker.split(" \n\t ") == []


def test_cuts_on_paragraphs_before_sentences() -> None:
    paragraphs = [f"Paragraph {i}. " + "word " * 80 for i in range(6)]
    chunks = Chunker(max_chars=1000).split("\n\n".join(paragraphs))
    assert all(len(c) <= 1000 for c in chunks)
    assert all(c.startswith("Paragraph") for c in chunks)
    assert visible("".join(chunks)) == visible("".join(paragraphs))


def test_a_table_is_cut_on_lines() -> None:
    rows = [f"Term {i}\tMeans the defined thing number {i}." for i in range(400)]
    chunks = Chunker(max_chars=800).split("Glossary\n\n" + "\n".join(rows))
    assert len(chunks) > 10
    assert all(len(c) <= 800 for c in chunks)
    assert all(c.split("\n")[0].startswith(("Term", "Glossary")) for c in chunks)


def test_one_unbroken_run_is_cut_hard() -> None:
    chunks = Chunker(max_chars=300).split("x" * 1000)
    assert [len(c) for c in chunks] == [300, 300, 300, 100]


@pytest.mark.parametrize("max_chars", [200, 2000, MAX_CHUNK_CHARS])
def test_a_152k_character_passage_fits_the_text_field(max_chars: int) -> None:
    sentence = "Die Überwachung verdächtiger Transaktionen — 監視義務 😀. "
    text = "\n".join(sentence * 40 for _ in range(72))
    assert len(text) > 150_000
    chunks = Chunker(max_chars=max_chars).split(text)
    assert all(len(c) <= max_chars for c in chunks)
    assert all(len(c.encode()) <= TEXT_MAX_BYTES for c in chunks)
    assert visible("".join(chunks)) == visible(text)


def test_the_signature_follows_the_budget() -> None:
    assert Chunker(max_chars=500).signature != Chunker(max_chars=600).signature


@pytest.mark.parametrize("max_chars", [10, MAX_CHUNK_CHARS + 1])
def test_a_budget_that_cannot_work_is_refused(max_chars: int) -> None:
    with pytest.raises(ValueError, match="max_chars"):
        Chunker(max_chars=max_chars)

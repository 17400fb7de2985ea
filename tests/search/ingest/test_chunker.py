"""The chunker: token budgets, byte limits, boundaries, and nothing lost."""

from __future__ import annotations

import re

import pytest
from arbiter_search.ingest.chunker import (
    BODY_MAX_BYTES,
    MAX_CHUNK_TOKENS,
    Chunker,
)
from arbiter_search.ingest.tokens import DEFAULT_COUNTER, TokenizerCounter, WordPieceEstimate
from arbiter_search.store.schema import TEXT_MAX_BYTES


def visible(text: str) -> str:
    return "".join(text.split())


def tokens(text: str) -> int:
    return DEFAULT_COUNTER.count(text)


def test_short_text_is_one_chunk_and_blank_text_none() -> None:
    chunker = Chunker(max_tokens=64)
    assert chunker.split("  A rule.  ") == ["A rule."]
    assert chunker.split(" \n\t ") == []


def test_the_estimate_counts_punctuation_and_long_words() -> None:
    counter = WordPieceEstimate()
    assert counter.count("Rule 8.3.1 applies.") == 8  # Rule 8 . 3 . 1 applies .
    assert counter.count("a" * 15) == 3
    assert counter.count("") == 0


def test_cuts_on_paragraphs_before_sentences() -> None:
    paragraphs = [f"Paragraph {i}. " + "word " * 80 for i in range(6)]
    chunks = Chunker(max_tokens=200).split("\n\n".join(paragraphs))
    assert all(tokens(c) <= 200 for c in chunks)
    assert all(c.startswith("Paragraph") for c in chunks)
    assert len(chunks) == 3  # two ~83-token paragraphs fit a chunk, three do not
    assert visible("".join(chunks)) == visible("".join(paragraphs))


def test_list_items_and_table_rows_are_cut_on_lines() -> None:
    rows = [f"- ({i}) the firm must keep record number {i} for six years;" for i in range(120)]
    chunks = Chunker(max_tokens=100).split("The firm must:\n" + "\n".join(rows))
    assert len(chunks) > 10
    assert all(tokens(c) <= 100 for c in chunks)
    assert all(c.split("\n")[0].startswith(("- (", "The firm")) for c in chunks)


def test_sentences_then_words_never_inside_a_word() -> None:
    sentence = "A Relevant Person must keep adequate records of every transaction it makes. "
    text = sentence * 40  # one paragraph, one line
    chunks = Chunker(max_tokens=50).split(text)
    assert all(c.endswith(".") for c in chunks)
    words = set(text.split())
    assert all(set(c.split()) <= words for c in chunks)
    no_stops = "word " * 500
    cut = Chunker(max_tokens=40).split(no_stops)
    assert all(set(c.split()) == {"word"} for c in cut)


def test_one_unbroken_run_is_cut_only_because_it_must() -> None:
    chunks = Chunker(max_tokens=32).split("x" * 1000)
    assert all(tokens(c) <= 32 for c in chunks)
    assert "".join(chunks) == "x" * 1000


def test_small_neighbours_are_merged_up_to_the_budget() -> None:
    text = "\n\n".join(f"Short rule {i}." for i in range(30))
    chunks = Chunker(max_tokens=40).split(text)
    assert 1 < len(chunks) < 30
    assert all(tokens(c) <= 40 for c in chunks)


def glossary(rows: int) -> str:
    """A glossary table like the corpus's largest passage, with multi-byte text."""
    line = "Überwachungspflicht {i}\tMeans the duty — 監視義務 — under Rule {i}.2 😀."
    return "GEN 4.2 interprets these terms.\n\n\n/Table Start\n" + "\n".join(
        line.format(i=i) for i in range(rows)
    )


@pytest.mark.parametrize("max_tokens", [64, 256, 2048, MAX_CHUNK_TOKENS])
def test_a_152k_character_passage_fits_the_budget_and_the_text_field(max_tokens: int) -> None:
    text = glossary(2600)
    assert len(text) > 150_000 and len(text.encode()) > 2 * TEXT_MAX_BYTES
    chunks = Chunker(max_tokens=max_tokens).split(text)
    assert len(chunks) > 1
    assert all(tokens(c) <= max_tokens for c in chunks)
    assert all(len(c.encode()) <= BODY_MAX_BYTES < TEXT_MAX_BYTES for c in chunks)
    assert visible("".join(chunks)) == visible(text)


def test_the_byte_limit_binds_when_characters_are_wide() -> None:
    # 4-byte characters in short words: within the token budget, over the byte limit.
    text = " ".join(["😀😀😀"] * 20_000)
    chunks = Chunker(max_tokens=MAX_CHUNK_TOKENS, max_bytes=4096).split(text)
    assert all(len(c.encode()) <= 4096 for c in chunks)
    assert visible("".join(chunks)) == visible(text)


def test_a_lower_budget_for_one_text_leaves_room_for_a_header() -> None:
    chunker = Chunker(max_tokens=100)
    text = "word " * 300
    assert all(tokens(c) <= 60 for c in chunker.split(text, max_tokens=60))
    assert max(tokens(c) for c in chunker.split(text, max_tokens=500)) <= 100


def test_the_same_text_is_always_cut_the_same_way() -> None:
    text = glossary(300)
    assert Chunker(max_tokens=128).split(text) == Chunker(max_tokens=128).split(text)


class Characters:
    """A toy tokenizer: every non-space character a token."""

    class Encoded:
        def __init__(self, text: str) -> None:
            self.ids = [ord(c) for c in text if not c.isspace()]

    def encode(self, sequence: str, *, add_special_tokens: bool = True) -> Encoded:
        return self.Encoded(sequence)


def test_a_model_tokenizer_can_replace_the_estimate() -> None:
    counter = TokenizerCounter(Characters(), name="characters")
    chunker = Chunker(max_tokens=50, counter=counter)
    chunks = chunker.split("abcdefghij " * 40)
    assert all(len(re.sub(r"\s", "", c)) <= 50 for c in chunks)
    assert counter.name in chunker.signature


def test_the_signature_follows_the_budget() -> None:
    assert Chunker(max_tokens=100).signature != Chunker(max_tokens=120).signature


@pytest.mark.parametrize("max_tokens", [10, MAX_CHUNK_TOKENS + 1])
def test_a_budget_that_cannot_work_is_refused(max_tokens: int) -> None:
    with pytest.raises(ValueError, match="max_tokens"):
        Chunker(max_tokens=max_tokens)


class CountedEstimate:
    """The default estimate, keeping count of the characters it was asked to count: the
    chunker's work, measured without a clock."""

    name = "counted"

    def __init__(self) -> None:
        self.characters = 0

    def count(self, text: str) -> int:
        self.characters += len(text)
        return DEFAULT_COUNTER.count(text)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("x" * 15_000_000, id="15MB-without-whitespace"),
        pytest.param("a.b,c;d:e-f/" * 250_000, id="3MB-of-punctuation"),
        pytest.param(("abcdefghij" * 40 + " ") * 5_000, id="long-words"),
        pytest.param("a " * 500_000, id="1MB-of-one-letter-words"),
    ],
)
def test_chunking_work_is_linear_in_the_text(text: str) -> None:
    # Cutting a long run used to bisect over the whole rest of the text for every chunk:
    # a 3 MB run without whitespace held search for 85 s (issue 7).
    counter = CountedEstimate()
    chunks = Chunker(counter=counter).split(text)
    assert visible("".join(chunks)) == visible(text)
    assert all(tokens(c) <= 256 for c in chunks)
    assert counter.characters <= 8 * len(text)


def test_an_unbroken_run_is_cut_the_same_whatever_its_length() -> None:
    run = "".join(chr(ord("a") + i % 26) + ("." if i % 11 == 0 else "") for i in range(40_000))
    chunks = Chunker(max_tokens=64).split(run)
    assert "".join(chunks) == run
    # Every cut is the longest prefix that fits: one more character would not.
    at = 0
    for chunk in chunks[:-1]:
        at += len(chunk)
        assert tokens(chunk) <= 64 < tokens(chunk + run[at])

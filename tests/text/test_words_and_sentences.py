"""The text tools every service's offline rules share: words, stems, sentences."""

from __future__ import annotations

from arbiter_text import keywords, segments, sentences, stem, stems, words
from arbiter_text.words import MAX_CACHED_WORD_CHARS, _cached_stem


def test_words_are_lower_cased_and_keywords_drop_stop_words() -> None:
    assert words("The Firm's AML-CFT rules, 8.3.1") == [
        "the",
        "firm's",
        "aml-cft",
        "rules",
        "8.3.1",
    ]
    assert keywords("What must the firm report and when?") == ["must", "firm", "report"]


def test_stems_match_the_forms_of_one_word() -> None:
    assert stem("reports") == stem("reported") == stem("reporting") == "report"
    assert stems("reporting suspicious transactions") == stems("report suspicious transaction")


def test_long_words_are_stemmed_without_filling_the_cache() -> None:
    before = _cached_stem.cache_info().currsize
    for n in range(200):
        stem("x" * (MAX_CACHED_WORD_CHARS + 1) + str(n) + "ings")
    assert _cached_stem.cache_info().currsize == before
    assert stem("a" * 40 + "ings") == "a" * 40


def test_sentences_end_at_full_stops_but_not_after_abbreviations() -> None:
    text = "A firm must report, e.g. to the FIU. It must do so promptly."
    assert sentences(text) == ["A firm must report, e.g. to the FIU.", "It must do so promptly."]


def test_segments_rebuild_the_text_they_stream() -> None:
    text = "One two three four five six seven eight nine ten eleven twelve thirteen. Next."
    assert "".join(segments(text)) == text

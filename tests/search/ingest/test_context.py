"""Context headers: what goes in, how long they may be, and how readers get the passage back."""

from __future__ import annotations

from arbiter_search.ingest.context import ContextInjection
from arbiter_search.ingest.tokens import DEFAULT_COUNTER
from arbiter_search.store.base import CONTEXT_END, indexed_text, passage_text


def header(**overrides: object) -> str:
    fields: dict[str, object] = {
        "title": "Conduct of Business Rulebook",
        "rulebook": "COBS",
        "section": ("3. Client classification", "3.2 Retail clients"),
        "facts": {"doc_type": "rulebook", "effective_date": "2023-08-15", "x": "ignored"},
        "counter": DEFAULT_COUNTER,
        "max_tokens": 256,
    } | overrides
    return ContextInjection().header(**fields)  # type: ignore[arg-type]


def test_the_header_names_document_section_and_verified_facts() -> None:
    assert header() == (
        "COBS · Conduct of Business Rulebook\n"
        "3. Client classification > 3.2 Retail clients\n"
        "doc type: rulebook · effective date: 2023-08-15"
    )


def test_a_rulebook_already_in_the_title_is_not_repeated() -> None:
    first = header(title="Anti-Money Laundering Rules (AML)", rulebook="AML", section=(), facts={})
    assert first == "Anti-Money Laundering Rules (AML)"


def test_a_long_header_is_cut_to_a_quarter_of_the_budget() -> None:
    long = header(title="Very long title word " * 100, max_tokens=128)
    assert DEFAULT_COUNTER.count(long) <= 32
    assert long.endswith("…")


def test_disabled_injection_adds_nothing() -> None:
    assert (
        ContextInjection(enabled=False).header(
            title="T",
            rulebook="R",
            section=("S",),
            facts={},
            counter=DEFAULT_COUNTER,
            max_tokens=64,
        )
        == ""
    )
    assert ContextInjection(enabled=False).signature != ContextInjection().signature


def test_readers_get_the_passage_back() -> None:
    assert passage_text(indexed_text("Header", "The rule.")) == "The rule."
    assert passage_text(indexed_text("", "The rule.")) == "The rule."
    # A passage that itself contains the mark survives, and so does text stored before.
    assert passage_text(indexed_text("", f"a{CONTEXT_END}b")) == f"a{CONTEXT_END}b"
    assert passage_text("Stored before headers existed.") == "Stored before headers existed."

"""Markdown documents: sections from headings, and chunks that never span two of them."""

from __future__ import annotations

import json

from arbiter_search.ingest.chunker import Chunker
from arbiter_search.ingest.context import ContextInjection
from arbiter_search.ingest.documents import DocumentPreparer, PreparedDocument, SourceDocument
from arbiter_search.ingest.markdown import Section, sections
from arbiter_search.ingest.tokens import DEFAULT_COUNTER
from arbiter_search.store.base import passage_text
from arbiter_search.store.schema import TEXT_MAX_BYTES

from tests.search.conftest import RULEBOOKS

TEXT = """Preamble before any heading.

# 8. Customer Due Diligence
## 8.1 Application
### 8.1.1 Scope
A Relevant Person must do X.

```
# a comment in code, not a heading
```

## 8.2 Timing ##
Before the relationship begins.
## 8.3 (Deleted)
# 9. Reporting
Report without delay.
"""


def test_headings_make_sections_with_their_trail() -> None:
    found = sections(TEXT)
    assert [s.path for s in found] == [
        (),
        ("8. Customer Due Diligence", "8.1 Application", "8.1.1 Scope"),
        ("8. Customer Due Diligence", "8.2 Timing"),
        ("8. Customer Due Diligence", "8.3 (Deleted)"),
        ("9. Reporting",),
    ]
    assert [s.ref for s in found] == ["", "8.1.1", "8.2", "8.3", "9"]


def test_a_bare_heading_joins_the_subsection_beneath_it() -> None:
    scope = sections(TEXT)[1]
    assert scope.text.startswith("8. Customer Due Diligence\n\n8.1 Application\n\n8.1.1 Scope\n\n")
    assert "# a comment in code, not a heading" in scope.text
    # A bare heading followed by a sibling stays a section of its own.
    assert sections(TEXT)[3] == Section(
        ("8. Customer Due Diligence", "8.3 (Deleted)"), "8.3 (Deleted)"
    )


def test_text_without_headings_is_one_section() -> None:
    assert sections("Just a paragraph.\n\nAnd another.") == [
        Section((), "Just a paragraph.\n\nAnd another.")
    ]
    assert sections("") == []


def prepare_fixture(name: str, *, max_tokens: int = 128, context: bool = True) -> PreparedDocument:
    entry = json.loads((RULEBOOKS / "contents.json").read_text())[name]
    metadata = {k: v for k, v in entry.items() if k != "title"}
    metadata |= {"format": "markdown", "document_file": name}
    document = SourceDocument(
        entry["document_id"], entry["title"], (RULEBOOKS / name).read_text(), metadata
    )
    preparer = DocumentPreparer(
        Chunker(max_tokens=max_tokens),
        default_tenant="default",
        context=ContextInjection(enabled=context),
    )
    prepared = preparer.prepare(document, tenant="default")
    assert isinstance(prepared, PreparedDocument)
    return prepared


def test_a_rulebook_is_chunked_by_section_with_refs_and_headers() -> None:
    prepared = prepare_fixture("aml.md")
    refs = [c.passage_ref for c in prepared.chunks]
    assert refs[0] == "1.1" and "2.2" in refs and refs[-1] == "3.1"
    assert [c.id for c in prepared.chunks] == [f"FIX-AML#{i}" for i in range(len(refs))]
    enhanced = [c for c in prepared.chunks if c.passage_ref == "2.2"]
    for chunk in enhanced:
        header, _, body = chunk.text.partition("\x1e")
        assert "Financial Crime Prevention Rules" in header
        assert "2. Customer Due Diligence > 2.2 Enhanced diligence" in header
        assert "doc type: rulebook" in header
        assert "Financial Crime" not in body
        assert body == passage_text(chunk.text)
    # No chunk mixes two sections: each body holds rule numbers of its own section only.
    for chunk in prepared.chunks:
        assert "3.1.1" not in passage_text(chunk.text) or chunk.passage_ref == "3.1"


def test_the_long_glossary_section_becomes_many_chunks_within_budget() -> None:
    prepared = prepare_fixture("glossary.md", max_tokens=256)
    assert len(prepared.chunks) > 20
    assert {c.passage_ref for c in prepared.chunks} == {"1.1"}
    for chunk in prepared.chunks:
        assert DEFAULT_COUNTER.count(chunk.text) <= 256  # header and mark included
        assert len(chunk.text.encode()) < TEXT_MAX_BYTES


def test_without_context_injection_the_text_is_the_passage() -> None:
    prepared = prepare_fixture("conduct.md", context=False)
    assert all(c.text.startswith("\x1e") for c in prepared.chunks)
    assert passage_text(prepared.chunks[0].text).startswith("1. General")

"""Markdown documents and context injection through the real SearchService.Ingest."""

from __future__ import annotations

import json
from pathlib import Path

from arbiter.common.v1 import common_pb2
from arbiter.search.v1 import search_pb2
from arbiter_search.ingest.config import IngestConfig

from tests.search.conftest import RULEBOOKS
from tests.search.support import chunk_count, passages_of
from tests.support.search import RunningSearch, ingest, running_search, summary_of


def rulebook(name: str, *, text: str | None = None) -> search_pb2.Document:
    """A fixture rulebook as the CLI sends it (see arbiter_cli.sources)."""
    entry = json.loads((RULEBOOKS / "contents.json").read_text())[name]
    metadata = {k: v for k, v in entry.items() if k != "title"}
    metadata |= {"document_file": name, "format": "markdown"}
    body = (RULEBOOKS / name).read_text() if text is None else text
    return search_pb2.Document(
        id=entry["document_id"], title=entry["title"], text=body, metadata=metadata
    )


def only(source: str) -> list[common_pb2.MetadataFilter]:
    return [common_pb2.MetadataFilter(field="source_id", any_of=[source])]


async def test_sections_are_stored_as_passages_with_their_refs(
    fresh_search: RunningSearch,
) -> None:
    documents = [rulebook(n) for n in ("aml.md", "conduct.md", "glossary.md")]
    summary = summary_of(await ingest(fresh_search.stub, documents))
    assert (summary.documents, summary.rejected) == (3, 0)
    assert summary.chunks_written == await chunk_count(fresh_search) > 10

    [hit] = await passages_of(fresh_search, "suspicious activity report within 30 days", top_k=1)
    assert (hit.source_id, hit.passage_ref, hit.rulebook) == ("FIX-AML", "3.1", "FCP")
    assert hit.title == "Financial Crime Prevention Rules"
    assert hit.text.startswith("3. Reporting\n\n3.1 Suspicious activity\n\n3.1.1 ")
    assert "\x1e" not in hit.text


async def test_a_changed_rulebook_replaces_its_chunks(fresh_search: RunningSearch) -> None:
    summary_of(await ingest(fresh_search.stub, [rulebook("glossary.md"), rulebook("aml.md")]))
    before = await chunk_count(fresh_search)
    short = "# 1. Glossary\n\n## 1.1 Defined terms\n\nZebra custody means nothing here."
    again = summary_of(await ingest(fresh_search.stub, [rulebook("glossary.md", text=short)]))
    assert again.chunks_written == 1
    after = await chunk_count(fresh_search)
    assert after < before
    hits = await passages_of(fresh_search, "defined terms", top_k=50, filters=only("FIX-GLO"))
    assert [h.id for h in hits] == ["FIX-GLO#0"]
    unchanged = summary_of(await ingest(fresh_search.stub, [rulebook("aml.md")]))
    assert (unchanged.unchanged, unchanged.chunks_written) == (1, 0)


async def test_context_injection_indexes_the_header_and_shows_the_passage(
    tmp_path: Path,
) -> None:
    # "Conduct" is in the rulebook's title only, never in its text.
    async with running_search(
        tmp_path / "on", ingest=IngestConfig(context_injection=True)
    ) as search:
        summary_of(await ingest(search.stub, [rulebook("conduct.md")]))
        hits = await passages_of(search, "conduct", top_k=3)
    assert [h.source_id for h in hits] == ["FIX-CON"]
    assert "\x1e" not in hits[0].text and "conduct" not in hits[0].text.lower()
    async with running_search(tmp_path / "off") as search:
        summary_of(await ingest(search.stub, [rulebook("conduct.md")]))
        assert await passages_of(search, "conduct", top_k=3) == []

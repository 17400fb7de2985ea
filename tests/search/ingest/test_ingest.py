"""Ingest: idempotent re-runs, replaced chunks, long passages, rejections, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from arbiter.common.v1 import common_pb2
from arbiter.search.v1 import search_pb2
from arbiter_search.ingest.config import IngestConfig
from arbiter_search.ingest.pipeline import REJECTIONS_KEY
from arbiter_search.ingest.tokens import DEFAULT_COUNTER
from arbiter_search.store.schema import TEXT_MAX_BYTES

from tests.search.conftest import corpus_documents
from tests.search.support import chunk_count, passages_of
from tests.support.search import (
    RunningSearch,
    fixture_documents,
    ingest,
    running_search,
    summary_of,
)
from tests.support.servers import assert_invalid_argument


async def test_first_ingest_writes_every_document(fresh_search: RunningSearch) -> None:
    documents = fixture_documents()
    summary = summary_of(await ingest(fresh_search.stub, documents))
    assert (summary.documents, summary.chunks_written) == (len(documents), len(documents))
    assert (summary.unchanged, summary.rejected) == (0, 0)
    assert summary.seconds > 0
    assert await chunk_count(fresh_search) == len(documents)


async def test_reingesting_unchanged_documents_writes_nothing(fresh_search: RunningSearch) -> None:
    documents = fixture_documents() + corpus_documents(120)
    first = summary_of(await ingest(fresh_search.stub, documents))
    chunks = await chunk_count(fresh_search)
    assert chunks == first.chunks_written

    again = summary_of(await ingest(fresh_search.stub, documents))
    assert again.documents == len(documents)
    assert again.chunks_written == 0
    assert again.unchanged == len(documents)
    assert await chunk_count(fresh_search) == chunks


async def test_a_changed_document_replaces_its_chunks(fresh_search: RunningSearch) -> None:
    paragraph = "Obsolete wording about zebra custody arrangements. " * 60  # ~3,000 chars
    long_text = "\n\n".join([paragraph] * 3)
    old = search_pb2.Document(id="doc-1", title="v1", text=long_text, metadata={"rulebook": "X"})
    other = search_pb2.Document(id="doc-2", title="other", text="Unrelated rule text.")
    first = summary_of(await ingest(fresh_search.stub, [old, other]))
    old_chunks = first.chunks_written - 1
    assert old_chunks >= 3
    assert await chunk_count(fresh_search) == old_chunks + 1

    new = search_pb2.Document(id="doc-1", title="v2", text="New wording about giraffe custody.")
    second = summary_of(await ingest(fresh_search.stub, [new, other]))
    assert (second.chunks_written, second.unchanged) == (1, 1)
    assert await chunk_count(fresh_search) == 2

    stale = await passages_of(fresh_search, "zebra arrangements obsolete")
    assert stale == []
    fresh = await passages_of(fresh_search, "giraffe custody")
    assert [(p.id, p.title) for p in fresh] == [("doc-1#0", "v2")]


async def test_changed_metadata_alone_rewrites_the_document(fresh_search: RunningSearch) -> None:
    doc = search_pb2.Document(
        id="m-1", text="Rule about ostrich feathers.", metadata={"rulebook": "A"}
    )
    summary_of(await ingest(fresh_search.stub, [doc]))
    doc.metadata["rulebook"] = "B"
    again = summary_of(await ingest(fresh_search.stub, [doc]))
    assert (again.chunks_written, again.unchanged) == (1, 0)
    [hit] = await passages_of(fresh_search, "ostrich feathers")
    assert hit.rulebook == "B"


async def test_a_long_passage_is_split_below_the_field_limit(fresh_search: RunningSearch) -> None:
    # Multi-byte text: 3 bytes a character, so a character budget alone would not do.
    sentence = "Die Überwachung verdächtiger Transaktionen ist Pflicht — 監視義務がある. "
    text = sentence * 3000  # ~200k characters, well past 65,535 bytes
    doc = search_pb2.Document(id="long-1", title="long", text=text)
    summary = summary_of(await ingest(fresh_search.stub, [doc]))
    assert summary.chunks_written == await chunk_count(fresh_search) > 1
    chunks = await passages_of(
        fresh_search,
        "Überwachung verdächtiger Transaktionen",
        top_k=50,
        filters=[common_pb2.MetadataFilter(field="source_id", any_of=["long-1"])],
    )
    # Search keeps the best chunk of each source; each chunk is one row within the limit.
    assert len(chunks) == 1
    assert DEFAULT_COUNTER.count(chunks[0].text) <= fresh_search.config.ingest.chunk_tokens
    assert len(chunks[0].text.encode()) < TEXT_MAX_BYTES


async def test_empty_and_anonymous_documents_are_rejected_and_counted(
    fresh_search: RunningSearch,
) -> None:
    docs = [
        search_pb2.Document(id="", text="no id"),
        search_pb2.Document(id="blank", text="  \n "),
        search_pb2.Document(id="ok", text="A valid rule."),
    ]
    call = fresh_search.stub.Ingest(iter([search_pb2.IngestRequest(document=d) for d in docs]))
    responses = [response async for response in call]
    summary = summary_of(responses)
    assert (summary.documents, summary.rejected, summary.chunks_written) == (3, 2, 1)
    # Which ones and why, until the summary can say so (see REJECTIONS_KEY).
    trailing = dict(await call.trailing_metadata())
    assert json.loads(trailing[REJECTIONS_KEY]) == [
        {"id": "", "reason": "missing id"},
        {"id": "blank", "reason": "empty text"},
    ]


async def test_progress_comes_every_batch_with_percentages(tmp_path: Path) -> None:
    async with running_search(tmp_path, ingest=IngestConfig(ingest_batch=10)) as search:
        docs = [search_pb2.Document(id=f"d{i}", text=f"rule number {i}") for i in range(25)]
        responses = await ingest(search.stub, docs, expected=25)
    progress = [r.progress for r in responses[:-1]]
    assert [p.documents_received for p in progress] == [10, 20, 25]
    assert [p.chunks_written for p in progress] == [10, 20, 25]
    assert [round(p.percent) for p in progress] == [40, 80, 100]
    assert responses[-1].summary.documents == 25


async def test_a_repeated_id_in_one_stream_keeps_the_last_version(
    fresh_search: RunningSearch,
) -> None:
    docs = [
        search_pb2.Document(id="dup", text="first version about pelicans"),
        search_pb2.Document(id="dup", text="second version about flamingos"),
    ]
    summary = summary_of(await ingest(fresh_search.stub, docs))
    assert summary.documents == 2
    assert await chunk_count(fresh_search) == 1
    [hit] = await passages_of(fresh_search, "flamingos pelicans")
    assert "flamingos" in hit.text


@pytest.mark.parametrize(
    ("document", "field"),
    [
        (search_pb2.Document(id="x" * 600, text="t"), "documents[0].id"),
        (search_pb2.Document(id="a\x00b", text="t"), "documents[0].id"),
        (search_pb2.Document(id="t", title="x" * 5000, text="t"), "documents[0].title"),
        (
            search_pb2.Document(id="r", text="t", metadata={"document_short": "R" * 600}),
            "documents[0].metadata[document_short]",
        ),
        (
            search_pb2.Document(id="f", text="t", metadata={"format": "html"}),
            "documents[0].metadata[format]",
        ),
    ],
)
async def test_malformed_documents_are_invalid_argument(
    fresh_search: RunningSearch, document: search_pb2.Document, field: str
) -> None:
    await assert_invalid_argument(ingest(fresh_search.stub, [document]), field)


async def test_documents_before_a_malformed_one_are_stored(fresh_search: RunningSearch) -> None:
    docs = [
        search_pb2.Document(id="good-1", text="first good rule"),
        search_pb2.Document(id="good-2", text="second good rule"),
        search_pb2.Document(id="x" * 600, text="bad id"),
        search_pb2.Document(id="never", text="after the error"),
    ]
    await assert_invalid_argument(ingest(fresh_search.stub, docs), "documents[2].id")
    assert await chunk_count(fresh_search) == 2


async def test_options_after_a_document_are_invalid_argument(fresh_search: RunningSearch) -> None:
    requests = [
        search_pb2.IngestRequest(document=search_pb2.Document(id="a", text="t")),
        search_pb2.IngestRequest(options=search_pb2.IngestOptions(expected_documents=1)),
    ]

    async def run() -> None:
        async for _ in fresh_search.stub.Ingest(iter(requests)):
            pass

    await assert_invalid_argument(run(), "options")


async def test_negative_expected_documents_is_invalid_argument(fresh_search: RunningSearch) -> None:
    await assert_invalid_argument(
        ingest(fresh_search.stub, [], expected=-1), "options.expected_documents"
    )


async def test_an_empty_stream_gets_a_zero_summary(fresh_search: RunningSearch) -> None:
    summary = summary_of(await ingest(fresh_search.stub, []))
    assert (summary.documents, summary.chunks_written) == (0, 0)


async def test_the_store_survives_a_restart(tmp_path: Path) -> None:
    docs = fixture_documents()
    async with running_search(tmp_path) as search:
        summary_of(await ingest(search.stub, docs))
    async with running_search(tmp_path) as search:
        assert await chunk_count(search) == len(docs)
        again = summary_of(await ingest(search.stub, docs))
        assert again.unchanged == len(docs)
        assert await passages_of(search, "suspicious activity report")

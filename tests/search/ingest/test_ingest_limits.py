"""Ingest limits: documents per call, bytes per document and per message. A document
beyond them is refused naming it, and the documents before it are stored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from arbiter.search.v1 import search_pb2
from arbiter_kit.errors import InvalidArgument
from arbiter_search.config import SearchConfig
from arbiter_search.ingest.config import IngestConfig, IngestLimits

from tests.search.support import chunk_count
from tests.support.search import RunningSearch, ingest, running_search
from tests.support.servers import assert_invalid_argument

LIMITS = IngestLimits(
    max_ingest_documents=4, max_document_bytes=2000, max_ingest_message_bytes=3000
)


@pytest.fixture
async def limited(tmp_path: Path) -> AsyncIterator[RunningSearch]:
    async with running_search(
        tmp_path, ingest_limits=LIMITS, ingest=IngestConfig(ingest_batch=1)
    ) as search:
        yield search


def good(i: int) -> search_pb2.Document:
    return search_pb2.Document(id=f"good-{i}", text=f"Rule {i} about herons.")


async def test_a_document_over_the_byte_limit_is_named_and_those_before_it_stored(
    limited: RunningSearch,
) -> None:
    huge = search_pb2.Document(id="huge", text="é" * 1001)  # 2,002 bytes in 1,001 characters
    error = await assert_invalid_argument(
        ingest(limited.stub, [good(0), good(1), huge, good(3)]), "documents[2].text"
    )
    assert "'huge'" in (error.details() or "")
    assert await chunk_count(limited) == 2


async def test_the_limits_are_inclusive(limited: RunningSearch) -> None:
    documents = [search_pb2.Document(id=f"d{i}", text="x" * 2000) for i in range(4)]
    responses = await ingest(limited.stub, documents)
    assert responses[-1].summary.documents == 4


async def test_a_message_over_the_byte_limit_is_named(limited: RunningSearch) -> None:
    heavy = search_pb2.Document(
        id="heavy", text="short", metadata={f"k{i}": "v" * 100 for i in range(30)}
    )
    await assert_invalid_argument(ingest(limited.stub, [good(0), heavy]), "documents[1]")
    assert await chunk_count(limited) == 1


async def test_documents_beyond_the_count_are_refused(limited: RunningSearch) -> None:
    await assert_invalid_argument(ingest(limited.stub, [good(i) for i in range(5)]), "documents")
    assert await chunk_count(limited) == 4


def test_the_limits_are_read_from_the_environment() -> None:
    config = SearchConfig.from_env(
        {
            "SEARCH_MAX_INGEST_DOCUMENTS": "7",
            "SEARCH_MAX_DOCUMENT_BYTES": "100",
            "SEARCH_MAX_INGEST_MESSAGE_BYTES": "200",
        }
    )
    assert config.ingest_limits == IngestLimits(7, 100, 200)
    assert SearchConfig.from_env({}).ingest_limits == IngestLimits()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("SEARCH_MAX_INGEST_DOCUMENTS", "0"),
        ("SEARCH_MAX_DOCUMENT_BYTES", "0"),
        ("SEARCH_MAX_INGEST_MESSAGE_BYTES", "10"),
    ],
)
def test_bad_limits_are_named(key: str, value: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        SearchConfig.from_env({key: value})
    assert caught.value.field == key

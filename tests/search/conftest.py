"""Search fixtures: the real SearchService on a `grpc.aio` server (127.0.0.1:0) over a
Milvus Lite file in a temporary folder. `corpus_search` is shared by a module and holds
the fixture passages plus a slice of the real corpus; `fresh_search` is empty, per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from arbiter.search.v1 import search_pb2

from tests.support.corpus import CORPUS
from tests.support.search import (
    FIXTURE_PASSAGES,
    RunningSearch,
    as_document,
    fixture_documents,
    ingest,
    read_jsonl,
    running_search,
    summary_of,
)

FIXTURES = Path(__file__).parent / "fixtures"
PASSAGES = FIXTURE_PASSAGES
RULEBOOKS = FIXTURES / "rulebooks"
SLICE_LINES = 300


def corpus_documents(limit: int = SLICE_LINES) -> list[search_pb2.Document]:
    """The first passages of the real corpus, or none when it is not on this machine."""
    return [as_document(row) for row in read_jsonl(CORPUS, limit)] if CORPUS.exists() else []


@pytest.fixture(scope="module")
async def corpus_search(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningSearch]:
    async with running_search(tmp_path_factory.mktemp("search")) as search:
        documents = fixture_documents() + corpus_documents()
        summary = summary_of(await ingest(search.stub, documents, expected=len(documents)))
        assert summary.documents == len(documents)
        assert summary.rejected == 0
        yield search


@pytest.fixture
async def fresh_search(tmp_path: Path) -> AsyncIterator[RunningSearch]:
    async with running_search(tmp_path / "search") as search:
        yield search

"""CLI fixtures: the real search service on 127.0.0.1:0 holding the search tests' fixture
passages, and the hand-judged queries about them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.search import (
    RunningSearch,
    fixture_documents,
    ingest,
    running_search,
    summary_of,
)

FIXTURES = Path(__file__).parent / "fixtures"
QUERIES = FIXTURES / "queries.jsonl"
QRELS = FIXTURES / "qrels.tsv"


@pytest.fixture(scope="module")
async def fixture_search(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningSearch]:
    async with running_search(tmp_path_factory.mktemp("search")) as search:
        documents = fixture_documents()
        summary = summary_of(await ingest(search.stub, documents, expected=len(documents)))
        assert summary.documents == len(documents)
        yield search

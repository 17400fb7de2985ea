"""Search fixtures: the real SearchService on a `grpc.aio` server (127.0.0.1:0) over a
Milvus Lite file in a temporary folder. `corpus_search` is shared by a module and holds
the fixture passages plus a slice of the real corpus; `fresh_search` is empty, per test."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from arbiter.search.v1 import search_pb2, search_pb2_grpc
from arbiter_kit.config import ServerConfig
from arbiter_search import SearchConfig, search_server
from arbiter_search.embed.config import EmbedderConfig

from tests.support.corpus import CORPUS
from tests.support.servers import channel_to

FIXTURES = Path(__file__).parent / "fixtures"
PASSAGES = FIXTURES / "passages.jsonl"
RULEBOOKS = FIXTURES / "rulebooks"
SLICE_LINES = 300


@dataclass
class RunningSearch:
    """A started search server and a stub on a channel to it."""

    target: str
    stub: search_pb2_grpc.SearchServiceStub
    config: SearchConfig


@asynccontextmanager
async def running_search(data_dir: Path, **settings: Any) -> AsyncIterator[RunningSearch]:
    """A search server over a Lite file in `data_dir`; BM25 only unless `settings` name an
    embedder (test_hybrid covers the embedders, the rest is independent of them)."""
    settings.setdefault("embedder", EmbedderConfig(kind="none"))
    config = SearchConfig(milvus_uri=str(data_dir / "milvus.db"), **settings)
    server_config = ServerConfig(host="127.0.0.1", port=0, metrics_port=None, grace_seconds=1)
    async with search_server(server_config, config) as server, channel_to(server) as channel:
        target = f"127.0.0.1:{server.port}"
        yield RunningSearch(target, search_pb2_grpc.SearchServiceStub(channel), config)


def read_jsonl(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as lines:
        for n, line in enumerate(lines):
            if limit is not None and n >= limit:
                break
            rows.append(json.loads(line))
    return rows


def as_document(row: dict[str, Any]) -> search_pb2.Document:
    """A Document from a corpus row (metadata values as strings, as the CLI sends them)."""
    return search_pb2.Document(
        id=row["id"],
        title=row.get("title", ""),
        text=row.get("text", ""),
        metadata={k: str(v) for k, v in row.get("metadata", {}).items()},
    )


async def ingest(
    stub: search_pb2_grpc.SearchServiceStub,
    documents: Iterable[search_pb2.Document],
    *,
    expected: int = 0,
) -> list[search_pb2.IngestResponse]:
    """Stream documents (after an options message) and return every response."""
    requests = [
        search_pb2.IngestRequest(options=search_pb2.IngestOptions(expected_documents=expected))
    ]
    requests += [search_pb2.IngestRequest(document=d) for d in documents]
    return [response async for response in stub.Ingest(iter(requests))]


def summary_of(responses: list[search_pb2.IngestResponse]) -> search_pb2.IngestSummary:
    assert responses[-1].HasField("summary")
    assert all(r.HasField("progress") for r in responses[:-1])
    return responses[-1].summary


def fixture_documents() -> list[search_pb2.Document]:
    return [as_document(row) for row in read_jsonl(PASSAGES)]


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

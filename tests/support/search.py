"""The real search service in the test process, for every area whose tests need one: a
server on 127.0.0.1:0 over a Milvus Lite file, and documents streamed into it through
the real Ingest RPC (corpus rows or the search tests' fixture passages)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arbiter.search.v1 import search_pb2, search_pb2_grpc
from arbiter_search import SearchConfig, search_server

from tests.support.servers import LOCAL, channel_to

FIXTURE_PASSAGES = Path(__file__).resolve().parents[1] / "search" / "fixtures" / "passages.jsonl"
"""Hand-written passages the search and CLI tests judge queries against."""


@dataclass
class RunningSearch:
    """A started search server and a stub on a channel to it."""

    target: str
    stub: search_pb2_grpc.SearchServiceStub
    config: SearchConfig


def bm25_only(config: SearchConfig) -> SearchConfig:
    """`config` without the dense leg (`SEARCH_EMBEDDER=none`): ingesting runs no
    embedding model, which is most of an ingest's time."""
    return dataclasses.replace(config, embedder=dataclasses.replace(config.embedder, kind="none"))


@asynccontextmanager
async def running_search(data_dir: Path, **settings: Any) -> AsyncIterator[RunningSearch]:
    """A search server over a Lite file in `data_dir`; BM25 only unless `settings` name an
    embedder (the embedder tests cover the dense leg, the rest is independent of it)."""
    config = SearchConfig(milvus_uri=str(data_dir / "milvus.db"), **settings)
    if "embedder" not in settings:
        config = bm25_only(config)
    async with search_server(LOCAL, config) as server, channel_to(server) as channel:
        target = f"127.0.0.1:{server.port}"
        yield RunningSearch(target, search_pb2_grpc.SearchServiceStub(channel), config)


def read_jsonl(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """The first `limit` rows (all by default) of a JSON-lines file."""
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


def fixture_documents() -> list[search_pb2.Document]:
    return [as_document(row) for row in read_jsonl(FIXTURE_PASSAGES)]


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
    """The closing summary of an Ingest call, checking every message before it is progress."""
    assert responses[-1].HasField("summary")
    assert all(r.HasField("progress") for r in responses[:-1])
    return responses[-1].summary

"""No request stalls search: while the heaviest ingestion there can be runs (a 15 MB
document without whitespace: issue 7 row 2), health checks and other callers are
answered, and SIGTERM ends the service within its grace period."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from arbiter.search.v1 import search_pb2, search_pb2_grpc
from arbiter_cli import suite
from arbiter_search.ingest.config import IngestConfig, IngestLimits
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.support.search import RunningSearch, running_search

pytestmark = pytest.mark.timeout(300)

HEAVY_BYTES = 15_000_000
ROOM = IngestLimits(max_document_bytes=HEAVY_BYTES, max_ingest_message_bytes=HEAVY_BYTES + 1024)
"""Limits that let the heaviest document in (the defaults refuse it, see test_ingest_limits)."""
ANSWER_WITHIN = 5.0
"""Seconds a health check may take; the event loop, when blocked, held it for minutes."""
MAX_PROBES = 1000


UNBROKEN = "x" * HEAVY_BYTES
"""The heaviest text to cut: one 15 MB word."""
ONE_LETTER_WORDS = "a " * 2_000_000
"""The most pieces to pack: two million words in 4 MB."""


def heavy(name: str, text: str = UNBROKEN) -> search_pb2.IngestRequest:
    return search_pb2.IngestRequest(document=search_pb2.Document(id=name, text=text))


async def probe_until(search: RunningSearch, done: asyncio.Future[object]) -> int:
    """Check health, and retrieve, again and again until `done`; each call must answer
    within ANSWER_WITHIN seconds. Returns how many rounds of checks answered meanwhile."""
    async with grpc.aio.insecure_channel(search.target) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        answered = 0
        while not done.done() and answered < MAX_PROBES:
            reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=ANSWER_WITHIN)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
            await search.stub.Retrieve(
                search_pb2.RetrieveRequest(query="herons"), timeout=ANSWER_WITHIN
            )
            answered += 1
            # Pace the checks by waiting on the ingestion itself, never on a clock alone.
            await asyncio.wait({done}, timeout=0.1)
        return answered


async def test_health_and_retrieval_answer_while_a_huge_document_is_ingested(
    tmp_path: Path,
) -> None:
    async with running_search(
        tmp_path, ingest_limits=ROOM, ingest=IngestConfig(ingest_batch=1)
    ) as search:
        call = search.stub.Ingest()
        await call.write(heavy("heavy-1"))
        await call.done_writing()
        responses = asyncio.ensure_future(_all(call))
        answered = await probe_until(search, responses)
        summary = (await responses)[-1].summary
    assert answered >= 2
    assert (summary.documents, summary.rejected) == (1, 0)
    assert summary.chunks_written > 1000


async def _all(call: object) -> list[search_pb2.IngestResponse]:
    return [r async for r in call]  # type: ignore[attr-defined]


GRACE_SECONDS = 2


def heavy_stream(count: int, text: str) -> Iterator[search_pb2.IngestRequest]:
    for i in range(count):
        yield heavy(f"heavy-{i}", text)


@pytest.mark.parametrize("text", [UNBROKEN, ONE_LETTER_WORDS], ids=["unbroken", "words"])
def test_sigterm_ends_the_service_within_its_grace_during_a_heavy_ingestion(
    tmp_path: Path, text: str
) -> None:
    env = {
        "SEARCH_MILVUS_URI": str(tmp_path / "milvus.db"),
        "SEARCH_GRAPH_URI": str(tmp_path / "graph"),
        "SEARCH_EMBEDDER": "none",
        "SEARCH_INGEST_BATCH": "1",
        "SEARCH_GRACE_SECONDS": str(GRACE_SECONDS),
        "SEARCH_MAX_DOCUMENT_BYTES": str(ROOM.max_document_bytes),
        "SEARCH_MAX_INGEST_MESSAGE_BYTES": str(ROOM.max_ingest_message_bytes),
    }
    running = suite.start("search", port=0, env=env, log_dir=tmp_path / "logs")
    try:
        with grpc.insecure_channel(running.target) as channel:
            stub = search_pb2_grpc.SearchServiceStub(channel)
            responses = stub.Ingest(heavy_stream(20, text))
            # The first document is stored: the service is deep in the stream's work.
            first = next(responses)
            assert first.progress.documents_received == 1
            running.process.send_signal(signal.SIGTERM)
            # Grace, then the work in flight is cancelled and the process exits; generous,
            # but far below what one more heavy document used to hold it for.
            code = running.process.wait(timeout=GRACE_SECONDS + 30)
            with pytest.raises(grpc.RpcError):
                for _ in responses:
                    pass
    finally:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait(10)
    assert code == 0, running.log.read_text(errors="replace")[-2000:]

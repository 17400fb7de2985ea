"""Crash safety, by really killing the search service: a re-run after a SIGKILL in the
middle of an ingestion leaves exactly the chunks a clean ingestion makes, nothing stale,
nothing twice."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from arbiter_cli import suite
from arbiter_search.store.milvus import MilvusPassageStore
from milvus_lite import server_manager_instance

pytestmark = pytest.mark.timeout(600)

DOCUMENTS = 2000
BATCH = "100"
WORDS = [
    "relevant",
    "person",
    "must",
    "undertake",
    "customer",
    "due",
    "diligence",
    "record",
    "transaction",
    "report",
    "suspicious",
    "activity",
    "regulator",
    "approve",
    "senior",
    "management",
    "risk",
    "assessment",
    "client",
    "fund",
    "custody",
    "margin",
    "exchange",
]


def document(i: int, *, version: int) -> dict[str, Any]:
    """Document `i` as version 1 or 2. In version 2 every third document changed: long
    ones shrink to one chunk, some short ones grow to several, others are reworded."""
    long = i % 10 == 0
    changed = version == 2 and i % 3 == 0
    if changed and long:
        long = False
    elif changed and i % 9 == 0:
        long = True
    sentences = 120 if long else 3
    words = [WORDS[(i * 7 + n * 3) % len(WORDS)] for n in range(sentences * 9)]
    body = ". ".join(" ".join(words[n : n + 9]) for n in range(0, len(words), 9))
    if changed:
        body = f"Amended in version 2. {body}"
    return {
        "id": f"doc-{i:05d}",
        "title": f"Rule {i}",
        "text": f"Rule {i}. {body}.",
        "metadata": {"rulebook": f"RB{i % 7}", "passage_id": str(i)},
    }


def write_corpus(path: Path, *, version: int) -> Path:
    count = DOCUMENTS if version == 1 else DOCUMENTS + 200
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            out.write(json.dumps(document(i, version=version)) + "\n")
    return path


def service_env(data: Path) -> dict[str, str]:
    return {
        "SEARCH_MILVUS_URI": str(data / "milvus.db"),
        "SEARCH_GRAPH_URI": str(data / "graph"),
        "SEARCH_EMBEDDER": "none",
        "SEARCH_INGEST_BATCH": BATCH,
    }


def start(data: Path, logs: Path) -> suite.Running:
    return suite.start("search", port=0, env=service_env(data), log_dir=logs)


def cli_ingest(path: Path, target: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("arbiter")), "ingest", str(path), "--search", target],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


Snapshot = tuple[dict[str, dict[str, str]], int]


def ingest_fully(path: Path, target: str) -> str:
    process = cli_ingest(path, target)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err[-2000:]
    return out


def ingest_and_stop(data: Path, corpus: Path, logs: Path) -> str:
    """Start a service on `data`, ingest `corpus` to the end, stop it cleanly."""
    running = start(data, logs)
    try:
        return ingest_fully(corpus, running.target)
    finally:
        assert suite.stop(running.process) == 0


def stored_progress(lines: Iterator[str]) -> Iterator[int]:
    """Documents the server reported stored, from the CLI's bar (plain lines off a tty)."""
    for line in lines:
        if "documents (" in line:
            yield int(line.split("]")[1].split("%")[1].split("/")[0])


def ingest_and_kill(path: Path, running: suite.Running, *, after: int) -> int:
    """Start ingesting `path`, SIGKILL the service once it has reported `after` documents
    stored, and return how many it had reported."""
    process = cli_ingest(path, running.target)
    assert process.stderr is not None
    stored = 0
    for stored in stored_progress(iter(process.stderr.readline, "")):
        if stored >= after:
            running.process.send_signal(signal.SIGKILL)
            running.process.wait(30)
            break
    process.communicate(timeout=60)
    assert running.process.returncode == -signal.SIGKILL, "the service ended before the kill"
    assert process.returncode != 0, "the ingestion finished before the kill"
    return stored


def snapshot(data: Path, ids: list[str]) -> Snapshot:
    """(source id -> chunk id -> content hash, row count) of a stopped service's store."""

    async def read() -> Snapshot:
        store = await MilvusPassageStore.open(str(data / "milvus.db"), collection="passages")
        try:
            hashes = await store.stored_hashes(tenant="default", source_ids=ids)
            return {k: dict(v) for k, v in hashes.items()}, await store.count(tenant="default")
        finally:
            await store.close()
            server_manager_instance.release_server(str(data / "milvus.db"))

    return asyncio.run(read())


def corpus_ids(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line)["id"] for line in lines]


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("corpora")
    return {
        "v1": write_corpus(tmp / "v1.jsonl", version=1),
        "v2": write_corpus(tmp / "v2.jsonl", version=2),
    }


@pytest.fixture(scope="module")
def clean_v2(corpora: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    """What one uninterrupted ingestion of version 2 stores."""
    data = tmp_path_factory.mktemp("clean")
    ingest_and_stop(data, corpora["v2"], data / "logs")
    return snapshot(data, corpus_ids(corpora["v2"]))


def test_a_killed_ingestion_rerun_stores_exactly_the_clean_chunk_set(
    corpora: dict[str, Path], clean_v2: Snapshot, tmp_path: Path
) -> None:
    expected, expected_rows = clean_v2
    running = start(tmp_path, tmp_path / "logs")
    try:
        ingest_fully(corpora["v1"], running.target)
        # Version 2 changes a third of the documents; the kill lands after some batches.
        stored = ingest_and_kill(corpora["v2"], running, after=int(BATCH) * 4)
        assert stored < DOCUMENTS
        partial, _ = snapshot(tmp_path, corpus_ids(corpora["v2"]))
        assert partial != expected  # the kill left version 2 half written
        running = start(tmp_path, tmp_path / "logs2")
        out = ingest_fully(corpora["v2"], running.target)
        # The batches stored before the kill are not written again.
        unchanged = int(out.split(" unchanged")[0].rsplit(" ", 1)[1])
        assert unchanged >= stored
    finally:
        suite.stop(running.process)
    found, rows = snapshot(tmp_path, corpus_ids(corpora["v2"]))
    assert found == expected
    assert rows == expected_rows == sum(len(chunks) for chunks in expected.values())


KILL_BETWEEN_UPSERT_AND_DELETE = textwrap.dedent(
    """
    import asyncio, json, os, signal, sys
    from arbiter_search.config import SearchConfig
    from arbiter_search.ingest.documents import SourceDocument, preparer_for
    from arbiter_search.ingest.pipeline import Ingestor
    from arbiter_search.store.milvus import MilvusPassageStore

    async def documents(path):
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                raw = json.loads(line)
                meta = {k: str(v) for k, v in raw["metadata"].items()}
                yield SourceDocument(raw["id"], raw["title"], raw["text"], meta)

    async def main(path):
        config = SearchConfig.from_env()
        store = await MilvusPassageStore.open(config.milvus_uri, collection=config.collection)
        def die(*args, **kwargs):
            # The first batch with stale chunks: its upserts have landed, its deletes never will.
            os.kill(os.getpid(), signal.SIGKILL)
        store._client.delete = die
        preparer = preparer_for(config.ingest, default_tenant=config.tenant)
        ingestor = Ingestor(store, preparer, batch_size=config.ingest.ingest_batch)
        async for _ in ingestor.ingest(documents(path), tenant=config.tenant):
            pass

    asyncio.run(main(sys.argv[1]))
    """
)


def test_a_kill_between_upsert_and_stale_delete_is_repaired_by_the_rerun(
    corpora: dict[str, Path], clean_v2: Snapshot, tmp_path: Path
) -> None:
    expected, expected_rows = clean_v2
    ingest_and_stop(tmp_path, corpora["v1"], tmp_path / "logs")
    killed = subprocess.run(
        [sys.executable, "-c", KILL_BETWEEN_UPSERT_AND_DELETE, str(corpora["v2"])],
        env={**os.environ, **service_env(tmp_path), "SEARCH_GRAPH_URI": "none"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    stale, _ = snapshot(tmp_path, corpus_ids(corpora["v2"]))
    assert stale != expected  # the kill left the store between versions

    ingest_and_stop(tmp_path, corpora["v2"], tmp_path / "logs2")
    found, rows = snapshot(tmp_path, corpus_ids(corpora["v2"]))
    assert found == expected
    assert rows == expected_rows

"""The embedded graph's memory is bounded by what it holds, not by how many writes it took:
replacing the same few documents again and again leaves the process where it was
(issue 7, item 6; docs/fuzz.md, "Search's embedded graph")."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from arbiter_search.graph import GraphIndexer, LadybugGraphStore, embedded
from arbiter_search.graph.embedded import CHECKPOINT_EVERY

from tests.search.graph.conftest import prepared

REPLACEMENTS = """
import asyncio
import sys
from pathlib import Path

from arbiter_kit.memory import trim, tune_malloc
from arbiter_search.graph import GraphIndexer, LadybugGraphStore, embedded

from tests.search.graph.conftest import prepared

MiB = 1024 * 1024
WARM, WRITES = 150, 300


def rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise LookupError("no VmRSS")


async def main(folder: str) -> None:
    store = await LadybugGraphStore.open(folder)
    indexer = GraphIndexer(store)

    async def replace(writes: int) -> None:
        for n in range(writes):
            # A few ids, as the fuzzer's pool: the graph holds four passages throughout.
            # Hostile text (no whitespace) and a reference, so every write changes the
            # passage's hash and mentions.
            text = f"See Rule 8.3.{n % 9 + 1}. " + "x" * 4_000 + str(n)
            document = prepared(f"doc-{n % 4}", "8.3.1", text)
            await indexer.index([document], tenant="acme")

    await replace(WARM)
    trim()
    before = rss()
    await replace(WRITES)
    trim()
    print((rss() - before) / MiB)
    await store.close()


if sys.argv[2] == "without checkpoints":
    embedded.CHECKPOINT_EVERY = 10**9
tune_malloc()  # as every server does at start
asyncio.run(main(sys.argv[1]))
"""
"""Prints the MiB the process grew by over 300 replacements, after a warm-up of 150 (with
checkpoints the level settles within the first hundred or so writes, then stays)."""
BOUND_MIB = 40
"""Generous: with checkpoints the growth is within a few MiB; without, ~0.3 MiB a write
(~80 MiB here)."""


async def growth(folder: Path, mode: str) -> float:
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        REPLACEMENTS,
        str(folder),
        mode,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    out, _ = await child.communicate()
    assert child.returncode == 0, out
    return float(out.decode().strip().splitlines()[-1])


async def test_replacing_documents_again_and_again_does_not_grow(tmp_path: Path) -> None:
    assert await growth(tmp_path / "graph", "as shipped") < BOUND_MIB


async def test_without_checkpoints_the_engine_grows_with_every_write(tmp_path: Path) -> None:
    """What the checkpoints are for: if this stops holding, the engine releases versions
    by itself and CHECKPOINT_EVERY can go."""
    assert await growth(tmp_path / "graph", "without checkpoints") > BOUND_MIB


def wal(folder: Path) -> int:
    """Bytes in the engine's write-ahead log: none right after a checkpoint."""
    log = folder / "graph.lbug.wal"
    return log.stat().st_size if log.exists() else 0


async def write(indexer: GraphIndexer, n: int) -> None:
    await indexer.index([prepared("r1", "8.3.1", f"Rule 8.3.2, take {n}.")], tenant="t")


async def test_every_few_writes_are_checkpointed(tmp_path: Path) -> None:
    store = await LadybugGraphStore.open(tmp_path)
    indexer = GraphIndexer(store)
    try:
        for n in range(CHECKPOINT_EVERY - 1):
            await write(indexer, n)
        assert wal(tmp_path) > 0
        await write(indexer, CHECKPOINT_EVERY)
        assert wal(tmp_path) == 0
        # Nothing written is lost by folding it into the file.
        assert await store.generation(tenant="t") == CHECKPOINT_EVERY
        [passage] = (await store.snapshot(tenant="t")).passages
        assert passage.mentions and "8.3.2" in passage.mentions[0]
    finally:
        await store.close()


async def test_a_read_in_flight_defers_the_checkpoint_not_the_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedded, "CHECKPOINT_WAIT_SECONDS", 0.2)
    store = await LadybugGraphStore.open(tmp_path)
    indexer = GraphIndexer(store)
    try:
        for n in range(CHECKPOINT_EVERY - 1):
            await write(indexer, n)
        # A slow read holds one of the readers (taken here directly: no query is slow
        # on a graph this small).
        held = await store._readers.get()
        try:
            await write(indexer, CHECKPOINT_EVERY)
            assert await store.generation(tenant="t") == CHECKPOINT_EVERY
            assert wal(tmp_path) > 0
        finally:
            store._readers.put_nowait(held)
        await write(indexer, CHECKPOINT_EVERY + 1)
        assert wal(tmp_path) == 0
    finally:
        await store.close()

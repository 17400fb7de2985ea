"""The five services as separate processes on ephemeral ports, with a slice of the real
corpus ingested through the CLI: what the fuzz test and `make fuzz` run against."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from arbiter_cli import suite
from arbiter_cli.postgres import Urls

from tests.fuzz.engine import Target
from tests.support.corpus import corpus_slice

SLICE_LINES = 300
"""Passages ingested: enough for research questions to find AML rules, cheap to ingest."""


def fuzz_env(store: Path, *, embedder: str | None) -> dict[str, str]:
    """The suite's settings for a fuzz run: a store of its own, the offline model."""
    env = {
        "SEARCH_MILVUS_URI": str(store / "milvus.db"),
        "LLM_PROVIDER": "offline",
        # The gateway keeps finished sessions up to this bound by design; a small bound
        # is full by the end of the warm-up, so what it holds is not read as growth.
        "GATEWAY_MAX_SESSIONS": "100",
    }
    if embedder is not None:
        env["SEARCH_EMBEDDER"] = embedder
    return env


@contextmanager
def running_suite(
    workdir: Path,
    *,
    embedder: str | None,
    database: Urls,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[dict[str, Target]]:
    """Start the suite in `workdir`, its analysis on the findings `database` (which it
    only reads), ingest the corpus slice, yield each service's target; stop every
    process (SIGTERM, then SIGKILL) when the block ends."""
    store = workdir / "store"
    store.mkdir(parents=True, exist_ok=True)
    env = {**fuzz_env(store, embedder=embedder), **database.settings(), **(extra_env or {})}
    running = suite.start_all(env=env, log_dir=workdir / "logs", ephemeral=True)
    try:
        sliced = corpus_slice(workdir / "slice.jsonl", SLICE_LINES)
        arbiter = str(Path(sys.executable).with_name("arbiter"))
        done = subprocess.run(
            [arbiter, "ingest", str(sliced), "--search", running["search"].target],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            raise RuntimeError(f"ingesting the corpus slice failed: {done.stderr[-2000:]}")
        yield {name: Target(r.target, r.process.pid) for name, r in running.items()}
    finally:
        for r in reversed(list(running.values())):
            suite.stop(r.process)

"""The whole suite as five separate processes on ephemeral ports, with a slice of the
real corpus ingested through the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from arbiter_cli import suite

from tests.support.corpus import CORPUS, corpus_slice

SLICE_LINES = 700


def cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("arbiter")), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def suite_env(tmp: Path) -> dict[str, str]:
    return {
        "SEARCH_MILVUS_URI": str(tmp / "milvus" / "milvus.db"),
        "LLM_PROVIDER": "offline",
        "GATEWAY_STEP_TIMEOUT_SECONDS": "8",
        "GATEWAY_REQUEST_BUDGET_SECONDS": "20",
        "SEARCH_BREAKER_OPEN_SECONDS": "1",
    }


@pytest.fixture(scope="module")
def running_suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, suite.Running]]:
    if not CORPUS.exists():
        pytest.skip(f"the ObliQA corpus is not at {CORPUS} (set ARBITER_DATA_DIR)")
    tmp = tmp_path_factory.mktemp("suite")
    (tmp / "milvus").mkdir()
    running = suite.start_all(env=suite_env(tmp), log_dir=tmp / "logs", ephemeral=True)
    try:
        sliced = corpus_slice(tmp / "slice.jsonl", SLICE_LINES)
        done = cli("ingest", str(sliced), "--search", running["search"].target)
        assert done.returncode == 0, done.stderr + done.stdout
        yield running
    finally:
        for r in reversed(list(running.values())):
            suite.stop(r.process)

"""The whole suite as five separate processes on ephemeral ports, with a slice of the
real corpus ingested through the CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
import pytest
from arbiter.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from arbiter_cli import suite

from tests.support.corpus import CORPUS, corpus_slice

Suite = dict[str, suite.Running]
"""The started services by name (gateway, planner, search, analysis, audit)."""

SLICE_LINES = 700
"""Passages of the module-wide suite: enough that every research question finds rules."""


def cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the `arbiter` command of this environment with `env` on top of ours."""
    return subprocess.run(
        [str(Path(sys.executable).with_name("arbiter")), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def ask(target: str, question: str, timeout: float = 60) -> list[gateway_pb2.SessionEvent]:
    """Every event of one Ask to the gateway at `target`; the call fails past `timeout`."""
    with grpc.insecure_channel(target) as channel:
        stub = gateway_pb2_grpc.GatewayServiceStub(channel)
        request = gateway_pb2.AskRequest(question=question)
        return [r.event for r in stub.Ask(request, timeout=timeout)]


def scrape(metrics_port: int | None) -> str:
    """The Prometheus text a service's metrics port serves."""
    assert metrics_port is not None
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as r:
        return str(r.read().decode())


def suite_env(tmp: Path, **settings: str) -> dict[str, str]:
    """The services' settings for a suite whose files live in `tmp`: offline model, short
    step and request budgets, a search breaker that reopens in a second; `settings` on top."""
    return {
        "SEARCH_MILVUS_URI": str(tmp / "milvus" / "milvus.db"),
        "LLM_PROVIDER": "offline",
        "GATEWAY_STEP_TIMEOUT_SECONDS": "8",
        "GATEWAY_REQUEST_BUDGET_SECONDS": "20",
        "SEARCH_BREAKER_OPEN_SECONDS": "1",
        **settings,
    }


@contextmanager
def started_suite(tmp: Path, passages: int, **settings: str) -> Iterator[Suite]:
    """The five services on free loopback ports (`suite_env(tmp, **settings)`), the first
    `passages` of the corpus ingested through the CLI. At the end every process still in
    the dict is stopped, a frozen one (SIGSTOP) resumed first so that it can drain."""
    if not CORPUS.exists():
        pytest.skip(f"the ObliQA corpus is not at {CORPUS} (set ARBITER_DATA_DIR)")
    (tmp / "milvus").mkdir()
    running = suite.start_all(env=suite_env(tmp, **settings), log_dir=tmp / "logs", ephemeral=True)
    try:
        sliced = corpus_slice(tmp / "slice.jsonl", passages)
        done = cli("ingest", str(sliced), "--search", running["search"].target)
        assert done.returncode == 0, done.stderr + done.stdout
        yield running
    finally:
        for r in reversed(list(running.values())):
            if r.process.poll() is None:
                r.process.send_signal(signal.SIGCONT)
            suite.stop(r.process)


@pytest.fixture(scope="module")
def running_suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    """One suite for a module, with the default embedder: the one place where the
    configuration `make up` runs, embedding model included, answers end to end."""
    with started_suite(tmp_path_factory.mktemp("suite"), SLICE_LINES) as running:
        yield running

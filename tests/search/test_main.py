"""`python -m arbiter_search` as a process: serves, reports health, drains on SIGTERM."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import grpc
from arbiter.search.v1 import search_pb2, search_pb2_grpc
from arbiter_cli import suite


def env_for(tmp_path: Path) -> dict[str, str]:
    return {"SEARCH_MILVUS_URI": str(tmp_path / "data" / "milvus.db"), "SEARCH_METRICS_PORT": "-1"}


def test_serves_until_sigterm_then_exits_cleanly(tmp_path: Path) -> None:
    running = suite.start("search", port=0, env=env_for(tmp_path), log_dir=tmp_path / "logs")
    try:
        assert suite.health(running.target) == "SERVING"
        with grpc.insecure_channel(running.target) as channel:
            stub = search_pb2_grpc.SearchServiceStub(channel)
            info = stub.GetCorpusInfo(search_pb2.GetCorpusInfoRequest(), timeout=10)
        assert info.chunks == 0
        assert (tmp_path / "data" / "milvus.db").exists()
    finally:
        code = suite.stop(running.process)
    assert code == 0, running.log.read_text()[-2000:]


def test_bad_settings_stop_start_up_with_the_setting_named(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "arbiter_search"],
        env={**os.environ, **env_for(tmp_path), "SEARCH_CHUNK_TOKENS": "5", "SEARCH_PORT": "0"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "SEARCH_CHUNK_TOKENS" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_second_process_on_the_same_lite_directory_is_refused(tmp_path: Path) -> None:
    running = suite.start("search", port=0, env=env_for(tmp_path), log_dir=tmp_path / "logs")
    try:
        second = subprocess.run(
            [sys.executable, "-m", "arbiter_search"],
            env={**os.environ, **env_for(tmp_path), "SEARCH_PORT": "0"},
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        suite.stop(running.process)
    assert second.returncode == 1
    assert "only one process at a time" in second.stderr

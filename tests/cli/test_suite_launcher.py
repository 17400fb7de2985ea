"""The local suite launcher (`make up` / `status` / `down`): it honours each service's
address settings, so two suites run side by side, each gateway on its own workers, and
`status` and `down` find what `up` started in their run dir."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from arbiter.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from arbiter_cli import suite

SERVICES = suite.ORDER
# Settings a developer's shell may hold that would point a suite elsewhere.
_ADDRESS_SETTING = re.compile(rf"^({'|'.join(s.upper() for s in SERVICES)})_(HOST|PORT|TARGET)$")


@dataclass(frozen=True)
class Suite:
    """One suite as a test starts it: its run dir, settings and chosen ports."""

    run_dir: Path
    env: dict[str, str]
    ports: dict[str, int]
    metrics_ports: dict[str, int]

    def launcher(self, action: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "arbiter_cli.suite", action, "--run-dir", str(self.run_dir)],
            capture_output=True,
            text=True,
            timeout=240,
            env=self.env,
        )

    def target(self, name: str) -> str:
        return f"127.0.0.1:{self.ports[name]}"


def free_ports(count: int) -> list[int]:
    """Ports free right now, distinct (all held open while choosing)."""
    with ExitStack() as held:
        sockets = [held.enter_context(socket.socket()) for _ in range(count)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]


def suite_at(tmp: Path, postgres: Path) -> Suite:
    ports = free_ports(2 * len(SERVICES))
    grpc_ports = dict(zip(SERVICES, ports[: len(SERVICES)], strict=True))
    metrics_ports = dict(zip(SERVICES, ports[len(SERVICES) :], strict=True))
    env = {k: v for k, v in os.environ.items() if not _ADDRESS_SETTING.match(k)}
    env |= {
        "SEARCH_EMBEDDER": "none",
        "SEARCH_MILVUS_URI": str(tmp / "milvus" / "milvus.db"),
        "LLM_PROVIDER": "offline",
        # Each suite its own findings cluster, on a free port: never the checkout's.
        "ARBITER_POSTGRES_DIR": str(postgres),
        "ARBITER_POSTGRES_PORT": "0",
    }
    for name in SERVICES:
        env[f"{name.upper()}_PORT"] = str(grpc_ports[name])
        env[f"{name.upper()}_METRICS_PORT"] = str(metrics_ports[name])
    (tmp / "milvus").mkdir(parents=True)
    return Suite(tmp / "run", env, grpc_ports, metrics_ports)


@pytest.fixture(scope="module")
def clusters() -> Iterator[Path]:
    """Where the suites' findings clusters live: outside pytest's private temporary
    folder, which the cluster's unprivileged server account could not reach."""
    folder = Path(tempfile.mkdtemp(prefix="arbiter-suites-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def two_suites(
    tmp_path_factory: pytest.TempPathFactory, clusters: Path
) -> Iterator[tuple[Suite, Suite]]:
    first = suite_at(tmp_path_factory.mktemp("first"), clusters / "first")
    second = suite_at(tmp_path_factory.mktemp("second"), clusters / "second")
    try:
        for s in (first, second):
            done = s.launcher("up")
            assert done.returncode == 0, done.stdout + done.stderr
        yield first, second
    finally:
        for s in (first, second):
            s.launcher("down")


def plans_served(s: Suite) -> float:
    """How many Plan calls the suite's planner answered, from its metrics port."""
    url = f"http://127.0.0.1:{s.metrics_ports['planner']}/metrics"
    with urllib.request.urlopen(url, timeout=5) as reply:
        text = reply.read().decode()
    found = re.search(
        r'^grpc_server_handled_total\{grpc_code="OK",grpc_method="Plan",[^}]*\} (\S+)$',
        text,
        re.MULTILINE,
    )
    return float(found.group(1)) if found else 0.0


def greet(gateway: str) -> gateway_pb2.FinalResponse:
    with grpc.insecure_channel(gateway) as channel:
        stub = gateway_pb2_grpc.GatewayServiceStub(channel)
        events = [r.event for r in stub.Ask(gateway_pb2.AskRequest(question="Hello!"), timeout=30)]
    assert events[-1].HasField("final_response"), events[-1]
    return events[-1].final_response


def test_two_suites_run_side_by_side_on_their_own_ports(two_suites: tuple[Suite, Suite]) -> None:
    for s in two_suites:
        done = s.launcher("status")
        assert done.returncode == 0, done.stdout + done.stderr
        for name in SERVICES:
            line = next(row for row in done.stdout.splitlines() if row.startswith(name))
            assert s.target(name) in line and "SERVING" in line
            assert f"metrics :{s.metrics_ports[name]}" in line


def test_each_gateway_greets_through_its_own_planner(two_suites: tuple[Suite, Suite]) -> None:
    first, second = two_suites
    for asked, other in ((first, second), (second, first)):
        before = plans_served(asked), plans_served(other)
        assert greet(asked.target("gateway")).answer
        assert (plans_served(asked), plans_served(other)) == (before[0] + 1, before[1])


def test_up_twice_in_one_run_dir_is_refused(two_suites: tuple[Suite, Suite]) -> None:
    done = two_suites[0].launcher("up")
    assert done.returncode == 1 and "up already" in done.stderr


def test_down_stops_what_up_started_in_its_run_dir(tmp_path: Path, clusters: Path) -> None:
    s = suite_at(tmp_path, clusters / "alone")
    try:
        assert s.launcher("up").returncode == 0
        started = suite.recorded(s.run_dir)
        assert [r.name for r in started] == list(SERVICES)
        assert all(suite.alive(r) for r in started)
    finally:
        done = s.launcher("down")
    assert done.returncode == 0, done.stderr
    assert not any(suite.alive(r) for r in started)
    assert suite.recorded(s.run_dir) == []
    assert all(suite.health(s.target(name)) == "UNREACHABLE" for name in SERVICES)
    status = s.launcher("status")
    assert status.returncode == 1 and "not up" in status.stderr


def test_an_ephemeral_suite_ignores_the_address_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the end-to-end tests and make bench start: private, on free loopback ports,
    # whatever the shell says (here: a taken port and a target where nothing listens).
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setenv("PLANNER_PORT", str(taken.getsockname()[1]))
        monkeypatch.setenv("PLANNER_TARGET", "127.0.0.1:1")
        monkeypatch.setenv("GATEWAY_HOST", "0.0.0.0")
        env = {"SEARCH_EMBEDDER": "none", "SEARCH_MILVUS_URI": str(tmp_path / "m" / "milvus.db")}
        running = suite.start_all(env=env, log_dir=tmp_path / "logs", ephemeral=True)
        try:
            assert all(r.target.startswith("127.0.0.1:") for r in running.values())
            assert greet(running["gateway"].target).answer
            # Audit calls search itself: it is pointed at the search the suite started.
            environ = Path(f"/proc/{running['audit'].process.pid}/environ").read_bytes()
            assert f"SEARCH_TARGET={running['search'].target}".encode() in environ.split(b"\0")
        finally:
            for r in reversed(list(running.values())):
                suite.stop(r.process)


def test_the_gateway_keeps_a_target_its_settings_name() -> None:
    workers = {"planner": "127.0.0.1:7001", "search": "127.0.0.1:7002"}
    settings = {"PLANNER_TARGET": "planner.internal:50052", "SEARCH_TARGET": ""}
    assert suite.gateway_targets(workers, settings) == {"SEARCH_TARGET": "127.0.0.1:7002"}
    # An ephemeral suite is private: its gateway always uses the workers it started.
    assert suite.gateway_targets(workers, settings, ephemeral=True) == {
        "PLANNER_TARGET": "127.0.0.1:7001",
        "SEARCH_TARGET": "127.0.0.1:7002",
    }


@pytest.mark.parametrize(
    ("host", "target"),
    [
        ("", "127.0.0.1:5"),
        ("0.0.0.0", "127.0.0.1:5"),
        ("127.0.0.2", "127.0.0.2:5"),
        ("[::]", "[::1]:5"),
        ("::1", "[::1]:5"),
        ("[::1]", "[::1]:5"),
    ],
)
def test_a_listener_is_reached_on_loopback_when_it_listens_everywhere(
    host: str, target: str
) -> None:
    assert suite.reachable_at(host, 5) == target


def test_the_corpus_is_found_where_the_setting_says_else_beside_the_repository() -> None:
    assert suite.data_dir({}) == suite.REPO.parent / "shared" / "data" / "obliqa"
    assert suite.data_dir({"ARBITER_DATA_DIR": ""}) == suite.DEFAULT_DATA_DIR
    assert suite.data_dir({"ARBITER_DATA_DIR": "/data/obliqa"}) == Path("/data/obliqa")
    assert (suite.REPO / "Makefile").exists()  # REPO is this checkout's root

"""Starts, stops and inspects the five services as background processes on one
machine (`make up` / `down` / `status`, the demo and the end-to-end tests).

Each service reads its own settings (`<SERVICE>_HOST`, `_PORT`, `_METRICS_PORT`, ...); the
launcher never overrides them, learns the ports a service bound from its "serving" log
record, and points the gateway at the workers it started unless `<WORKER>_TARGET` says
otherwise. `up` records what it started in its run dir, where `status` and `down` find
it, so suites with their own ports and run dirs can run side by side.

The findings database: unless `ANALYSIS_DATABASE_URL` names one, `up` ensures the suite's
own PostgreSQL cluster (`ARBITER_POSTGRES_DIR`, default `<repo>/.data/postgres`, on
`ARBITER_POSTGRES_PORT`, default 55432), hands the analysis service its owner and reader
connection strings, and `down` stops the cluster it started (its data kept). An ephemeral
suite (tests, benchmarks) starts no cluster: it uses the database its `env` names, or none."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import grpc
from arbiter_analysis.config import DatabaseConfig
from arbiter_kit.addresses import WORKERS
from arbiter_kit.config import env_override
from arbiter_kit.errors import ArbiterError
from grpc_health.v1 import health_pb2, health_pb2_grpc

from arbiter_cli.postgres import DATABASE_SETTINGS, GATEWAY_DATABASE_SETTING, Cluster, ClusterError

ORDER = (*WORKERS, "gateway")
REPO = Path(__file__).resolve().parents[3]
"""The repository this launcher runs from (the packages are installed editable)."""
DEFAULT_DATA_DIR = REPO.parent / "shared" / "data" / "obliqa"
"""Where the ObliQA corpus is unless `ARBITER_DATA_DIR` says otherwise: beside the
repository, never copied into it."""
STATE_FILE = "suite.json"
"""What `up` started, in the run dir: one record per service."""
STOP_GRACE_SECONDS = 15.0
"""How long a stopping service may drain before it is killed."""
"""The analysis service's settings that say where the findings database is."""
# Where a wildcard listener is reached from this machine.
_LOOPBACK = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "[::1]", "[::]": "[::1]"}


@dataclass(frozen=True)
class ClusterConfig:
    """The suite's own PostgreSQL cluster (`ARBITER_POSTGRES_DIR`, `_PORT`)."""

    dir: str = ""
    """Where the cluster lives; empty: `<repo>/.data/postgres`."""
    port: int = 55432
    """The loopback port it listens on; 0: any free port."""

    @property
    def root(self) -> Path:
        return Path(self.dir) if self.dir else REPO / ".data" / "postgres"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ClusterConfig:
        return env_override(os.environ if env is None else env, "ARBITER_POSTGRES", cls())


@dataclass(frozen=True)
class RecordedDatabase:
    """The findings database as `up` recorded it in the run dir."""

    root: str | None
    """The suite's cluster; None: the database `ANALYSIS_DATABASE_URL` names."""
    started: bool
    """Whether `up` started the cluster (then `down` stops it; one that already ran, e.g.
    another suite's, is left running)."""


@dataclass
class Running:
    """A service process the suite started."""

    name: str
    process: subprocess.Popen[bytes]
    target: str
    """Where to reach it, `host:port`."""
    metrics_port: int | None
    log: Path

    @property
    def record(self) -> Recorded:
        return Recorded(
            name=self.name,
            pid=self.process.pid,
            target=self.target,
            metrics_port=self.metrics_port,
            log=str(self.log),
        )


@dataclass(frozen=True)
class Recorded:
    """A service as `up` recorded it in the run dir."""

    name: str
    pid: int
    target: str
    metrics_port: int | None
    log: str


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    """The ObliQA corpus folder: `ARBITER_DATA_DIR`, else `DEFAULT_DATA_DIR`."""
    e = os.environ if env is None else env
    return Path(e.get("ARBITER_DATA_DIR") or DEFAULT_DATA_DIR)


def health(target: str, *, timeout: float = 1.0) -> str:
    """The overall health status of a server, or UNREACHABLE."""
    try:
        with grpc.insecure_channel(target) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            reply = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout)
            return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))
    except grpc.RpcError:
        return "UNREACHABLE"


def reachable_at(host: str, port: int) -> str:
    """The target that reaches a server listening on `host` (a wildcard means loopback)."""
    host = _LOOPBACK.get(host.strip(), host.strip())
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal
    return f"{host}:{port}"


def gateway_targets(
    workers: Mapping[str, str], settings: Mapping[str, str], *, ephemeral: bool = False
) -> dict[str, str]:
    """The `<WORKER>_TARGET` settings the gateway needs: each worker the suite started,
    except where the settings name a target already (an ephemeral suite is private: it
    always uses its own workers)."""
    targets = {f"{name.upper()}_TARGET": target for name, target in workers.items()}
    if ephemeral:
        return targets
    return {key: target for key, target in targets.items() if not settings.get(key)}


def _serving_line(log: Path) -> dict[str, object] | None:
    """The service's own "serving" log record, which says which ports it bound."""
    if not log.exists():
        return None
    for line in log.read_text(errors="replace").splitlines():
        if '"serving"' in line:
            try:
                record: dict[str, object] = json.loads(line)
            except json.JSONDecodeError:
                continue
            if record.get("msg") == "serving":
                return record
    return None


def start(
    name: str,
    *,
    port: int | None = None,
    env: Mapping[str, str],
    log_dir: Path,
    timeout: float = 60.0,
) -> Running:
    """Start `python -m arbiter_<name>` and wait until it serves and says healthy.

    With `port` None the service listens where its settings say; with a port it listens
    there on loopback, and port 0 (any free port) gives it any free metrics port too."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{name}.log"
    prefix = name.upper()
    child_env = {**os.environ, **env}
    if port is not None:
        child_env |= {f"{prefix}_HOST": "127.0.0.1", f"{prefix}_PORT": str(port)}
        if port == 0:
            child_env[f"{prefix}_METRICS_PORT"] = "0"
    host = child_env.get(f"{prefix}_HOST", "")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", f"arbiter_{name}"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=child_env,
            start_new_session=True,
        )
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{tail}")
        record = _serving_line(log)
        if record is not None:
            target = reachable_at(host, int(str(record["port"])))
            metrics = record.get("metrics_port")
            running = Running(name, process, target, int(str(metrics)) if metrics else None, log)
            if health(running.target) == "SERVING":
                return running
        time.sleep(0.1)
    stop(process)
    raise RuntimeError(f"{name} did not become healthy within {timeout:.0f} s (see {log})")


def start_all(
    *, env: Mapping[str, str], log_dir: Path, ephemeral: bool = False
) -> dict[str, Running]:
    """Start the workers, then the gateway pointed at them. An ephemeral suite listens
    on free loopback ports whatever the settings say, and uses the findings database
    `env` names or none (never one the shell's settings name)."""
    port = 0 if ephemeral else None
    if ephemeral:
        env = {**dict.fromkeys((*DATABASE_SETTINGS, GATEWAY_DATABASE_SETTING), ""), **env}
    running: dict[str, Running] = {}
    try:
        settings = {**os.environ, **env}
        for name in WORKERS:
            # A worker that calls another (audit calls search) is pointed at the one the
            # suite started before it, like the gateway at all of them.
            started = {n: r.target for n, r in running.items()}
            before = gateway_targets(started, settings, ephemeral=ephemeral)
            running[name] = start(name, port=port, env={**env, **before}, log_dir=log_dir)
        workers = {name: r.target for name, r in running.items()}
        targets = gateway_targets(workers, settings, ephemeral=ephemeral)
        running["gateway"] = start("gateway", port=port, env={**env, **targets}, log_dir=log_dir)
    except BaseException:
        for r in running.values():
            stop(r.process)
        raise
    return running


def stop(process: subprocess.Popen[bytes], *, grace: float = STOP_GRACE_SECONDS) -> int:
    """SIGTERM, wait for the drain, SIGKILL if it does not end."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def alive(recorded: Recorded) -> bool:
    """Whether the recorded process still runs that service: not gone, not a zombie,
    and (where /proc tells) not another program that was given its pid since."""
    proc = Path("/proc") / str(recorded.pid)
    if not Path("/proc/self").exists():
        try:
            os.kill(recorded.pid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    try:
        stat = (proc / "stat").read_text()
        command = (proc / "cmdline").read_bytes()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state != "Z" and f"arbiter_{recorded.name}".encode() in command


def _signal(recorded: Recorded, sig: signal.Signals) -> None:
    """Send `sig` to a recorded service that still runs (it may end meanwhile)."""
    if alive(recorded):
        with contextlib.suppress(ProcessLookupError):
            os.kill(recorded.pid, sig)


def recorded(run_dir: Path) -> list[Recorded]:
    """What `up` started in `run_dir`, in start order (none when it was never up)."""
    state = run_dir / STATE_FILE
    if not state.exists():
        return []
    return [Recorded(**r) for r in json.loads(state.read_text())["services"]]


def write_state(run_dir: Path, services: list[Recorded], database: RecordedDatabase) -> None:
    """Record what `up` started where `status` and `down` find it."""
    state = {"services": [asdict(r) for r in services], "database": asdict(database)}
    (run_dir / STATE_FILE).write_text(json.dumps(state, indent=1))


def recorded_database(run_dir: Path) -> RecordedDatabase | None:
    """The findings database `up` recorded in `run_dir` (None when it was never up)."""
    state = run_dir / STATE_FILE
    if not state.exists():
        return None
    database = json.loads(state.read_text()).get("database")
    return None if database is None else RecordedDatabase(**database)


def ensure_database(env: Mapping[str, str]) -> tuple[dict[str, str], RecordedDatabase]:
    """The database settings the analysis service needs, and the record of where they
    point: the suite's cluster, created and started unless it runs, when the settings
    name no database."""
    if DatabaseConfig.from_env(env).url:
        return {}, RecordedDatabase(root=None, started=False)
    config = ClusterConfig.from_env(env)
    cluster = Cluster(config.root)
    started = not cluster.running()
    urls = cluster.ensure(config.port)
    settings = urls.settings()
    return settings, RecordedDatabase(root=str(cluster.root), started=started)


def database_status(database: RecordedDatabase | None) -> tuple[str, bool]:
    """How `status` shows the findings database, and whether it is up."""
    if database is None:
        return "postgres  not recorded", True
    if database.root is None:
        return "postgres  external (ANALYSIS_DATABASE_URL)", True
    port = Cluster(Path(database.root)).port()
    state = "STOPPED" if port is None else f"127.0.0.1:{port:<7} RUNNING"
    return f"postgres  {state}  data {database.root}", port is not None


def stop_database(database: RecordedDatabase | None) -> None:
    """Stop the suite's cluster if `up` started it; its data stays for the next `up`."""
    if database is None or database.root is None or not database.started:
        return
    Cluster(Path(database.root)).stop()
    print(f"postgres  stopped (data kept in {database.root})")


def _up(run_dir: Path) -> int:
    if any(alive(r) for r in recorded(run_dir)):
        print(f"the suite of {run_dir} is up already; `make down` first", file=sys.stderr)
        return 1
    try:
        settings, database = ensure_database(os.environ)
    except (ClusterError, ArbiterError) as exc:
        print(f"the findings database could not start: {exc}", file=sys.stderr)
        return 1
    try:
        running = start_all(env=settings, log_dir=run_dir / "logs")
    except BaseException:
        stop_database(database)
        raise
    write_state(run_dir, [r.record for r in running.values()], database)
    for r in running.values():
        print(f"{r.name:9} {r.target:17} metrics :{r.metrics_port}  log {r.log}")
    print(database_status(database)[0])
    return 0


def _down(run_dir: Path) -> int:
    for r in reversed(recorded(run_dir)):
        _signal(r, signal.SIGTERM)
        give_up = time.monotonic() + STOP_GRACE_SECONDS
        while alive(r) and time.monotonic() < give_up:
            time.sleep(0.1)
        _signal(r, signal.SIGKILL)
        print(f"{r.name:9} stopped")
    # After the services: the analysis service's sessions end before the server does.
    stop_database(recorded_database(run_dir))
    (run_dir / STATE_FILE).unlink(missing_ok=True)
    return 0


def _status(run_dir: Path) -> int:
    services = recorded(run_dir)
    if not services:
        print(f"the suite of {run_dir} is not up", file=sys.stderr)
        return 1
    healthy = True
    for r in services:
        state = health(r.target) if alive(r) else "STOPPED"
        healthy &= state == "SERVING"
        print(f"{r.name:9} pid {r.pid:>7}  {r.target:17} {state}  metrics :{r.metrics_port}")
    line, up = database_status(recorded_database(run_dir))
    print(line)
    return 0 if healthy and up else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m arbiter_cli.suite")
    p.add_argument("action", choices=["up", "down", "status"])
    p.add_argument("--run-dir", default=".run")
    args = p.parse_args(argv)
    run_dir = Path(args.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    actions = {"up": _up, "down": _down, "status": _status}
    return actions[args.action](run_dir)


if __name__ == "__main__":
    sys.exit(main())

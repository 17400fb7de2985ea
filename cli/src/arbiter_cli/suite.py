"""Starts, stops and inspects the five services as background processes on one
machine (`make up` / `down` / `status`, the demo and the end-to-end tests)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

WORKERS = {"planner": 50052, "search": 50053, "analysis": 50054, "audit": 50055}
GATEWAY_PORT = 50051
ORDER = [*WORKERS, "gateway"]


@dataclass
class Running:
    """A service process the suite started."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    metrics_port: int | None
    log: Path

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"


def health(target: str, *, timeout: float = 1.0) -> str:
    """The overall health status of a server, or UNREACHABLE."""
    try:
        with grpc.insecure_channel(target) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            reply = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout)
            return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))
    except grpc.RpcError:
        return "UNREACHABLE"


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
    name: str, *, port: int, env: Mapping[str, str], log_dir: Path, timeout: float = 60.0
) -> Running:
    """Start `python -m arbiter_<name>` and wait until it serves and says healthy."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{name}.log"
    prefix = name.upper()
    child_env = {**os.environ, **env, f"{prefix}_PORT": str(port)}
    if port == 0:
        child_env[f"{prefix}_METRICS_PORT"] = "0"
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
            bound = int(str(record["port"]))
            metrics = record.get("metrics_port")
            running = Running(name, process, bound, int(str(metrics)) if metrics else None, log)
            if health(running.target) == "SERVING":
                return running
        time.sleep(0.1)
    stop(process)
    raise RuntimeError(f"{name} did not become healthy within {timeout:.0f} s (see {log})")


def start_all(
    *, env: Mapping[str, str], log_dir: Path, ephemeral: bool = False
) -> dict[str, Running]:
    """Start the workers, then the gateway pointed at them."""
    running: dict[str, Running] = {}
    try:
        for name, port in WORKERS.items():
            running[name] = start(name, port=0 if ephemeral else port, env=env, log_dir=log_dir)
        targets = {f"{n.upper()}_TARGET": r.target for n, r in running.items()}
        running["gateway"] = start(
            "gateway",
            port=0 if ephemeral else GATEWAY_PORT,
            env={**env, **targets},
            log_dir=log_dir,
        )
    except BaseException:
        for r in running.values():
            stop(r.process)
        raise
    return running


def stop(process: subprocess.Popen[bytes], *, grace: float = 15.0) -> int:
    """SIGTERM, wait for the drain, SIGKILL if it does not end."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def _up(run_dir: Path) -> int:
    if any((run_dir / f"{n}.pid").exists() for n in ORDER):
        print("the suite seems to be up already; `make down` first", file=sys.stderr)
        return 1
    running = start_all(env={}, log_dir=run_dir / "logs")
    for r in running.values():
        (run_dir / f"{r.name}.pid").write_text(str(r.process.pid))
        print(f"{r.name:9} {r.target:17} metrics :{r.metrics_port}  log {r.log}")
    return 0


def _down(run_dir: Path) -> int:
    for name in reversed(ORDER):
        pid_file = run_dir / f"{name}.pid"
        if not pid_file.exists():
            continue
        pid = int(pid_file.read_text())
        try:
            os.kill(pid, signal.SIGTERM)
            for _ in range(150):
                os.kill(pid, 0)
                time.sleep(0.1)
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        pid_file.unlink()
        print(f"{name:9} stopped")
    return 0


def _status(run_dir: Path) -> int:
    healthy = True
    for name in ORDER:
        port = WORKERS.get(name, GATEWAY_PORT)
        pid_file = run_dir / f"{name}.pid"
        pid = pid_file.read_text().strip() if pid_file.exists() else "-"
        state = health(f"127.0.0.1:{port}")
        healthy &= state == "SERVING"
        print(f"{name:9} pid {pid:>7}  127.0.0.1:{port}  {state}  metrics :{port + 1000}")
    return 0 if healthy else 1


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

"""A throwaway Redis server per test session: the machine's `redis-server` binary started on
a free loopback port in a temporary directory, nothing saved to disk.

Fixtures (import them into an area's conftest, or use them from the root conftest):
* `redis_server` (session): the running RedisServer, stopped at the end;
* `redis_url` (per test): its URL, the server emptied first (FLUSHALL), so a test sees only
  what it wrote.

Without the binary (`apt-get install redis-server`) the tests that need Redis fail loudly:
CI installs it."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

START_TIMEOUT_SECONDS = 20.0


@dataclass
class RedisServer:
    """A redis-server process on 127.0.0.1:`port`."""

    process: subprocess.Popen[bytes]
    port: int
    root: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self, *args: str) -> bytes:
        """One command over a raw socket (RESP inline form), for fixtures; its reply."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall((" ".join(args) + "\r\n").encode())
            return s.recv(4096)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_redis() -> RedisServer:
    """Start a server (no persistence, loopback only) and wait until it answers PING."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("no redis-server binary: apt-get install redis-server")
    root = Path(tempfile.mkdtemp(prefix="arbiter-redis-"))
    port = _free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(root)]
    args += ["--save", "", "--appendonly", "no", "--protected-mode", "yes"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = RedisServer(process, port, root)
    give_up = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        try:
            if server.command("PING").startswith(b"+PONG"):
                return server
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > give_up:
            server.stop()
            raise RuntimeError(f"redis-server did not start on port {port}")
        time.sleep(0.05)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = start_redis()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    assert redis_server.command("FLUSHALL").startswith(b"+OK")
    return redis_server.url

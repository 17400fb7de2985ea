"""A service's entry point built with `main_for`, run as its own process: it logs JSON,
serves health, and drains and exits cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import textwrap
from pathlib import Path

from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc

ENTRY_POINT = """
from arbiter.planner.v1 import planner_pb2, planner_pb2_grpc
from arbiter_kit.server import Service, main_for


class Planner(planner_pb2_grpc.PlannerServiceServicer):
    async def Plan(self, request, context):
        return planner_pb2.PlanResponse()


def services():
    add = planner_pb2_grpc.add_PlannerServiceServicer_to_server
    return [Service("arbiter.planner.v1.PlannerService", Planner(), add)]


main_for("planner", 50052, services)
"""


async def read_json_line(stream: asyncio.StreamReader, msg: str) -> dict[str, object]:
    while line := await asyncio.wait_for(stream.readline(), timeout=20):
        record = json.loads(line)
        if record.get("msg") == msg:
            return dict(record)
    raise AssertionError(f"the process ended before logging {msg!r}")


async def test_entry_point_serves_and_drains_on_sigterm(tmp_path: Path) -> None:
    script = tmp_path / "planner_main.py"
    script.write_text(textwrap.dedent(ENTRY_POINT))
    env = {**os.environ, "PLANNER_PORT": "0", "PLANNER_METRICS_PORT": "0"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(script), env=env, stderr=asyncio.subprocess.PIPE
    )
    assert process.stderr is not None
    try:
        serving = await read_json_line(process.stderr, "serving")
        assert serving["service"] == "planner" and serving["level"] == "info"
        assert isinstance(serving["metrics_port"], int) and serving["metrics_port"] > 0
        async with aio.insecure_channel(f"127.0.0.1:{serving['port']}") as channel:
            reply = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service="arbiter.planner.v1.PlannerService"),
                timeout=5,
            )
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
        process.send_signal(signal.SIGTERM)
        await read_json_line(process.stderr, "stopped")
        assert await asyncio.wait_for(process.wait(), timeout=20) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

"""AnalyzeData and the findings database's life: none configured (FAILED_PRECONDITION,
Synthesize unaffected); down at start (the service serves, AnalyzeData answers UNAVAILABLE
with a retry hint, counted, until the background migration succeeds); down later
(UNAVAILABLE, counted); a schema newer than the code (the service refuses to start)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import subprocess
import sys
from collections.abc import AsyncIterator

import asyncpg
import grpc
import pytest
from arbiter.analysis.v1 import analysis_pb2_grpc
from arbiter_analysis.__main__ import build_server, opened_findings
from arbiter_analysis.findings.migrate import META_SCHEMA, SchemaTooNew, migrate
from arbiter_cli.postgres import free_port
from arbiter_kit.errors import error_info, retry_delay
from arbiter_llm import OfflineLLM
from prometheus_client import REGISTRY

from tests.analysis.analyze_calls import analyse
from tests.analysis.conftest import ANALYSIS, findings_server
from tests.support.postgres import FindingsDb
from tests.support.servers import LOCAL, channel_to, health
from tests.support.waiting import eventually

QUESTION = "How many findings per rulebook in 2024?"


def failures(reason: str) -> float:
    labels = {"dependency": "findings-db", "reason": reason}
    return REGISTRY.get_sample_value("arbiter_dependency_failures_total", labels) or 0.0


def reason(error: grpc.aio.AioRpcError) -> str:
    info = error_info(error)
    assert info is not None
    return str(info.reason)


async def refused(stub: analysis_pb2_grpc.AnalysisServiceStub) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await analyse(stub, QUESTION, budget=10)
    return caught.value


async def test_without_a_database_analyze_data_is_a_failed_precondition() -> None:
    async with channel_to(build_server(LOCAL, OfflineLLM())) as channel:
        error = await refused(analysis_pb2_grpc.AnalysisServiceStub(channel))
        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "no findings database is configured" in (error.details() or "")
        assert await health(channel, "") == ["SERVING"]


class Gate:
    """A TCP forwarder on loopback to the test cluster that refuses every connection until
    opened: a database that is down, then comes up, at one address."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.open = False
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def __aenter__(self) -> Gate:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        await self._server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.open:
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers |= {writer, up_writer}
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    sink.close()


def _via(url: str, port: int) -> str:
    head, _, tail = url.rpartition("@")
    _, _, database = tail.partition("/")
    return f"{head}@127.0.0.1:{port}/{database}"


@contextlib.asynccontextmanager
async def gated(db: FindingsDb) -> AsyncIterator[tuple[Gate, FindingsDb]]:
    port = int(db.owner.rpartition("@")[2].split("/")[0].rsplit(":", 1)[1])
    async with Gate(port) as gate:
        via = dataclasses.replace(
            db, owner=_via(db.owner, gate.port), reader=_via(db.reader, gate.port)
        )
        yield gate, via


async def test_a_database_down_at_start_is_retried_in_the_background(
    fresh_findings_db: FindingsDb,
) -> None:
    analysis = dataclasses.replace(
        ANALYSIS, migrate_retry_seconds=0.05, migrate_retry_max_seconds=0.2
    )
    async with gated(fresh_findings_db) as (gate, via):
        config = dataclasses.replace(via.config, connect_timeout_seconds=1.0)
        async with findings_server(OfflineLLM(), config, analysis) as (channel, findings):
            assert findings is not None and not findings.ready
            stub = analysis_pb2_grpc.AnalysisServiceStub(channel)
            assert await health(channel, "") == ["SERVING"]
            before = failures("not_ready")
            error = await refused(stub)
            assert error.code() == grpc.StatusCode.UNAVAILABLE
            assert reason(error) == "DATABASE_NOT_READY"
            assert (retry_delay(error) or 0) > 0
            assert failures("not_ready") == before + 1
            gate.open = True
            await eventually(lambda: findings.ready, within=10, what="the background migration")
            # Migrated in the background: an empty database answers.
            result = (await analyse(stub, QUESTION)).result
            assert result.summary.startswith("No rows matched")


async def test_a_database_down_later_is_unavailable_and_counted(findings_db: FindingsDb) -> None:
    async with gated(findings_db) as (gate, via):
        gate.open = True
        async with findings_server(OfflineLLM(), via.config) as (channel, findings):
            assert findings is not None and findings.ready
            stub = analysis_pb2_grpc.AnalysisServiceStub(channel)
            assert (await analyse(stub, QUESTION)).result.table.rows
            gate.open = False
            await findings.database.close()  # pooled connections would outlive the gate
            await findings.database.open()
            before = failures("unreachable")
            error = await refused(stub)
            assert error.code() == grpc.StatusCode.UNAVAILABLE
            assert reason(error) == "DATABASE_UNAVAILABLE"
            assert (retry_delay(error) or 0) > 0
            assert failures("unreachable") == before + 1
            assert "127.0.0.1" not in (error.details() or "")


async def _newer_schema(db: FindingsDb) -> None:
    conn = await asyncpg.connect(db.owner)
    try:
        await migrate(conn)
        await conn.execute(
            f"INSERT INTO {META_SCHEMA}.migrations (version, name, checksum)"
            " VALUES (999, 'from_the_future', 'x')"
        )
    finally:
        await conn.close()


async def test_a_newer_schema_refuses_the_start(fresh_findings_db: FindingsDb) -> None:
    await _newer_schema(fresh_findings_db)
    with pytest.raises(SchemaTooNew):
        async with opened_findings(fresh_findings_db.config, ANALYSIS):
            pass
    env = {
        **os.environ,
        "ANALYSIS_DATABASE_URL": fresh_findings_db.owner,
        "ANALYSIS_DATABASE_READER_URL": fresh_findings_db.reader,
        "ANALYSIS_PORT": str(free_port()),
        "ANALYSIS_METRICS_PORT": "-1",
        "LLM_PROVIDER": "offline",
    }
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "arbiter_analysis"],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 1
    logged = done.stderr.decode() + done.stdout.decode()
    assert "cannot start" in logged and "schema version 999" in logged
    assert "Traceback" not in logged

"""Helpers of the AnalyzeData tests: one call drained into its progress and result, the SQL
run directly as the reader, and a fingerprint of everything in the database (to show a
hostile query changed nothing)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TypeAlias

import asyncpg
from arbiter.analysis.v1 import analysis_pb2, analysis_pb2_grpc
from arbiter.common.v1 import common_pb2
from arbiter_analysis.findings.sample import TODAY
from arbiter_analysis.findings.schema import SCHEMA, TABLES
from arbiter_analysis.sql import check_query
from arbiter_analysis.table import ResultTable
from arbiter_analysis.text2sql_task import offline_output

from tests.support.postgres import FindingsDb

Stub: TypeAlias = analysis_pb2_grpc.AnalysisServiceStub


@dataclass(frozen=True)
class Analysed:
    """What one AnalyzeData call streamed."""

    progress: list[common_pb2.Progress]
    results: list[analysis_pb2.AnalyzeDataResult]

    @property
    def result(self) -> analysis_pb2.AnalyzeDataResult:
        assert len(self.results) == 1, f"{len(self.results)} results"
        return self.results[0]

    @property
    def stages(self) -> list[str]:
        return [p.stage for p in self.progress]

    def said(self, stage: str) -> str:
        """Every message of `stage`, joined."""
        return " | ".join(p.message for p in self.progress if p.stage == stage)


async def analyse(stub: Stub, question: str, *, budget: float = 30) -> Analysed:
    progress: list[common_pb2.Progress] = []
    results: list[analysis_pb2.AnalyzeDataResult] = []
    request = analysis_pb2.AnalyzeDataRequest(question=question)
    async for message in stub.AnalyzeData(request, timeout=budget):
        if message.WhichOneof("kind") == "progress":
            assert not results, "progress after the result"
            progress.append(message.progress)
        else:
            results.append(message.result)
    return Analysed(progress, results)


async def analyse_all(stub: Stub, questions: list[str], *, at_once: int = 12) -> list[Analysed]:
    """Every question's call, `at_once` in flight, results in the questions' order."""
    gate = asyncio.Semaphore(at_once)

    async def one(question: str) -> Analysed:
        async with gate:
            return await analyse(stub, question)

    return list(await asyncio.gather(*(one(q) for q in questions)))


def offline_sql(question: str) -> str:
    """What the offline translation of `question` runs (guarded, LIMIT forced); "" if none."""
    sql = str(offline_output(question, TODAY)["sql"])
    return check_query(sql) if sql else ""


async def rows_of(db: FindingsDb, sql: str) -> list[list[str]]:
    """The rows of `sql` run directly as the reader, as the contract's text cells."""
    conn = await asyncpg.connect(db.reader)
    try:
        records = await conn.fetch(sql)
    finally:
        await conn.close()
    table = ResultTable.of([], [list(r.values()) for r in records])
    return [list(row.cells) for row in table.to_proto().rows]


async def fingerprint(db: FindingsDb) -> dict[str, str]:
    """Every findings table's content checksum, every table and role of the cluster: what a
    query that wrote, created or dropped anything would change."""
    conn = await asyncpg.connect(db.admin)
    try:
        found = {}
        for name in TABLES:
            found[name] = str(
                await conn.fetchval(
                    f"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, ',' "
                    f"ORDER BY t::text)), '') FROM {SCHEMA}.{name} t"
                )
            )
        tables = await conn.fetch(
            "SELECT schemaname || '.' || tablename AS t FROM pg_tables"
            " WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
        )
        found["tables"] = ",".join(r["t"] for r in tables)
        roles = await conn.fetch("SELECT rolname, rolsuper, rolcanlogin FROM pg_roles ORDER BY 1")
        found["roles"] = ",".join(str(tuple(r.values())) for r in roles)
        return found
    finally:
        await conn.close()

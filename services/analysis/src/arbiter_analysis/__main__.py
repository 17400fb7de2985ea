"""`python -m arbiter_analysis`: serve the AnalysisService (ANALYSIS_* and LLM_* settings).

With `ANALYSIS_DATABASE_URL` set, the findings database is migrated at start (a database
that is down is retried in the background; one with a newer schema stops the start);
without it, AnalyzeData answers FAILED_PRECONDITION and Synthesize works as ever."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from arbiter.analysis.v1 import analysis_pb2_grpc
from arbiter_kit.addresses import PORTS
from arbiter_kit.config import ServerConfig
from arbiter_kit.errors import ArbiterError
from arbiter_kit.server import Service, ServiceServer, main_for
from arbiter_llm import LLM, LLMConfig, open_llm

from arbiter_analysis.analyze import DataAnalysis
from arbiter_analysis.config import AnalysisConfig, DatabaseConfig
from arbiter_analysis.findings.database import FindingsDatabase
from arbiter_analysis.findings_access import FindingsAccess
from arbiter_analysis.service import SERVICE_NAME, AnalysisServicer
from arbiter_analysis.synthesis import Synthesis

log = logging.getLogger("arbiter_analysis")


def services(
    llm: LLM,
    *,
    findings: FindingsAccess | None = None,
    config: AnalysisConfig = AnalysisConfig.default,
) -> list[Service]:
    add = analysis_pb2_grpc.add_AnalysisServiceServicer_to_server
    servicer = AnalysisServicer(Synthesis(llm), DataAnalysis(llm, findings, config))
    return [Service(SERVICE_NAME, servicer, add)]


def build_server(
    config: ServerConfig,
    llm: LLM,
    *,
    findings: FindingsAccess | None = None,
    analysis: AnalysisConfig = AnalysisConfig.default,
) -> ServiceServer:
    """The service's server; `findings` started (or None: no findings database)."""
    return ServiceServer(
        name="analysis", config=config, services=services(llm, findings=findings, config=analysis)
    )


@asynccontextmanager
async def opened_findings(
    database: DatabaseConfig, config: AnalysisConfig
) -> AsyncIterator[FindingsAccess | None]:
    """The findings database started (migrated, or retrying), its pools closed on exit;
    None when none is configured."""
    if not database.configured:
        log.info("no findings database configured; AnalyzeData answers FAILED_PRECONDITION")
        yield None
        return
    findings = FindingsAccess(FindingsDatabase(database), config)
    try:
        await findings.start()
        yield findings
    finally:
        await findings.close()


@asynccontextmanager
async def analysis_services() -> AsyncIterator[list[Service]]:
    """Everything the service runs on, from the environment, closed on shutdown."""
    config = AnalysisConfig.from_env()
    async with (
        open_llm(LLMConfig.from_env()) as llm,
        opened_findings(DatabaseConfig.from_env(), config) as findings,
    ):
        yield services(llm, findings=findings, config=config)


def main() -> None:
    # sqlglot warns, quoting the statement, when it reads a command it does not model
    # (DO, SHOW, CALL); the guard refuses those anyway, and a caller's text stays out of
    # the logs.
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    try:
        main_for("analysis", PORTS["analysis"], analysis_services)
    except ArbiterError as exc:
        # Bad settings, or a findings database this release must not use: say which.
        log.error("cannot start: %s", exc.message)
        sys.exit(1)


if __name__ == "__main__":
    main()

"""Analysis fixtures: the AnalysisService on a real `grpc.aio` server (127.0.0.1:0) with
the offline provider, and with the OpenAI-compatible provider against the local test
server; the same with the findings database of the session's PostgreSQL cluster (sample
loaded, "today" the sample's); a few passages written for these tests."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
import pytest
from arbiter.analysis.v1 import analysis_pb2_grpc
from arbiter.common.v1 import common_pb2
from arbiter_analysis.__main__ import build_server, opened_findings
from arbiter_analysis.config import AnalysisConfig, DatabaseConfig
from arbiter_analysis.findings.sample import TODAY
from arbiter_analysis.findings_access import FindingsAccess
from arbiter_llm import LLM, LLMConfig, OfflineLLM, OpenAICompatibleLLM

from tests.support.openai_server import OpenAIServer, model, model_server
from tests.support.postgres import FindingsDb
from tests.support.servers import LOCAL, channel_to, llm_channel_fixtures

__all__ = ["model", "model_server"]

ANALYSIS = dataclasses.replace(AnalysisConfig.default, today=TODAY.isoformat())
"""AnalyzeData's settings in tests: relative dates count from the sample's day."""

# Written for these tests in the style of the ADGM rulebooks (not copied from them).
PASSAGES = [
    common_pb2.Passage(
        id="c1",
        source_id="p-aml-1",
        passage_ref="14.2.1",
        document_id="1",
        rulebook="AML",
        title="AML 14.2.1",
        text=(
            "A Relevant Person must promptly report to the FIU any suspicion that a "
            "customer is engaged in money laundering. The report must be made by the MLRO "
            "in the form the FIU prescribes."
        ),
        score=3.2,
    ),
    common_pb2.Passage(
        id="c2",
        source_id="p-gen-1",
        passage_ref="3.3.1",
        document_id="7",
        rulebook="GEN",
        title="GEN 3.3.1",
        text="An Authorised Person must keep its office premises open during business hours.",
        score=1.1,
    ),
    common_pb2.Passage(
        id="c3",
        source_id="p-aml-2",
        passage_ref="14.3.2",
        document_id="1",
        rulebook="AML",
        title="AML 14.3.2",
        text=(
            "Introduction\nWhere a Relevant Person suspects money laundering, it must not "
            "tip off the customer about the report. Staff must be trained to recognise "
            "suspicious transactions and money laundering."
        ),
        score=2.5,
    ),
]
QUESTION = "What must a firm do when it suspects money laundering by a customer?"


offline_channel, openai_channel = llm_channel_fixtures(build_server)


@pytest.fixture
def analysis(offline_channel: grpc.aio.Channel) -> analysis_pb2_grpc.AnalysisServiceStub:
    return analysis_pb2_grpc.AnalysisServiceStub(offline_channel)


@pytest.fixture
def model_analysis(
    openai_channel: grpc.aio.Channel, model: OpenAIServer
) -> analysis_pb2_grpc.AnalysisServiceStub:
    del model  # requested for its reset
    return analysis_pb2_grpc.AnalysisServiceStub(openai_channel)


@asynccontextmanager
async def findings_server(
    llm: LLM, database: DatabaseConfig, analysis: AnalysisConfig = ANALYSIS
) -> AsyncIterator[tuple[grpc.aio.Channel, FindingsAccess | None]]:
    """The service on `llm` over the findings database `database` (started as at
    start-up), a channel to it, and its FindingsAccess."""
    async with opened_findings(database, analysis) as findings:
        server = build_server(LOCAL, llm, findings=findings, analysis=analysis)
        async with channel_to(server) as channel:
            yield channel, findings


@pytest.fixture(scope="module")
async def findings_channel(findings_db: FindingsDb) -> AsyncIterator[grpc.aio.Channel]:
    """The offline service over the sample."""
    async with findings_server(OfflineLLM(), findings_db.config) as (channel, _):
        yield channel


@pytest.fixture(scope="module")
async def model_findings_channel(
    findings_db: FindingsDb, model_server: OpenAIServer
) -> AsyncIterator[grpc.aio.Channel]:
    """The service on the OpenAI-compatible provider (the local test server) over the sample."""
    llm = OpenAICompatibleLLM(
        LLMConfig(provider="openai", base_url=model_server.base_url, max_retries=0)
    )
    try:
        async with findings_server(llm, findings_db.config) as (channel, _):
            yield channel
    finally:
        await llm.aclose()


@pytest.fixture
def data_analysis(findings_channel: grpc.aio.Channel) -> analysis_pb2_grpc.AnalysisServiceStub:
    return analysis_pb2_grpc.AnalysisServiceStub(findings_channel)


@pytest.fixture
def model_data_analysis(
    model_findings_channel: grpc.aio.Channel, model: OpenAIServer
) -> analysis_pb2_grpc.AnalysisServiceStub:
    del model  # requested for its reset
    return analysis_pb2_grpc.AnalysisServiceStub(model_findings_channel)

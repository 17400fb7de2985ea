"""Analysis fixtures: the AnalysisService on a real `grpc.aio` server (127.0.0.1:0) with
the offline provider, and with the OpenAI-compatible provider against the local test
server; a few passages written for these tests."""

from __future__ import annotations

import grpc
import pytest
from arbiter.analysis.v1 import analysis_pb2_grpc
from arbiter.common.v1 import common_pb2
from arbiter_analysis.__main__ import build_server

from tests.support.openai_server import OpenAIServer, model, model_server
from tests.support.servers import llm_channel_fixtures

__all__ = ["model", "model_server"]  # fixtures shared with the test modules

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

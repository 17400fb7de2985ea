"""`python -m arbiter_analysis`: serve the AnalysisService (ANALYSIS_* and LLM_* settings)."""

from __future__ import annotations

from arbiter.analysis.v1 import analysis_pb2_grpc
from arbiter_kit.addresses import PORTS
from arbiter_kit.config import ServerConfig
from arbiter_kit.server import Service, ServiceServer, main_for
from arbiter_llm import LLM, with_llm

from arbiter_analysis.service import SERVICE_NAME, AnalysisServicer
from arbiter_analysis.synthesis import Synthesis


def services(llm: LLM) -> list[Service]:
    add = analysis_pb2_grpc.add_AnalysisServiceServicer_to_server
    return [Service(SERVICE_NAME, AnalysisServicer(Synthesis(llm)), add)]


def build_server(config: ServerConfig, llm: LLM) -> ServiceServer:
    return ServiceServer(name="analysis", config=config, services=services(llm))


def main() -> None:
    main_for("analysis", PORTS["analysis"], with_llm(services))


if __name__ == "__main__":
    main()

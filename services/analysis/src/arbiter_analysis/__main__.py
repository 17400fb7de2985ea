"""`python -m arbiter_analysis`: serve the AnalysisService (ANALYSIS_* and LLM_* settings)."""

from __future__ import annotations

import asyncio

from arbiter.analysis.v1 import analysis_pb2_grpc
from arbiter_kit.config import ServerConfig
from arbiter_kit.logs import configure_logging
from arbiter_kit.server import Service, ServiceServer, run_until_signalled
from arbiter_llm import LLM, LLMConfig, open_llm

from arbiter_analysis.service import SERVICE_NAME, AnalysisServicer
from arbiter_analysis.synthesis import Synthesis

DEFAULT_PORT = 50054


def build_server(config: ServerConfig, llm: LLM) -> ServiceServer:
    servicer = AnalysisServicer(Synthesis(llm))
    add = analysis_pb2_grpc.add_AnalysisServiceServicer_to_server
    return ServiceServer(
        name="analysis", config=config, services=[Service(SERVICE_NAME, servicer, add)]
    )


async def serve(config: ServerConfig, llm_config: LLMConfig) -> None:
    async with open_llm(llm_config) as llm:
        await run_until_signalled(build_server(config, llm))


def main() -> None:
    configure_logging("analysis")
    config = ServerConfig.from_env("ANALYSIS", default_port=DEFAULT_PORT)
    asyncio.run(serve(config, LLMConfig.from_env()))


if __name__ == "__main__":
    main()

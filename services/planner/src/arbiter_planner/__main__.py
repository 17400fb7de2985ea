"""`python -m arbiter_planner`: serve the PlannerService (PLANNER_* and LLM_* settings)."""

from __future__ import annotations

import asyncio

from arbiter.planner.v1 import planner_pb2_grpc
from arbiter_kit.config import ServerConfig
from arbiter_kit.logs import configure_logging
from arbiter_kit.server import Service, ServiceServer, run_until_signalled
from arbiter_llm import LLM, LLMConfig, open_llm

from arbiter_planner.planner import Planner
from arbiter_planner.service import SERVICE_NAME, PlannerServicer

DEFAULT_PORT = 50052


def build_server(config: ServerConfig, llm: LLM) -> ServiceServer:
    servicer = PlannerServicer(Planner(llm))
    return ServiceServer(
        name="planner",
        config=config,
        services=[
            Service(SERVICE_NAME, servicer, planner_pb2_grpc.add_PlannerServiceServicer_to_server)
        ],
    )


async def serve(config: ServerConfig, llm_config: LLMConfig) -> None:
    async with open_llm(llm_config) as llm:
        await run_until_signalled(build_server(config, llm))


def main() -> None:
    configure_logging("planner")
    config = ServerConfig.from_env("PLANNER", default_port=DEFAULT_PORT)
    asyncio.run(serve(config, LLMConfig.from_env()))


if __name__ == "__main__":
    main()

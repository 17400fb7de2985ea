"""`python -m arbiter_planner`: serve the PlannerService (PLANNER_* and LLM_* settings)."""

from __future__ import annotations

from arbiter.planner.v1 import planner_pb2_grpc
from arbiter_kit.addresses import PORTS
from arbiter_kit.config import ServerConfig
from arbiter_kit.server import Service, ServiceServer, main_for
from arbiter_llm import LLM, with_llm

from arbiter_planner.planner import Planner
from arbiter_planner.service import SERVICE_NAME, PlannerServicer


def services(llm: LLM) -> list[Service]:
    add = planner_pb2_grpc.add_PlannerServiceServicer_to_server
    return [Service(SERVICE_NAME, PlannerServicer(Planner(llm)), add)]


def build_server(config: ServerConfig, llm: LLM) -> ServiceServer:
    return ServiceServer(name="planner", config=config, services=services(llm))


def main() -> None:
    main_for("planner", PORTS["planner"], with_llm(services))


if __name__ == "__main__":
    main()

"""`python -m arbiter_gateway`: serve the GatewayService."""

from __future__ import annotations

import asyncio

from arbiter.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from arbiter_kit.client import Downstream
from arbiter_kit.config import ServerConfig
from arbiter_kit.logs import configure_logging
from arbiter_kit.server import Service, ServiceServer, run_until_signalled

from arbiter_gateway.config import GatewayConfig
from arbiter_gateway.servicer import GatewayServicer
from arbiter_gateway.steps import Workers

SERVICE = gateway_pb2.DESCRIPTOR.services_by_name["GatewayService"].full_name


def build(config: GatewayConfig, server_config: ServerConfig) -> tuple[ServiceServer, Workers]:
    workers = Workers(
        planner=Downstream(config.planner),
        search=Downstream(config.search),
        analysis=Downstream(config.analysis),
        audit=Downstream(config.audit),
    )
    servicer = GatewayServicer(config=config, workers=workers)
    server = ServiceServer(
        name="gateway",
        config=server_config,
        services=[
            Service(SERVICE, servicer, gateway_pb2_grpc.add_GatewayServiceServicer_to_server)
        ],
    )
    return server, workers


async def serve() -> None:
    server, workers = build(
        GatewayConfig.from_env(), ServerConfig.from_env("GATEWAY", default_port=50051)
    )
    try:
        await run_until_signalled(server)
    finally:
        await workers.close()


def main() -> None:
    configure_logging("gateway")
    asyncio.run(serve())


if __name__ == "__main__":
    main()

"""`python -m arbiter_gateway`: serve the GatewayService (GATEWAY_* settings and each
worker's target, breaker and retry settings)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from arbiter.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from arbiter_kit.addresses import PORTS
from arbiter_kit.client import Downstream
from arbiter_kit.config import ServerConfig
from arbiter_kit.server import Service, ServiceServer, built_server, main_for

from arbiter_gateway.config import GatewayConfig
from arbiter_gateway.servicer import GatewayServicer
from arbiter_gateway.steps import Workers
from arbiter_gateway.store import session_store

SERVICE = gateway_pb2.DESCRIPTOR.services_by_name["GatewayService"].full_name


@asynccontextmanager
async def services(config: GatewayConfig) -> AsyncIterator[list[Service]]:
    """The gateway over channels to its workers and its session store (opened in the
    running loop), which close when the block ends."""
    workers = Workers(
        planner=Downstream(config.planner),
        search=Downstream(config.search),
        analysis=Downstream(config.analysis),
        audit=Downstream(config.audit),
    )
    try:
        async with session_store(config) as sessions:
            servicer = GatewayServicer(config=config, workers=workers, sessions=sessions)
            yield [
                Service(SERVICE, servicer, gateway_pb2_grpc.add_GatewayServiceServicer_to_server)
            ]
    finally:
        await workers.close()


def gateway_server(
    config: GatewayConfig, server_config: ServerConfig
) -> AbstractAsyncContextManager[ServiceServer]:
    """A gateway server (not yet started); its channels close when the block ends."""
    return built_server("gateway", server_config, lambda: services(config))


def main() -> None:
    main_for("gateway", PORTS["gateway"], lambda: services(GatewayConfig.from_env()))


if __name__ == "__main__":
    main()

"""`python -m arbiter_audit`: serve the AuditService (AUDIT_* settings)."""

from __future__ import annotations

import asyncio

from arbiter.audit.v1 import audit_pb2_grpc
from arbiter_kit.config import ServerConfig
from arbiter_kit.logs import configure_logging
from arbiter_kit.server import Service, ServiceServer, run_until_signalled

from arbiter_audit.service import SERVICE_NAME, AuditServicer

DEFAULT_PORT = 50055


def build_server(config: ServerConfig) -> ServiceServer:
    add = audit_pb2_grpc.add_AuditServiceServicer_to_server
    return ServiceServer(
        name="audit", config=config, services=[Service(SERVICE_NAME, AuditServicer(), add)]
    )


def main() -> None:
    configure_logging("audit")
    config = ServerConfig.from_env("AUDIT", default_port=DEFAULT_PORT)
    asyncio.run(run_until_signalled(build_server(config)))


if __name__ == "__main__":
    main()

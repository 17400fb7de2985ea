"""`python -m arbiter_audit`: serve the AuditService (AUDIT_* settings)."""

from __future__ import annotations

from arbiter.audit.v1 import audit_pb2_grpc
from arbiter_kit.addresses import PORTS
from arbiter_kit.config import ServerConfig
from arbiter_kit.server import Service, ServiceServer, main_for

from arbiter_audit.service import SERVICE_NAME, AuditServicer


def services() -> list[Service]:
    add = audit_pb2_grpc.add_AuditServiceServicer_to_server
    return [Service(SERVICE_NAME, AuditServicer(), add)]


def build_server(config: ServerConfig) -> ServiceServer:
    return ServiceServer(name="audit", config=config, services=services())


def main() -> None:
    main_for("audit", PORTS["audit"], services)


if __name__ == "__main__":
    main()

"""`python -m arbiter_audit`: serve the AuditService (AUDIT_* and LLM_* settings; SEARCH_*
for where search is)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from arbiter.audit.v1 import audit_pb2_grpc
from arbiter_kit.addresses import PORTS
from arbiter_kit.config import ServerConfig
from arbiter_kit.server import Service, ServiceServer, main_for
from arbiter_llm import LLM, LLMConfig, open_llm

from arbiter_audit.config import AuditConfig
from arbiter_audit.rule_search import RuleSearch
from arbiter_audit.service import SERVICE_NAME, AuditServicer
from arbiter_audit.sop import AuditSOP


def services(
    search: RuleSearch | None,
    config: AuditConfig = AuditConfig.default,
    llm: LLM | None = None,
) -> list[Service]:
    add = audit_pb2_grpc.add_AuditServiceServicer_to_server
    return [Service(SERVICE_NAME, AuditServicer(AuditSOP(search, config, llm)), add)]


def build_server(
    config: ServerConfig,
    *,
    search: RuleSearch | None = None,
    audit: AuditConfig = AuditConfig.default,
    llm: LLM | None = None,
) -> ServiceServer:
    """The service's server (offline rules unless `llm` is given); without `search`,
    regulation matching uses only the passages a request brings."""
    return ServiceServer(name="audit", config=config, services=services(search, audit, llm))


@asynccontextmanager
async def audit_services() -> AsyncIterator[list[Service]]:
    """The service on the settings of the environment, its model and search clients
    closed on exit."""
    config = AuditConfig.from_env()
    async with open_llm(LLMConfig.from_env()) as llm:
        if not config.search.target:
            yield services(None, config, llm)
            return
        search = RuleSearch(config.search)
        try:
            yield services(search, config, llm)
        finally:
            await search.close()


def main() -> None:
    main_for("audit", PORTS["audit"], audit_services)


if __name__ == "__main__":
    main()

"""Root of the test tree: each area (kit, search, planner, ...) has its own folder and
conftest. What more than one area uses (servers started on 127.0.0.1:0, the real search
service, the corpus, the test model server, session readers, bounded waiting) lives in
tests/support and is imported from there, never from another area's conftest."""

from __future__ import annotations

# One throwaway findings cluster per test session, whichever areas use it (analysis,
# Text2SQL, the gateway, the CLI): a fixture imported into several conftests would be
# registered once per conftest, and each would start its own cluster.
from tests.support.postgres import findings_db, fresh_findings_db, postgres_cluster
from tests.support.redis import redis_server, redis_url

__all__ = ["findings_db", "fresh_findings_db", "postgres_cluster", "redis_server", "redis_url"]

"""Findings database fixtures: the session's throwaway PostgreSQL cluster (real server
binaries, no mock), the sample-loaded database and fresh empty ones (tests/support)."""

from __future__ import annotations

from tests.support.postgres import findings_db, fresh_findings_db, postgres_cluster

__all__ = ["findings_db", "fresh_findings_db", "postgres_cluster"]

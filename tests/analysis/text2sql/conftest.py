"""Text2SQL fixtures: the shared throwaway PostgreSQL cluster with the findings sample."""

from __future__ import annotations

from tests.support.postgres import findings_db, postgres_cluster

__all__ = ["findings_db", "postgres_cluster"]

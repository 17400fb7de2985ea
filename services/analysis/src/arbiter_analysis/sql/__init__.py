"""The SQL guard: what a Text2SQL query may ask of the findings database, checked on its
parsed tree before anything reaches PostgreSQL."""

from arbiter_analysis.sql.guard import check_query
from arbiter_analysis.sql.refusal import GuardLimits, QueryRefused, Refusal

__all__ = ["GuardLimits", "QueryRefused", "Refusal", "check_query"]

"""What the SQL guard refuses with, and the limits it enforces: `QueryRefused` (a reason a
person reads plus a short machine code) and `GuardLimits` (plain ints, read from the
service's `ANALYSIS_SQL_*` settings)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar


class Refusal(StrEnum):
    """Why a query was refused, as a short machine code."""

    EMPTY = "EMPTY"
    TOO_LONG = "TOO_LONG"
    CONTROL_CHARACTER = "CONTROL_CHARACTER"
    PARSE_ERROR = "PARSE_ERROR"
    MULTIPLE_STATEMENTS = "MULTIPLE_STATEMENTS"
    NOT_SELECT = "NOT_SELECT"
    WRITE = "WRITE"
    SELECT_INTO = "SELECT_INTO"
    LOCKING = "LOCKING"
    RECURSIVE = "RECURSIVE"
    UNKNOWN_TABLE = "UNKNOWN_TABLE"
    UNKNOWN_COLUMN = "UNKNOWN_COLUMN"
    FUNCTION_NOT_ALLOWED = "FUNCTION_NOT_ALLOWED"
    TYPE_NOT_ALLOWED = "TYPE_NOT_ALLOWED"
    CONSTRUCT_NOT_ALLOWED = "CONSTRUCT_NOT_ALLOWED"
    LITERAL_NOT_ALLOWED = "LITERAL_NOT_ALLOWED"
    LITERAL_TOO_LONG = "LITERAL_TOO_LONG"
    IDENTIFIER_NOT_ALLOWED = "IDENTIFIER_NOT_ALLOWED"
    CROSS_JOIN = "CROSS_JOIN"
    TOO_MANY_JOINS = "TOO_MANY_JOINS"
    TOO_DEEP = "TOO_DEEP"
    LIMIT_NOT_ALLOWED = "LIMIT_NOT_ALLOWED"
    UNSTABLE = "UNSTABLE"


class QueryRefused(Exception):
    """A query the guard will not let reach the database. `str()` is the reason in words
    (it quotes the caller's text only cut short); `code` says which rule refused it."""

    def __init__(self, code: Refusal, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class GuardLimits:
    """How much one query may ask of the database."""

    max_rows: int = 1000
    """Rows the outer query returns at most: its LIMIT is added or lowered to this."""
    max_joins: int = 6
    """JOINs in the whole query, subqueries and CTEs included."""
    max_depth: int = 4
    """Queries nested inside the outer one (subqueries, CTEs), level by level."""
    max_chars: int = 8000
    """Characters of SQL text."""
    max_literal_chars: int = 500
    """Characters of one string or number literal."""

    default: ClassVar[GuardLimits]


GuardLimits.default = GuardLimits()

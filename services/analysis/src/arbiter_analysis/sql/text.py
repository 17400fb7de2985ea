"""The SQL text before it is parsed: its length, the characters it may hold, and reading
it into one statement's tree (sqlglot, PostgreSQL dialect) with parse failures reworded
for a person."""

from __future__ import annotations

import re
import unicodedata

import sqlglot
from arbiter_kit.errors import shown
from sqlglot import exp
from sqlglot.errors import ParseError

from arbiter_analysis.sql.refusal import GuardLimits, QueryRefused, Refusal

DIALECT = "postgres"
_LAYOUT = frozenset("\t\n\r ")
_INVISIBLE = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp", "Zs"})
"""Control, format (zero-width, bidirectional overrides), private, unassigned and
non-ASCII space characters: they hide what a query says from the person reading it."""
_FIRST_WORD = re.compile(r"[A-Za-z]+")


def check_text(sql: str, limits: GuardLimits) -> None:
    """Refuse empty, overlong text and characters that hide what the query says."""
    if not sql.strip():
        raise QueryRefused(Refusal.EMPTY, "the query is empty")
    if len(sql) > limits.max_chars:
        raise QueryRefused(
            Refusal.TOO_LONG,
            f"the query has {len(sql)} characters; at most {limits.max_chars} are allowed",
        )
    for char in sql:
        if char not in _LAYOUT and unicodedata.category(char) in _INVISIBLE:
            raise QueryRefused(
                Refusal.CONTROL_CHARACTER,
                f"the query holds an invisible or control character (U+{ord(char):04X})",
            )


def parse_statement(sql: str) -> exp.Expr:
    """The one statement `sql` holds (empty statements, such as a trailing `;`, ignored)."""
    try:
        statements = sqlglot.parse(sql, read=DIALECT)
    except ParseError as error:
        raise QueryRefused(Refusal.PARSE_ERROR, _parse_error_reason(error)) from None
    except RecursionError:
        raise QueryRefused(Refusal.TOO_DEEP, "the query is nested too deeply to read") from None
    except Exception:  # sqlglot's tokenizer and parser read hostile text; any failure is a refusal
        raise QueryRefused(
            Refusal.PARSE_ERROR, "the query could not be read as PostgreSQL"
        ) from None
    found = [s for s in statements if s is not None and not isinstance(s, exp.Semicolon)]
    if not found:
        raise QueryRefused(Refusal.EMPTY, "the query holds no statement")
    if len(found) > 1:
        raise QueryRefused(
            Refusal.MULTIPLE_STATEMENTS,
            f"the query holds {len(found)} statements; exactly one SELECT is allowed",
        )
    return found[0]


def first_word(sql: str) -> str:
    """The statement's first keyword, for a reason that names what was sent."""
    match = _FIRST_WORD.search(sql)
    return shown(match.group(0).upper(), limit=16) if match else "''"


def _parse_error_reason(error: ParseError) -> str:
    # sqlglot's own descriptions can name its classes and quote the text with terminal
    # colour codes; a caller gets the place only.
    where = ""
    if error.errors:
        first = error.errors[0]
        line, col = first.get("line"), first.get("col")
        if isinstance(line, int) and isinstance(col, int):
            where = f" (near line {line}, column {col})"
    return f"the query could not be read as PostgreSQL{where}"

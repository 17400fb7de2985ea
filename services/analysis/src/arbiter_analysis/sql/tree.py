"""The guard's walk over a parsed query: every node must be on the allow-lists
(`allowed`), every table a findings table or a visible CTE, every join conditioned and
counted, every subquery within the nesting depth."""

from __future__ import annotations

import re

from arbiter_kit.errors import shown
from sqlglot import exp

from arbiter_analysis.findings.schema import SCHEMA, TABLES
from arbiter_analysis.sql.allowed import (
    CAST_TYPES,
    DATE_PART_HOLDERS,
    DATE_PARTS,
    FUNCTIONS,
    NAMED_FUNCTIONS,
    QUERY_NODES,
    REFUSED_NODES,
    STRING_FORMS,
    VALUE_NODES,
    WRITES,
)
from arbiter_analysis.sql.names import cut, folded, visible_ctes
from arbiter_analysis.sql.refusal import GuardLimits, QueryRefused, Refusal
from arbiter_analysis.sql.text import DIALECT

_ALLOWED = QUERY_NODES | VALUE_NODES | FUNCTIONS
_IDENTIFIER_CHARS = re.compile(r"[\x20-\x7e]+")
_WORDS = re.compile(r"(?<!^)(?=[A-Z])")
_FUNCTION_NAME = re.compile(r"[^\W\d]\w*")


def check_tree(query: exp.Query, limits: GuardLimits) -> None:
    """Refuse `query` unless every node in it is allowed where it stands."""
    joins = 0
    for node in query.walk():
        _check_kind(node)
        if isinstance(node, exp.Literal):
            _check_literal(node, limits)
        elif isinstance(node, exp.Identifier):
            _check_identifier(node)
        elif isinstance(node, exp.DataType):
            _check_type(node)
        elif isinstance(node, exp.Var):
            _check_word(node)
        elif isinstance(node, exp.Table):
            _check_table(node)
        elif isinstance(node, exp.Join):
            _check_join(node)
            joins += 1
        elif isinstance(node, exp.With) and node.args.get("recursive"):
            raise QueryRefused(Refusal.RECURSIVE, "recursive CTEs (WITH RECURSIVE) are not allowed")
        elif isinstance(node, exp.Query):
            _check_depth(node, limits)
    if joins > limits.max_joins:
        raise QueryRefused(
            Refusal.TOO_MANY_JOINS,
            f"the query has {joins} joins; at most {limits.max_joins} are allowed",
        )


def function_name(node: exp.Func) -> str:
    """The function's name as PostgreSQL would show it (`pg_sleep`, `generate_series`)."""
    if isinstance(node, exp.Anonymous):
        return cut(str(node.name))
    try:
        rendered = node.sql(dialect=DIALECT, comments=False)
    except Exception:  # a node sqlglot cannot render back still gets a name
        rendered = node.sql_name()
    return cut(rendered.split("(", 1)[0].strip().lower())


def _check_kind(node: exp.Expr) -> None:
    kind = type(node)
    if kind in _ALLOWED:
        return
    refused = REFUSED_NODES.get(kind)
    if refused is not None:
        raise QueryRefused(*refused)
    if isinstance(node, WRITES):
        raise QueryRefused(
            Refusal.WRITE,
            f"data-modifying statements ({kind.__name__.upper()}) are not allowed, "
            "inside WITH either; only SELECT queries are allowed",
        )
    if isinstance(node, exp.Anonymous):
        name = node.args.get("this")
        quoted = isinstance(name, exp.Identifier) and name.quoted
        if not quoted and folded(node.name) in NAMED_FUNCTIONS:
            return
    if isinstance(node, exp.Func):
        name = function_name(node)
        # an operator sqlglot models as a function (`~`) has no name to show: its kind is
        reason = (
            f"function {name} is not allowed"
            if _FUNCTION_NAME.fullmatch(name)
            else f"{_words(kind)} is not allowed in a query"
        )
        raise QueryRefused(Refusal.FUNCTION_NOT_ALLOWED, reason)
    form = STRING_FORMS.get(kind)
    if form is not None:
        raise QueryRefused(
            Refusal.LITERAL_NOT_ALLOWED, f"{form} are not allowed; write plain '...' strings"
        )
    if isinstance(node, (exp.DDL, exp.Command, exp.Set, exp.Transaction, exp.Copy)):
        raise QueryRefused(Refusal.NOT_SELECT, "only SELECT queries are allowed")
    raise QueryRefused(Refusal.CONSTRUCT_NOT_ALLOWED, f"{_words(kind)} is not allowed in a query")


def _words(kind: type[exp.Expr]) -> str:
    """A node kind in words (`RegexpLike` -> `regexp like`)."""
    return _WORDS.sub(" ", kind.__name__).lower()


def _check_literal(node: exp.Literal, limits: GuardLimits) -> None:
    length = len(str(node.this))
    if length > limits.max_literal_chars:
        raise QueryRefused(
            Refusal.LITERAL_TOO_LONG,
            f"a literal has {length} characters; at most {limits.max_literal_chars} are allowed",
        )


def _check_identifier(node: exp.Identifier) -> None:
    name = str(node.this)
    if not _IDENTIFIER_CHARS.fullmatch(name):
        raise QueryRefused(
            Refusal.IDENTIFIER_NOT_ALLOWED,
            f"name {shown(name)} has characters other than ASCII letters, digits and punctuation",
        )


def _check_type(node: exp.DataType) -> None:
    if node.this not in CAST_TYPES:
        raise QueryRefused(Refusal.TYPE_NOT_ALLOWED, f"casts to {_type_name(node)} are not allowed")


def _type_name(node: exp.DataType) -> str:
    try:
        return cut(node.sql(dialect=DIALECT).lower())
    except Exception:  # an exotic type is named by its kind
        return str(node.this.value).lower()


def _check_word(node: exp.Var) -> None:
    word = str(node.name).lower()
    parent = node.parent
    if isinstance(parent, DATE_PART_HOLDERS) and word in DATE_PARTS:
        return
    if isinstance(parent, exp.Limit) and word == "all":
        return
    raise QueryRefused(
        Refusal.CONSTRUCT_NOT_ALLOWED, f"the word {shown(word)} is not allowed where it stands"
    )


def _check_table(node: exp.Table) -> None:
    source = node.args.get("this")
    if isinstance(source, exp.Func):
        _check_kind(source)
        raise QueryRefused(
            Refusal.CONSTRUCT_NOT_ALLOWED, "functions in FROM (set-returning) are not allowed"
        )
    if not isinstance(source, exp.Identifier):
        raise QueryRefused(Refusal.CONSTRUCT_NOT_ALLOWED, "only tables may be named in FROM")
    name = folded(source)
    schema = node.args.get("db")
    if node.args.get("catalog") is None and schema is None:
        if name in visible_ctes(node) or name in TABLES:
            return
    elif node.args.get("catalog") is None and folded(schema) == SCHEMA and name in TABLES:
        return
    raise QueryRefused(
        Refusal.UNKNOWN_TABLE,
        f"table {_table_name(node)} is not part of the {SCHEMA} schema "
        f"(its tables: {', '.join(f'{SCHEMA}.{t}' for t in TABLES)})",
    )


def _table_name(node: exp.Table) -> str:
    parts = [node.args.get("catalog"), node.args.get("db"), node.args.get("this")]
    return cut(".".join(str(p.this) for p in parts if isinstance(p, exp.Identifier)))


def _check_join(node: exp.Join) -> None:
    kind = str(node.args.get("kind") or "").upper()
    method = str(node.args.get("method") or "").upper()
    conditioned = node.args.get("on") is not None or bool(node.args.get("using"))
    if kind == "CROSS" or method == "NATURAL" or not conditioned:
        raise QueryRefused(
            Refusal.CROSS_JOIN,
            "every join needs a join condition (ON or USING); cross joins, comma-separated "
            "tables and natural joins are not allowed",
        )


def _check_depth(node: exp.Query, limits: GuardLimits) -> None:
    if not _is_level(node):
        return
    depth = -1
    current: exp.Expr | None = node
    while current is not None:
        depth += _is_level(current)
        current = current.parent
    if depth > limits.max_depth:
        raise QueryRefused(
            Refusal.TOO_DEEP,
            f"the query nests subqueries {depth} levels deep; at most {limits.max_depth} "
            "are allowed",
        )


def _is_level(node: exp.Expr) -> bool:
    """Whether `node` opens a level of nesting: a SELECT or set operation, except a branch
    of UNION/INTERSECT/EXCEPT (parenthesised or not), which is its set operation's level."""
    if not isinstance(node, (exp.Select, exp.SetOperation)):
        return False
    parent = node.parent
    if isinstance(parent, exp.Subquery):
        parent = parent.parent
    return not isinstance(parent, exp.SetOperation)

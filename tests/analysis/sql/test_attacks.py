"""The attack corpus (`attacks.jsonl`, hostile SQL we wrote, labelled by class) against the
guard: every entry refused, every class present in strength, and every refusal a reason
a person reads (no traceback, no exception or class names, no long quote of the input)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from arbiter_analysis.sql import QueryRefused, Refusal, check_query

from tests.analysis.sql.corpus import load_attacks

CLASSES = {
    "injection": 15,
    "stacked": 10,
    "comment": 10,
    "unicode": 10,
    "cte_write": 8,
    "select_into": 4,
    "locking": 5,
    "catalog": 20,
    "function": 30,
    "expensive": 15,
    "ddl_dml": 25,
    "transaction": 5,
    "quoting": 10,
    "other_schema": 5,
    "case_variation": 8,
}
"""Each class of the corpus and the fewest entries it must hold."""

_INTERNALS = re.compile(r"Traceback|Error\b|Exception|sqlglot|<class|\x1b\[|/work/|\.py\b")


ENTRIES = load_attacks()


def test_the_corpus_holds_at_least_150_attacks_in_every_class() -> None:
    assert len(ENTRIES) >= 150
    counts = Counter(entry["class"] for entry in ENTRIES)
    assert set(counts) == set(CLASSES), set(counts) ^ set(CLASSES)
    short = {name: counts[name] for name, least in CLASSES.items() if counts[name] < least}
    assert not short, f"classes below their share: {short}"
    assert all(entry["sql"] and entry["note"] for entry in ENTRIES)
    assert len({entry["sql"] for entry in ENTRIES}) == len(ENTRIES), "duplicate attacks"


@pytest.mark.parametrize(
    "entry", ENTRIES, ids=[f"{i:03d}-{e['class']}" for i, e in enumerate(ENTRIES)]
)
def test_every_attack_is_refused_with_a_readable_reason(entry: dict[str, Any]) -> None:
    with pytest.raises(QueryRefused) as caught:
        check_query(entry["sql"])
    error = caught.value
    assert isinstance(error.code, Refusal)
    reason = str(error)
    assert reason == error.reason and 0 < len(reason) <= 300, reason
    assert not _INTERNALS.search(reason), reason
    # no inner exception travels with it (a logged refusal shows no parser internals)
    assert error.__cause__ is None
    assert error.__suppress_context__ or error.__context__ is None


def test_refusals_per_class_are_counted_and_total() -> None:
    refused: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    for entry in ENTRIES:
        try:
            check_query(entry["sql"])
        except QueryRefused as error:
            refused[entry["class"]] += 1
            codes[error.code.value] += 1
    total = Counter(entry["class"] for entry in ENTRIES)
    assert refused == total, {c: (refused[c], total[c]) for c in total if refused[c] != total[c]}
    # the refusals come from the rule each class is about, not only from parse failures
    assert codes[Refusal.PARSE_ERROR.value] < len(ENTRIES) // 10
    for code in (
        Refusal.MULTIPLE_STATEMENTS,
        Refusal.NOT_SELECT,
        Refusal.WRITE,
        Refusal.SELECT_INTO,
        Refusal.LOCKING,
        Refusal.UNKNOWN_TABLE,
        Refusal.UNKNOWN_COLUMN,
        Refusal.FUNCTION_NOT_ALLOWED,
        Refusal.TYPE_NOT_ALLOWED,
        Refusal.CROSS_JOIN,
        Refusal.TOO_MANY_JOINS,
        Refusal.TOO_DEEP,
        Refusal.TOO_LONG,
        Refusal.LITERAL_TOO_LONG,
        Refusal.LITERAL_NOT_ALLOWED,
        Refusal.RECURSIVE,
        Refusal.CONTROL_CHARACTER,
    ):
        assert codes[code.value] > 0, f"no attack is refused as {code.value}"


@pytest.mark.parametrize(
    ("sql", "code", "words"),
    [
        ("SELECT pg_sleep(10)", Refusal.FUNCTION_NOT_ALLOWED, "function pg_sleep is not allowed"),
        ("DELETE FROM findings.findings", Refusal.NOT_SELECT, "only SELECT queries are allowed"),
        (
            "SELECT * FROM pg_catalog.pg_class",
            Refusal.UNKNOWN_TABLE,
            "table pg_catalog.pg_class is not part of the findings schema",
        ),
        ("SELECT 1; SELECT 2", Refusal.MULTIPLE_STATEMENTS, "exactly one SELECT is allowed"),
        ("SELECT * FROM findings.firms FOR UPDATE", Refusal.LOCKING, "locking clauses"),
        (
            "WITH x AS (DELETE FROM findings.findings RETURNING *) SELECT * FROM x",
            Refusal.WRITE,
            "data-modifying statements (DELETE) are not allowed",
        ),
    ],
)
def test_a_refusal_names_its_reason(sql: str, code: Refusal, words: str) -> None:
    with pytest.raises(QueryRefused) as caught:
        check_query(sql)
    assert caught.value.code is code
    assert words in str(caught.value)

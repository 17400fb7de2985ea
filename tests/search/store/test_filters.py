"""The expression compiler: every expression is scoped to its tenant, every value is a
literal. Shown by parsing what it builds (random and hostile values never change the
expression's shape, and each literal reads back as the value it stands for) and by Milvus
Lite itself (a hostile value matches only the row that literally holds it)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pytest
from arbiter.common.v1 import common_pb2
from arbiter_kit.errors import InvalidArgument
from arbiter_kit.filter_fields import FILTERABLE_FIELDS
from arbiter_search.store import schema
from arbiter_search.store.base import Chunk
from arbiter_search.store.filters import Condition, FilterCompiler, quote
from arbiter_search.store.milvus import MilvusPassageStore
from hypothesis import given, settings
from hypothesis import strategies as st

HOSTILE = [
    "p'] or tenant in ['acme'] or id in ['q",
    'x"] or tenant == "acme" or id in ["y',
    '" or 1==1 or "',
    "\\",
    '\\"',
    "a\\",
    "\\n",
    "\\u0041",
    "line\nbreak",
    "car\rriage",
    "tab\tbed",
    "nul\x00byte",
    "bell\x07",
    "]",
    "'",
    "",
    "é 😀 中文",
]
"""Values that would end or bend a badly quoted literal."""

_TOKEN = re.compile(
    r'\s+|(?P<string>"(?:[^"\\\n\r]|\\[\\"nrt])*")|(?P<word>[A-Za-z_][A-Za-z0-9_]*)'
    r"|(?P<op>==|[\[\],])"
)
_UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n", "\\r": "\r", "\\t": "\t"}


def tokens(expression: str) -> tuple[list[str], list[str]]:
    """The expression's shape (its tokens, each string literal as `STR`) and the values
    its literals stand for; fails on any character no token accounts for."""
    shape: list[str] = []
    values: list[str] = []
    at = 0
    while at < len(expression):
        match = _TOKEN.match(expression, at)
        assert match is not None and match.end() > at, f"stray text at {expression[at:]!r}"
        if match["string"] is not None:
            shape.append("STR")
            literal = match["string"][1:-1]
            values.append(re.sub(r"\\[\\\"nrt]", lambda m: _UNESCAPE[m[0]], literal))
        elif match["word"] is not None or match["op"] is not None:
            shape.append(match[0])
        at = match.end()
    return shape, values


def f(field: str, *values: str) -> common_pb2.MetadataFilter:
    return common_pb2.MetadataFilter(field=field, any_of=values)


def test_quote_escapes_what_could_end_the_literal() -> None:
    assert quote('AML" or rulebook != "') == '"AML\\" or rulebook != \\""'
    assert quote("a\\b\nc") == '"a\\\\b\\nc"'


def test_compiles_every_condition_within_the_tenant() -> None:
    compiler = FilterCompiler()
    conditions = compiler.validate([f("rulebook", "AML", "GEN"), f("passage_id", "8.3.1")])
    assert conditions == [
        Condition("rulebook", ("AML", "GEN")),
        Condition("passage_ref", ("8.3.1",)),
    ]
    assert compiler.compile(conditions, tenant="t1") == (
        'tenant == "t1" and rulebook in ["AML", "GEN"] and passage_ref == "8.3.1"'
    )


def test_deletes_and_hash_queries_are_scoped_to_the_tenant() -> None:
    compiler = FilterCompiler()
    assert compiler.chunks(["a#1", "a#2"], tenant="t1") == (
        'tenant == "t1" and id in ["a#1", "a#2"]'
    )
    assert compiler.sources(["a"], tenant="t1") == 'tenant == "t1" and source_id == "a"'


def test_fetches_name_the_tenants_own_keys() -> None:
    compiler = FilterCompiler(default_tenant="default")
    assert compiler.first_chunks(["a", "b"], tenant="default") == 'id in ["a#0", "b#0"]'
    assert compiler.first_chunks(
        ["a"], tenant="acme", conditions=[Condition("rulebook", ("AML",))]
    ) == ('id == "acme\x1fa#0" and rulebook == "AML"')


def test_every_filterable_field_has_a_column() -> None:
    assert set(schema.FILTER_COLUMNS) == set(FILTERABLE_FIELDS)
    assert FilterCompiler().fields == sorted(FILTERABLE_FIELDS)


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ([f("text", "x")], "filters[0].field"),
        ([f("rulebook", "AML"), f("tenant", "other")], "filters[1].field"),
        ([f("rulebook or 1==1", "AML")], "filters[0].field"),
        ([f("rulebook")], "filters[0].any_of"),
    ],
)
def test_invalid_filters_name_the_field(
    filters: list[common_pb2.MetadataFilter], field: str
) -> None:
    with pytest.raises(InvalidArgument) as caught:
        FilterCompiler().validate(filters)
    assert caught.value.field == field


values = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(alphabet=st.sampled_from(list("\"'\\[](),=!<>&| \n\r\t\x00aZ9#/")), max_size=24),
    st.text(max_size=24),
)
conditions = st.lists(
    st.tuples(st.sampled_from(sorted(FILTERABLE_FIELDS)), st.lists(values, min_size=1, max_size=4)),
    max_size=4,
)


def benign(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(f"v{i}" for i in range(len(values)))


@settings(max_examples=300, deadline=None)
@given(tenant=values, chosen=conditions)
def test_no_value_changes_a_filter_expressions_shape(
    tenant: str, chosen: list[tuple[str, list[str]]]
) -> None:
    compiler = FilterCompiler()
    hostile = [Condition(field, tuple(vs)) for field, vs in chosen]
    plain = [Condition(c.field, benign(c.values)) for c in hostile]
    shape, literals = tokens(compiler.compile(hostile, tenant=tenant))
    assert shape == tokens(compiler.compile(plain, tenant="t"))[0]
    assert literals == [tenant, *(v for c in hostile for v in c.values)]


@settings(max_examples=300, deadline=None)
@given(tenant=values, ids=st.lists(values, min_size=1, max_size=5))
def test_no_id_changes_a_delete_or_fetch_expressions_shape(tenant: str, ids: list[str]) -> None:
    compiler = FilterCompiler(default_tenant="default")
    keys = [schema.chunk_id(tenant, i, 0, default_tenant="default") for i in ids]
    builds = [
        (compiler.chunks, [tenant, *ids]),
        (compiler.sources, [tenant, *ids]),
        (compiler.first_chunks, keys),
    ]
    for build, expected in builds:
        shape, literals = tokens(build(ids, tenant=tenant))
        assert shape == tokens(build(list(benign(ids)), tenant="t"))[0]
        assert literals == expected


def chunk(i: int, value: str, *, tenant: str = "default") -> Chunk:
    return Chunk(
        id=f"row-{i}#0",
        tenant=tenant,
        source_id=f"row-{i}",
        chunk_index=0,
        document_id="d",
        rulebook=value,
        passage_ref="",
        title="",
        document_file="",
        doc_type=value,
        content_hash="h",
        text="herons nest in the reeds",
    )


async def test_a_hostile_value_matches_only_the_row_that_holds_it(tmp_path: Path) -> None:
    store = await MilvusPassageStore.open(str(tmp_path / "milvus.db"), collection="passages")
    try:
        await store.write(
            tenant="default",
            upserts=[chunk(i, v) for i, v in enumerate(HOSTILE)],
            deletes=[],
        )
        await store.write(tenant="acme", upserts=[chunk(99, "AML", tenant="acme")], deletes=[])
        for i, value in enumerate(HOSTILE):
            for field in ("rulebook", "doc_type"):
                hits = await store.search(
                    tenant="default",
                    text="herons",
                    conditions=[Condition(field, (value,))],
                    limit=50,
                )
                assert [h.source_id for h in hits] == [f"row-{i}"], (field, value)
        # Many values at once: exactly the rows that hold one of them.
        some = HOSTILE[:5]
        hits = await store.search(
            tenant="default",
            text="herons",
            conditions=[Condition("rulebook", tuple(some))],
            limit=50,
        )
        assert sorted(h.source_id for h in hits) == [f"row-{i}" for i in range(5)]
    finally:
        await store.close()

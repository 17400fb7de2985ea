"""The filter compiler: names checked against the schema, values always literals."""

from __future__ import annotations

import pytest
from arbiter.common.v1 import common_pb2
from arbiter_kit.errors import InvalidArgument
from arbiter_search.filters import MAX_VALUE_CHARS, Condition, FilterCompiler, quote


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


def test_repeated_values_are_folded() -> None:
    [condition] = FilterCompiler().validate([f("rulebook", "AML", "AML")])
    assert condition.values == ("AML",)


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ([f("text", "x")], "filters[0].field"),
        ([f("rulebook", "AML"), f("tenant", "other")], "filters[1].field"),
        ([f("rulebook")], "filters[0].any_of"),
        ([f("rulebook", "ok", "x" * (MAX_VALUE_CHARS + 1))], "filters[0].any_of[1]"),
        ([f("rulebook", "x")] * 17, "filters"),
    ],
)
def test_invalid_filters_name_the_field(
    filters: list[common_pb2.MetadataFilter], field: str
) -> None:
    with pytest.raises(InvalidArgument) as caught:
        FilterCompiler().validate(filters)
    assert caught.value.field == field

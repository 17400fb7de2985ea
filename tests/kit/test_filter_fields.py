"""The one filter-field schema and validator every service uses: a hostile or unknown
field, `tenant`, or a value beyond the limits is refused naming the exact place."""

from __future__ import annotations

import pytest
from arbiter.common.v1 import common_pb2
from arbiter_kit.errors import InvalidArgument
from arbiter_kit.filter_fields import (
    FILTERABLE_FIELDS,
    MAX_FILTERS,
    MAX_VALUE_CHARS,
    MAX_VALUES,
    Condition,
    canonical_field,
    validate_filters,
)


def f(field: str, *values: str) -> common_pb2.MetadataFilter:
    return common_pb2.MetadataFilter(field=field, any_of=values)


def test_filters_become_conditions_with_aliases_resolved_and_values_folded() -> None:
    conditions = validate_filters([f("rulebook", "AML", "GEN", "AML"), f("passage_id", "8.3.1")])
    assert conditions == [
        Condition("rulebook", ("AML", "GEN")),
        Condition("passage_ref", ("8.3.1",)),
    ]


def test_no_filters_is_no_conditions() -> None:
    assert validate_filters([]) == []


def test_every_filterable_field_is_accepted_and_nothing_else_names_one() -> None:
    for name in FILTERABLE_FIELDS:
        assert canonical_field(name) == name
    assert canonical_field("passage_id") == "passage_ref"
    assert canonical_field("tenant") is None
    assert canonical_field("text") is None


def test_the_limits_are_inclusive() -> None:
    at_most = [f("rulebook", *(str(i) for i in range(MAX_VALUES)))] * MAX_FILTERS
    assert len(validate_filters(at_most)) == MAX_FILTERS
    assert validate_filters([f("rulebook", "x" * MAX_VALUE_CHARS)])[0].values[0] == (
        "x" * MAX_VALUE_CHARS
    )


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ([f("rulebook or 1==1", "AML")], "filters[0].field"),
        ([f("rulebook", "AML"), f("tenant", "acme")], "filters[1].field"),
        ([f("", "AML")], "filters[0].field"),
        ([f("text", "x")], "filters[0].field"),
        ([f("rulebook")], "filters[0].any_of"),
        ([f("rulebook", *("v" * (MAX_VALUES + 1)))], "filters[0].any_of"),
        ([f("rulebook", "ok", "x" * (MAX_VALUE_CHARS + 1))], "filters[0].any_of[1]"),
        ([f("rulebook", "x")] * (MAX_FILTERS + 1), "filters"),
    ],
)
def test_a_bad_filter_is_refused_naming_the_place(
    filters: list[common_pb2.MetadataFilter], field: str
) -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_filters(filters)
    assert caught.value.field == field


def test_the_path_prefixes_the_place_at_fault() -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_filters([f("tenant", "acme")], path="query.filters")
    assert caught.value.field == "query.filters[0].field"
    assert "set by the service" in caught.value.message


def test_a_huge_field_name_is_quoted_only_truncated() -> None:
    name = "rulebook' or '1'='1" * 1000
    with pytest.raises(InvalidArgument) as caught:
        validate_filters([f(name, "AML")])
    assert len(caught.value.message) < 400
    assert name[:64] in caught.value.message
    assert name[:65] not in caught.value.message

"""The shared request checks: each error names the exact field at fault."""

from __future__ import annotations

import pytest
from arbiter.common.v1 import common_pb2
from arbiter_kit.errors import InvalidArgument, shown
from arbiter_kit.validation import (
    known_enums,
    max_items,
    metadata_filters,
    no_control_characters,
    required_id,
    required_text,
)


def f(field: str, *values: str) -> common_pb2.MetadataFilter:
    return common_pb2.MetadataFilter(field=field, any_of=values)


def only_rulebook(name: str) -> str | None:
    return None if name == "rulebook" else f"unknown field {name!r}"


def check(filters: list[common_pb2.MetadataFilter], *, max_value_chars: int | None = 5) -> None:
    metadata_filters(
        "filters",
        filters,
        max_filters=3,
        max_values=2,
        max_value_chars=max_value_chars,
        check_field=only_rulebook,
    )


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9f"])
def test_control_characters_are_refused_naming_the_field_and_the_character(char: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        no_control_characters("situation", f"a firm{char} filed late")
    assert caught.value.field == "situation"
    assert f"U+{ord(char):04X}" in caught.value.message


def test_tabs_newlines_and_other_scripts_are_plain_text() -> None:
    text = "Line one\tcolumn\r\nLine two: é, 中文, ٣"
    assert no_control_characters("situation", text) == text


def test_required_text_is_stripped_and_its_limit_is_inclusive() -> None:
    assert required_text("question", "  why?\n", max_chars=4) == "why?"
    assert required_text("question", " " + "x" * 4 + " ", max_chars=4) == "xxxx"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "question: must not be empty"),
        (" \n\t ", "question: must not be empty"),
        ("x" * 5, "question: must be at most 4 characters"),
    ],
)
def test_bad_required_text_names_the_field(value: str, message: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        required_text("question", value, max_chars=4)
    assert caught.value.field == "question"
    assert caught.value.message == message


def test_max_items_is_inclusive_and_names_the_list() -> None:
    max_items("passages", [1, 2], limit=2)
    with pytest.raises(InvalidArgument) as caught:
        max_items("passages", [1, 2, 3], limit=2)
    assert caught.value.field == "passages"
    assert caught.value.message == "passages: at most 2 passages"


def test_filters_within_every_limit_pass() -> None:
    check([])
    check([f("rulebook", "AML", "GEN")] * 3)
    check([f("rulebook", "x" * 50)], max_value_chars=None)


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ([f("rulebook", "AML")] * 4, "filters"),
        ([f("rulebook", "AML"), f("", "AML")], "filters[1].field"),
        ([f("text", "AML")], "filters[0].field"),
        ([f("rulebook")], "filters[0].any_of"),
        ([f("rulebook", "AML"), f("rulebook", "A", "B", "C")], "filters[1].any_of"),
        ([f("rulebook", "AML", "GEN"), f("rulebook", "ok", "too long")], "filters[1].any_of[1]"),
        # The first fault found is the one named: filters in order, field before values.
        ([f("text"), f("rulebook")], "filters[0].field"),
    ],
)
def test_bad_filters_name_the_exact_field(
    filters: list[common_pb2.MetadataFilter], field: str
) -> None:
    with pytest.raises(InvalidArgument) as caught:
        check(filters)
    assert caught.value.field == field


def test_a_refused_field_name_carries_the_check_s_reason() -> None:
    with pytest.raises(InvalidArgument) as caught:
        check([f("text", "AML")])
    assert caught.value.message == "filters[0].field: unknown field 'text'"


def test_without_a_field_check_any_named_field_passes() -> None:
    metadata_filters(
        "filters", [f("Any-Name", "v")], max_filters=1, max_values=1, max_value_chars=1
    )
    with pytest.raises(InvalidArgument) as caught:
        metadata_filters("filters", [f("", "v")], max_filters=1, max_values=1, max_value_chars=1)
    assert caught.value.field == "filters[0].field"


def test_required_id_refuses_empty_and_long_ids_naming_the_field() -> None:
    assert required_id("session_id", "abc") == "abc"
    with pytest.raises(InvalidArgument) as empty:
        required_id("session_id", "")
    assert empty.value.field == "session_id"
    with pytest.raises(InvalidArgument) as long:
        required_id("session_id", "x" * 20_000, max_chars=128)
    assert long.value.field == "session_id"
    assert len(long.value.message) < 100


def test_shown_cuts_a_long_value_and_says_how_long_it_was() -> None:
    assert shown("abc") == "'abc'"
    text = shown("é" * 20_000)
    assert text.startswith("'" + "é" * 64 + "'")
    assert "20000 characters" in text
    assert len(text) < 100


def test_known_enums_names_the_nested_place_of_an_unknown_value() -> None:
    plan = common_pb2.Plan(intent=common_pb2.INTENT_RESEARCH)
    plan.steps.add(id="s1", kind=common_pb2.STEP_KIND_RESEARCH)
    plan.steps.add(id="s2", kind=99)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument) as caught:
        known_enums(plan)
    assert caught.value.field == "steps[1].kind"
    plan.steps[1].kind = common_pb2.STEP_KIND_SYNTHESIZE
    known_enums(plan)  # every value is defined: nothing raised

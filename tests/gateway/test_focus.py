"""The mapping from a data analysis's table to research focus (arbiter_gateway.focus):
which columns name rules, the query and hard filters they become, and which returned
passages are those rules."""

from __future__ import annotations

from arbiter.analysis.v1 import analysis_pb2
from arbiter.common.v1 import common_pb2
from arbiter_gateway.focus import MAX_FOCUS_RULES, research_focus


def table(columns: list[str], *rows: list[str]) -> analysis_pb2.AnalyzeDataResult:
    return analysis_pb2.AnalyzeDataResult(
        table=common_pb2.Table(
            columns=columns, rows=[common_pb2.Row(cells=cells) for cells in rows]
        )
    )


def passage(rulebook: str, ref: str, source_id: str = "") -> common_pb2.Passage:
    return common_pb2.Passage(rulebook=rulebook, passage_ref=ref, source_id=source_id)


def as_pairs(filters: list[common_pb2.MetadataFilter]) -> list[tuple[str, list[str]]]:
    return [(f.field, list(f.any_of)) for f in filters]


def test_rulebook_and_rule_ref_become_the_query_and_filters() -> None:
    focus = research_focus(
        table(["rulebook", "rule_ref", "findings"], ["AML", "10.2.2", "7"], ["COBS", "3.4.1", "6"])
    )
    assert focus is not None
    assert focus.query() == "AML 10.2.2, COBS 3.4.1: what do these rules require?"
    assert as_pairs(focus.filters()) == [
        ("rulebook", ["AML", "COBS"]),
        ("passage_ref", ["10.2.2", "3.4.1"]),
    ]
    # The filters admit COBS 10.2.2 too; it is no rule the data named.
    found = [passage("COBS", "10.2.2"), passage("COBS", "3.4.1"), passage("AML", "10.2.2")]
    assert focus.kept(found) == (found[1], found[2])


def test_passage_ids_are_fetched_exactly() -> None:
    focus = research_focus(
        table(["rulebook", "rule_ref", "passage_id"], ["AML", "6.1.3", "p-1"], ["GEN", "2", "p-2"])
    )
    assert focus is not None
    assert as_pairs(focus.filters()) == [("source_id", ["p-1", "p-2"])]
    assert focus.kept([passage("AML", "6.1.3", "p-9"), passage("GEN", "2", "p-2")]) == (
        passage("GEN", "2", "p-2"),
    )


def test_a_rulebook_table_focuses_on_whole_rulebooks() -> None:
    focus = research_focus(table(["rulebook", "count"], ["PRU", "40"], ["", "3"]))
    assert focus is not None
    assert as_pairs(focus.filters()) == [("rulebook", ["PRU"])]
    assert focus.holds(passage("PRU", "1.1"))
    assert not focus.holds(passage("AML", "1.1"))


def test_no_rules_no_focus() -> None:
    assert research_focus(None) is None
    assert research_focus(table(["year", "findings"], ["2024", "300"])) is None
    assert research_focus(table(["rule_ref", "findings"], ["10.2.2", "7"])) is None
    assert research_focus(table(["rulebook", "rule_ref"], ["", ""])) is None


def test_the_first_rules_each_once_and_none_search_would_refuse() -> None:
    rows = [["AML", "1.1"], ["AML", "1.1"], ["AML", "x" * 300]]
    rows += [["AML", f"2.{n}"] for n in range(20)]
    focus = research_focus(table(["rulebook", "rule_ref"], *rows))
    assert focus is not None
    assert [str(r) for r in focus.rules] == ["AML 1.1"] + [
        f"AML 2.{n}" for n in range(MAX_FOCUS_RULES - 1)
    ]

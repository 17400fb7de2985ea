"""Charts chosen from a result's shape (line, bars, stacked or grouped bars, none), their
Vega-Lite encodings and caps, and real PNG renders read back: signature, size from the
IHDR, and pixels that show the bars."""

from __future__ import annotations

import datetime as dt
import json
import struct
import zlib
from decimal import Decimal
from typing import Any

import pytest
from arbiter_analysis.charts import (
    MAX_CATEGORIES,
    MAX_SERIES,
    chart_for,
    render_png,
    render_png_async,
)
from arbiter_analysis.table import Cell, ResultTable
from arbiter_kit.errors import Internal, InvalidArgument

BAR_BLUE = (0x4C, 0x78, 0xA8)
"""Vega-Lite's first default colour: what a bar is filled with."""


def chart(columns: list[str], rows: list[list[Cell]], title: str = "") -> dict[str, Any] | None:
    return chart_for(ResultTable.of(columns, rows), title=title)


def must(spec: dict[str, Any] | None) -> dict[str, Any]:
    assert spec is not None
    json.dumps(spec)  # plain JSON: no Decimal or date left in it
    return spec


YEARS: list[list[Cell]] = [[2023, 812], [2021, 400], [2022, 650], [2024, 700], [2025, 760]]
RULEBOOKS: list[list[Cell]] = [["GEN", 300], ["AML", 642], ["PIN", 12], ["COBS", 512]]
OUTCOMES = ["warning", "financial penalty", "no further action", "remediation order"]
BY_YEAR_AND_OUTCOME: list[list[Cell]] = [
    [year, outcome, 10 + (year * 7 + len(outcome)) % 30]
    for year in range(2021, 2026)
    for outcome in OUTCOMES
]


def test_a_time_series_is_a_line_over_ordinal_years_in_order() -> None:
    spec = must(chart(["year", "count"], YEARS, "Findings per year"))
    assert spec["mark"] == {"type": "line", "point": True}
    x, y = spec["encoding"]["x"], spec["encoding"]["y"]
    assert (x["type"], x["title"], x["sort"]) == (
        "ordinal",
        "year",
        ["2021", "2022", "2023", "2024", "2025"],
    )
    assert (y["field"], y["type"], y["title"]) == ("m0", "quantitative", "number")
    assert spec["data"]["values"][0] == {"k0": "2021", "m0": 400.0}  # in time order
    assert spec["title"]["text"] == "Findings per year"
    assert spec["$schema"].endswith("v5.20.json")


def test_months_are_sorted_in_calendar_order() -> None:
    spec = must(chart(["month", "count"], [[11, 5], [2, 9], [7, 3]]))
    assert spec["encoding"]["x"]["sort"] == ["February", "July", "November"]


def test_dates_are_a_temporal_axis() -> None:
    rows: list[list[Cell]] = [[dt.datetime(2024, m, 1), m * 3] for m in (1, 2, 3)]
    spec = must(chart(["date_trunc", "count"], rows))
    assert spec["encoding"]["x"]["type"] == "temporal"
    assert [v["k0"] for v in spec["data"]["values"]] == ["2024-01-01", "2024-02-01", "2024-03-01"]


def test_categories_are_bars_sorted_by_value() -> None:
    spec = must(chart(["rulebook", "count"], RULEBOOKS, "findings count by rulebook"))
    assert spec["mark"] == {"type": "bar"}
    y, x = spec["encoding"]["y"], spec["encoding"]["x"]
    assert (y["type"], y["sort"]) == ("nominal", ["AML", "COBS", "GEN", "PIN"])
    assert (x["field"], x["type"]) == ("m0", "quantitative")
    assert [t["field"] for t in spec["encoding"]["tooltip"]] == ["k0", "m0"]


def test_severity_bars_keep_the_severity_order() -> None:
    rows: list[list[Cell]] = [
        ["high", Decimal("80.00")],
        ["low", Decimal("90.10")],
        ["critical", Decimal("70.00")],
    ]
    spec = must(chart(["severity", "round"], rows, "share remediated within target, percentage"))
    y = spec["encoding"]["y"]
    assert (y["type"], y["sort"]) == ("ordinal", ["low", "high", "critical"])
    assert spec["encoding"]["x"]["title"] == "percentage (%)"


def test_three_hundred_categories_are_capped_with_a_note() -> None:
    rows: list[list[Cell]] = [["AML", f"{i}.1.1", 1000 - i] for i in range(300)]
    spec = must(chart(["rulebook", "rule_ref", "count"], rows))
    values = spec["data"]["values"]
    assert len(values) == MAX_CATEGORIES
    assert values[0]["k0"] == "AML 0.1.1" and values[-1]["m0"] == 1000 - MAX_CATEGORIES + 1
    assert spec["title"]["subtitle"] == "the largest 50 of 300 rules"


def test_ties_are_ordered_by_name_and_nulls_go_last() -> None:
    rows: list[list[Cell]] = [["GEN", None], ["PRU", 5], ["AML", 5], ["COBS", 9]]
    spec = must(chart(["rulebook", "count"], rows))
    assert spec["encoding"]["y"]["sort"] == ["COBS", "AML", "PRU", "GEN"]
    assert spec["data"]["values"][-1] == {"k0": "GEN", "m0": None}


def test_counts_by_two_keys_stack() -> None:
    spec = must(chart(["year", "outcome", "count"], BY_YEAR_AND_OUTCOME))
    encoding = spec["encoding"]
    assert spec["mark"] == {"type": "bar"}
    assert encoding["x"]["sort"] == ["2021", "2022", "2023", "2024", "2025"]
    assert encoding["color"]["field"] == "k1" and "xOffset" not in encoding
    assert "stack" not in encoding["y"]  # the default: stacked from zero


def test_averages_by_two_keys_are_grouped_not_stacked() -> None:
    rows: list[list[Cell]] = [
        [firm_type, outcome, Decimal(f"{len(firm_type) * len(outcome) % 37}.50")]
        for firm_type in ("bank", "insurer", "fund manager")
        for outcome in ("warning", "financial penalty")
    ]
    spec = must(
        chart(["firm_type", "outcome", "round"], rows, "Average penalty per firm type and outcome")
    )
    encoding = spec["encoding"]
    assert encoding["y"]["stack"] is None
    assert encoding["xOffset"]["field"] == "k1"
    assert encoding["x"]["type"] == "nominal"


def test_many_second_keys_fold_into_other_keeping_the_totals() -> None:
    rows: list[list[Cell]] = [
        [year, f"R{i:02d}", i + 1] for year in (2024, 2025) for i in range(MAX_SERIES + 5)
    ]
    spec = must(chart(["year", "rulebook", "count"], rows))
    values = spec["data"]["values"]
    for year in ("2024", "2025"):
        shown = sum(v["m0"] for v in values if v["k0"] == year)
        assert shown == sum(range(1, MAX_SERIES + 6))
    assert spec["encoding"]["color"]["scale"]["domain"][-1] == "other"
    assert len(spec["encoding"]["color"]["scale"]["domain"]) == MAX_SERIES + 1
    assert "5 smaller rulebooks as 'other'" in spec["title"]["subtitle"]


def test_several_measures_chart_the_first_and_tip_all() -> None:
    rows: list[list[Cell]] = [
        ["AML", 3, Decimal("300000.00"), Decimal("100000.00")],
        ["GEN", 1, Decimal("5000.00"), Decimal("5000.00")],
    ]
    spec = must(
        chart(
            ["rulebook", "count", "sum", "?column?"],
            rows,
            "fines per rulebook: number, total, average",
        )
    )
    assert spec["encoding"]["x"]["field"] == "m0"
    tips = {t["field"]: t for t in spec["encoding"]["tooltip"]}
    assert set(tips) == {"k0", "m0", "m1", "m2"}
    assert tips["m1"]["title"] == "total (USD)" and tips["m1"]["format"] == ",.2f"
    assert tips["m0"]["format"] == ",.0f"


@pytest.mark.parametrize(
    ("columns", "rows"),
    [
        (["count"], [[87]]),
        (["rulebook", "count"], []),
        (["rulebook", "count"], [["AML", 5]]),
        (["year", "count"], [[2024, 95]]),
        (["firm_id", "name"], [["F001", "Falcon Bank"], ["F002", "Gull Capital"]]),
        (
            ["finding_id", "firm_id", "decided_on"],
            [[f"FD{i:05d}", "F001", dt.date(2024, 1, 1)] for i in range(1000)],
        ),
    ],
    ids=["single value", "empty", "one category", "one year", "list", "1,000-row list"],
)
def test_no_chart_where_one_adds_nothing(columns: list[str], rows: list[list[Cell]]) -> None:
    assert chart(columns, rows) is None


def test_a_long_title_is_cut() -> None:
    spec = must(chart(["rulebook", "count"], RULEBOOKS, "why " * 60))
    assert len(spec["title"]["text"]) == 100 and spec["title"]["text"].endswith("…")


# --- rendering -------------------------------------------------------------------------


def png_pixels(png: bytes) -> tuple[int, int, set[tuple[int, ...]]]:
    """Width, height and the distinct colours of an 8-bit RGB or RGBA PNG."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = height = 0
    channels = 0
    data = b""
    offset = 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind, body = png[offset + 4 : offset + 8], png[offset + 8 : offset + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            data += body
        offset += 12 + length
    raw = zlib.decompress(data)
    stride = width * channels
    previous = bytearray(stride)
    colours: set[tuple[int, ...]] = set()
    for row in range(height):
        start = row * (stride + 1)
        kind_byte, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind_byte == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind_byte == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind_byte == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind_byte == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                guess = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + guess) & 0xFF
        colours.update(tuple(line[i : i + 3]) for i in range(0, stride, channels))
        previous = line
    return width, height, colours


def test_a_bar_chart_renders_to_a_png_with_bars() -> None:
    png = render_png(must(chart(["rulebook", "count"], RULEBOOKS, "findings count by rulebook")))
    width, height, colours = png_pixels(png)
    assert width > 100 and height > 50
    assert len(colours) > 1 and BAR_BLUE in colours


async def test_line_stack_and_group_render_off_the_event_loop() -> None:
    grouped: list[list[Cell]] = [
        [f, o, Decimal(len(f) + len(o))] for f in ("bank", "insurer") for o in ("warning", "fine")
    ]
    specs = [
        must(chart(["year", "count"], YEARS)),
        must(chart(["year", "outcome", "count"], BY_YEAR_AND_OUTCOME)),
        must(chart(["firm_type", "outcome", "round"], grouped, "average days")),
    ]
    for spec in specs:
        width, height, colours = png_pixels(await render_png_async(spec))
        assert width > 100 and height > 100
        assert BAR_BLUE in colours  # the first line or the first series' colour


def test_scale_multiplies_the_size_and_is_bounded() -> None:
    spec = must(chart(["rulebook", "count"], RULEBOOKS))
    small = struct.unpack(">II", render_png(spec)[16:24])
    large = struct.unpack(">II", render_png(spec, scale=2.0)[16:24])
    assert abs(large[0] - 2 * small[0]) <= 2 and abs(large[1] - 2 * small[1]) <= 2
    for scale in (0.0, -1.0, 5.0, float("nan")):
        with pytest.raises(InvalidArgument) as raised:
            render_png(spec, scale=scale)
        assert raised.value.field == "scale"


def test_external_data_is_refused_not_fetched() -> None:
    spec = must(chart(["rulebook", "count"], RULEBOOKS))
    spec["data"] = {"url": "http://127.0.0.1:9/findings.json"}
    with pytest.raises(Internal) as raised:
        render_png(spec)
    assert "not allowed" in raised.value.message


def test_quarters_of_the_named_year_and_a_named_measure_with_its_unit() -> None:
    rows: list[list[Cell]] = [[q, Decimal(f"{q}000.00")] for q in (3, 1, 2, 4)]
    spec = must(chart(["quarter", "total_penalty_usd"], rows, "Total fines per quarter of 2024"))
    assert spec["encoding"]["x"]["sort"] == ["Q1 2024", "Q2 2024", "Q3 2024", "Q4 2024"]
    assert spec["encoding"]["y"]["title"] == "total penalty (USD)"
    assert spec["data"]["values"][0] == {"k0": "Q1 2024", "m0": 1000.0}

"""The chart of an analysis result: a Vega-Lite v5 spec chosen from the result's shape
(a line over time, bars for categories, stacked or grouped bars for two keys, no chart
for a single number or a list), its data inline, and its rendering to PNG offline.

One measure is charted, the first: the results that carry several (count, total USD,
average USD per rulebook) carry different units, which one axis cannot show honestly;
the others stay in the tooltips."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import vl_convert
from arbiter_kit.errors import Internal, InvalidArgument

from arbiter_analysis.shape import (
    ColumnInfo,
    Key,
    Shape,
    ShapeKind,
    TimeUnit,
    measure_value,
    read_shape,
)
from arbiter_analysis.table import Cell, ResultTable, cell_text

VEGA_LITE_VERSION = "5.20"
SCHEMA_URL = "https://vega.github.io/schema/vega-lite/v5.20.json"
MAX_CATEGORIES = 50
"""Most bars (or groups of bars) a chart shows; the rest are named in the subtitle."""
MAX_SERIES = 10
"""Most colours in a two-key chart; more cannot be told apart."""
MAX_POINTS = 500
"""Most periods a line shows (the latest)."""
MAX_SCALE = 4.0
MAX_TITLE_CHARS = 100
WIDTH = 560
HEIGHT = 300
OTHER = "other"

Spec = dict[str, Any]
Row = tuple[Cell, ...]


def chart_for(table: ResultTable, *, title: str, shape: Shape | None = None) -> Spec | None:
    """The Vega-Lite spec for `table`, titled `title` (the question), or None when a
    chart would add nothing: a single value, a list, fewer than two points or bars.
    `shape` is the table's as read for `title` when the caller has it already."""
    shape = shape or read_shape(table, question=title)
    rows = list(table.rows)
    if shape.kind is ShapeKind.TIME_SERIES:
        return _line(shape, rows, title)
    if shape.kind is ShapeKind.CATEGORIES:
        return _bars(shape, rows, title)
    if shape.kind is ShapeKind.TWO_KEYS:
        return _two_key_bars(shape, rows, title)
    return None


def render_png(spec: Spec, *, scale: float = 1.0) -> bytes:
    """`spec` drawn as PNG by the bundled Vega-Lite, with no network: external data
    URLs are refused, the data is inline. CPU work; see `render_png_async`."""
    if not (0 < scale <= MAX_SCALE) or math.isnan(scale):
        raise InvalidArgument("scale", f"must be above 0 and at most {MAX_SCALE}")
    try:
        return vl_convert.vegalite_to_png(
            spec, vl_version=VEGA_LITE_VERSION, scale=scale, allowed_base_urls=[]
        )
    except ValueError as error:  # the converter reports every failure this way
        raise Internal(f"chart rendering failed: {error}") from error


async def render_png_async(spec: Spec, *, scale: float = 1.0) -> bytes:
    """`render_png` on a worker thread, so the event loop keeps serving."""
    return await asyncio.to_thread(render_png, spec, scale=scale)


def _line(shape: Shape, rows: list[Row], title: str) -> Spec | None:
    key, measure = shape.keys[0], shape.measures[0]
    timed = sorted((r for r in rows if r[key.columns[-1].index] is not None), key=key.sort_value)
    shown = timed[-MAX_POINTS:]
    if len(shown) < 2:
        return None
    note = (
        f"the latest {len(shown)} of {len(timed)} {key.plural}" if len(shown) < len(timed) else ""
    )
    if key.time_unit is TimeUnit.DATE:
        x: Spec = {"field": "k0", "type": "temporal", "title": key.label}
    else:
        x = {"field": "k0", "type": "ordinal", "title": key.label, "axis": {"labelAngle": 0}}
        x["sort"] = _unique(key.text(r) for r in shown)
    encoding = {"x": x, "y": _y(measure), "tooltip": _tooltip(shape)}
    mark = {"type": "line", "point": True}
    return _spec(title, note, _values(shape, shown), mark, encoding, width=WIDTH)


def _bars(shape: Shape, rows: list[Row], title: str) -> Spec | None:
    key, measure = shape.keys[0], shape.measures[0]
    if key.order:
        ordered = sorted(rows, key=key.sort_value)
    else:  # largest first; rows without a value last; ties by name, so it is stable
        ordered = sorted(rows, key=lambda r: (_descending(r[measure.index]), key.text(r)))
    shown = ordered[:MAX_CATEGORIES]
    if len(shown) < 2:
        return None
    which = "first" if key.order else "largest"
    note = f"the {which} {len(shown)} of {len(rows)} {key.plural}" if len(shown) < len(rows) else ""
    y = {
        "field": "k0",
        "type": "ordinal" if key.order else "nominal",
        "title": key.label,
        "sort": _unique(key.text(r) for r in shown),
    }
    encoding = {"y": y, "x": _y(measure), "tooltip": _tooltip(shape)}
    return _spec(title, note, _values(shape, shown), {"type": "bar"}, encoding, height={"step": 18})


def _two_key_bars(shape: Shape, rows: list[Row], title: str) -> Spec | None:
    """Stacked bars for counts and sums (a stack's height is the first key's total);
    grouped bars for averages and percentages, whose sum means nothing."""
    outer, inner = shape.keys
    measure = shape.measures[0]
    outer_order = _key_order(outer, measure, rows)
    # Over time the latest periods are kept, otherwise the largest groups.
    shown_outer = outer_order[-MAX_CATEGORIES:] if outer.time_unit else outer_order[:MAX_CATEGORIES]
    inner_order = _key_order(inner, measure, rows)
    kept_outer = set(shown_outer)
    kept_inner = inner_order[:MAX_SERIES]
    notes = []
    if len(outer_order) > MAX_CATEGORIES:
        notes.append(f"{MAX_CATEGORIES} of {len(outer_order)} {outer.plural}")
    values = [
        v for r, v in zip(rows, _values(shape, rows), strict=True) if outer.text(r) in kept_outer
    ]
    if len(inner_order) > MAX_SERIES:
        values = _fold_series(values, set(kept_inner), measure)
        if measure.additive:
            kept_inner.append(OTHER)
            notes.append(f"{len(inner_order) - MAX_SERIES} smaller {inner.plural} as '{OTHER}'")
        else:
            notes.append(f"the {MAX_SERIES} largest of {len(inner_order)} {inner.plural}")
    if len(kept_outer) < 2 and len(kept_inner) < 2:
        return None
    x_type = "ordinal" if outer.time_unit or outer.order else "nominal"
    x: Spec = {"field": "k0", "type": x_type, "title": outer.label, "sort": shown_outer}
    if outer.time_unit:
        x["axis"] = {"labelAngle": 0}
    color = {
        "field": "k1",
        "type": "ordinal" if inner.order else "nominal",
        "title": inner.label,
        "scale": {"domain": kept_inner},
        "sort": kept_inner,
    }
    y = _y(measure)
    encoding: Spec = {"x": x, "y": y, "color": color, "tooltip": _tooltip(shape)}
    if not measure.additive:
        y["stack"] = None
        encoding["xOffset"] = {"field": "k1", "sort": kept_inner}
    step = 36 if measure.additive else max(24, 14 * len(kept_inner))
    return _spec(title, "; ".join(notes), values, {"type": "bar"}, encoding, width={"step": step})


def _fold_series(values: list[Spec], kept: set[str], measure: ColumnInfo) -> list[Spec]:
    """Rows of the kept series as they are; for counts and sums, the rest added up into
    one 'other' bar per first-key value (so stacks keep their true height), else dropped."""
    out = [v for v in values if v["k1"] in kept]
    if not measure.additive:
        return out
    folded: dict[object, float] = {}
    for value in values:
        if value["k1"] not in kept and value["m0"] is not None:
            folded[value["k0"]] = folded.get(value["k0"], 0.0) + value["m0"]
    return out + [{"k0": k, "k1": OTHER, "m0": total} for k, total in folded.items()]


def _key_order(key: Key, measure: ColumnInfo, rows: list[Row]) -> list[str]:
    """The key's values in their natural order (time, severity), else largest first: by
    total for counts and sums, by largest value otherwise."""
    if key.order or key.time_unit:
        return _unique(key.text(r) for r in sorted(rows, key=key.sort_value))
    size: dict[str, Decimal] = {}
    for row in rows:
        value = measure_value(row[measure.index]) or Decimal(0)
        text = key.text(row)
        if measure.additive:
            size[text] = size.get(text, Decimal(0)) + abs(value)
        else:
            size[text] = max(size.get(text, value), value)
    return sorted(size, key=lambda text: (-size[text], text))


def _values(shape: Shape, rows: Sequence[Row]) -> list[Spec]:
    """The rows as Vega-Lite data: keys as the text a person reads (dates as ISO
    dates), measures as numbers, under plain field names: PostgreSQL's names
    ("?column?", "count(*)") are not safe as Vega field names."""
    values = []
    for row in rows:
        datum: Spec = {}
        for i, key in enumerate(shape.keys):
            dated = key.time_unit is TimeUnit.DATE
            datum[f"k{i}"] = cell_text(row[key.columns[-1].index]) if dated else key.text(row)
        for i, measure in enumerate(shape.measures):
            value = measure_value(row[measure.index])
            datum[f"m{i}"] = None if value is None else float(value)
        values.append(datum)
    return values


def _y(measure: ColumnInfo) -> Spec:
    return {"field": "m0", "type": "quantitative", "title": measure.title}


def _tooltip(shape: Shape) -> list[Spec]:
    tips: list[Spec] = []
    for i, key in enumerate(shape.keys):
        temporal = key.time_unit is TimeUnit.DATE
        tips.append(
            {"field": f"k{i}", "type": "temporal" if temporal else "nominal", "title": key.label}
        )
    for i, measure in enumerate(shape.measures):
        fmt = ",.0f" if measure.integral else ",.2f"
        tips.append(
            {"field": f"m{i}", "type": "quantitative", "title": measure.title, "format": fmt}
        )
    return tips


def _spec(
    title: str, note: str, values: list[Spec], mark: Spec, encoding: Spec, **size: object
) -> Spec:
    spec: Spec = {"$schema": SCHEMA_URL, "background": "white"}
    heading = title if len(title) <= MAX_TITLE_CHARS else title[: MAX_TITLE_CHARS - 1] + "…"
    if heading or note:
        spec["title"] = {"text": heading, **({"subtitle": note} if note else {})}
    spec.update({"width": WIDTH, "height": HEIGHT})
    spec.update(size)
    spec.update({"data": {"values": values}, "mark": mark, "encoding": encoding})
    return spec


def _descending(cell: Cell) -> tuple[int, Decimal]:
    value = measure_value(cell)
    return (1, Decimal(0)) if value is None else (0, -value)


def _unique(texts: Any) -> list[str]:
    return list(dict.fromkeys(texts))

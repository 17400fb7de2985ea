"""A data answer in the terminal: the result table aligned (numbers right-aligned, long
tables cut), and the chart saved as a PNG a person can open (`ARBITER_CHART_DIR`, default
`<repo>/.data/charts/<session>.png`)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path

from arbiter.common.v1 import common_pb2
from arbiter_analysis.charts import render_png
from arbiter_kit.errors import ArbiterError

from arbiter_cli.suite import REPO

SHOWN_ROWS = 20
"""Rows `arbiter ask` prints; the rest are counted ("… N more rows")."""
MAX_CELL_CHARS = 40
"""A wider cell is cut with "…" so one long text cannot push the table off the screen."""
_NUMBER = re.compile(r"^-?[\d,]*\.?\d+%?$")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_-]")


def chart_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where charts are saved: `ARBITER_CHART_DIR`, else `<repo>/.data/charts`."""
    e = os.environ if env is None else env
    return Path(e.get("ARBITER_CHART_DIR") or REPO / ".data" / "charts")


def _cut(text: str) -> str:
    return text if len(text) <= MAX_CELL_CHARS else text[: MAX_CELL_CHARS - 1] + "…"


def table_lines(table: common_pb2.Table, *, max_rows: int = SHOWN_ROWS) -> list[str]:
    """The table as aligned lines: a header, a rule, up to `max_rows` rows, and a line
    counting the rows left out. A column whose cells are all numbers is right-aligned."""
    columns = [_cut(c) for c in table.columns]
    rows = [[_cut(cell) for cell in row.cells] for row in table.rows[:max_rows]]
    widths = [len(c) for c in columns]
    numeric = [True] * len(columns)
    for row in rows:
        for i, cell in enumerate(row[: len(columns)]):
            widths[i] = max(widths[i], len(cell))
            numeric[i] = numeric[i] and (cell == "" or bool(_NUMBER.match(cell)))

    def line(cells: list[str]) -> str:
        padded = [
            cell.rjust(widths[i]) if numeric[i] else cell.ljust(widths[i])
            for i, cell in enumerate(cells[: len(columns)])
        ]
        return "  ".join(padded).rstrip()

    lines = [line(columns), "  ".join("-" * w for w in widths)]
    lines += [line(row + [""] * (len(columns) - len(row))) for row in rows]
    left = len(table.rows) - len(rows)
    if left > 0:
        lines.append(f"… {left} more row{'s' if left != 1 else ''}")
    return lines


def save_chart(chart: common_pb2.ChartSpec, folder: Path, session_id: str) -> Path:
    """Render the chart's Vega-Lite spec to `<folder>/<session id>.png`; its path.
    Raises ValueError when the spec is not JSON, ArbiterError when it cannot be drawn."""
    spec = json.loads(chart.vega_lite)
    png = render_png(spec)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{_SAFE_NAME.sub('_', session_id) or 'chart'}.png"
    path.write_bytes(png)
    return path


def chart_line(chart: common_pb2.ChartSpec, folder: Path, session_id: str) -> str:
    """What the terminal says about the chart: where it was saved, or why it was not."""
    try:
        return f"chart: {save_chart(chart, folder, session_id)}"
    except ValueError:
        return "chart: not saved (the chart spec is not valid JSON)"
    except ArbiterError as error:
        return f"chart: not saved ({error.public_message()})"
    except OSError as error:
        return f"chart: not saved (cannot write to {folder}: {error.strerror})"

"""`arbiter ask` showing a data answer: the table aligned (numbers right-aligned, long
tables cut), the chart saved as a real PNG where the setting says, the SQL on request,
the findings database cited by name; a research answer prints as before."""

from __future__ import annotations

import io
import json
from pathlib import Path

from arbiter.common.v1 import common_pb2
from arbiter.gateway.v1 import gateway_pb2
from arbiter_analysis.charts import chart_for
from arbiter_analysis.table import ResultTable
from arbiter_cli.data_view import chart_dir, table_lines
from arbiter_cli.main import parser
from arbiter_cli.render import EventPrinter

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SQL = "SELECT f.rulebook, COUNT(*) FROM findings.findings AS f GROUP BY 1 LIMIT 1000"
RESULT = ResultTable.of(
    ["rulebook", "count"], [("AML", 1234), ("COBS", 7), ("GEN", 95), ("PRU", 310)]
)


def data_final(rows: ResultTable = RESULT) -> gateway_pb2.FinalResponse:
    spec = chart_for(rows, title="Findings per rulebook")
    assert spec is not None
    return gateway_pb2.FinalResponse(
        answer="AML has the most findings, 1,234 [1].\nNote: these figures are sample data.",
        table=rows.to_proto(),
        chart=common_pb2.ChartSpec(title="Findings per rulebook", vega_lite=json.dumps(spec)),
        sql=SQL,
        citations=[
            common_pb2.Citation(
                index=1,
                source_id="findings",
                passage_ref=SQL,
                title="Findings database (sample data)",
                quote="AML 1,234.",
            )
        ],
    )


def shown(final: gateway_pb2.FinalResponse, **options: object) -> str:
    out = io.StringIO()
    printer = EventPrinter(out, **options)  # type: ignore[arg-type]
    printer.show(
        gateway_pb2.SessionEvent(
            session_id="s-1", session_started=gateway_pb2.SessionStarted(session_id="s-1")
        )
    )
    printer.show(gateway_pb2.SessionEvent(final_response=final))
    return out.getvalue()


def test_the_table_is_aligned_with_numbers_to_the_right() -> None:
    lines = table_lines(RESULT.to_proto())
    assert lines == [
        "rulebook  count",
        "--------  -----",
        "AML        1234",
        "COBS          7",
        "GEN          95",
        "PRU         310",
    ]


def test_a_long_table_is_cut_and_says_how_many_rows_are_left() -> None:
    rows = ResultTable.of(["firm", "fines"], [(f"Firm {i}", i * 1000) for i in range(45)])
    lines = table_lines(rows.to_proto(), max_rows=20)
    assert len(lines) == 2 + 20 + 1
    assert lines[-1] == "… 25 more rows"
    # Every shown line has the header's width: the columns line up.
    assert len({len(line) for line in lines[:-1]}) == 1


def test_a_long_cell_is_cut_so_the_table_stays_readable() -> None:
    rows = ResultTable.of(["title", "n"], [("x" * 300, 1)])
    [_, _, row] = table_lines(rows.to_proto())
    assert "…" in row and len(row) < 60


def test_a_data_answer_prints_the_table_the_answer_and_the_saved_png(tmp_path: Path) -> None:
    text = shown(data_final(), charts=tmp_path)
    assert "AML has the most findings, 1,234 [1]." in text
    assert "Note: these figures are sample data." in text
    assert "rulebook  count\n" in text and "AML        1234\n" in text
    png = tmp_path / "s-1.png"
    assert f"chart: {png}" in text
    assert png.read_bytes().startswith(PNG_MAGIC)
    assert "[1] Findings database (sample data) (its SQL: --sql)" in text
    assert SQL not in text  # only on request


def test_sql_is_shown_on_request(tmp_path: Path) -> None:
    text = shown(data_final(), charts=tmp_path, show_sql=True)
    assert f"SQL: {SQL}" in text
    assert "(its SQL: --sql)" not in text


def test_no_chart_folder_saves_nothing(tmp_path: Path) -> None:
    text = shown(data_final(), charts=None)
    assert "chart:" not in text
    assert not list(tmp_path.iterdir())


def test_an_unwritable_chart_folder_is_a_sentence_not_a_traceback(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    text = shown(data_final(), charts=blocker / "charts")
    assert "chart: not saved (cannot write to" in text


def test_a_research_answer_prints_as_before(tmp_path: Path) -> None:
    final = gateway_pb2.FinalResponse(
        answer="A firm must report [1].",
        citations=[
            common_pb2.Citation(
                index=1, rulebook="AML", passage_ref="14.2.1", title="AML 14.2.1", quote="Report."
            )
        ],
    )
    text = shown(final, charts=tmp_path)
    assert "[1] AML 14.2.1 — AML 14.2.1" in text
    assert "chart:" not in text and "SQL" not in text and "-----" not in text
    assert not list(tmp_path.iterdir())


def test_the_chart_folder_comes_from_the_setting_or_the_default() -> None:
    assert chart_dir({"ARBITER_CHART_DIR": "/tmp/x"}) == Path("/tmp/x")
    assert chart_dir({}).parts[-2:] == (".data", "charts")
    args = parser().parse_args(["ask", "q", "--sql", "--charts", "/tmp/c"])
    assert args.sql and args.charts == Path("/tmp/c") and not args.no_chart

"""A data question through the five services as processes, the analysis service on a
throwaway PostgreSQL cluster holding the sample: `arbiter ask` prints the aligned table,
the answer with the sample-data note and the saved PNG; `--json` carries the chart spec
and the SQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from arbiter_analysis.data_evidence import SAMPLE_NOTE

from tests.e2e.conftest import Suite, cli, started_suite
from tests.support.postgres import FindingsDb

TREND = "How many findings per rulebook in 2024, and what is the trend?"
PASSAGES = 200
"""Enough of the corpus for the suite to start answering; this question needs none."""


@pytest.fixture(scope="module")
def data_suite(
    tmp_path_factory: pytest.TempPathFactory, findings_db: FindingsDb
) -> Iterator[Suite]:
    settings = {
        "ANALYSIS_DATABASE_URL": findings_db.owner,
        "ANALYSIS_DATABASE_READER_URL": findings_db.reader,
        "ANALYSIS_TODAY": "2026-01-15",
        "SEARCH_EMBEDDER": "none",
    }
    with started_suite(tmp_path_factory.mktemp("data-suite"), PASSAGES, **settings) as running:
        yield running


def test_ask_prints_the_table_the_answer_and_the_saved_chart(
    data_suite: Suite, tmp_path: Path
) -> None:
    gateway = data_suite["gateway"].target
    done = cli("ask", TREND, "--gateway", gateway, "--sql", "--charts", str(tmp_path))
    assert done.returncode == 0, done.stderr + done.stdout
    out = done.stdout
    assert "plan: DATA_ANALYSIS" in out
    assert "rulebook" in out and "-----" in out  # the table's header and rule
    assert SAMPLE_NOTE in out
    assert "SQL: SELECT" in out
    [png] = list(tmp_path.glob("*.png"))
    assert f"chart: {png}" in out
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_ask_json_carries_the_chart_spec_and_the_sql(data_suite: Suite) -> None:
    done = cli("ask", TREND, "--gateway", data_suite["gateway"].target, "--json")
    assert done.returncode == 0, done.stderr + done.stdout
    events = [json.loads(line) for line in done.stdout.splitlines()]
    final = events[-1]["finalResponse"]
    spec = json.loads(final["chart"]["vegaLite"])
    assert spec["data"]["values"]
    assert final["sql"].startswith("SELECT") and final["table"]["rows"]
    assert final["citations"][0]["sourceId"] == "findings"

"""`arbiter eval` end to end: the real search server, the real RPCs, the CLI's parsing
and exit codes."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from arbiter_cli.main import main

from tests.cli.conftest import QRELS, QUERIES
from tests.support.search import RunningSearch

REQUIRED = {
    "recall_at_10",
    "map_at_10",
    "ndcg_at_10",
    "mrr_at_10",
    "recall_at_5",
    "p50_ms",
    "p99_ms",
    "queries",
}


async def run_eval(
    capsys: pytest.CaptureFixture[str], target: str, *flags: str
) -> tuple[int, str, str]:
    argv = ["eval", "--queries", str(QUERIES), "--qrels", str(QRELS), "--search", target]
    code = await asyncio.to_thread(main, [*argv, *flags])
    out, err = capsys.readouterr()
    return code, out, err


def last_json(out: str) -> dict[str, object]:
    summary: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return summary


@pytest.mark.parametrize("mode", ["retrieve", "research"])
async def test_json_summary_on_the_last_line(
    fixture_search: RunningSearch, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    code, out, err = await run_eval(capsys, fixture_search.target, "--json", "--mode", mode)
    assert code == 0, err
    summary = last_json(out)
    assert set(summary) >= REQUIRED
    for key in REQUIRED - {"p50_ms", "p99_ms", "queries"}:
        assert 0.0 <= float(str(summary[key])) <= 1.0, key
    assert float(str(summary["p50_ms"])) > 0
    assert float(str(summary["p99_ms"])) >= float(str(summary["p50_ms"]))
    assert summary["queries"] == 5  # six queries, one without qrels
    assert summary["skipped_without_qrels"] == 1
    assert summary["errors"] == 0
    assert summary["mode"] == mode
    # q-absent's only relevant passage is not in the corpus: a perfect run would score 4/5.
    assert float(str(summary["recall_at_10"])) <= 0.8


async def test_an_obviously_answerable_query_is_found(
    fixture_search: RunningSearch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = await run_eval(capsys, fixture_search.target, "--json", "--limit", "1")
    assert code == 0, err
    summary = last_json(out)
    assert summary["queries"] == 1
    assert summary["recall_at_10"] == summary["recall_at_5"] == 1.0


async def test_skip_and_limit_pick_a_slice_of_the_file(
    fixture_search: RunningSearch, capsys: pytest.CaptureFixture[str]
) -> None:
    flags = ["--json", "--mode", "retrieve", "--skip", "4", "--limit", "1"]
    code, out, err = await run_eval(capsys, fixture_search.target, *flags)
    assert code == 0, err
    summary = last_json(out)
    # The fifth query is q-absent, whose relevant passage is not in the corpus.
    assert (summary["queries"], summary["recall_at_10"]) == (1, 0.0)
    flags = ["--json", "--mode", "retrieve", "--skip", "5"]
    code, out, err = await run_eval(capsys, fixture_search.target, *flags)
    assert code == 2
    assert "none of the 1 queries has a relevant doc" in err


async def test_research_sends_the_options_and_reports_the_trace(
    fixture_search: RunningSearch, capsys: pytest.CaptureFixture[str]
) -> None:
    flags = ["--json", "--rounds", "2", "--retrieval", "sparse", "--no-graph", "--no-rerank"]
    code, out, err = await run_eval(capsys, fixture_search.target, *flags)
    assert code == 0, err
    summary = last_json(out)
    assert summary["rounds"] == 2
    assert 1 <= float(str(summary["rounds_mean"])) <= 2
    assert (summary["retrieval"], summary["graph"], summary["rerank"]) == ("sparse", False, False)
    assert summary["stages"], "research streams progress before its result"


async def test_concurrency_does_not_change_the_rankings(
    fixture_search: RunningSearch, capsys: pytest.CaptureFixture[str]
) -> None:
    digests = []
    for n in ("1", "4"):
        flags = ["--json", "--mode", "retrieve", "--concurrency", n]
        code, out, err = await run_eval(capsys, fixture_search.target, *flags)
        assert code == 0, err
        digests.append(last_json(out)["ranking_sha256"])
    assert digests[0] == digests[1]


async def test_the_table_by_default(
    fixture_search: RunningSearch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = await run_eval(capsys, fixture_search.target, "--mode", "retrieve")
    assert code == 0, err
    assert "5 queries (1 without qrels skipped); retrieve" in out
    for name in ("Recall@5", "Recall@10", "MAP@10", "nDCG@10", "MRR@10", "p50", "p99"):
        assert f"  {name} " in out


async def test_failed_calls_are_counted_and_exit_1(
    fixture_search: RunningSearch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    queries, qrels = tmp_path / "q.jsonl", tmp_path / "qrels.tsv"
    rows = [{"id": "ok", "text": "suspicious activity report"}, {"id": "long", "text": "x" * 5000}]
    queries.write_text("".join(json.dumps(r) + "\n" for r in rows))
    qrels.write_text("query_id\tdoc_id\tscore\nok\tfx-aml-1\t1\nlong\tfx-aml-1\t1\n")
    argv = ["eval", "--queries", str(queries), "--qrels", str(qrels), "--json"]
    code = await asyncio.to_thread(main, [*argv, "--search", fixture_search.target])
    out, err = capsys.readouterr()
    assert code == 1
    summary = last_json(out)
    assert summary["errors"] == 1 and "INVALID_ARGUMENT" in str(summary["first_error"])
    assert summary["recall_at_10"] == 0.5  # the failed query scores zero
    assert "1 calls failed" in err


async def test_an_unreachable_service_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = await run_eval(capsys, "127.0.0.1:1", "--json")
    assert code == 3
    assert "search is not reachable at 127.0.0.1:1" in err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--limit", "-1"], "argument --limit: must be 0..1000000000, got -1"),
        (["--limit", "many"], "argument --limit: not a whole number: 'many'"),
        (["--skip", "-3"], "argument --skip: must be 0..1000000000, got -3"),
        (["--rounds", "9"], "argument --rounds: must be 1..5, got 9"),
        (["--top-k", "0"], "argument --top-k: must be 1..50, got 0"),
        (["--concurrency", "0"], "argument --concurrency: must be 1..64, got 0"),
        (["--mode", "both"], "argument --mode: invalid choice: 'both'"),
        (["--retrieval", "bm25"], "argument --retrieval: invalid choice: 'bm25'"),
        (["--timeout", "0"], "argument --timeout: must be a positive number of seconds"),
    ],
)
def test_bad_arguments_exit_2(
    capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    argv = ["eval", "--queries", str(QUERIES), "--qrels", str(QRELS), "--search", "127.0.0.1:1"]
    with pytest.raises(SystemExit) as exited:
        main([*argv, *flags])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_bad_combinations_and_files_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    base = ["eval", "--search", "127.0.0.1:1"]
    files = ["--queries", str(QUERIES), "--qrels", str(QRELS)]
    assert main([*base, *files, "--mode", "retrieve", "--rounds", "2"]) == 2
    assert "--rounds applies to --mode research only" in capsys.readouterr().err
    missing = ["--queries", str(tmp_path / "none.jsonl"), "--qrels", str(QRELS)]
    assert main([*base, *missing]) == 2
    assert "cannot read queries: No such file or directory" in capsys.readouterr().err
    unrelated = tmp_path / "qrels.tsv"
    unrelated.write_text("query_id\tdoc_id\tscore\nother\tfx-aml-1\t1\n")
    assert main([*base, "--queries", str(QUERIES), "--qrels", str(unrelated)]) == 2
    assert "none of the 6 queries has a relevant doc" in capsys.readouterr().err


def test_the_installed_command_exits_2_without_its_files() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "arbiter_cli.main", "eval", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "the following arguments are required: --queries, --qrels" in done.stderr

"""The Text2SQL part of `make eval`: `arbiter eval-sql` on the findings dev questions and
the held-out ones, each on a throwaway cluster and offline analysis service."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from arbiter_cli.eval_sql_report import markdown_table
from bench import machine
from eval_common import ARBITER, DATA_DIR, REPO, STORE, git_state, typed, write_doc

SQL_RESULTS = ("<!-- sql results: written by scripts/eval.py -->", "<!-- /sql results -->")
FINDINGS_DEV = DATA_DIR.parent / "findings" / "questions_dev.jsonl"
HELD_OUT = REPO / "tests" / "analysis" / "text2sql" / "heldout.jsonl"


def text2sql(out: Path) -> None:
    """`arbiter eval-sql` on the dev and held-out questions, each on its own throwaway
    cluster and offline service; the table, the answers and the commands into `out`."""
    missing = [str(f) for f in (FINDINGS_DEV, HELD_OUT) if not f.exists()]
    if missing:
        raise SystemExit(f"eval: missing {', '.join(missing)}; set ARBITER_DATA_DIR")
    runs, commands = [], []
    for title, questions, name in (
        ("dev (in-sample)", FINDINGS_DEV, "dev"),
        ("held-out", HELD_OUT, "heldout"),
    ):
        answers = STORE / f"sql-{name}-answers.jsonl"
        argv = [ARBITER, "eval-sql", "--questions", str(questions), "--throwaway", "--json"]
        argv += ["--answers-out", str(answers)]
        print(f"eval: Text2SQL on {questions.name}")
        done = subprocess.run(argv, capture_output=True, text=True)
        lines = done.stdout.strip().splitlines()
        if done.returncode != 0 or not lines:
            why = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise SystemExit(f"eval: arbiter eval-sql failed (exit {done.returncode}): {why}")
        summary = json.loads(lines[-1])
        print(f"  accuracy {summary['accuracy']:.3f}  p50 {summary['p50_ms']:.0f} ms")
        runs.append((f"{title}, {summary['total']} questions", summary))
        commands.append(typed(argv))
    results = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}; {git_state()}.",
        "Offline provider, the sample of seed 2026, today 2026-01-15, one call at a time.",
        "",
        *markdown_table(runs),
        "",
        "Commands (each answer's SQL and rows are kept in `.data/eval/`):",
        "",
        "```",
        *commands,
        "```",
    ]
    write_doc(out, results, SQL_RESULTS)
    print(f"eval: wrote the Text2SQL results to {out}")

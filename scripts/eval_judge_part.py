"""The judgement part of `make eval`: `arbiter eval-judge` on the labelled dev situations,
offline, Research then Judge directly and each situation asked through a gateway."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from arbiter_cli import suite
from arbiter_cli.eval_judge_report import markdown_table as judge_table
from arbiter_cli.postgres import DATABASE_SETTINGS
from bench import machine
from eval_common import ARBITER, DATA_DIR, STORE, git_state, typed, write_doc

JUDGE_RESULTS = (
    "<!-- judgement results: written by scripts/eval.py -->",
    "<!-- /judgement results -->",
)
JUDGEMENT_DEV = DATA_DIR.parent / "judgement" / "scenarios_dev.jsonl"


def judgement_workers(search: str) -> list[suite.Running]:
    """Audit (calling `search`), planner, analysis (no findings database) and a gateway on
    them, offline, on free loopback ports; the gateway last. Stopped by the caller."""
    env = {"LLM_PROVIDER": "offline", "SEARCH_TARGET": search}
    no_database = dict.fromkeys(DATABASE_SETTINGS, "")
    running: list[suite.Running] = []
    try:
        for name, extra in (("audit", {}), ("planner", {}), ("analysis", no_database)):
            running.append(suite.start(name, port=0, env={**env, **extra}, log_dir=STORE / "logs"))
        targets = {f"{r.name.upper()}_TARGET": r.target for r in running}
        gateway = suite.start("gateway", port=0, env={**env, **targets}, log_dir=STORE / "logs")
        running.append(gateway)
    except BaseException:
        for r in running:
            suite.stop(r.process)
        raise
    return running


def judgement(search: str, out: Path) -> None:
    """`arbiter eval-judge` on the dev situations, offline: Research then Judge directly,
    and each situation asked through a gateway; the table, the commands and each run's
    per-case JSON (kept in .data/eval/) into `out`."""
    if not JUDGEMENT_DEV.exists():
        raise SystemExit(f"eval: missing {JUDGEMENT_DEV}; set ARBITER_DATA_DIR")
    workers = judgement_workers(search)
    by_name = {r.name: r.target for r in workers}
    direct = ["--direct", "--search", search, "--audit", by_name["audit"]]
    plans = (
        ("direct", "Research, then Judge", direct),
        ("gateway", "through the gateway (Ask)", ["--gateway", by_name["gateway"]]),
    )
    runs, commands = [], []
    try:
        for name, title, flags in plans:
            argv = [ARBITER, "eval-judge", "--cases", str(JUDGEMENT_DEV), "--json", *flags]
            print(f"eval: judgement, {title}")
            done = subprocess.run(argv, capture_output=True, text=True)
            lines = done.stdout.strip().splitlines()
            # Exit 1 is a run whose failed calls the summary counts and lists.
            if done.returncode not in (0, 1) or not lines:
                why = (done.stderr.strip().splitlines() or ["no output"])[-1]
                raise SystemExit(f"eval: arbiter eval-judge failed (exit {done.returncode}): {why}")
            (STORE / f"judge-{name}.json").write_text(lines[-1] + "\n")
            summary = json.loads(lines[-1])
            print(f"  macro-F1 {summary['macro_f1']:.3f}  p50 {summary['p50_ms'] or '-'} ms")
            runs.append((f"{title}, {summary['cases']} situations", summary))
            commands.append(typed(argv, {**by_name, "search": search}))
    finally:
        for r in reversed(workers):
            suite.stop(r.process)
    results = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}; {git_state()}.",
        "Offline provider, one situation at a time; search on the eval store (the ObliQA",
        "corpus, no findings: no precedents); each situation is asked through the gateway",
        "followed by `Is this a breach of the rules?`. Research recall through the gateway is",
        "measured on the rules the verdict assesses (the stream does not carry research's",
        "passages).",
        "",
        *judge_table(runs),
        "",
        "Commands (`$SEARCH`, `$AUDIT`, `$GATEWAY`: the services `make eval` started; each"
        " run's per-case results are kept in `.data/eval/judge-*.json`):",
        "",
        "```",
        *commands,
        "```",
    ]
    write_doc(out, results, JUDGE_RESULTS)
    print(f"eval: wrote the judgement results to {out}")

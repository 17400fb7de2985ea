"""Execution accuracy of the offline Text2SQL parser on a questions file, until
`arbiter eval-sql` runs it through AnalyzeData: starts a throwaway local PostgreSQL
cluster, loads the findings sample, runs each question's SQL and gold SQL as the
read-only role, and scores them with `arbiter_cli.sql_scoring`.

    .venv/bin/python scripts/sql_accuracy.py [QUESTIONS] [--seed N] [--failures]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import asyncpg
from arbiter_analysis.findings import load, migrate, roles, sample
from arbiter_analysis.text2sql import Translation, translate
from arbiter_cli.postgres import DATABASE, OWNER, READER, Cluster, dsn
from arbiter_cli.sql_scoring import QuestionScore, accuracy_of, results_match
from arbiter_cli.suite import data_dir

TODAY = dt.date(2026, 1, 15)


async def measure(questions: Path, seed: int, cluster: Cluster, show_failures: bool) -> None:
    port = cluster.port()
    assert port is not None
    c = cluster.credentials()
    owner = await asyncpg.connect(dsn(OWNER, c.owner, port, DATABASE))
    try:
        await migrate.migrate(owner)
        await roles.grant_reader(owner, READER)
        await load.load(owner, sample.generate(seed, data_dir() / "corpus.jsonl"))
    finally:
        await owner.close()
    reader = await asyncpg.connect(dsn(READER, c.reader, port, DATABASE))
    scores, failures, unmapped, timings = [], [], 0, []
    lines = await asyncio.to_thread(lambda: questions.read_text().splitlines())
    try:
        for line in lines:
            q = json.loads(line)
            started = time.perf_counter()
            answer = translate(q["question"], today=TODAY)
            timings.append(time.perf_counter() - started)
            gold = [tuple(r) for r in await reader.fetch(q["gold_sql"])]
            correct, why = False, ""
            if isinstance(answer, Translation):
                try:
                    rows = [tuple(r) for r in await reader.fetch(answer.sql)]
                    correct = results_match(gold, rows, order_matters=q["order_matters"])
                    why = (
                        f"rows differ: gold {gold[:3]} ({len(gold)}), ours {rows[:3]} ({len(rows)})"
                    )
                except asyncpg.PostgresError as error:
                    why = f"database error: {error}"
            else:
                unmapped += 1
                why = f"unmapped: {answer.reason}"
            scores.append(QuestionScore(q["id"], q["kind"], q["difficulty"], correct))
            if not correct:
                failures.append((q["id"], q["question"], why, getattr(answer, "sql", "")))
    finally:
        await reader.close()
    report = accuracy_of(scores)
    overall = report.overall
    print(f"overall {overall.value:.3f} ({overall.correct}/{overall.total}), unmapped {unmapped}")
    for name, part in (("kind", report.per_kind), ("difficulty", report.per_difficulty)):
        for key, acc in part.items():
            print(f"  {name} {key:18} {acc.value:.3f} ({acc.correct}/{acc.total})")
    timings.sort()
    print(
        f"translate p50 {1000 * timings[len(timings) // 2]:.2f} ms, max {1000 * timings[-1]:.2f} ms"
    )
    if show_failures:
        for f in failures:
            print("\n".join(("", *f)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = data_dir().parent / "findings" / "questions_dev.jsonl"
    parser.add_argument("questions", nargs="?", type=Path, default=default)
    parser.add_argument("--seed", type=int, default=sample.DEFAULT_SEED)
    parser.add_argument("--failures", action="store_true")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="arbiter-sql-accuracy-"))
    os.chmod(root, 0o755)  # as root the server runs as another account that must reach it
    cluster = Cluster(root / "cluster", durable=False)
    try:
        cluster.ensure()
        asyncio.run(measure(args.questions, args.seed, cluster, args.failures))
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

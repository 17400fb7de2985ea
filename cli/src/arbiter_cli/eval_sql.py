"""`arbiter eval-sql`: execution accuracy and latency of AnalyzeData on a Text2SQL question
set, each question asked through the real RPC and its gold SQL run as the read-only role on
the same database, scored by the rules of `sql_scoring`.

Which service: `--target`, else the running suite's analysis service (as `make up` recorded
it in the run dir), else (or with `--throwaway`) a throwaway PostgreSQL cluster with the
findings sample loaded and an offline analysis service started as a process for the run."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import grpc
from arbiter.analysis.v1 import analysis_pb2, analysis_pb2_grpc
from arbiter_analysis.findings import sample
from arbiter_analysis.table import cell_text

from arbiter_cli import suite
from arbiter_cli.eval import bounded, duration
from arbiter_cli.eval_inputs import InputError
from arbiter_cli.eval_sql_report import (
    GOLD_FAILED,
    Answer,
    Rows,
    SqlQuestion,
    SqlSummary,
    read_questions,
    score,
    write_answers,
)
from arbiter_cli.findings import Refused, database, throwaway_sample

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
MAX_CONCURRENCY = 16
CONNECT_TIMEOUT_SECONDS = 10.0
_TODAY = re.compile(r"today is (\d{4}-\d{2}-\d{2})")

# --- asking the service and the database ---


async def _ask(stub: analysis_pb2_grpc.AnalysisServiceStub, text: str, seconds: float) -> Answer:
    answer = Answer()
    started = time.perf_counter()
    request = analysis_pb2.AnalyzeDataRequest(question=text)
    async for response in stub.AnalyzeData(request, timeout=seconds):
        if response.HasField("progress"):
            said = _TODAY.search(response.progress.message)
            answer.today = said.group(1) if said else answer.today
        elif response.HasField("result"):
            answer.seconds = time.perf_counter() - started
            result = response.result
            answer.sql, answer.summary = result.sql, result.summary
            answer.rows = [tuple(row.cells) for row in result.table.rows]
    if not answer.seconds:
        answer.error = "the stream ended without a result"
    return answer


async def ask_all(
    target: str, questions: Sequence[SqlQuestion], *, concurrency: int, seconds: float
) -> list[Answer]:
    """Every question through AnalyzeData, at most `concurrency` in flight, after one
    untimed warm-up call; a failed call becomes an Answer with its error."""
    gate = asyncio.Semaphore(concurrency)
    async with grpc.aio.insecure_channel(target) as channel:
        stub = analysis_pb2_grpc.AnalysisServiceStub(channel)
        with contextlib.suppress(grpc.aio.AioRpcError):
            await _ask(stub, questions[0].question, seconds)

        async def one(question: SqlQuestion) -> Answer:
            async with gate:
                try:
                    return await _ask(stub, question.question, seconds)
                except grpc.aio.AioRpcError as exc:
                    return Answer(error=f"{exc.code().name}: {exc.details()}")

        return list(await asyncio.gather(*(one(q) for q in questions)))


async def gold_rows(reader_url: str, questions: Sequence[SqlQuestion]) -> list[Rows | str]:
    """Each question's gold rows, run as the read-only role and rendered as the service
    renders its cells (so NULLs, dates and decimals read alike on both sides); a gold
    query the database refuses gives its error instead."""
    conn = await asyncpg.connect(reader_url, timeout=CONNECT_TIMEOUT_SECONDS)
    results: list[Rows | str] = []
    try:
        for q in questions:
            try:
                records = await conn.fetch(q.gold_sql)
            except asyncpg.PostgresError as exc:
                results.append(f"{GOLD_FAILED}: {exc}")
                continue
            results.append([tuple(cell_text(v) for v in record.values()) for record in records])
    finally:
        await conn.close()
    return results


# --- the service under test ---


@dataclass(frozen=True)
class UnderTest:
    """An analysis service to ask, and its findings database's read-only role."""

    target: str
    reader_url: str
    where: str
    """How the report names it."""


def _suite_analysis(run_dir: Path) -> str | None:
    """Where the suite recorded in `run_dir` serves analysis, if it runs and is healthy."""
    for service in suite.recorded(run_dir):
        healthy = suite.alive(service) and suite.health(service.target) == "SERVING"
        if service.name == "analysis" and healthy:
            return service.target
    return None


@contextlib.contextmanager
def service_under_test(
    *, target: str | None, run_dir: Path, throwaway: bool, seed: int
) -> Iterator[UnderTest]:
    """`target` and the database the settings (or the suite) name, else the running suite,
    else a throwaway one. Refused says why none can be used."""
    if target is None and not throwaway:
        target = _suite_analysis(run_dir)
        if target is None:
            print(
                "arbiter eval-sql: no running suite: starting a throwaway findings database "
                "and an offline analysis service",
                file=sys.stderr,
            )
    if target is None:
        with throwaway_service(seed) as started:
            yield started
        return
    if suite.health(target, timeout=5.0) == "UNREACHABLE":
        raise Refused(f"analysis is not reachable at {target}", EXIT_UNREACHABLE)
    db = database(run_dir, os.environ)
    yield UnderTest(target, db.config.reader_url, f"{target} ({db.where})")


@contextlib.contextmanager
def throwaway_service(seed: int) -> Iterator[UnderTest]:
    """A PostgreSQL cluster in a temporary folder holding the sample of `seed`, and
    `python -m arbiter_analysis` on it (offline provider, today the sample's day), both
    stopped and deleted on exit."""
    with throwaway_sample(seed) as urls:
        env = {
            **urls.settings(),
            "ANALYSIS_TODAY": sample.TODAY.isoformat(),
            "LLM_PROVIDER": "offline",
        }
        logs = Path(tempfile.mkdtemp(prefix="arbiter-eval-sql-"))
        try:
            service = suite.start("analysis", port=0, env=env, log_dir=logs)
        except RuntimeError as exc:
            raise Refused(f"the analysis service did not start: {str(exc)[-500:]}") from None
        try:
            where = f"{service.target} (throwaway, offline, sample of seed {seed})"
            yield UnderTest(service.target, urls.reader, where)
        finally:
            suite.stop(service.process)
            shutil.rmtree(logs, ignore_errors=True)


# --- the command ---


@dataclass(frozen=True)
class Options:
    """How the questions are asked and what is written."""

    concurrency: int
    timeout: float
    as_json: bool
    answers_out: Path | None
    failures: bool


async def evaluate(questions: Sequence[SqlQuestion], under_test: UnderTest, o: Options) -> int:
    """Ask, run the gold SQL, score, print; the exit code."""
    started = time.perf_counter()
    answers = await ask_all(
        under_test.target, questions, concurrency=o.concurrency, seconds=o.timeout
    )
    wall = time.perf_counter() - started
    try:
        golds = await gold_rows(under_test.reader_url, questions)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        why = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise Refused(
            f"cannot query the findings database as the reader: {why}", EXIT_UNREACHABLE
        ) from None
    outcomes = [score(q, a, g) for q, a, g in zip(questions, answers, golds, strict=True)]
    summary = SqlSummary(outcomes, under_test.where, wall)
    if o.answers_out is not None:
        try:
            write_answers(o.answers_out, outcomes)
        except OSError as exc:
            raise Refused(f"cannot write {o.answers_out}: {exc.strerror}", EXIT_USAGE) from None
    print(json.dumps(summary.to_json()) if o.as_json else summary.table(), flush=True)
    if o.failures and summary.failures():
        print("\n" + summary.failures(), file=sys.stderr if o.as_json else sys.stdout)
    if summary.today and summary.today != sample.TODAY.isoformat():
        print(
            f"arbiter eval-sql: the service counts relative dates from {summary.today}, the "
            f"questions from {sample.TODAY.isoformat()}: run it with "
            f"ANALYSIS_TODAY={sample.TODAY.isoformat()} for comparable numbers",
            file=sys.stderr,
        )
    gold_failed = summary.to_json()["gold_failures"]
    if summary.errors or gold_failed:
        first = summary.errors[0] if summary.errors else "a gold query failed"
        print(f"arbiter eval-sql: {len(summary.errors)} calls failed: {first}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def command(args: argparse.Namespace) -> int:
    """`arbiter eval-sql`: exit 0 done, 1 some calls or gold queries failed, 2 bad
    arguments or files, 3 the service or its database unreachable."""
    try:
        questions = read_questions(Path(args.questions))
    except InputError as exc:
        print(f"arbiter eval-sql: {exc}", file=sys.stderr)
        return EXIT_USAGE
    options = Options(
        args.concurrency,
        args.timeout,
        args.json,
        Path(args.answers_out) if args.answers_out else None,
        args.failures,
    )
    try:
        with service_under_test(
            target=args.target,
            run_dir=Path(args.run_dir),
            throwaway=args.throwaway,
            seed=args.seed,
        ) as under_test:
            return asyncio.run(evaluate(questions, under_test, options))
    except Refused as refused:
        print(f"arbiter eval-sql: {refused}", file=sys.stderr)
        return refused.exit_code


def add_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `arbiter eval-sql` on the CLI's subcommands."""
    run_dir = os.environ.get("RUN_DIR") or ".run"
    e = sub.add_parser(
        "eval-sql",
        help="measure Text2SQL execution accuracy and AnalyzeData latency on gold SQL",
        description="Ask each question through AnalyzeData, run its gold SQL as the read-only "
        "role on the same database, and report execution accuracy overall, per kind and per "
        "difficulty, the questions it cannot answer, and latency p50/p99.",
    )
    e.add_argument(
        "--questions",
        required=True,
        help="JSONL: {id, question, gold_sql, order_matters, kind, difficulty} a line",
    )
    e.add_argument("--json", action="store_true", help="one JSON object on the last line")
    e.add_argument("--answers-out", metavar="FILE", help="write {id, sql, rows} a line")
    e.add_argument(
        "--target",
        metavar="HOST:PORT",
        default=os.environ.get("ARBITER_ANALYSIS") or None,
        help="the analysis service (default $ARBITER_ANALYSIS, else the running suite's, "
        "else a throwaway one)",
    )
    e.add_argument(
        "--throwaway",
        action="store_true",
        help="start a throwaway database and offline service even when a suite runs",
    )
    e.add_argument("--seed", type=bounded(0, 2**31 - 1), default=sample.DEFAULT_SEED)
    e.add_argument("--concurrency", type=bounded(1, MAX_CONCURRENCY), default=1)
    e.add_argument("--timeout", type=duration, default=30.0, help="seconds per call (default 30)")
    e.add_argument("--failures", action="store_true", help="show each wrong question and why")
    e.add_argument("--run-dir", default=run_dir, help=f"the suite's run dir (default {run_dir})")
    e.set_defaults(func=command)

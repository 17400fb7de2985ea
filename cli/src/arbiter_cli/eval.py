"""`arbiter eval`: retrieval quality and latency of a running search service on a query set
with relevance judgements (qrels), measured through the real Research or Retrieve RPCs
(the metrics are `eval_metrics`, the query and qrels readers `eval_inputs`)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, astuple, dataclass, field
from pathlib import Path

import grpc
from arbiter.search.v1 import search_pb2, search_pb2_grpc

from arbiter_cli.eval_inputs import InputError, Query, read_qrels, read_queries
from arbiter_cli.eval_metrics import METRIC_NAMES, Scores, dedupe, percentile

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
MODES = {
    None: search_pb2.RETRIEVAL_MODE_UNSPECIFIED,
    "sparse": search_pb2.RETRIEVAL_MODE_SPARSE,
    "dense": search_pb2.RETRIEVAL_MODE_DENSE,
    "hybrid": search_pb2.RETRIEVAL_MODE_HYBRID,
}
MAX_ROUNDS, MAX_TOP_K, MAX_CONCURRENCY = 5, 50, 64

# --- running the queries ---


@dataclass(frozen=True)
class RunSettings:
    """What each call asks of the service."""

    target: str
    mode: str = "research"
    retrieval: str | None = None
    graph: bool = True
    rerank: bool = True
    rounds: int = 0
    top_k: int = 10
    concurrency: int = 4
    timeout: float = 60.0


@dataclass
class Outcome:
    """One query's answer: ranked source ids, client-side seconds, and its trace."""

    ranked: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rounds: int = 0
    stages: list[str] = field(default_factory=list)
    error: str = ""


async def _call(stub: search_pb2_grpc.SearchServiceStub, text: str, s: RunSettings) -> Outcome:
    options = search_pb2.RetrievalOptions(
        mode=MODES[s.retrieval], disable_graph=not s.graph, disable_rerank=not s.rerank
    )
    started = time.perf_counter()
    if s.mode == "retrieve":
        request = search_pb2.RetrieveRequest(query=text, top_k=s.top_k, options=options)
        reply = await stub.Retrieve(request, timeout=s.timeout)
        ids = [p.source_id for p in reply.passages]
        return Outcome(ids, time.perf_counter() - started)
    research = search_pb2.ResearchRequest(
        query=text, top_k=s.top_k, max_rounds=s.rounds, options=options
    )
    outcome = Outcome()
    async for response in stub.Research(research, timeout=s.timeout):
        if response.HasField("progress"):
            outcome.stages.append(response.progress.stage)
        elif response.HasField("result"):
            outcome.seconds = time.perf_counter() - started
            outcome.ranked = [p.source_id for p in response.result.passages]
            outcome.rounds = len(response.result.rounds)
    if not outcome.seconds:
        outcome.error = "the stream ended without a result"
    return outcome


async def run_queries(
    queries: Sequence[Query],
    settings: RunSettings,
    *,
    on_done: Callable[[int], None] = lambda n: None,
) -> list[Outcome]:
    """Every query through the service, at most `settings.concurrency` in flight, each
    with its own deadline; a failed call becomes an Outcome with its error."""
    gate = asyncio.Semaphore(settings.concurrency)
    done = 0
    async with grpc.aio.insecure_channel(settings.target) as channel:
        stub = search_pb2_grpc.SearchServiceStub(channel)
        if queries:  # connects and warms the service's caches; not timed
            with contextlib.suppress(grpc.aio.AioRpcError):
                await _call(stub, queries[0].text, settings)

        async def one(query: Query) -> Outcome:
            nonlocal done
            async with gate:
                try:
                    outcome = await _call(stub, query.text, settings)
                except grpc.aio.AioRpcError as exc:
                    outcome = Outcome(error=f"{exc.code().name}: {exc.details()}")
            done += 1
            on_done(done)
            return outcome

        return list(await asyncio.gather(*(one(q) for q in queries)))


async def corpus_info(target: str, *, seconds: float) -> search_pb2.GetCorpusInfoResponse:
    async with grpc.aio.insecure_channel(target) as channel:
        stub = search_pb2_grpc.SearchServiceStub(channel)
        info: search_pb2.GetCorpusInfoResponse = await stub.GetCorpusInfo(
            search_pb2.GetCorpusInfoRequest(), timeout=seconds
        )
        return info


# --- the report ---


@dataclass(frozen=True)
class Summary:
    """What one evaluation measured (fields named as `--json` prints them), and how."""

    scores: Scores
    p50_ms: float
    p99_ms: float
    queries: int
    skipped_without_qrels: int
    errors: int
    first_error: str
    rounds_mean: float
    rounds_max: int
    stages: list[str]
    """Progress stage names the Research stream carried, in order of first appearance."""
    embedder: str
    wall_s: float
    ranking_sha256: str
    """Digest of every query's deduplicated ranking: equal digests, equal rankings."""
    settings: RunSettings

    @classmethod
    def of(
        cls,
        judged: Sequence[tuple[Query, set[str]]],
        outcomes: Sequence[Outcome],
        *,
        settings: RunSettings,
        embedder: str,
        wall_s: float,
        skipped: int,
    ) -> Summary:
        pairs = list(zip(judged, outcomes, strict=True))
        digest = hashlib.sha256()
        for (query, _), o in pairs:
            digest.update(f"{query.id}\t{','.join(dedupe(o.ranked))}\n".encode())
        timed = [o.seconds * 1000 for o in outcomes if not o.error]
        errors = [o.error for o in outcomes if o.error]
        return cls(
            scores=Scores.of([(o.ranked, relevant) for (_, relevant), o in pairs]),
            p50_ms=percentile(timed, 0.50),
            p99_ms=percentile(timed, 0.99),
            queries=len(judged),
            skipped_without_qrels=skipped,
            errors=len(errors),
            first_error=errors[0] if errors else "",
            rounds_mean=sum(o.rounds for o in outcomes) / max(len(outcomes), 1),
            rounds_max=max((o.rounds for o in outcomes), default=0),
            stages=list(dict.fromkeys(s for o in outcomes for s in o.stages)),
            embedder=embedder,
            wall_s=wall_s,
            ranking_sha256=digest.hexdigest(),
            settings=settings,
        )

    def to_json(self) -> dict[str, object]:
        """The `--json` object: the metrics, the measurements, the settings."""
        fields = asdict(self)
        settings = fields.pop("settings")
        del settings["target"]
        return {**fields.pop("scores"), **fields, **settings}

    def table(self) -> str:
        s, m = self.settings, self.scores
        what = f"{s.mode}, retrieval {s.retrieval or 'default'}"
        what += f", graph {'on' if s.graph else 'off'}, rerank {'on' if s.rerank else 'off'}"
        if s.mode == "research":
            what += f", up to {s.rounds or 'default'} rounds (mean {self.rounds_mean:.2f})"
        rows = [
            *((n, f"{v:.4f}") for n, v in zip(METRIC_NAMES, astuple(m), strict=True)),
            ("p50", f"{self.p50_ms:.0f} ms"),
            ("p99", f"{self.p99_ms:.0f} ms"),
            ("wall", f"{self.wall_s:.1f} s"),
        ]
        if self.errors:
            rows.append(("errors", f"{self.errors} (first: {self.first_error})"))
        return "\n".join(
            [
                f"{self.queries} queries ({self.skipped_without_qrels} without qrels skipped);"
                f" {what}",
                f"top {s.top_k}, concurrency {s.concurrency}, embedder {self.embedder}",
                "",
                *(f"  {name:<10} {value}" for name, value in rows),
            ]
        )


# --- the command ---


def command(args: argparse.Namespace) -> int:
    """`arbiter eval`: exit 0 done, 1 some calls failed or the corpus is empty, 2 bad
    arguments or files, 3 search unreachable."""
    if args.rounds and args.mode != "research":
        return _usage("--rounds applies to --mode research only")
    try:
        queries = read_queries(Path(args.queries))
        qrels = read_qrels(Path(args.qrels))
    except InputError as exc:
        return _usage(str(exc))
    queries = queries[args.skip :]
    if args.limit:
        queries = queries[: args.limit]
    judged = [(q, qrels[q.id]) for q in queries if qrels.get(q.id)]
    if not judged:
        return _usage(f"none of the {len(queries)} queries has a relevant doc in {args.qrels}")
    settings = RunSettings(
        target=args.search,
        mode=args.mode,
        retrieval=args.retrieval,
        graph=not args.no_graph,
        rerank=not args.no_rerank,
        rounds=args.rounds or 0,
        top_k=args.top_k,
        concurrency=args.concurrency,
        timeout=args.timeout,
    )
    return asyncio.run(_evaluate(judged, len(queries) - len(judged), settings, as_json=args.json))


async def _evaluate(
    judged: list[tuple[Query, set[str]]], skipped: int, settings: RunSettings, *, as_json: bool
) -> int:
    try:
        info = await corpus_info(settings.target, seconds=settings.timeout)
    except grpc.aio.AioRpcError as exc:
        code = exc.code()
        if code == grpc.StatusCode.UNAVAILABLE:
            print(f"arbiter: search is not reachable at {settings.target}", file=sys.stderr)
            return EXIT_UNREACHABLE
        if code == grpc.StatusCode.DEADLINE_EXCEEDED:
            print(
                f"arbiter: search at {settings.target} did not answer GetCorpusInfo within "
                f"{settings.timeout:g} s",
                file=sys.stderr,
            )
            return EXIT_UNREACHABLE
        print(f"arbiter: GetCorpusInfo failed: {code.name}: {exc.details()}", file=sys.stderr)
        return EXIT_FAILED
    if info.chunks == 0:
        print("arbiter: the search corpus is empty: `arbiter ingest FILE` first", file=sys.stderr)
        return EXIT_FAILED
    live = sys.stderr.isatty()

    def progress(done: int) -> None:
        if live:
            print(f"\r{done}/{len(judged)} queries", end="", file=sys.stderr, flush=True)

    started = time.perf_counter()
    outcomes = await run_queries([q for q, _ in judged], settings, on_done=progress)
    if live:
        print(file=sys.stderr)
    summary = Summary.of(
        judged,
        outcomes,
        settings=settings,
        skipped=skipped,
        embedder=info.embedder or "unknown",
        wall_s=time.perf_counter() - started,
    )
    print(json.dumps(summary.to_json()) if as_json else summary.table(), flush=True)
    if summary.errors:
        print(f"arbiter: {summary.errors} calls failed: {summary.first_error}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _usage(message: str) -> int:
    print(f"arbiter eval: {message}", file=sys.stderr)
    return EXIT_USAGE


def bounded(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be {low}..{high}, got {value}")
        return value

    return parse


def duration(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return value


def add_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `arbiter eval` on the CLI's subcommands."""
    e = sub.add_parser(
        "eval",
        help="measure retrieval quality and latency on queries with qrels",
        description="Run each query through the search service and report Recall@5/@10, "
        "MAP@10, nDCG@10, MRR@10 (trec_eval definitions) and latency p50/p99.",
    )
    e.add_argument("--queries", required=True, help="JSONL file: {id, text, ...} a line")
    e.add_argument("--qrels", required=True, help="TSV with a header: query_id doc_id score")
    e.add_argument("--json", action="store_true", help="one JSON object on the last line")
    e.add_argument("--limit", type=bounded(0, 10**9), default=0, help="first N queries (0: all)")
    e.add_argument(
        "--skip", type=bounded(0, 10**9), default=0, help="leave out the file's first N queries"
    )
    e.add_argument("--mode", choices=["research", "retrieve"], default="research")
    e.add_argument("--retrieval", choices=["sparse", "dense", "hybrid"], default=None)
    e.add_argument("--no-graph", action="store_true", help="skip knowledge-graph expansion")
    e.add_argument("--no-rerank", action="store_true", help="skip reranking")
    e.add_argument("--rounds", type=bounded(1, MAX_ROUNDS), help="research rounds, at most")
    e.add_argument("--top-k", type=bounded(1, MAX_TOP_K), default=10)
    e.add_argument("--concurrency", type=bounded(1, MAX_CONCURRENCY), default=4)
    e.add_argument("--timeout", type=duration, default=60.0, help="seconds per call (default 60)")
    e.add_argument("--search", default=os.environ.get("ARBITER_SEARCH", "127.0.0.1:50053"))
    e.set_defaults(func=command)

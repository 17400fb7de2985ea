"""make eval: Text2SQL execution accuracy on the findings dev questions and the held-out
ones (`arbiter eval-sql --json`, each on a throwaway cluster and offline analysis service),
then the retrieval ablation on ObliQA dev and ObliQA-MP val, each row one `arbiter eval
--json` run against a search service started on its own store, then the judgement of the
labelled situations (`arbiter eval-judge --json`, direct and through a gateway, offline, on
that search service); writes each part's results between its markers in docs/eval.md and
leaves the rest of the file alone. `--sql-only` runs the Text2SQL part alone,
`--judge-only` the judgement part alone."""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import grpc
from arbiter.search.v1 import search_pb2, search_pb2_grpc
from arbiter_cli import suite
from arbiter_search.store.milvus import LITE_HINT
from bench import machine
from eval_common import ARBITER, DATA_DIR, REPO, STORE, git_state, write_doc
from eval_judge_part import JUDGEMENT_DEV, judgement
from eval_sql_part import text2sql

SEARCH_SRC = REPO / "services" / "search" / "src"
NOT_BUILT = "(stage not built yet)"


@dataclass(frozen=True)
class Config:
    """One ablation row: the `arbiter eval` flags, and which stage it adds."""

    name: str
    flags: tuple[str, ...]
    stage: str


BARE = ("--no-graph", "--no-rerank")
CONFIGS = (
    Config("BM25 only", ("--mode", "retrieve", "--retrieval", "sparse", *BARE), ""),
    Config("dense only", ("--mode", "retrieve", "--retrieval", "dense", *BARE), "dense"),
    Config("hybrid", ("--mode", "retrieve", "--retrieval", "hybrid", *BARE), "dense"),
    Config(
        "+ field selection (Research, 1 round)",
        ("--retrieval", "hybrid", "--rounds", "1", *BARE),
        "",
    ),
    Config("+ graph", ("--retrieval", "hybrid", "--rounds", "1", "--no-rerank"), "graph"),
    Config("+ rerank", ("--retrieval", "hybrid", "--rounds", "1"), "rerank"),
    Config("+ adaptive loop", ("--retrieval", "hybrid", "--rounds", "{rounds}"), "loop"),
)


@dataclass(frozen=True)
class Dataset:
    """A query set with its qrels, and how many of its first queries to leave out."""

    title: str
    queries: Path
    qrels: Path
    skip: int = 0

    def count(self) -> int:
        return sum(1 for line in self.queries.open(encoding="utf-8") if line.strip())


LATENCY = (
    Config("Retrieve, BM25 only", ("--mode", "retrieve", "--retrieval", "sparse", *BARE), ""),
    Config("Research, 1 round, every stage the service has", ("--rounds", "1"), ""),
)


def source_digest() -> str:
    """What the stored chunks were made by: the search service's source files."""
    digest = hashlib.sha256()
    for path in sorted(SEARCH_SRC.rglob("*.py")):
        digest.update(path.relative_to(SEARCH_SRC).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def start_search(corpus: Path) -> tuple[suite.Running, str]:
    """The search service on the eval store, filled from `corpus`. A kept store is topped
    up by a full re-ingest when the search code changed since it was filled (ingestion is
    idempotent: only changed documents are rewritten), and rebuilt when the embedder
    changed or the service cannot open it. Returns the service and what the ingest did."""
    db, graph, stamp_file = STORE / "milvus.db", STORE / "graph", STORE / "stamp.json"
    stamp = json.loads(stamp_file.read_text()) if stamp_file.exists() else {}
    env = {"SEARCH_MILVUS_URI": str(db), "SEARCH_GRAPH_URI": str(graph), "LLM_PROVIDER": "offline"}

    def start(*, fresh: bool) -> suite.Running:
        if fresh:
            for folder in (db, graph):
                if folder.exists():
                    shutil.rmtree(folder)
        return suite.start("search", port=0, env=env, log_dir=STORE / "logs", timeout=300)

    kept = db.exists()
    try:
        search = start(fresh=False)
    except RuntimeError as exc:
        if LITE_HINT in str(exc):
            # Held by another process (another `make eval`?): never delete what it uses.
            raise SystemExit(f"eval: {db} is in use by another process; stop it first") from exc
        print(f"eval: search cannot use the kept store, rebuilding it: {exc}"[:2000])
        search, kept = start(fresh=True), False
    embedder = corpus_info(search.target).embedder
    if kept and stamp.get("embedder") != embedder:
        print(f"eval: the embedder is now {embedder!r}: rebuilding the store")
        suite.stop(search.process)
        search, kept = start(fresh=True), False
    wanted = source_digest()
    refresh = kept and stamp.get("source") != wanted
    if refresh:
        print("eval: the search code changed since the store was filled: re-ingesting")
    argv = [ARBITER, "ingest", *([] if refresh else ["--if-empty"]), str(corpus)]
    started = time.perf_counter()
    done = subprocess.run([*argv, "--search", search.target], stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        suite.stop(search.process)
        raise SystemExit(f"eval: ingest failed (exit {done.returncode}): {done.stdout.strip()}")
    print(done.stdout.strip())
    stamp_file.write_text(json.dumps({"source": wanted, "embedder": embedder}))
    said = done.stdout.strip().splitlines()[-1]
    return search, f"Ingest step: {said} ({time.perf_counter() - started:.1f} s wall)"


def corpus_info(target: str) -> search_pb2.GetCorpusInfoResponse:
    with grpc.insecure_channel(target) as channel:
        stub = search_pb2_grpc.SearchServiceStub(channel)
        info: search_pb2.GetCorpusInfoResponse = stub.GetCorpusInfo(
            search_pb2.GetCorpusInfoRequest(), timeout=30
        )
        return info


def research_trace(target: str, question: str, rounds: int) -> list[str]:
    """The progress of one Research call with every stage on: what the service does."""
    request = search_pb2.ResearchRequest(query=question, max_rounds=rounds)
    lines = []
    with grpc.insecure_channel(target) as channel:
        stub = search_pb2_grpc.SearchServiceStub(channel)
        for response in stub.Research(request, timeout=120):
            if response.HasField("progress"):
                lines.append(f"{response.progress.stage}: {response.progress.message}")
            else:
                rounds_run = len(response.result.rounds)
                lines.append(
                    f"result: {len(response.result.passages)} passages, {rounds_run} round(s)"
                )
    return lines


def run_eval(argv: list[str], target: str, *, attempts: int = 2) -> dict[str, object]:
    """One `arbiter eval --json` process (again once if it fails outright, as a busy
    machine can make it): its last line, or {"failed": why}."""
    started = time.perf_counter()
    done = subprocess.run([*argv, "--search", target], capture_output=True, text=True)
    lines = done.stdout.strip().splitlines()
    try:
        summary: dict[str, object] = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        why = (done.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"  failed: {why}")
        if attempts > 1:
            return run_eval(argv, target, attempts=attempts - 1)
        return {"failed": f"exit {done.returncode}: {why}"}
    took = time.perf_counter() - started
    print(f"  {took:6.1f} s  R@10 {summary['recall_at_10']:.4f}  MAP@10 {summary['map_at_10']:.4f}")
    return summary


def command(
    config: Config, data: Dataset, *, limit: int, concurrency: int, rounds: int
) -> list[str]:
    flags = [f.replace("{rounds}", str(rounds)) for f in config.flags]
    window = ["--skip", str(data.skip)] if data.skip else []
    return [
        ARBITER, "eval", "--queries", str(data.queries), "--qrels", str(data.qrels), "--json",
        *window, "--limit", str(limit), "--concurrency", str(concurrency), *flags,
    ]  # fmt: skip


def shown(argv: list[str]) -> str:
    """A command as a reader would type it from the checkout."""
    words = ["arbiter", *argv[1:], "--search", "$SEARCH"]
    return shlex.join(words).replace(str(DATA_DIR), "$ARBITER_DATA_DIR").replace("'", "")


def built(config: Config, summary: dict[str, object], embedder: str, trace: str) -> bool:
    """Whether the service shows the stage this row adds."""
    if config.stage == "dense":
        return embedder not in ("", "none", "unknown")
    if config.stage == "graph":
        return "graph" in trace or "expan" in trace
    if config.stage == "rerank":
        return "rerank" in trace
    if config.stage == "loop":
        validates = "validat" in trace and "no validator" not in trace
        return validates or int(str(summary.get("rounds_max", 0))) > 1
    return True


def row(
    config: Config, summary: dict[str, object], previous: dict[str, object] | None, note: str
) -> str:
    if "failed" in summary:
        return f"| {config.name} | {' | '.join(['-'] * 7)} | failed: {summary['failed']} |"
    same = previous is not None and previous.get("ranking_sha256") == summary["ranking_sha256"]
    notes = [note] if note else (["same rankings as the row above"] if same else [])
    if summary["mode"] == "research":
        notes.append(f"mean rounds {float(str(summary['rounds_mean'])):.2f}")
    if summary["errors"]:
        notes.append(f"{summary['errors']} calls failed: {summary['first_error']}")
    metrics = ["recall_at_5", "recall_at_10", "map_at_10", "ndcg_at_10", "mrr_at_10"]
    cells = [f"{float(str(summary[m])):.3f}" for m in metrics]
    cells += [f"{float(str(summary[m])):.0f}" for m in ("p50_ms", "p99_ms")]
    return f"| {config.name} | {' | '.join(cells)} | {'; '.join(notes)} |"


HEADER = [
    "| configuration | Recall@5 | Recall@10 | MAP@10 | nDCG@10 | MRR@10 | p50 ms | p99 ms | note |",
    "|---|---|---|---|---|---|---|---|---|",
]


def ablation(
    data: Dataset, target: str, *, args: argparse.Namespace, embedder: str, trace: str
) -> tuple[list[str], list[str]]:
    """The table of one dataset, and the commands that made it."""
    held_out = data.count() - data.skip
    used = min(args.limit, held_out) if args.limit else held_out
    window = f", from query {data.skip + 1} on" if data.skip else ""
    lines = ["", f"### {data.title} ({used} of {data.count()} queries{window})", "", *HEADER]
    commands = []
    previous: dict[str, object] | None = None
    for config in CONFIGS:
        argv = command(
            config, data, limit=args.limit, concurrency=args.concurrency, rounds=args.rounds
        )
        commands.append(shown(argv))
        print(f"eval: {data.title}: {config.name}")
        summary = run_eval(argv, target)
        is_built = built(config, summary, embedder, trace)
        lines.append(row(config, summary, previous, "" if is_built else NOT_BUILT))
        previous = summary
    return lines, commands


def latency(data: Dataset, target: str, *, queries: int) -> tuple[list[str], list[str]]:
    """One caller at a time: the latency table, and the commands that made it."""
    lines = ["", f"### Latency, one stream ({queries} {data.title} queries)", ""]
    lines += [HEADER[0].replace("configuration", "call"), HEADER[1]]
    commands = []
    for config in LATENCY:
        argv = command(config, data, limit=queries, concurrency=1, rounds=1)
        commands.append(shown(argv))
        print(f"eval: latency: {config.name}")
        lines.append(row(config, run_eval(argv, target), None, ""))
    return lines, commands


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--limit", type=int, default=int(os.environ.get("EVAL_LIMIT", "200")))
    p.add_argument("--concurrency", type=int, default=int(os.environ.get("EVAL_CONCURRENCY", "4")))
    p.add_argument("--rounds", type=int, default=3, help="rounds of the adaptive-loop row")
    p.add_argument(
        "--dev-skip",
        type=int,
        default=int(os.environ.get("EVAL_DEV_SKIP", "1000")),
        help="dev questions to leave out: the reranker's weights were fitted on the first 1,000",
    )
    latency_default = int(os.environ.get("EVAL_LATENCY_QUERIES", "100"))
    p.add_argument("--latency-queries", type=int, default=latency_default)
    p.add_argument("--out", default=str(REPO / "docs" / "eval.md"))
    only = p.add_mutually_exclusive_group()
    only.add_argument("--sql-only", action="store_true", help="the Text2SQL part alone")
    only.add_argument("--judge-only", action="store_true", help="the judgement part alone")
    args = p.parse_args()
    STORE.mkdir(parents=True, exist_ok=True)
    if args.judge_only:
        return judgement_only(Path(args.out))
    text2sql(Path(args.out))
    if args.sql_only:
        return 0
    dev = Dataset(
        "ObliQA dev", DATA_DIR / "queries_dev.jsonl", DATA_DIR / "qrels_dev.tsv", args.dev_skip
    )
    mp = Dataset("ObliQA-MP val", DATA_DIR / "queries_mp_val.jsonl", DATA_DIR / "qrels_mp_val.tsv")
    files = [DATA_DIR / "corpus.jsonl", dev.queries, dev.qrels, mp.queries, mp.qrels]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        raise SystemExit(f"eval: missing {', '.join(missing)}; set ARBITER_DATA_DIR")
    if not 0 <= dev.skip < dev.count():
        raise SystemExit(f"eval: EVAL_DEV_SKIP must be 0..{dev.count() - 1}")
    started, load_start = time.perf_counter(), os.getloadavg()
    STORE.mkdir(parents=True, exist_ok=True)
    search, ingest_note = start_search(DATA_DIR / "corpus.jsonl")
    sections: list[str] = []
    commands: list[str] = []
    try:
        info = corpus_info(search.target)
        with dev.queries.open(encoding="utf-8") as lines:
            first = json.loads(next(itertools.islice(lines, dev.skip, None)))["text"]
        trace_lines = research_trace(search.target, first, args.rounds)
        trace = "\n".join(trace_lines).lower()
        for data in (dev, mp):
            table, ran = ablation(
                data, search.target, args=args, embedder=info.embedder, trace=trace
            )
            sections += table
            commands += ran
        table, ran = latency(dev, search.target, queries=args.latency_queries)
        sections += table
        commands += ran
        judgement(search.target, Path(args.out))
    finally:
        suite.stop(search.process)
    minutes = (time.perf_counter() - started) / 60
    load_end = os.getloadavg()
    limit_text = f"the first {args.limit} queries of each set" if args.limit else "every query"
    results = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}; {git_state()}.",
        f"`make eval` took {minutes:.1f} min. Load average (1 min) {load_start[0]:.1f} at the"
        f" start and {load_end[0]:.1f} at the end ({load_end[2]:.1f} over 15 min) on"
        f" {os.cpu_count()} cores, shared with other work.",
        "",
        f"Store: `.data/eval/milvus.db` (Milvus Lite). {ingest_note}. Corpus: {info.chunks}"
        f" chunks; embedder `{info.embedder or 'unknown'}`; filterable fields:"
        f" {', '.join(info.filterable_fields) or 'none'}.",
        "",
        f"Ablation rows: {limit_text} (`EVAL_LIMIT`) after the {dev.skip} dev questions the"
        f" reranker was fitted on (`EVAL_DEV_SKIP`), {args.concurrency} calls in flight"
        " (`EVAL_CONCURRENCY`), so their p50/p99 include queueing; the one-stream table"
        " below is the latency of a single caller.",
        *sections,
        "",
        f"Trace of one Research call (dev question {dev.skip + 1}, up to {args.rounds} rounds,"
        " every stage on):",
        "",
        "```",
        *trace_lines,
        "```",
        "",
        "Commands (`$SEARCH` is the address of the service `make eval` started):",
        "",
        "```",
        *commands,
        "```",
    ]
    write_doc(Path(args.out), results)
    print(f"eval: wrote {args.out} in {minutes:.1f} min")
    return 0


def judgement_only(out: Path) -> int:
    """The judgement part alone, on the eval store's search service (filled first if
    it is empty)."""
    corpus = DATA_DIR / "corpus.jsonl"
    missing = [str(f) for f in (corpus, JUDGEMENT_DEV) if not f.exists()]
    if missing:
        raise SystemExit(f"eval: missing {', '.join(missing)}; set ARBITER_DATA_DIR")
    search, ingest_note = start_search(corpus)
    print(ingest_note)
    try:
        judgement(search.target, out)
    finally:
        suite.stop(search.process)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""make bench: greeting and research latency through the CLI and through a gRPC client,
on the full ObliQA corpus, and AnalyzeData's latency offline on the findings sample;
writes docs/benchmarks.md. `--only analyze-data` measures AnalyzeData alone and updates
its row."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import grpc
from arbiter.analysis.v1 import analysis_pb2, analysis_pb2_grpc
from arbiter.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from arbiter_analysis.__main__ import build_server, opened_findings
from arbiter_analysis.config import AnalysisConfig, DatabaseConfig
from arbiter_analysis.findings import load, sample
from arbiter_cli import suite
from arbiter_cli.postgres import Cluster
from arbiter_kit.config import ServerConfig
from arbiter_llm import OfflineLLM

REPO = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("ARBITER_DATA_DIR", REPO.parent / "shared" / "data" / "obliqa"))
ARBITER = str(Path(sys.executable).with_name("arbiter"))
NOTES = "<!-- notes: kept by scripts/bench.py -->"
FINDINGS_QUESTIONS = DATA_DIR.parent / "findings" / "questions_dev.jsonl"
ANALYZE_ROW = "AnalyzeData offline on the findings sample, gRPC client, to the result"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"{statistics.median(ms):.0f} | {percentile(ms, 0.95):.0f} | {percentile(ms, 0.99):.0f}"
        f" | {len(ms)}"
    )


def via_cli(gateway: str, questions: list[str]) -> list[float]:
    times = []
    env = {**os.environ, "ARBITER_GATEWAY": gateway}
    for q in questions:
        started = time.perf_counter()
        done = subprocess.run([ARBITER, "ask", "--json", q], capture_output=True, env=env)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"arbiter ask failed for {q!r}: {done.stderr.decode()}")
    return times


def via_grpc(gateway: str, questions: list[str]) -> tuple[list[float], list[float]]:
    """Time to the first event and to the final response, one channel reused."""
    first, final = [], []
    with grpc.insecure_channel(gateway) as channel:
        stub = gateway_pb2_grpc.GatewayServiceStub(channel)
        for q in questions:
            started = time.perf_counter()
            for n, response in enumerate(stub.Ask(gateway_pb2.AskRequest(question=q), timeout=60)):
                if n == 0:
                    first.append(time.perf_counter() - started)
                if response.event.HasField("final_response"):
                    final.append(time.perf_counter() - started)
    return first, final


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    system = f"{platform.platform()}, Python {platform.python_version()}"
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, {system}"


async def _analyze_data(urls: DatabaseConfig, questions: list[str]) -> list[float]:
    """Each question's AnalyzeData call on one reused channel, after a warm-up round."""
    analysis = dataclasses.replace(AnalysisConfig.default, today=sample.TODAY.isoformat())
    local = ServerConfig(host="127.0.0.1", port=0, metrics_port=None)
    times = []
    async with opened_findings(urls, analysis) as findings:
        assert findings is not None and findings.ready, "the findings database did not start"
        async with findings.database.owner() as conn:
            await load.load(conn, sample.generate(sample.DEFAULT_SEED, DATA_DIR / "corpus.jsonl"))
        server = build_server(local, OfflineLLM(), findings=findings, analysis=analysis)
        port = await server.start()
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                stub = analysis_pb2_grpc.AnalysisServiceStub(channel)
                for n, question in enumerate(questions[:10] + questions):
                    started = time.perf_counter()
                    request = analysis_pb2.AnalyzeDataRequest(question=question)
                    async for _ in stub.AnalyzeData(request, timeout=30):
                        pass
                    if n >= 10:
                        times.append(time.perf_counter() - started)
        finally:
            await server.stop(0)
    return times


def analyze_data(calls: int) -> list[float]:
    """AnalyzeData offline on the sample: a throwaway PostgreSQL cluster (the one `make up`
    would start), the service in this process, `calls` dev questions (cycled)."""
    lines = FINDINGS_QUESTIONS.read_text().splitlines()
    dev = [json.loads(line)["question"] for line in lines if line.strip()]
    questions = [dev[n % len(dev)] for n in range(calls)]
    root = Path(tempfile.mkdtemp(prefix="arbiter-bench-pg-"))
    os.chmod(root, 0o755)  # as root the server runs as another account, which must enter
    cluster = Cluster(root / "cluster", durable=False)
    try:
        urls = cluster.ensure()
        config = DatabaseConfig(url=urls.owner, reader_url=urls.reader)
        return asyncio.run(_analyze_data(config, questions))
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


def analyze_data_row(times: list[float], calls: int) -> str:
    return f"| {ANALYZE_ROW} ({calls} calls, {dt.date.today().isoformat()}) | {summary(times)} |"


def update_analyze_row(out: Path, row: str) -> None:
    """Replace (or add after the table's last row) the AnalyzeData row of `out`."""
    lines = out.read_text().splitlines() if out.exists() else ["| what |", "|---|"]
    kept = [line for line in lines if ANALYZE_ROW not in line]
    last = max(i for i, line in enumerate(kept) if line.startswith("|"))
    kept.insert(last + 1, row)
    out.write_text("\n".join(kept) + "\n")


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--asks", type=int, default=100)
    p.add_argument("--analyze-calls", type=int, default=200)
    p.add_argument("--only", choices=["analyze-data"])
    p.add_argument("--out", default=str(REPO / "docs" / "benchmarks.md"))
    args = p.parse_args()
    if args.only == "analyze-data":
        row = analyze_data_row(analyze_data(args.analyze_calls), args.analyze_calls)
        update_analyze_row(Path(args.out), row)
        print(row)
        return 0
    corpus = DATA_DIR / "corpus.jsonl"
    store = REPO / ".data" / "bench"
    store.mkdir(parents=True, exist_ok=True)
    env = {"SEARCH_MILVUS_URI": str(store / "milvus.db"), "LLM_PROVIDER": "offline"}
    running = suite.start_all(env=env, log_dir=store / "logs", ephemeral=True)
    try:
        search, gateway = running["search"].target, running["gateway"].target
        started = time.perf_counter()
        subprocess.run(
            [ARBITER, "ingest", "--if-empty", str(corpus), "--search", search], check=True
        )
        ingest_s = time.perf_counter() - started
        queries = [json.loads(line)["text"] for line in (DATA_DIR / "queries_dev.jsonl").open()]
        research = queries[: args.asks]
        greetings = [
            ["Hello!", "Hi there", "Thanks!", "Good morning"][n % 4] for n in range(args.asks)
        ]
        via_grpc(gateway, research[:5])  # warm up caches and channels
        rows = {
            "greeting, `arbiter ask --json` process": via_cli(gateway, greetings),
            "research, `arbiter ask --json` process": via_cli(gateway, research),
        }
        _, g_final = via_grpc(gateway, greetings)
        r_first, r_final = via_grpc(gateway, research)
        rows["greeting, gRPC client, to final_response"] = g_final
        rows["research, gRPC client, to first event"] = r_first
        rows["research, gRPC client, to final_response"] = r_final
    finally:
        for r in reversed(list(running.values())):
            suite.stop(r.process)
    analyze_times = analyze_data(args.analyze_calls)
    lines = [
        "# Benchmarks",
        "",
        f"Machine: {machine()}.",
        "",
        "Command: `make bench` (`scripts/bench.py`): the five services as separate processes",
        "on loopback, the offline LLM provider, the full ObliQA corpus (13,012 passages) in",
        f"Milvus Lite; {args.asks} asks of each kind, the research questions being the first",
        f"{args.asks} ObliQA dev questions (each different, so nothing is cached). The CLI rows",
        "time the whole `arbiter ask --json` process (Python start-up and imports included);",
        "the gRPC rows time one client on a reused channel.",
        "",
        f"Ingest step of this run: {ingest_s:.1f} s (skipped when the store was already filled).",
        "",
        "| what | p50 ms | p95 ms | p99 ms | asks |",
        "|---|---|---|---|---|",
        *[f"| {name} | {summary(values)} |" for name, values in rows.items()],
        analyze_data_row(analyze_times, args.analyze_calls),
        "",
    ]
    out = Path(args.out)
    # Hand-written reading of the numbers lives below the marker and survives re-runs.
    notes = out.read_text().partition(NOTES)[2] if out.exists() else ""
    out.write_text("\n".join(lines) + ("\n" + NOTES + notes if notes else ""))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

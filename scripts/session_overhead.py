"""What persisting sessions costs: the same greeting and research questions asked, one at a
time and interleaved, of two gateways over the same workers — one keeping sessions in memory,
one writing every event to a PostgreSQL event log (a durable throwaway cluster: fsync on) —
timed to the final response by a gRPC client. Search runs on `make eval`'s store (the full
corpus; run `make eval` or `scripts/eval.py --judge-only` once first)."""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import grpc
from arbiter.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from arbiter_cli import suite
from arbiter_cli.postgres import Cluster
from bench import machine
from eval_common import DATA_DIR, STORE


def ask(stub: gateway_pb2_grpc.GatewayServiceStub, question: str) -> float:
    started = time.perf_counter()
    for response in stub.Ask(gateway_pb2.AskRequest(question=question), timeout=60):
        if response.event.HasField("final_response"):
            return time.perf_counter() - started
    raise SystemExit(f"no final response for {question!r}")


def p50_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--asks", type=int, default=100)
    p.add_argument(
        "--no-fsync", action="store_true", help="the cluster without fsync (how much is the disk)"
    )
    args = p.parse_args()
    if not (STORE / "milvus.db").exists():
        raise SystemExit(f"no search store at {STORE}: run `make eval` first")
    root = Path(tempfile.mkdtemp(prefix="arbiter-overhead-"))
    root.chmod(0o755)
    cluster = Cluster(root / "cluster", durable=not args.no_fsync)
    env = {
        "SEARCH_MILVUS_URI": str(STORE / "milvus.db"),
        "SEARCH_GRAPH_URI": str(STORE / "graph"),
        "LLM_PROVIDER": "offline",
    }
    running: dict[str, suite.Running] = {}
    try:
        urls = cluster.ensure()
        running = suite.start_all(env=env, log_dir=root / "logs", ephemeral=True)
        targets = {f"{n.upper()}_TARGET": r.target for n, r in running.items() if n != "gateway"}
        logged = suite.start(
            "gateway",
            port=0,
            env={**env, **targets, "GATEWAY_DATABASE_URL": urls.owner},
            log_dir=root / "logs",
        )
        running["gateway-pg"] = logged
        queries = [json.loads(line)["text"] for line in (DATA_DIR / "queries_dev.jsonl").open()]
        research = queries[: args.asks]
        hellos = ["Hello!", "Hi there", "Thanks!", "Good morning"]
        greetings = [hellos[n % 4] for n in range(args.asks)]
        times: dict[tuple[str, str], list[float]] = {}
        with (
            grpc.insecure_channel(running["gateway"].target) as memory,
            grpc.insecure_channel(logged.target) as postgres,
        ):
            stubs = {
                "memory": gateway_pb2_grpc.GatewayServiceStub(memory),
                "postgres": gateway_pb2_grpc.GatewayServiceStub(postgres),
            }
            for stub in stubs.values():  # warm up channels, caches and pools
                for q in research[:3] + greetings[:3]:
                    ask(stub, q)
            for kind, questions in (("greeting", greetings), ("research", research)):
                for q in questions:
                    for name, stub in stubs.items():
                        times.setdefault((kind, name), []).append(ask(stub, q))
    finally:
        for r in reversed(list(running.values())):
            suite.stop(r.process)
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
    disk = "without fsync" if args.no_fsync else "durable (fsync on)"
    print(f"{machine()}; cluster {disk}; {args.asks} asks of each kind, interleaved, one at a time")
    print("| path | memory p50 ms | PostgreSQL log p50 ms | growth ms |")
    print("|---|---|---|---|")
    for kind in ("greeting", "research"):
        mem, pg = p50_ms(times[(kind, "memory")]), p50_ms(times[(kind, "postgres")])
        print(f"| {kind} | {mem:.1f} | {pg:.1f} | {pg - mem:+.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

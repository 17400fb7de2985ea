"""Context injection on and off: full-corpus ingest time and BM25 Recall@10 on ObliQA dev.

For each setting, starts its own search service (BM25 only, no graph) on a fresh Milvus
Lite store, times `arbiter ingest` of the whole corpus, then runs
`arbiter eval --mode retrieve --retrieval sparse` over the dev questions.

    .venv/bin/python scripts/ingest_ablation.py [--limit N] [--settings off,on]
        [--chunk-tokens 256]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from arbiter_cli import suite

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("ARBITER_DATA_DIR", REPO.parent / "shared" / "data" / "obliqa"))
ARBITER = str(Path(sys.executable).with_name("arbiter"))


def measure(setting: str, *, limit: int, tokens: int, work: Path) -> dict[str, object]:
    env = {
        "SEARCH_CHUNK_TOKENS": str(tokens),
        "SEARCH_MILVUS_URI": str(work / setting / "milvus.db"),
        "SEARCH_EMBEDDER": "none",
        "SEARCH_GRAPH_URI": "none",
        "SEARCH_CONTEXT_INJECTION": "1" if setting == "on" else "0",
    }
    running = suite.start("search", port=0, env=env, log_dir=work / setting / "logs")
    try:
        started = time.perf_counter()
        ingest = subprocess.run(
            [ARBITER, "ingest", str(DATA / "corpus.jsonl"), "--search", running.target],
            capture_output=True,
            text=True,
            check=True,
        )
        seconds = time.perf_counter() - started
        options = {
            "--mode": "retrieve",
            "--retrieval": "sparse",
            "--queries": str(DATA / "queries_dev.jsonl"),
            "--qrels": str(DATA / "qrels_dev.tsv"),
            "--limit": str(limit),
            "--concurrency": "2",
            "--search": running.target,
        }
        evaluated = subprocess.run(
            [ARBITER, "eval", "--json", *(part for pair in options.items() for part in pair)],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        suite.stop(running.process)
    scores = json.loads(evaluated.stdout.strip().splitlines()[-1])
    return {
        "context_injection": setting,
        "chunk_tokens": tokens,
        "ingest_seconds": round(seconds, 1),
        "ingest_summary": ingest.stdout.strip().splitlines()[-1],
        "queries": scores["queries"],
        "recall_at_10": scores["recall_at_10"],
        "map_at_10": scores["map_at_10"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=0, help="dev queries (0: all 2,788)")
    parser.add_argument("--settings", default="off,on")
    parser.add_argument("--chunk-tokens", type=int, default=256)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ingest-ablation-") as tmp:
        for setting in args.settings.split(","):
            print(
                json.dumps(
                    measure(setting, limit=args.limit, tokens=args.chunk_tokens, work=Path(tmp))
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()

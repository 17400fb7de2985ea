"""Compare offline embedder candidates on ObliQA dev: Recall@10 of dense alone, of BM25
alone and of both fused by RRF, plus embedding throughput and resident memory.

The corpus is cut by the service's chunker (no context injection, so every candidate
sees the same text); dense retrieval is exact (numpy), the best chunk standing for its
passage; BM25 comes from Milvus Lite over the same chunks (built once, then reused), with
the query's stop words dropped as the service does. For the chosen default, measure the
real service too (`docs/eval.md`, "Embedder choice")::

    MODELS=services/search/src/arbiter_search/embed/models
    .venv/bin/python scripts/embedder_bench.py onnx $MODELS/minilm-l6-v2-int8
    .venv/bin/python scripts/embedder_bench.py static /tmp/static  # build_embedder.py --kind static
    .venv/bin/python scripts/embedder_bench.py bm25  # query-side term pruning: latency, recall

Prints one JSON object. `--queries N` (default 1000) takes the first N dev questions.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from arbiter_search.embed.local import LocalEmbedder
from arbiter_search.ingest.chunker import Chunker
from arbiter_search.store import schema
from arbiter_search.store.bm25_query import bm25_query
from pymilvus import MilvusClient
from tokenizers import Tokenizer

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("ARBITER_DATA_DIR", REPO.parent / "shared" / "data" / "obliqa"))
WORK = Path(os.environ.get("BENCH_DIR", "/tmp/arbiter-embedder-bench"))
RRF_K = 60
DEPTH = 50
Encode = Callable[[Sequence[str]], np.ndarray]


def static_encoder(folder: Path) -> tuple[Encode, int]:
    """A model2vec static model: mean of token vectors, unit length (numpy only)."""
    raw = (folder / "model.safetensors").read_bytes()
    size = int.from_bytes(raw[:8], "little")
    info = json.loads(raw[8 : 8 + size])["embeddings"]
    start, end = info["data_offsets"]
    dtype = {"F32": np.float32, "F16": np.float16}[info["dtype"]]
    table = np.frombuffer(raw[8 + size + start : 8 + size + end], dtype=dtype)
    table = table.reshape(info["shape"]).astype(np.float32)
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()

    def encode(texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), table.shape[1]), np.float32)
        for row, enc in enumerate(tokenizer.encode_batch(list(texts), add_special_tokens=False)):
            if enc.ids:
                out[row] = table[enc.ids[:512]].mean(0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)

    return encode, table.shape[1]


def chunks() -> tuple[list[str], list[str]]:
    chunker = Chunker()
    sources, texts = [], []
    with (DATA / "corpus.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            for text in chunker.split(row["text"]):
                sources.append(row["id"])
                texts.append(text)
    return sources, texts


def bm25_sources(client: MilvusClient, text: str, limit: int) -> list[str]:
    """The best `limit` passages for `text` by BM25, one per source, as the service asks."""
    found = client.search(
        "bench",
        data=[text],
        anns_field=schema.SPARSE,
        filter='tenant == "b"',
        limit=limit,
        output_fields=[schema.SOURCE_ID.name],
        group_by_field=schema.SOURCE_ID.name,
        group_size=1,
    )
    return [hit["entity"][schema.SOURCE_ID.name] for hit in found[0]]


def bm25_rankings(
    sources: list[str], texts: list[str], queries: list[dict[str, Any]]
) -> tuple[dict[str, list[str]], float]:
    """Top DEPTH passages per query from Milvus Lite, and the p50 search latency (ms)."""
    WORK.mkdir(parents=True, exist_ok=True)
    cache = WORK / f"bm25-{len(texts)}-{len(queries)}.json"
    if cache.exists():
        saved = json.loads(cache.read_text())
        return saved["ranks"], saved["p50_ms"]
    client = MilvusClient(str(WORK / "bm25.db"))
    if client.has_collection("bench"):
        client.drop_collection("bench")
    client.create_collection(
        "bench", schema=schema.collection_schema(client), index_params=schema.index_params(client)
    )
    blank = {column.name: "" for column in schema.SCALARS}
    rows = [
        {**blank, "id": f"{s}#{i}", "tenant": "b", "source_id": s, "chunk_index": 0, "text": t}
        for i, (s, t) in enumerate(zip(sources, texts, strict=True))
    ]
    for start in range(0, len(rows), 1000):
        client.insert("bench", rows[start : start + 1000])
    client.flush("bench")
    ranks, latencies = {}, []
    for query in queries:
        started = time.perf_counter()
        ranks[query["id"]] = bm25_sources(client, bm25_query(query["text"]), DEPTH)
        latencies.append(time.perf_counter() - started)
    client.close()
    p50 = round(1000 * statistics.median(latencies), 1)
    cache.write_text(json.dumps({"ranks": ranks, "p50_ms": p50}))
    return ranks, p50


def pruning_variants(
    texts: list[str], queries: list[dict[str, Any]], gold: dict[str, set[str]]
) -> dict[str, Any]:
    """BM25 latency and Recall@10 with the query as written, without stop words (what the
    service does), and also without words in more than 10% / 5% of chunks (corpus
    statistics the service does not keep: the head-room of a document-frequency cut)."""
    client = MilvusClient(str(WORK / "bm25.db"))
    client.load_collection("bench")
    frequency: collections.Counter[str] = collections.Counter()
    for text in texts:
        frequency.update(set(re.findall(r"\w+", text.lower())))

    def frequent(share: float) -> Callable[[str], str]:
        def cut(query: str) -> str:
            kept = [
                w
                for w in bm25_query(query).split()
                if frequency[w.strip(".,;:?!()").lower()] <= share * len(texts)
            ]
            return " ".join(kept) or query

        return cut

    variants: dict[str, Callable[[str], str]] = {
        "as_written": lambda q: q,
        "stop_words_dropped": bm25_query,
        "and_df_over_10pct": frequent(0.10),
        "and_df_over_5pct": frequent(0.05),
    }
    report = {}
    for name, rewrite in variants.items():
        ranks, latencies, terms = {}, [], []
        for query in queries:
            text = rewrite(query["text"])
            terms.append(len(text.split()))
            started = time.perf_counter()
            ranks[query["id"]] = bm25_sources(client, text, 10)
            latencies.append(time.perf_counter() - started)
        latencies.sort()
        report[name] = {
            "recall_at_10": recall_at_10(ranks, gold),
            "p50_ms": round(1000 * latencies[len(latencies) // 2], 1),
            "p90_ms": round(1000 * latencies[int(len(latencies) * 0.9)], 1),
            "mean_terms": round(statistics.mean(terms), 1),
        }
    client.close()
    return report


def dense_rankings(
    doc_vectors: np.ndarray, query_vectors: np.ndarray, sources: list[str], ids: list[str]
) -> dict[str, list[str]]:
    """Top DEPTH passages per query by cosine, each passage scored by its best chunk."""
    source_names = sorted(set(sources))
    index = {s: n for n, s in enumerate(source_names)}
    column = np.array([index[s] for s in sources])
    ranks = {}
    for start in range(0, len(ids), 256):
        scores = query_vectors[start : start + 256] @ doc_vectors.T
        best = np.full((scores.shape[0], len(source_names)), -2.0, np.float32)
        np.maximum.at(best.T, column, scores.T)
        top = np.argsort(-best, axis=1)[:, :DEPTH]
        for row, qid in enumerate(ids[start : start + 256]):
            ranks[qid] = [source_names[i] for i in top[row]]
    return ranks


def rrf(*rankings: list[str]) -> list[str]:
    score: dict[str, float] = {}
    for ranking in rankings:
        for rank, source in enumerate(ranking):
            score[source] = score.get(source, 0.0) + 1.0 / (RRF_K + rank + 1)
    return sorted(score, key=lambda s: -score[s])


def recall_at_10(ranks: dict[str, list[str]], gold: dict[str, set[str]], depth: int = 10) -> float:
    return round(
        statistics.mean(len(set(ranks[q][:depth]) & g) / len(g) for q, g in gold.items()), 4
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=("onnx", "static", "bm25"))
    parser.add_argument("folder", type=Path, nargs="?")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--max-tokens", type=int, default=0, help="onnx: cut texts shorter")
    args = parser.parse_args()
    queries = [json.loads(line) for line in (DATA / "queries_dev.jsonl").open(encoding="utf-8")]
    queries = queries[: args.queries]
    gold: dict[str, set[str]] = {}
    with (DATA / "qrels_dev.tsv").open(encoding="utf-8") as lines:
        next(lines)
        wanted = {q["id"] for q in queries}
        for line in lines:
            qid, doc, _ = line.rstrip("\n").split("\t")
            if qid in wanted:
                gold.setdefault(qid, set()).add(doc)
    sources, texts = chunks()
    bm25, bm25_p50 = bm25_rankings(sources, texts, queries)
    if args.kind == "bm25":
        report = pruning_variants(texts, queries, gold)
        print(json.dumps({"queries": len(gold), "load_average": os.getloadavg()[0], **report}))
        return

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if args.kind == "onnx":
        encode: Encode = LocalEmbedder(args.folder, max_tokens=args.max_tokens).embed
    else:
        encode, _ = static_encoder(args.folder)
    started, cpu = time.perf_counter(), time.process_time()
    doc_vectors = np.concatenate([encode(texts[i : i + 512]) for i in range(0, len(texts), 512)])
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    ids = [q["id"] for q in queries]
    started = time.perf_counter()
    query_vectors = np.stack([encode([q["text"]])[0] for q in queries])
    query_ms = 1000 * (time.perf_counter() - started) / len(queries)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    dense = dense_rankings(doc_vectors, query_vectors, sources, ids)
    hybrid = {q: rrf(bm25[q], dense[q]) for q in ids}
    print(
        json.dumps(
            {
                "kind": args.kind,
                "folder": str(args.folder),
                "max_tokens": args.max_tokens or None,
                "queries": len(gold),
                "chunks": len(texts),
                "recall_at_10": {
                    "bm25": recall_at_10(bm25, gold),
                    "dense": recall_at_10(dense, gold),
                    "hybrid_rrf": recall_at_10(hybrid, gold),
                },
                # What a reranker over DEPTH candidates can reach at best.
                f"recall_at_{DEPTH}": {
                    "bm25": recall_at_10(bm25, gold, DEPTH),
                    "dense": recall_at_10(dense, gold, DEPTH),
                    "hybrid_rrf": recall_at_10(hybrid, gold, DEPTH),
                },
                "bm25_p50_ms": bm25_p50,
                "embed_seconds": round(seconds, 1),
                "passages_per_second": round(len(texts) / seconds, 1),
                # CPU time does not depend on what else the machine runs.
                "passages_per_cpu_second": round(len(texts) / cpu, 1),
                "query_ms": round(query_ms, 2),
                "max_rss_mb": rss // 1024,
                "rss_growth_mb": (rss - rss_before) // 1024,
                "load_average": os.getloadavg()[0],
            }
        )
    )


if __name__ == "__main__":
    sys.exit(main())

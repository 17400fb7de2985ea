"""Refit the lexical reranker's weights (arbiter_search.research.rerank.WEIGHTS) on ObliQA dev.

Asks a running search service for each question's candidates (Retrieve, top 50, the
service's default retrieval), computes the reranker's features, and fits the weights by
coordinate ascent on MAP@10 + Recall@10 over the first `--tune` dev questions; prints
the metrics of the retrieval order, the current weights and the fitted weights on the
tuning questions, on the rest of dev, and on ObliQA-MP val. Paste the fitted weights
into rerank.py only if they also win on the held-out rows::

    python scripts/fit_rerank.py --search 127.0.0.1:50053 [--tune 1000] [--limit 0]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
from arbiter.search.v1 import search_pb2, search_pb2_grpc
from arbiter_llm import TaskInput
from arbiter_search.research.field_selector import OfflineFieldRules
from arbiter_search.research.rerank import FEATURES, WEIGHTS, features
from arbiter_search.research.terms import question_terms
from arbiter_search.store.base import Hit
from arbiter_search.store.filters import Condition

REPO = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("ARBITER_DATA_DIR", REPO.parent / "shared" / "data" / "obliqa"))
CANDIDATES = 50
IN_FLIGHT = 4
Rows = dict[str, tuple[list[str], list[tuple[float, ...]]]]


def read(split: str, limit: int) -> tuple[list[tuple[str, str]], dict[str, set[str]]]:
    lines = (DATA_DIR / f"queries_{split}.jsonl").read_text().splitlines()
    questions = [(q["id"], q["text"]) for q in map(json.loads, lines)]
    relevant: dict[str, set[str]] = {}
    for line in (DATA_DIR / f"qrels_{split}.tsv").read_text().splitlines()[1:]:
        qid, doc, score = line.split("\t")
        if int(score) > 0:
            relevant.setdefault(qid, set()).add(doc)
    return questions[:limit] if limit else questions, relevant


def candidates(stub: search_pb2_grpc.SearchServiceStub, questions: list[tuple[str, str]]) -> Rows:
    """Each question's candidates and their features, asked IN_FLIGHT at a time."""

    def one(question: tuple[str, str]) -> tuple[list[str], list[tuple[float, ...]]]:
        text = question[1]
        reply = stub.Retrieve(search_pb2.RetrieveRequest(query=text, top_k=CANDIDATES), timeout=60)
        hits = [
            Hit(p.id, p.source_id, 0, p.document_id, p.rulebook, p.passage_ref, p.title, "",
                p.text, p.score, p.similarity)
            for p in reply.passages
        ]  # fmt: skip
        chosen = OfflineFieldRules()(TaskInput(values={"question": text, "hints": "[]"}))
        preferences = [Condition(f["field"], tuple(f["any_of"])) for f in chosen["filters"]]
        matrix = features(question_terms(text), hits, preferences=preferences) if hits else []
        return [h.source_id for h in hits], matrix

    rows: Rows = {}
    with ThreadPoolExecutor(IN_FLIGHT) as pool:
        for n, ((qid, _), row) in enumerate(zip(questions, pool.map(one, questions), strict=True)):
            rows[qid] = row
            if n % 250 == 0:
                print(f"  {n} of {len(questions)}", file=sys.stderr)
    return rows


def evaluate(
    rows: Rows, relevant: dict[str, set[str]], weights: Sequence[float]
) -> dict[str, float]:
    recall = average_precision = 0.0
    judged = [q for q in rows if q in relevant]
    for qid in judged:
        ids, matrix = rows[qid]
        scores = [sum(w * f for w, f in zip(weights, row, strict=True)) for row in matrix]
        ranked = list(
            dict.fromkeys(ids[i] for i in sorted(range(len(ids)), key=lambda i: -scores[i]))
        )
        gold, hits, precision = relevant[qid], 0, 0.0
        for rank, doc in enumerate(ranked[:10], 1):
            if doc in gold:
                hits += 1
                precision += hits / rank
        recall += hits / len(gold)
        average_precision += precision / len(gold)
    n = max(len(judged), 1)
    return {"recall_at_10": round(recall / n, 4), "map_at_10": round(average_precision / n, 4)}


def fit(score: Callable[[Sequence[float]], float], start: Sequence[float]) -> list[float]:
    weights, best = list(start), score(start)
    for step in (1.0, 0.5, 0.25, 0.1, 0.05):
        improved = True
        while improved:
            improved = False
            for j in range(len(weights)):
                for delta in (step, -step):
                    trial = [*weights[:j], round(weights[j] + delta, 3), *weights[j + 1 :]]
                    value = score(trial)
                    if value > best + 1e-5:
                        weights, best, improved = trial, value, True
    return weights


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--search", default=os.environ.get("ARBITER_SEARCH", "127.0.0.1:50053"))
    p.add_argument("--tune", type=int, default=1000, help="dev questions to fit on (the first N)")
    p.add_argument("--limit", type=int, default=0, help="questions per set (0: all)")
    p.add_argument(
        "--rows",
        type=Path,
        help="keep the candidates' features in this file, and reuse them when it exists "
        "(refit without asking the service again)",
    )
    args = p.parse_args()
    dev, dev_relevant = read("dev", args.limit)
    mp, mp_relevant = read("mp_val", args.limit)
    if args.rows and args.rows.exists():
        saved = json.loads(args.rows.read_text())
        dev_rows, mp_rows = saved["dev"], saved["mp"]
    else:
        with grpc.insecure_channel(args.search) as channel:
            stub = search_pb2_grpc.SearchServiceStub(channel)
            dev_rows, mp_rows = candidates(stub, dev), candidates(stub, mp)
        if args.rows:
            args.rows.write_text(json.dumps({"dev": dev_rows, "mp": mp_rows}))
    tune = {q: dev_rows[q] for q, _ in dev[: args.tune]}
    held = {q: dev_rows[q] for q, _ in dev[args.tune :]}

    def objective(weights: Sequence[float]) -> float:
        return sum(evaluate(tune, dev_relevant, weights).values())

    retrieval_order = [1.0 if name == "rank" else 0.0 for name in FEATURES]
    fitted = fit(objective, WEIGHTS)
    for label, weights in (
        ("retrieval", retrieval_order),
        ("current", WEIGHTS),
        ("fitted", fitted),
    ):
        print(label, dict(zip(FEATURES, weights, strict=True)) if label == "fitted" else "")
        print(f"  tune ({len(tune)})", evaluate(tune, dev_relevant, weights))
        print(f"  held-out dev ({len(held)})", evaluate(held, dev_relevant, weights))
        print(f"  MP val ({len(mp_rows)})", evaluate(mp_rows, mp_relevant, weights))
    return 0


if __name__ == "__main__":
    sys.exit(main())

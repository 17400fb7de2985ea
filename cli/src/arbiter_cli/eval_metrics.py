"""The ranking metrics of `arbiter eval`, for one query (a ranked list of passage ids and
the set of relevant ones) and as means over a query set.

They follow trec_eval / pytrec_eval (recall_5, recall_10, map_cut_10, ndcg_cut_10 with
binary gains) plus MRR@10, so the numbers compare with the benchmark's published ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

METRIC_NAMES = ("Recall@5", "Recall@10", "MAP@10", "nDCG@10", "MRR@10")


def dedupe(ids: Sequence[str]) -> list[str]:
    """The ranked ids with repeats (and empty ids) removed, first occurrence kept."""
    return [i for i in dict.fromkeys(ids) if i]


def recall_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def average_precision_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """trec_eval's map_cut_k: precision at each relevant rank, over all relevant docs."""
    found, total = 0, 0.0
    for rank, doc in enumerate(ranked[:k], start=1):
        if doc in relevant:
            found += 1
            total += found / rank
    return total / len(relevant)


def ndcg_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    dcg = sum(1 / math.log2(r + 1) for r, d in enumerate(ranked[:k], 1) if d in relevant)
    ideal = sum(1 / math.log2(r + 1) for r in range(1, min(len(relevant), k) + 1))
    return dcg / ideal


def reciprocal_rank_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    return next((1 / r for r, d in enumerate(ranked[:k], 1) if d in relevant), 0.0)


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Scores:
    """Mean metrics over the judged queries."""

    recall_at_5: float
    recall_at_10: float
    map_at_10: float
    ndcg_at_10: float
    mrr_at_10: float

    @classmethod
    def of(cls, rankings: Sequence[tuple[Sequence[str], set[str]]]) -> Scores:
        n = max(len(rankings), 1)

        def mean(metric: Callable[[Sequence[str], set[str], int], float], k: int) -> float:
            return sum(metric(dedupe(r), rel, k) for r, rel in rankings) / n

        return cls(
            recall_at_5=mean(recall_at, 5),
            recall_at_10=mean(recall_at, 10),
            map_at_10=mean(average_precision_at, 10),
            ndcg_at_10=mean(ndcg_at, 10),
            mrr_at_10=mean(reciprocal_rank_at, 10),
        )


@dataclass(frozen=True)
class Share:
    """`hits` of `total`, and their ratio (0 of none): an accuracy, a recall over cases."""

    hits: int
    total: int

    @property
    def value(self) -> float:
        return self.hits / self.total if self.total else 0.0

    @classmethod
    def of(cls, flags: Iterable[bool]) -> Share:
        listed = list(flags)
        return cls(sum(listed), len(listed))

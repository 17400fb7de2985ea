"""The ranking metrics of `arbiter eval` against hand-computed values (trec_eval's
definitions), and the query and qrels readers."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from arbiter_cli.eval_inputs import InputError, read_qrels, read_queries
from arbiter_cli.eval_metrics import (
    Scores,
    average_precision_at,
    dedupe,
    ndcg_at,
    percentile,
    recall_at,
    reciprocal_rank_at,
)

from tests.cli.conftest import QRELS, QUERIES


def test_two_relevant_at_ranks_1_and_4() -> None:
    ranked, relevant = ["a", "x", "y", "b", "z"], {"a", "b"}
    assert recall_at(ranked, relevant, 1) == 0.5
    assert recall_at(ranked, relevant, 5) == recall_at(ranked, relevant, 10) == 1.0
    assert average_precision_at(ranked, relevant, 10) == pytest.approx((1 / 1 + 2 / 4) / 2)
    dcg = 1 / math.log2(2) + 1 / math.log2(5)
    ideal = 1 / math.log2(2) + 1 / math.log2(3)
    assert ndcg_at(ranked, relevant, 10) == pytest.approx(dcg / ideal)
    assert ndcg_at(ranked, relevant, 10) == pytest.approx(0.877215, abs=1e-6)
    assert reciprocal_rank_at(ranked, relevant, 10) == 1.0


def test_nothing_relevant_found_scores_zero() -> None:
    ranked, relevant = ["x", "y", "z"], {"a"}
    for metric in (recall_at, average_precision_at, ndcg_at, reciprocal_rank_at):
        assert metric(ranked, relevant, 10) == 0.0
    assert Scores.of([([], {"a"})]) == Scores(0.0, 0.0, 0.0, 0.0, 0.0)


def test_a_relevant_doc_past_the_cut_does_not_count() -> None:
    ranked = [f"x{n}" for n in range(10)] + ["a"]
    assert recall_at(ranked, {"a"}, 10) == 0.0
    assert reciprocal_rank_at(ranked, {"a"}, 10) == 0.0
    assert recall_at(ranked, {"a"}, 11) == 1.0


def test_map_divides_by_every_relevant_doc_and_ndcg_caps_the_ideal_at_k() -> None:
    relevant = {f"r{n}" for n in range(12)}
    ranked = sorted(relevant)[:10]
    assert average_precision_at(ranked, relevant, 10) == pytest.approx(10 / 12)
    assert ndcg_at(ranked, relevant, 10) == pytest.approx(1.0)
    assert recall_at(ranked, relevant, 10) == pytest.approx(10 / 12)


def test_duplicates_count_once_at_their_first_rank() -> None:
    assert dedupe(["x", "x", "a", "", "x", "b", "a"]) == ["x", "a", "b"]
    scores = Scores.of([(["x", "x", "a", "x", "b"], {"a", "b"})])
    assert scores.mrr_at_10 == 0.5
    assert scores.map_at_10 == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert scores.recall_at_5 == 1.0


def test_scores_are_means_over_queries() -> None:
    scores = Scores.of([(["a"], {"a"}), (["x"], {"b"}), (["x", "c"], {"c", "d"})])
    assert scores.recall_at_10 == pytest.approx((1 + 0 + 0.5) / 3)
    assert scores.mrr_at_10 == pytest.approx((1 + 0 + 0.5) / 3)
    assert scores.map_at_10 == pytest.approx((1 + 0 + 0.25) / 3)


def test_percentiles_interpolate_between_ranks() -> None:
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 0.5) == pytest.approx(50.5)
    assert percentile(values, 0.99) == pytest.approx(99.01)
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) == 0.0


def test_reads_the_fixture_files() -> None:
    queries = read_queries(QUERIES)
    assert [q.id for q in queries][:2] == ["q-sar", "q-client-money"]
    qrels = read_qrels(QRELS)
    assert qrels["q-two"] == {"fx-aml-2", "fx-aml-3"}
    assert "q-unjudged" not in qrels
    assert qrels["q-absent"] == {"fx-not-in-the-corpus"}  # the score-0 row is not relevant


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("q\td\tscore\nq1\td1\t1\n", "first line must be"),
        ("query_id\tdoc_id\tscore\nq1\td1\n", ":2: want query_id, doc_id, score"),
        ("query_id\tdoc_id\tscore\nq1\td1\thigh\n", ":2: want query_id, doc_id, score"),
    ],
)
def test_malformed_qrels_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "qrels.tsv"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        read_qrels(path)


def test_malformed_queries_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "queries.jsonl"
    path.write_text('{"id": "a", "text": "fine"}\n\n{"id": "b"}\n')
    with pytest.raises(InputError, match=r"queries.jsonl:3: not a JSON object with id, text"):
        read_queries(path)
    with pytest.raises(InputError, match="cannot read queries"):
        read_queries(tmp_path / "missing.jsonl")

"""`eval_judge_report`: the `--json` object and the docs table, over constructed runs
(one answered, one where every call failed)."""

from __future__ import annotations

import json

from arbiter_cli.eval_judge_report import LISTED_IDS, JudgeSummary, markdown_table
from arbiter_cli.judge_scoring import FAILED, Case, Judged, Scored

RULE = "bbbbbbbb-0000-4000-8000-000000000001"


def case(id: str, expected: str, ref: str) -> Case:
    return Case(id, f"situation {id}", expected, frozenset({RULE}), (ref,))


def answered() -> JudgeSummary:
    scored = [
        Scored(
            case("J1", "BREACH", "AML 8.1.1"),
            Judged(got="BREACH", cited=frozenset({RULE}), trial_turns=3, seconds=0.2,
                   judge_seconds=0.1),
        ),
        Scored(
            case("J2", "COMPLIANT", "GEN 6.6.2"),
            Judged(got="BREACH", seconds=0.4, judge_seconds=0.3, trial_turns=3, overturned=True),
        ),
    ]  # fmt: skip
    return JudgeSummary(scored, "direct", "search a then audit b", 1.0)


def all_failed(count: int) -> JudgeSummary:
    scored = [
        Scored(case(f"K{i}", "COMPLIANT", "PRU 9.3.12"), Judged(got=FAILED, note="UNAVAILABLE"))
        for i in range(count)
    ]
    return JudgeSummary(scored, "gateway", "gateway c", 1.0)


def test_the_json_object_is_plain_json_with_every_measure() -> None:
    summary = json.loads(json.dumps(answered().to_json()))
    assert summary["accuracy"] == {"value": 0.5, "hits": 1, "total": 2}
    assert summary["per_label"]["BREACH"]["precision"] == 0.5
    assert summary["trial_rate"] == {"value": 1.0, "hits": 2, "total": 2}
    assert summary["overturned"] == 1
    assert summary["p50_ms"] == 300.0
    assert summary["judge_p50_ms"] == 200.0
    assert list(summary["per_rulebook"]) == ["AML", "GEN"]
    assert [c["id"] for c in summary["per_case"]] == ["J1", "J2"]


def test_with_every_call_failed_there_is_no_latency_to_report() -> None:
    summary = all_failed(3)
    assert summary.to_json()["p50_ms"] is None
    assert summary.to_json()["judge_p99_ms"] is None
    text = summary.table()
    assert "p50 / p99 per case" in text and "- / -" in text
    assert "failed 3: K0: UNAVAILABLE" in text


def test_the_docs_table_puts_runs_side_by_side() -> None:
    many = LISTED_IDS + 3
    lines = markdown_table(
        [("direct", answered().to_json()), ("gateway", all_failed(many).to_json())]
    )
    assert lines[0] == "| | direct | gateway |"
    assert all(line.count("|") == 4 for line in lines)  # every row has both columns
    rows = {line.split(" | ")[0].lstrip("| "): line for line in lines[2:]}
    assert rows["disposition accuracy"].endswith(f"| 0.500 (1/2) | 0.000 (0/{many}) |")
    assert "| 0.50 / 1.00 / 0.67 |" in rows["BREACH P / R / F1"]
    assert "| 200 / 298 | - / - |" in rows["Judge alone p50 / p99 ms"]  # 100 + 0.99 * 200
    assert "| - / - |" in rows["p50 / p99 ms per case"]
    # A rulebook only one run has is a dash in the other.
    assert rows["rulebook PRU: accuracy"] == f"| rulebook PRU: accuracy | - | 0.000 (0/{many}) |"
    # Long id lists are cut, the rest counted.
    assert rows["failed calls"].endswith(f"K{LISTED_IDS - 1} and 3 more |")
    assert rows["decided wrongly"].startswith("| decided wrongly | J2 | K0 K1")

"""The held-out questions (`heldout.jsonl`, written without reading the parser, with
hand-written gold SQL): every one either maps to SQL that runs on the sample database as
the read-only role, or is Unmapped. Their accuracy is `arbiter eval-sql`'s to report
(`make eval`, docs/eval.md), not a test's."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import asyncpg
from arbiter_analysis.text2sql import Translation, translate

from tests.support.postgres import FindingsDb

HELDOUT = Path(__file__).with_name("heldout.jsonl")
KINDS = {
    "count", "aggregate", "filter_list", "time_trend", "top_n", "join", "remediation_time",
    "comparison_ratio", "followup_synonym",
}  # fmt: skip


def questions() -> list[dict[str, object]]:
    return [json.loads(line) for line in HELDOUT.read_text().splitlines()]


def test_the_heldout_set_covers_every_kind() -> None:
    found = questions()
    kinds = Counter(q["kind"] for q in found)
    assert len(found) >= 60 and set(kinds) == KINDS and min(kinds.values()) >= 5
    assert len({q["id"] for q in found}) == len(found)


async def test_every_heldout_question_runs_or_is_unmapped(findings_db: FindingsDb) -> None:
    conn = await asyncpg.connect(findings_db.reader)
    mapped = 0
    try:
        for q in questions():
            await conn.fetch(str(q["gold_sql"]))  # the gold itself runs as the reader
            answer = translate(str(q["question"]), today=dt.date(2026, 1, 15))
            if isinstance(answer, Translation):
                await conn.fetch(answer.sql)  # raises on any error
                mapped += 1
    finally:
        await conn.close()
    assert mapped >= len(questions()) // 2

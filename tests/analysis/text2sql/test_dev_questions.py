"""Every dev question either maps to SQL that runs on the sample database as the
read-only role, or is Unmapped (the accuracy itself is `make eval`'s to report)."""

from __future__ import annotations

import datetime as dt
import json

import asyncpg
from arbiter_analysis.text2sql import Translation, translate
from arbiter_cli.suite import data_dir

from tests.support.postgres import FindingsDb

QUESTIONS = data_dir().parent / "findings" / "questions_dev.jsonl"


async def test_every_dev_question_runs_or_is_unmapped(findings_db: FindingsDb) -> None:
    questions = [json.loads(line) for line in QUESTIONS.read_text().splitlines()]
    conn = await asyncpg.connect(findings_db.reader)
    mapped = 0
    try:
        for q in questions:
            answer = translate(q["question"], today=dt.date(2026, 1, 15))
            if isinstance(answer, Translation):
                await conn.fetch(answer.sql)  # raises on any error
                mapped += 1
    finally:
        await conn.close()
    assert mapped >= len(questions) // 2

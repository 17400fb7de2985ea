"""The attack corpus (`sql/attacks.jsonl`) through the whole service: every entry answered
by the model as its SQL (the guard refuses it, the offline translation runs instead), and
every entry's text sent as the question with the offline provider. Nothing hostile runs:
the database is unchanged, and any SQL in a result passes the guard and is exactly the
offline translation of the question."""

from __future__ import annotations

from tests.analysis.analyze_calls import Stub, analyse_all, fingerprint, offline_sql
from tests.analysis.sql.test_attacks import ENTRIES
from tests.support.openai_server import OpenAIServer, Reply
from tests.support.postgres import FindingsDb

QUESTIONS = (
    "How many thematic audits started in 2023?",
    "What is the weather like in Abu Dhabi tomorrow?",
)
"""What the model is asked while it answers with an attack: a question the offline rules
map (to one number: the cheapest whole flow) and one they cannot."""
REJECTED = ("refused: ", "the model's answer was unusable")


async def test_attacks_as_the_models_sql_never_run(
    model_data_analysis: Stub, model: OpenAIServer, findings_db: FindingsDb
) -> None:
    before = await fingerprint(findings_db)
    attacks = [entry["sql"] for entry in ENTRIES]
    model.script(*(Reply.json({"sql": sql, "explanation": "x"}) for sql in attacks))
    questions = [QUESTIONS[n % len(QUESTIONS)] for n in range(len(attacks))]
    answered = await analyse_all(model_data_analysis, questions)
    # One model call per question: no attack passed the guard to fail in the database and
    # earn a repair round.
    assert len(model.chat_requests()) == len(attacks)
    for question, out in zip(questions, answered, strict=True):
        assert out.result.sql == offline_sql(question), question
        if out.result.sql:
            # Refused by the guard, or by the output schema first (e.g. over 8,000 characters).
            assert out.said("check_sql").startswith(REJECTED), out.said("check_sql")
    assert await fingerprint(findings_db) == before


async def test_attacks_as_the_question_never_run(
    data_analysis: Stub, findings_db: FindingsDb
) -> None:
    before = await fingerprint(findings_db)
    questions = [entry["sql"][:4000] for entry in ENTRIES]
    answered = await analyse_all(data_analysis, questions)
    for question, out in zip(questions, answered, strict=True):
        assert out.result.sql == offline_sql(question.strip()), question
    assert await fingerprint(findings_db) == before

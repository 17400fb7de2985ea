"""The classify step's offline rules against its own contract (schema and checks), and
the decomposition of compound questions."""

from __future__ import annotations

import pytest
from arbiter_llm import OfflineLLM, TaskInput
from arbiter_planner.decompose import QueryDecomposer
from arbiter_planner.intent import IntentClassifier

QUESTIONS = [
    "What must a firm do when it suspects money laundering?",
    "A firm onboarded a high-risk customer without enhanced due diligence - is that a breach?",
    "How many findings per rulebook in 2024, and what is the trend?",
    "What is a PEP? What enhanced due diligence applies to politically exposed persons?",
    "Explain CDD under AML; and also the client money rules; and also the fees for funds",
    "x",
    "1) What is CDD?\n2) When must a firm file a report?\n3) What does the MLRO do?",
]


@pytest.mark.parametrize("question", QUESTIONS)
def test_offline_output_satisfies_the_task_contract(question: str) -> None:
    task = IntentClassifier(OfflineLLM()).task
    data = TaskInput(values={"question": question})
    output = task.run_offline(data)
    assert task.problems(output, data) == []


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        ("What must a firm do when it suspects money laundering?", 1),
        ("How many findings per rulebook in 2024, and what is the trend?", 1),
        (
            "What are the capital requirements for banks, and how many findings about "
            "capital were recorded in 2023?",
            2,
        ),
        ("Explain customer due diligence under AML; and also the client money rules", 2),
        (
            "- What records must a firm keep about customers?\n"
            "- How long must transaction records be retained?",
            2,
        ),
    ],
)
def test_decomposition(question: str, parts: int) -> None:
    found = QueryDecomposer().split(question)
    assert len(found) == parts
    assert all(p and p[0].isupper() and not p.startswith("-") for p in found)


def test_thin_parts_stay_with_their_neighbour() -> None:
    question = "How many findings per rulebook in 2024, and what is the trend?"
    assert QueryDecomposer().split(question) == [question]


def classify(question: str) -> dict[str, object]:
    task = IntentClassifier(OfflineLLM()).task
    return task.run_offline(TaskInput(values={"question": question}))


def test_the_statements_before_a_judgement_are_its_situation() -> None:
    # Split at ";" the first part reads as research; it is the situation being judged.
    question = (
        "A custodian keeps due-diligence evidence for each CRS report for seven years; "
        "in 2024 it destroyed the records supporting the report it filed in 2017. "
        "Is this a breach of the rules?"
    )
    output = classify(question)
    assert output["intent"] == "JUDGEMENT"
    [sub] = output["sub_queries"]  # type: ignore[misc]
    assert sub["query"].startswith("A custodian keeps due-diligence evidence")
    assert "destroyed the records" in sub["query"]


def test_a_research_question_before_a_judgement_stays_a_question_of_its_own() -> None:
    question = (
        "What records must a CRS custodian keep? Separately, a custodian destroyed its "
        "2017 CRS records in 2024 - is that a breach?"
    )
    intents = [s["intent"] for s in classify(question)["sub_queries"]]  # type: ignore[attr-defined]
    assert intents == ["RESEARCH", "JUDGEMENT"]

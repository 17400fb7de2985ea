"""Synthesize with a data analysis: the answer explains the analysis's figures and cites
the findings database (its SQL as the reference) beside the passages, numbered by first
use; says when the data is the sample; says so when the analysis could not answer; and
with a model, an answer that states a number the data does not is not used."""

from __future__ import annotations

from arbiter.analysis.v1 import analysis_pb2, analysis_pb2_grpc
from arbiter_analysis.data_evidence import SAMPLE_NOTE, numbers
from arbiter_llm.citations import markers

from tests.analysis.conftest import PASSAGES, QUESTION
from tests.analysis.test_synthesize import synthesize
from tests.support.openai_server import OpenAIServer, Reply

Stub = analysis_pb2_grpc.AnalysisServiceStub
TREND = "How many findings per rulebook in 2024, and what is the trend?"


async def analyse(stub: Stub, question: str) -> analysis_pb2.AnalyzeDataResult:
    results = []
    request = analysis_pb2.AnalyzeDataRequest(question=question)
    async for message in stub.AnalyzeData(request, timeout=30):
        if message.HasField("result"):
            results.append(message.result)
    assert len(results) == 1
    return results[0]


def stated(data: analysis_pb2.AnalyzeDataResult, question: str) -> set[object]:
    cells = " ".join(" ".join(row.cells) for row in data.table.rows)
    return numbers(f"{question} {data.summary} {cells}")


async def test_the_answer_explains_the_figures_and_cites_the_database(
    data_analysis: Stub, analysis: Stub
) -> None:
    data = await analyse(data_analysis, TREND)
    out = await synthesize(analysis, TREND, data=data)
    answer = out.result.answer
    assert "".join(out.deltas) == answer
    # Every figure of the summary is in the answer, and no number the data does not state.
    summary = data.summary.split(":", 1)[1]
    assert numbers(summary) <= numbers(answer)
    assert numbers(answer) - stated(data, TREND) <= {len(data.table.rows)}
    assert SAMPLE_NOTE in answer
    [citation] = out.result.citations
    assert (citation.index, citation.source_id) == (1, "findings")
    assert citation.passage_ref == data.sql
    assert citation.title == "Findings database (sample data)"
    assert set(markers(answer)) == {1}
    assert out.result.reflection.outcome == 1, out.result.reflection.notes  # ACCEPTED


async def test_a_compound_answer_cites_the_passages_and_the_data(
    data_analysis: Stub, analysis: Stub
) -> None:
    question = f"{QUESTION} {TREND}"
    data = await analyse(data_analysis, TREND)
    out = await synthesize(analysis, question, passages=PASSAGES, data=data)
    citations = out.result.citations
    assert [c.index for c in citations] == list(range(1, len(citations) + 1))
    kinds = [c.source_id == "findings" for c in citations]
    assert kinds.count(True) == 1 and kinds.count(False) >= 1
    # The data is explained first, so it is [1]; the passages follow in order of use.
    assert citations[0].source_id == "findings"
    assert {c.source_id for c in citations[1:]} <= {p.source_id for p in PASSAGES}
    assert sorted(set(markers(out.result.answer))) == [c.index for c in citations]


async def test_an_unmapped_question_says_so_and_invents_nothing(
    data_analysis: Stub, analysis: Stub
) -> None:
    question = "What colour is the sky above the findings?"
    data = await analyse(data_analysis, question)
    assert not data.sql
    out = await synthesize(analysis, question, data=data)
    answer = out.result.answer
    assert answer.startswith("I can't answer that from the findings database")
    assert "I can answer questions like these:" in answer
    assert not out.result.citations and not markers(answer)
    assert "cite no passage" not in answer
    assert SAMPLE_NOTE not in answer


async def test_a_model_answer_with_a_number_of_its_own_is_not_used(
    data_analysis: Stub, model_analysis: Stub, model: OpenAIServer
) -> None:
    data = await analyse(data_analysis, "How many findings are there?")
    total = data.summary.rsplit(" ", 1)[-1].rstrip(".")
    model.script(Reply.stream("There are 98,765 findings in the database [1]."))
    out = await synthesize(model_analysis, "How many findings are there?", data=data)
    answer = out.result.answer
    assert "98,765" not in answer
    assert total in answer  # the offline explanation, from the data's own figures
    assert "states numbers the data does not" in out.messages[-1]


async def test_a_model_answer_from_the_data_is_kept(
    data_analysis: Stub, model_analysis: Stub, model: OpenAIServer
) -> None:
    data = await analyse(data_analysis, "How many findings are there?")
    total = data.summary.rsplit(" ", 1)[-1].rstrip(".")
    text = f"The sample holds {total} findings [1]. Note: this is sample data."
    model.script(Reply.stream(text))
    out = await synthesize(model_analysis, "How many findings are there?", data=data)
    assert out.result.answer.startswith(f"The sample holds {total} findings [1].")
    assert [c.source_id for c in out.result.citations] == ["findings"]
    prompt = model.chat_requests()[-1].text()
    assert data.sql in prompt and "Findings database (sample data)" in prompt

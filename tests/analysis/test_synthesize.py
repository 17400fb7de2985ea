"""Synthesize over gRPC: the stream's shape, numbered citations with verbatim quotes,
honest answers without support, missing items, reflection, and the model path with its
fallbacks; AnalyzeData without a findings database; input limits; health."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import grpc
import pytest
from arbiter.analysis.v1 import analysis_pb2, analysis_pb2_grpc
from arbiter.common.v1 import common_pb2
from arbiter_analysis.composer import synthesis_input, synthesis_task
from arbiter_llm.citations import markers
from arbiter_llm.openai_compatible import CONTINUATION_NOTE

from tests.analysis.conftest import PASSAGES, QUESTION
from tests.support.openai_server import OpenAIServer, Reply
from tests.support.servers import assert_invalid_argument, health

Stub = analysis_pb2_grpc.AnalysisServiceStub


@dataclass
class Drained:
    kinds: list[str] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    deltas: list[str] = field(default_factory=list)
    results: list[analysis_pb2.SynthesisResult] = field(default_factory=list)

    @property
    def result(self) -> analysis_pb2.SynthesisResult:
        assert len(self.results) == 1
        return self.results[0]


async def synthesize(stub: Stub, question: str = QUESTION, **kwargs: object) -> Drained:
    request = analysis_pb2.SynthesizeRequest(question=question, **kwargs)  # type: ignore[arg-type]
    out = Drained()
    async for message in stub.Synthesize(request, timeout=10):
        kind = message.WhichOneof("kind")
        out.kinds.append(kind)
        if kind == "progress":
            out.stages.append(message.progress.stage)
            out.messages.append(message.progress.message)
        elif kind == "delta":
            out.deltas.append(message.delta)
        else:
            out.results.append(message.result)
    return out


def assert_well_cited(result: analysis_pb2.SynthesisResult, passages: list[common_pb2.Passage]):
    """Citations a reader can follow: the answer's markers read 1, 2, 3... in order of
    first use, the list under it shows exactly those in that order, and each quotes the
    passage it stands for verbatim."""
    first_use = list(dict.fromkeys(markers(result.answer)))
    assert first_use == list(range(1, len(first_use) + 1)), result.answer
    assert [c.index for c in result.citations] == first_use
    by_source = {p.source_id: p for p in passages}
    for citation in result.citations:
        passage = by_source[citation.source_id]
        assert citation.quote and citation.quote in passage.text
        assert (citation.rulebook, citation.passage_ref) == (passage.rulebook, passage.passage_ref)
        assert citation.title == passage.title


def cited_sources(result: analysis_pb2.SynthesisResult) -> list[str]:
    return [c.source_id for c in result.citations]


async def test_stream_is_progress_then_deltas_then_one_result(analysis: Stub) -> None:
    out = await synthesize(analysis, passages=PASSAGES)
    assert out.kinds[0] == "progress" and out.stages[0] == "compose"
    assert out.kinds[-1] == "result" and out.kinds.count("result") == 1
    assert "reflect" in out.stages
    first_delta = out.kinds.index("delta")
    assert out.kinds.index("progress") < first_delta
    assert len(out.deltas) >= 3
    assert "".join(out.deltas) == out.result.answer


async def test_answer_cites_the_supporting_passages(analysis: Stub) -> None:
    result = (await synthesize(analysis, passages=PASSAGES)).result
    # Passages 1 and 3 support the answer (the GEN passage is off topic): they read [1], [2].
    assert cited_sources(result) == ["p-aml-1", "p-aml-2"]
    assert_well_cited(result, PASSAGES)
    first, second = result.citations
    assert first.quote.startswith("A Relevant Person must promptly report")
    assert second.quote.startswith("Where a Relevant Person suspects money laundering")
    assert "[1]" in result.answer and "[2]" in result.answer and "[3]" not in result.answer
    assert result.reflection.outcome == common_pb2.REFLECTION_OUTCOME_ACCEPTED
    assert result.reflection.rounds == 1 and "cite a passage" in result.reflection.notes
    assert result.usage.llm_calls == 0


async def test_a_finding_is_cited_as_a_sample_finding_not_as_the_rule(analysis: Stub) -> None:
    # A sample audit report quoting a rule: its words must not pass for the rule's own.
    finding = common_pb2.Passage(
        id="FD00042:0",
        source_id="FD00042:0",
        document_id="FD00042",
        doc_type="finding",
        rulebook="AML",
        passage_ref="14.3.1",
        title="Audit finding FD00042: Example Ltd",
        text="AML 14.3.1 says: a Relevant Person must promptly report a suspicious transaction"
        " to the FIU. The firm reported its suspicious transaction 40 days late.",
    )
    question = "When must a firm report a suspicious transaction to the FIU?"
    result = (await synthesize(analysis, question, passages=[finding])).result
    assert "Sample finding FD00042 (sample data): " in result.answer, result.answer
    assert "AML 14.3.1:" not in result.answer
    (citation,) = result.citations
    assert (citation.rulebook, citation.passage_ref) == ("", "")
    assert citation.title == "Sample finding FD00042 (sample data)"


async def test_citations_start_at_one_whichever_passage_comes_first(analysis: Stub) -> None:
    # Only the third passage supports an answer: it used to be cited as [3], a number the
    # reader finds nowhere in the list under the answer.
    passages = [PASSAGES[1], PASSAGES[1], PASSAGES[2]]
    out = await synthesize(analysis, passages=passages)
    result = out.result
    assert cited_sources(result) == ["p-aml-2"]
    assert markers(result.answer) == [1]
    assert_well_cited(result, passages)
    assert "".join(out.deltas) == result.answer


async def test_markers_in_quoted_text_are_not_citations(analysis: Stub) -> None:
    quoting = common_pb2.Passage(
        id="c4",
        source_id="p-aml-3",
        rulebook="AML",
        text="A firm that suspects money laundering by a customer must report it [2].",
    )
    verdict = common_pb2.Verdict(disposition=common_pb2.DISPOSITION_BREACH, summary="late [1]")
    missing = ["the research (s1: search [2]) failed: unavailable"]
    passages = [PASSAGES[1], quoting]
    result = (
        await synthesize(analysis, passages=passages, verdict=verdict, missing=missing)
    ).result
    assert markers(result.answer) == [1]
    assert cited_sources(result) == ["p-aml-3"]
    assert_well_cited(result, passages)


async def test_no_passages_gives_an_honest_answer(analysis: Stub) -> None:
    out = await synthesize(analysis)
    result = out.result
    assert "No passages were found" in result.answer and "cannot answer" in result.answer
    assert list(result.citations) == [] and markers(result.answer) == []
    assert "".join(out.deltas) == result.answer


async def test_unrelated_passages_support_no_answer(analysis: Stub) -> None:
    result = (await synthesize(analysis, passages=[PASSAGES[1]])).result
    assert result.answer.startswith("None of the passages I was given answers this question")
    assert list(result.citations) == []


async def test_missing_items_are_mentioned(analysis: Stub) -> None:
    missing = [
        "the compliance judgement (s2: judge the situation) failed: audit is unavailable",
        "the data analysis (s3: count findings) was skipped: skipped by the caller",
    ]
    out = await synthesize(analysis, passages=PASSAGES, missing=missing)
    answer = out.result.answer
    assert (
        "I could not include the compliance judgement (s2: judge the situation), because it "
        "failed: audit is unavailable." in answer
    )
    assert "I could not include the data analysis (s3: count findings), because it was skipped" in (
        answer
    )
    assert "mentions all 2 missing item(s)" in out.result.reflection.notes
    assert_well_cited(out.result, PASSAGES)


async def test_a_verdict_is_explained(analysis: Stub) -> None:
    verdict = common_pb2.Verdict(
        disposition=common_pb2.DISPOSITION_BREACH, summary="the report was filed late"
    )
    result = (await synthesize(analysis, passages=PASSAGES, verdict=verdict)).result
    assert result.answer.startswith("The compliance judgement found: breach - the report")
    assert_well_cited(result, PASSAGES)


async def test_long_passages_are_quoted_verbatim(analysis: Stub) -> None:
    filler = "Unrelated administrative text about office hours. " * 3000
    long = common_pb2.Passage(
        id="long",
        source_id="p-long",
        rulebook="AML",
        text=filler + "A firm that suspects money laundering by a customer must report it.",
    )
    assert len(long.text) > 150_000
    result = (await synthesize(analysis, passages=[long])).result
    assert [c.index for c in result.citations] == [1]
    assert result.citations[0].quote == (
        "A firm that suspects money laundering by a customer must report it."
    )


def test_offline_output_satisfies_the_task_contract() -> None:
    task = synthesis_task()
    for passages in (PASSAGES, [], [PASSAGES[1]]):
        data, _ = synthesis_input(QUESTION, passages, ["x failed: y"], None)
        assert task.problems(task.run_offline(data), data) == []


async def test_model_answer_is_streamed_and_cited(
    model_analysis: Stub, model: OpenAIServer
) -> None:
    model.script(
        Reply.stream(
            "When a firm suspects money laundering it must report ",
            "the suspicion to the FIU promptly [1]. ",
            "It must not tip off the customer [3].",
        )
    )
    out = await synthesize(model_analysis, passages=PASSAGES)
    result = out.result
    assert result.answer.startswith(
        "When a firm suspects money laundering it must report the suspicion to the FIU "
        "promptly [1]. It must not tip off the customer [2]."
    )
    assert "".join(out.deltas) == result.answer
    assert cited_sources(result) == ["p-aml-1", "p-aml-2"]
    assert_well_cited(result, PASSAGES)
    assert result.citations[1].quote.startswith("Where a Relevant Person suspects")
    assert result.usage.llm_calls == 1 and result.usage.completion_tokens > 0
    (request,) = model.chat_requests()
    prompt = request.messages[1]["content"]
    assert '<document index="2" reference="GEN 3.3.1"' in prompt
    assert request.body["stream"] is True
    assert "checking the model's answer" in out.messages[-1]


async def test_model_citations_are_renumbered_by_first_use_in_every_delta(
    model_analysis: Stub, model: OpenAIServer
) -> None:
    # The model cites by passage order, starts at [3], groups markers, and its stream cuts
    # a marker in two: every delta shows the reader's numbers, never a half marker.
    model.script(
        Reply.stream(
            "A Relevant Person must not tip off the customer [",
            "3]. It must report the suspicion to the FIU [1, ",
            "3]. Its office stays open during business hours [2][",
            "1].",
        )
    )
    out = await synthesize(model_analysis, passages=PASSAGES)
    result = out.result
    assert result.answer.startswith(
        "A Relevant Person must not tip off the customer [1]. It must report the suspicion "
        "to the FIU [2, 1]. Its office stays open during business hours [3][2]."
    )
    assert "".join(out.deltas) == result.answer
    assert not any(d.rstrip().endswith(("[", ",")) for d in out.deltas), out.deltas
    assert cited_sources(result) == ["p-aml-2", "p-aml-1", "p-gen-1"]
    assert_well_cited(result, PASSAGES)


async def test_out_of_range_citation_falls_back_to_the_rules(
    model_analysis: Stub, analysis: Stub, model: OpenAIServer
) -> None:
    model.script(
        Reply.stream("A firm must report ", "the suspicion [7]. ", "It must not tip off [1].")
    )
    out = await synthesize(model_analysis, passages=PASSAGES)
    offline = (await synthesize(analysis, passages=PASSAGES)).result
    assert out.result.answer == offline.answer
    assert "[7]" not in "".join(out.deltas)
    assert "".join(out.deltas) == out.result.answer
    assert_well_cited(out.result, PASSAGES)
    assert any("model answer not used" in m and "[7]" in m for m in out.messages)
    assert out.result.usage.llm_calls == 1


async def test_late_bad_citation_continues_with_the_rules(
    model_analysis: Stub, model: OpenAIServer
) -> None:
    model.script(
        Reply.stream("A firm must report the suspicion to the FIU [1]. ", "See also [12].")
    )
    out = await synthesize(model_analysis, passages=PASSAGES)
    answer = out.result.answer
    assert answer.startswith("A firm must report the suspicion to the FIU [1]. ")
    assert CONTINUATION_NOTE.strip() in answer and "[12]" not in answer
    assert "".join(out.deltas) == answer
    assert_well_cited(out.result, PASSAGES)


async def test_uncited_model_claims_are_flagged(model_analysis: Stub, model: OpenAIServer) -> None:
    model.script(
        Reply.stream(
            "A firm must report the suspicion to the FIU [1]. ",
            "It must also inform the police within one hour.",
        )
    )
    out = await synthesize(model_analysis, passages=PASSAGES)
    result = out.result
    assert result.reflection.outcome == common_pb2.REFLECTION_OUTCOME_REVISED
    assert "1 of 2 claim sentence(s) cite no passage" in result.reflection.notes
    assert "\n\nNote: 1 sentence(s) above cite no passage" in result.answer
    assert "".join(out.deltas) == result.answer


async def test_quoting_huge_passages_leaves_the_server_answering(
    model_analysis: Stub, openai_channel: grpc.aio.Channel, model: OpenAIServer
) -> None:
    # A model may cite all 50 passages of 200,000 characters. Quoting them takes seconds,
    # which run beside the event loop: a health check sent meanwhile is answered first.
    text = ("A firm must report suspicious transactions to the FIU promptly. " * 3200)[:200_000]
    passages = [common_pb2.Passage(source_id=f"p{n}", text=text) for n in range(50)]
    model.script(Reply.stream(*(f"Firms must report to the FIU [{n}]. " for n in range(1, 51))))
    request = analysis_pb2.SynthesizeRequest(question=QUESTION, passages=passages)
    answered: list[str] = []
    checking: asyncio.Future[list[str]] | None = None
    async for message in model_analysis.Synthesize(request, timeout=60):
        if message.WhichOneof("kind") == "result":
            answered.append("result")
            assert [c.index for c in message.result.citations] == list(range(1, 51))
        elif message.progress.stage == "reflect":
            checking = asyncio.ensure_future(health(openai_channel, ""))
            checking.add_done_callback(lambda _: answered.append("health"))
    assert checking is not None and await checking == ["SERVING"]
    assert answered == ["health", "result"]


async def test_model_failure_falls_back(model_analysis: Stub, model: OpenAIServer) -> None:
    model.script(Reply.error(503, "overloaded"))
    out = await synthesize(model_analysis, passages=PASSAGES)
    assert cited_sources(out.result) == ["p-aml-1", "p-aml-2"]
    assert_well_cited(out.result, PASSAGES)
    assert any("status_503" in m for m in out.messages)


async def test_analyze_data_without_a_database_is_failed_precondition(analysis: Stub) -> None:
    # This server was built with no findings database: it says so, naming the settings.
    request = analysis_pb2.AnalyzeDataRequest(question="How many findings in 2024?")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in analysis.AnalyzeData(request, timeout=5):
            pass
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "no findings database is configured" in (caught.value.details() or "")


@pytest.mark.parametrize(
    ("kwargs", "field_name"),
    [
        ({"question": ""}, "question"),
        ({"question": "  \n "}, "question"),
        ({"question": "q" * 4001}, "question"),
        ({"passages": [common_pb2.Passage(text="x")] * 51}, "passages"),
        ({"passages": [PASSAGES[0], common_pb2.Passage(text="x" * 200_001)]}, "passages[1].text"),
        ({"missing": ["m"] * 21}, "missing"),
        ({"missing": ["m", "m" * 2001]}, "missing[1]"),
        ({"verdict": common_pb2.Verdict(summary="s" * 8001)}, "verdict.summary"),
        ({"data": analysis_pb2.AnalyzeDataResult(sql="s" * 20_001)}, "data.sql"),
        ({"data": analysis_pb2.AnalyzeDataResult(summary="s" * 20_001)}, "data.summary"),
        # No more rows than AnalyzeData returns (ANALYSIS_SQL_MAX_ROWS, 1,000 by default).
        (
            {"data": analysis_pb2.AnalyzeDataResult(table=common_pb2.Table(rows=[{}] * 1001))},
            "data.table.rows",
        ),
    ],
    ids=[
        "empty",
        "blank",
        "too-long",
        "too-many-passages",
        "passage-too-long",
        "too-many-missing",
        "missing-item-too-long",
        "verdict-summary-too-long",
        "data-sql-too-long",
        "data-summary-too-long",
        "data-too-many-rows",
    ],
)
async def test_bad_input_is_invalid_argument(
    analysis: Stub, kwargs: dict[str, object], field_name: str
) -> None:
    request = {"question": QUESTION, **kwargs}
    error = await assert_invalid_argument(synthesize(analysis, **request), field_name)  # type: ignore[arg-type]
    # The message names the field and the limit; it never echoes what the caller sent.
    assert len(error.details() or "") < 120


@pytest.mark.parametrize("disposition", [4, 99, -1, -(2**31), 2**31 - 1])
async def test_unknown_disposition_is_invalid_argument(analysis: Stub, disposition: int) -> None:
    # Proto3 enums are open: any int32 arrives, and naming it used to fail with INTERNAL.
    verdict = common_pb2.Verdict(disposition=disposition)  # type: ignore[arg-type]
    error = await assert_invalid_argument(
        synthesize(analysis, "q", passages=PASSAGES, verdict=verdict), "verdict.disposition"
    )
    assert f"unknown Disposition value {disposition}" in (error.details() or "")


@pytest.mark.parametrize("disposition", common_pb2.Disposition.values())
async def test_every_known_disposition_is_answered(analysis: Stub, disposition: int) -> None:
    verdict = common_pb2.Verdict(disposition=disposition)  # type: ignore[arg-type]
    result = (await synthesize(analysis, passages=PASSAGES, verdict=verdict)).result
    said = result.answer.startswith("The compliance judgement found:")
    assert said == (disposition != common_pb2.DISPOSITION_UNSPECIFIED)


async def test_analyze_data_without_a_question_is_invalid_argument(analysis: Stub) -> None:
    async def drain() -> None:
        request = analysis_pb2.AnalyzeDataRequest(question=" ")
        async for _ in analysis.AnalyzeData(request, timeout=5):
            pass

    await assert_invalid_argument(drain(), "question")


async def test_limits_are_inclusive(analysis: Stub) -> None:
    passages = [common_pb2.Passage(text="x" * 200_000)] * 2 + list(PASSAGES) * 16
    assert len(passages) == 50
    out = await synthesize(analysis, "q" * 3999 + "?", passages=passages)
    assert len(out.results) == 1


async def test_health_is_serving(offline_channel: grpc.aio.Channel) -> None:
    services = ("", "arbiter.analysis.v1.AnalysisService")
    assert await health(offline_channel, *services) == ["SERVING", "SERVING"]

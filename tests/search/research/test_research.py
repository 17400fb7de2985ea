"""Research: progress for every stage, then exactly one result with its round."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from arbiter.common.v1 import common_pb2
from arbiter.search.v1 import search_pb2

from tests.search.support import passages_of
from tests.support.search import RunningSearch
from tests.support.servers import assert_invalid_argument


async def research(
    search: RunningSearch, request: search_pb2.ResearchRequest
) -> list[search_pb2.ResearchResponse]:
    return [response async for response in search.stub.Research(request)]


async def test_streams_progress_then_exactly_one_result(corpus_search: RunningSearch) -> None:
    filters = [common_pb2.MetadataFilter(field="rulebook", any_of=["AML"])]
    request = search_pb2.ResearchRequest(
        query="suspicious activity report Financial Intelligence Unit", filters=filters, top_k=5
    )
    responses = await research(corpus_search, request)

    kinds = [r.WhichOneof("kind") for r in responses]
    assert kinds[-1] == "result" and kinds.count("result") == 1
    stages = [r.progress.stage for r in responses[:-1]]
    assert stages == ["select_fields", "retrieve", "rerank", "decide"]
    # The caller's filter is hard: the store returns nothing else.
    assert "filters rulebook in [AML]" in responses[0].progress.message
    percents = [r.progress.percent for r in responses[:-1]]
    assert percents == sorted(percents) and percents[-1] == 100

    result = responses[-1].result
    assert {p.rulebook for p in result.passages} == {"AML"}
    assert result.passages[0].source_id == "fx-aml-1"
    scores = [p.score for p in result.passages]
    assert scores == sorted(scores, reverse=True)
    [round_] = result.rounds
    assert round_.number == 1
    assert round_.query == request.query
    assert list(round_.filters) == filters
    assert round_.hits >= len(result.passages)  # candidates retrieved for the reranker
    assert round_.decision == "stop: one round allowed"


@pytest.mark.parametrize("rounds", [1, 3])
async def test_a_callers_rulebook_filter_is_hard_in_every_round(
    corpus_search: RunningSearch, rounds: int
) -> None:
    # Client money is COBS's subject: as a preference, AML would have let COBS through.
    aml = common_pb2.MetadataFilter(field="rulebook", any_of=["AML"])
    request = search_pb2.ResearchRequest(
        query="client money segregation", filters=[aml], top_k=10, max_rounds=rounds
    )
    unfiltered = await research(corpus_search, replace_filters(request, []))
    assert {p.rulebook for p in unfiltered[-1].result.passages} - {"AML"}

    responses = await research(corpus_search, request)
    result = responses[-1].result
    assert result.passages
    assert {p.rulebook for p in result.passages} == {"AML"}
    assert all(list(r.filters) == [aml] for r in result.rounds)
    assert "widen" not in [r.progress.stage for r in responses[:-1]]


async def test_a_callers_wrong_filter_is_never_widened_away(
    corpus_search: RunningSearch,
) -> None:
    # document 2 is the fixture's GEN rules; the answer is in AML (document 1).
    wrong = common_pb2.MetadataFilter(field="document_id", any_of=["2"])
    request = search_pb2.ResearchRequest(
        query="How long must the money laundering reporting officer keep internal reports?",
        filters=[wrong],
        top_k=5,
        max_rounds=3,
    )
    responses = await research(corpus_search, request)
    stages = [r.progress.stage for r in responses[:-1]]
    assert "widen" not in stages
    messages = {r.progress.stage: r.progress.message for r in responses[:-1]}
    assert "filters document_id in [2]" in messages["select_fields"]
    result = responses[-1].result
    assert {p.document_id for p in result.passages} == {"2"}
    assert all(list(r.filters) == [wrong] for r in result.rounds)


def replace_filters(
    request: search_pb2.ResearchRequest, filters: list[common_pb2.MetadataFilter]
) -> search_pb2.ResearchRequest:
    copy = search_pb2.ResearchRequest()
    copy.CopyFrom(request)
    del copy.filters[:]
    copy.filters.extend(filters)
    return copy


async def test_rounds_never_exceed_the_budget(corpus_search: RunningSearch) -> None:
    request = search_pb2.ResearchRequest(query="quokka zeppelin MLRO", max_rounds=2)
    responses = await research(corpus_search, request)
    rounds = responses[-1].result.rounds
    assert [r.number for r in rounds] == [1, 2]
    assert rounds[0].decision.startswith("rewrite: passages lack quokka, zeppelin")
    # Round 2 leads with what round 1 lacked, plus words its best passages share.
    assert rounds[1].query.startswith("quokka zeppelin ") and "mlro" in rounds[1].query
    assert rounds[1].query != request.query.lower()
    assert rounds[1].decision == "stop: round budget spent (2 of 2)"
    stages = [r.progress.stage for r in responses[:-1]]
    assert stages.count("retrieve") == 2 and stages[-1] == "decide"
    assert "rewrite" in stages


async def test_the_loop_stops_when_nothing_new_is_left_to_try(
    corpus_search: RunningSearch,
) -> None:
    request = search_pb2.ResearchRequest(query="quokka zeppelin marmalade", max_rounds=3)
    [round_] = (await research(corpus_search, request))[-1].result.rounds
    assert round_.hits == 0
    assert round_.decision.endswith("nothing new to try")


async def test_one_round_by_default_and_five_at_most(corpus_search: RunningSearch) -> None:
    default = await research(corpus_search, search_pb2.ResearchRequest(query="client money"))
    assert len(default[-1].result.rounds) == 1
    most = await research(
        corpus_search, search_pb2.ResearchRequest(query="client money", max_rounds=5)
    )
    assert 1 <= len(most[-1].result.rounds) <= 5
    assert most[-1].result.passages


async def test_disable_rerank_keeps_the_retrieval_order(corpus_search: RunningSearch) -> None:
    options = search_pb2.RetrievalOptions(disable_rerank=True)
    request = search_pb2.ResearchRequest(query="client money", top_k=5, options=options)
    responses = await research(corpus_search, request)
    assert "rerank" not in [r.progress.stage for r in responses[:-1]]
    retrieved = await passages_of(corpus_search, "client money", top_k=5)
    assert [p.id for p in responses[-1].result.passages] == [p.id for p in retrieved]


async def test_no_match_still_ends_in_one_result(fresh_search: RunningSearch) -> None:
    responses = await research(fresh_search, search_pb2.ResearchRequest(query="anything"))
    result = responses[-1].result
    assert (list(result.passages), result.rounds[0].hits) == ([], 0)
    assert "nothing matched" in result.rounds[0].decision


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (search_pb2.ResearchRequest(query=""), "query"),
        (search_pb2.ResearchRequest(query="aml", top_k=99), "top_k"),
        (search_pb2.ResearchRequest(query="aml", max_rounds=6), "max_rounds"),
        (search_pb2.ResearchRequest(query="aml", max_rounds=-1), "max_rounds"),
        (
            search_pb2.ResearchRequest(
                query="aml", filters=[common_pb2.MetadataFilter(field="text", any_of=["x"])]
            ),
            "filters[0].field",
        ),
    ],
)
async def test_bad_input_is_invalid_argument_before_any_progress(
    corpus_search: RunningSearch, request_: search_pb2.ResearchRequest, field: str
) -> None:
    await assert_invalid_argument(research(corpus_search, request_), field)


async def test_a_cancelled_call_leaves_the_server_serving(corpus_search: RunningSearch) -> None:
    call = corpus_search.stub.Research(search_pb2.ResearchRequest(query="client money"))
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call.read()
    assert await call.code() == grpc.StatusCode.CANCELLED
    responses = await research(corpus_search, search_pb2.ResearchRequest(query="client money"))
    assert responses[-1].HasField("result")

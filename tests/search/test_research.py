"""Research: progress for every stage, then exactly one result with its round."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from arbiter.common.v1 import common_pb2
from arbiter.search.v1 import search_pb2

from tests.search.conftest import RunningSearch
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
    assert stages == ["select_fields", "retrieve", "decide"]
    assert "rulebook in [AML]" in responses[0].progress.message
    percents = [r.progress.percent for r in responses[:-1]]
    assert percents == sorted(percents) and percents[-1] == 100

    result = responses[-1].result
    assert 0 < len(result.passages) <= 5
    assert result.passages[0].source_id == "fx-aml-1"
    assert {p.rulebook for p in result.passages} == {"AML"}
    [round_] = result.rounds
    assert round_.number == 1
    assert round_.query == request.query
    assert list(round_.filters) == filters
    assert round_.hits == len(result.passages)
    assert round_.decision.startswith("stop")


async def test_one_round_even_when_more_are_allowed(corpus_search: RunningSearch) -> None:
    request = search_pb2.ResearchRequest(query="client money", max_rounds=5)
    responses = await research(corpus_search, request)
    assert len(responses[-1].result.rounds) == 1
    assert responses[-1].result.passages


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

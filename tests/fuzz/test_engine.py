"""The fuzzer's own parts: what counts as a leak, what requests it draws."""

from __future__ import annotations

import random

import pytest
from arbiter.common.v1 import common_pb2
from arbiter.gateway.v1 import gateway_pb2
from arbiter.search.v1 import search_pb2
from google.protobuf.message import DecodeError
from google.rpc import error_details_pb2, status_pb2  # type: ignore[import-untyped]

from tests.fuzz import wire
from tests.fuzz.checks import DETAILS_KEY, Answer, caller_text, problems
from tests.fuzz.requests import RequestMaker
from tests.fuzz.rpcs import Rpc, all_rpcs
from tests.fuzz.seeds import DOCUMENT_IDS
from tests.fuzz.values import ID_CHARS, Values


def rpc(name: str) -> Rpc:
    return next(r for r in all_rpcs() if r.name == name)


def maker(name: str, seed: int) -> RequestMaker:
    return RequestMaker(rpc(name), [], Values(random.Random(seed), max_string_chars=30_000))


def test_every_service_and_kind_of_rpc_is_found_in_the_descriptors() -> None:
    rpcs = {r.name: r for r in all_rpcs()}
    assert {r.service for r in rpcs.values()} == {
        "gateway",
        "planner",
        "search",
        "analysis",
        "audit",
    }
    ingest = rpcs["SearchService/Ingest"]
    assert ingest.streams_requests and ingest.streams_responses
    assert rpcs["GatewayService/Ask"].streams_responses
    assert not rpcs["PlannerService/Plan"].streams_requests


@pytest.mark.parametrize(
    "details",
    [
        "Unexpected <class 'google.protobuf.message.DecodeError'>: Error parsing message",
        "ValueError: unknown enum value",
        "Error parsing message with type 'arbiter.gateway.v1.GetSessionRequest'",
        'Traceback (most recent call last):\n  File "x", line 3, in f',
        "failed in /work/main/services/search/src/arbiter_search/store.py",
        "cannot reach ipv4:127.0.0.1:50053",
    ],
)
def test_internals_in_a_status_message_are_leaks(details: str) -> None:
    found = problems(Answer(code="INVALID_ARGUMENT", details=details), lambda: "")
    assert any(what.startswith("leak of") for what, _ in found), found


def test_leaks_in_status_details_and_in_stream_error_events_are_found() -> None:
    info = error_details_pb2.ErrorInfo(reason="X", domain="arbiter", metadata={"why": "KeyError"})
    detail = status_pb2.Status(code=3, message="bad")
    detail.details.add().Pack(info)
    event = gateway_pb2.AskResponse(
        event=gateway_pb2.SessionEvent(error=gateway_pb2.Error(code="INTERNAL", message="boom"))
    )
    answer = Answer(
        code="OK", metadata=[(DETAILS_KEY, detail.SerializeToString())], responses=[event]
    )
    found = [what for what, _ in problems(answer, lambda: "")]
    assert "leak of exception class in error info" in found
    assert "INTERNAL relayed in the stream" in found


def test_internal_and_unknown_fail_and_a_clear_refusal_does_not() -> None:
    for code in ("INTERNAL", "UNKNOWN"):
        assert problems(Answer(code=code, details="internal error"), lambda: "")
    refusal = Answer(code="INVALID_ARGUMENT", details="session_id: must not be empty")
    assert problems(refusal, lambda: "") == []


def test_a_path_of_the_contracts_field_names_is_no_leak_but_a_module_path_is() -> None:
    field = "verdict.recommended_outcome.kind: unknown OutcomeKind value -1"
    assert problems(Answer(code="INVALID_ARGUMENT", details=field), lambda: "") == []
    module = "verdict.recommended_outcome.kind_of_module: unknown"
    assert problems(Answer(code="INVALID_ARGUMENT", details=module), lambda: "")


def test_the_callers_own_text_quoted_back_is_no_leak() -> None:
    request = gateway_pb2.GetSessionRequest(session_id="a/b/c.py")
    echo = Answer(code="NOT_FOUND", details="no session 'a/b/c.py'")
    assert problems(echo, lambda: caller_text([request], [request.SerializeToString()])) == []


def test_the_same_seed_draws_the_same_requests_and_another_seed_others() -> None:
    first = [maker("GatewayService/Ask", n).make().payloads for n in range(30)]
    again = [maker("GatewayService/Ask", n).make().payloads for n in range(30)]
    other = [maker("GatewayService/Ask", n + 1000).make().payloads for n in range(30)]
    assert first == again
    assert first != other


def test_random_requests_reach_out_of_range_enums_maps_and_nested_lists() -> None:
    synthesize = [maker("AnalysisService/Synthesize", n).random_message() for n in range(300)]
    known = {v.number for v in common_pb2.Disposition.DESCRIPTOR.values}
    assert any(m.verdict.disposition not in known for m in synthesize)  # type: ignore[attr-defined]
    assert any(len(m.passages) > 50 for m in synthesize)  # type: ignore[attr-defined]
    ingest = [maker("SearchService/Ingest", n).random_message() for n in range(300)]
    assert any(m.document.metadata for m in ingest)  # type: ignore[attr-defined]


def test_raw_requests_do_not_decode() -> None:
    rng = random.Random(3)
    descriptor = rpc("SearchService/Retrieve").request_descriptor
    for _ in range(20):
        for bad in (wire.bad_utf8(descriptor, rng), wire.malformed(descriptor, rng)):
            assert bad is not None
            with pytest.raises(DecodeError):
                search_pb2.RetrieveRequest.FromString(bad)


def test_ingest_ids_come_from_a_bounded_pool_that_keeps_every_hostile_form() -> None:
    ingest = rpc("SearchService/Ingest")
    seeds = [[search_pb2.IngestRequest(document=search_pb2.Document(id="fuzz-1", text="t"))]]
    drawn: set[str] = set()
    for n in range(600):
        values = Values(random.Random(n), max_string_chars=30_000)
        request = RequestMaker(ingest, seeds, values).make()
        for message in request.messages:
            if message is not None and message.HasField("document"):
                drawn.add(message.document.id)  # type: ignore[attr-defined]
    assert drawn <= set(DOCUMENT_IDS)
    assert len(drawn) > 20  # many ids, hostile ones among them, each used again and again
    assert "x'] or tenant in ['acme'] or id in ['q" in DOCUMENT_IDS
    assert {"é", "\U0010fffd", "a" * ID_CHARS} <= set(DOCUMENT_IDS)

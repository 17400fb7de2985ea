"""A few valid requests per RPC, the starting points of mutated and hostile requests;
an RPC without seeds is still fuzzed from its descriptor. `{session_id}` and
`{resume_token}` stand for a real session the fuzzer opens first."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import grpc
from arbiter.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from google.protobuf import json_format
from google.protobuf.message import Message

from tests.fuzz.rpcs import Rpc
from tests.fuzz.values import EXPRESSIONS, ID_CHARS, UNICODE, Values

QUESTION = "What must a firm do when it suspects money laundering?"
SITUATION = "A firm did not report a suspicious cash deposit of USD 90,000 for six weeks."
PASSAGE = {
    "id": "p1#0",
    "sourceId": "p1",
    "passageRef": "8.3.1.(2)",
    "documentId": "1",
    "rulebook": "AML",
    "title": "Suspicious activity",
    "text": "A Relevant Person must report a suspicious transaction to the FIU promptly.",
    "score": 1.5,
}
AML = [{"field": "rulebook", "anyOf": ["AML"]}]
CITATION = {"index": 1, "sourceId": "p1", "rulebook": "AML", "quote": "report"}

SEEDS: dict[str, list[list[dict[str, Any]]]] = {
    "GatewayService/Ask": [[{"question": "Hello!"}], [{"question": QUESTION, "filters": AML}]],
    "GatewayService/Resume": [
        [{"sessionId": "{session_id}", "resumeToken": "{resume_token}", "afterSeq": "0"}],
        [{"sessionId": "{session_id}", "resumeToken": "{resume_token}", "afterSeq": "2"}],
    ],
    "GatewayService/GetSession": [[{"sessionId": "{session_id}"}]],
    "GatewayService/CancelSession": [[{"sessionId": "{session_id}"}]],
    "GatewayService/SkipStep": [[{"sessionId": "{session_id}", "stepId": "s1"}]],
    "GatewayService/DecidePlan": [
        [{"sessionId": "{session_id}", "decision": "PLAN_DECISION_APPROVE"}],
        [
            {
                "sessionId": "{session_id}",
                "decision": "PLAN_DECISION_MODIFY",
                "steps": [{"id": "s1", "kind": "STEP_KIND_RESEARCH", "task": QUESTION}],
            }
        ],
    ],
    "PlannerService/Plan": [[{"question": QUESTION}], [{"question": "Hi", "filters": AML}]],
    "SearchService/Research": [
        [{"query": QUESTION, "topK": 5, "maxRounds": 1}],
        [{"query": "suspicious activity report", "filters": AML, "options": {"mode": 1}}],
    ],
    "SearchService/Retrieve": [
        [{"query": QUESTION, "topK": 5}],
        [{"query": "customer due diligence", "filters": AML, "options": {"disableGraph": True}}],
    ],
    "SearchService/Ingest": [
        [
            {"options": {"expectedDocuments": 1}},
            {
                "document": {
                    "id": "fuzz-1",
                    "title": "T",
                    "text": "A firm must keep records.",
                    "metadata": {"document_short": "AML", "passage_id": "1.1"},
                }
            },
        ],
        [{"document": {"id": "fuzz-2", "text": "Short text."}}],
    ],
    "SearchService/GetCorpusInfo": [[{}]],
    "AnalysisService/Synthesize": [
        [{"question": QUESTION, "passages": [PASSAGE]}],
        [
            {
                "question": QUESTION,
                "passages": [PASSAGE],
                "missing": ["the judgement step failed"],
                "verdict": {
                    "disposition": "DISPOSITION_BREACH",
                    "summary": "late report",
                    "confidence": 0.8,
                    "citations": [CITATION],
                },
            }
        ],
    ],
    "AnalysisService/AnalyzeData": [
        [{"question": "How many findings per rulebook in 2024, and what is the trend?"}],
        [{"question": "Top 5 firms by number of open critical findings"}],
        [{"question": "Average financial penalty per firm type for AML findings"}],
    ],
    "AuditService/Judge": [[{"situation": SITUATION, "passages": [PASSAGE]}]],
}


SEED_DOCUMENT_IDS = ("fuzz-1", "fuzz-2")
DOCUMENT_IDS: tuple[str, ...] = (
    *SEED_DOCUMENT_IDS,
    *EXPRESSIONS,
    *UNICODE,
    "",
    "a" * ID_CHARS,
    "é" * ID_CHARS,
    "'" * 65,
    "x" * 128,
    "x" * 129,
    "🙂" * 64,
    "p1",
    *(
        Values(random.Random(f"document id {n}"), max_string_chars=ID_CHARS).text()
        for n in range(16)
    ),
)
"""The ids an Ingest document may carry: every hostile form (quotes, expression syntax,
unicode, ids past any limit) and a few random ones, but a bounded set, so a document the
service accepts replaces an earlier one instead of adding to the store. Search keeps
what it is given; with a new id on every call its memory would grow with the data, and
the memory check could not tell that from retention."""


@dataclass(frozen=True)
class StoredIds:
    """Where an RPC's requests name what the service stores, and the ids they may use."""

    message_field: str
    """The request's field holding the stored thing (a message)."""
    id_field: str
    """That message's id field."""
    pool: tuple[str, ...]
    """The ids drawn from: any other id is replaced by one of them."""


STORED_IDS: dict[str, StoredIds] = {
    "SearchService/Ingest": StoredIds("document", "id", DOCUMENT_IDS),
}


def seed_requests(rpc: Rpc, live: Mapping[str, str]) -> list[list[Message]]:
    """The seeds of `rpc` as messages, placeholders replaced by `live` values."""
    seeds = []
    for seed in SEEDS.get(rpc.name, []):
        messages = []
        for fields in seed:
            message = rpc.request_type()
            json_format.ParseDict(_filled(fields, live), message)
            messages.append(message)
        seeds.append(messages)
    return seeds


def _filled(value: Any, live: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return value.format_map(live) if "{" in value else value
    if isinstance(value, dict):
        return {k: _filled(v, live) for k, v in value.items()}
    if isinstance(value, list):
        return [_filled(v, live) for v in value]
    return value


async def open_session(channel: grpc.aio.Channel, *, deadline: float) -> dict[str, str]:
    """A finished greeting session's id and resume token, for the seeds that need one."""
    stub = gateway_pb2_grpc.GatewayServiceStub(channel)
    live = {"session_id": "", "resume_token": ""}
    call = stub.Ask(gateway_pb2.AskRequest(question="Hello!"), timeout=deadline)
    async for response in call:
        started = response.event.session_started
        if started.session_id:
            live = {"session_id": started.session_id, "resume_token": started.resume_token}
    return live

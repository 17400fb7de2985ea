"""The planner keeps nothing of the requests it answers: after a warm-up, thousands of
hostile Plan calls (huge and unicode questions, hostile filters, bytes that are no
message) leave the Python heap of the process (server and client) where it was.

Traced memory (tracemalloc), not RSS: it counts live Python objects only, so the
bound holds whatever the allocator keeps of freed pages, and a rerun gives the same
numbers. (RSS is what `make fuzz` watches.)"""

from __future__ import annotations

import gc
import random
import string
import tracemalloc
from collections.abc import Iterator

import grpc
import pytest
from arbiter.common.v1 import common_pb2
from arbiter.planner.v1 import planner_pb2

WARM_CALLS = 300
CALLS = 2_000
MAX_GROWTH_BYTES = 256 * 1024
"""What 2,000 calls may leave behind: far below one of their questions kept per call
(a cache of questions would keep megabytes), above the interpreter's own noise."""
UNICODE = "é\u0301\u202e\u200b\ufeff🙂中文ملاحظة\u0000\x1b\u2028\U0010fffd"
FIELDS = ("rulebook", "document_id", "passage_id", "tenant", "rulebook or 1==1", "x" * 300)


def hostile_texts(rng: random.Random) -> list[str]:
    """Texts of every awkward kind and length, drawn once: requests combine them."""
    texts = []
    for n in (0, 1, 40, 3_999, 4_000, 4_001, 20_000):
        texts.append("".join(rng.choices(UNICODE, k=n)))
        texts.append("What must a firm do when " + rng.choice("a'\"\\é🙂 ") * n + "?")
        texts.append("".join(rng.choices(string.printable, k=n)))
    return texts


def fresh_words(rng: random.Random) -> str:
    """Words never seen before: what a cache keyed on words or questions fills with."""
    return " ".join(
        "".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 30))) for _ in range(20)
    )


def hostile_requests(seed: int, count: int) -> Iterator[planner_pb2.PlanRequest | bytes]:
    rng = random.Random(seed)
    texts = hostile_texts(rng)
    for _ in range(count):
        if rng.random() < 0.1:
            yield rng.randbytes(rng.randint(1, 300))  # no valid PlanRequest
            continue
        filters = [
            common_pb2.MetadataFilter(
                field=rng.choice(FIELDS),
                any_of=[rng.choice(texts)[:2_000] for _ in range(rng.choice([0, 1, 3, 300]))],
            )
            for _ in range(rng.choice([0, 0, 0, 1, 2, 17]))
        ]
        # Mostly within the 4,000-character limit, so most calls are planned, not refused.
        question = f"{fresh_words(rng)} {rng.choice(texts)} {rng.choice(texts)}"
        question = question[: rng.choice([300, 4_000, 4_000, 4_001])]
        yield planner_pb2.PlanRequest(question=question, filters=filters)


async def call_all(
    channel: grpc.aio.Channel, requests: Iterator[planner_pb2.PlanRequest | bytes]
) -> set[grpc.StatusCode]:
    plan = channel.unary_unary("/arbiter.planner.v1.PlannerService/Plan")
    codes: set[grpc.StatusCode] = set()
    for request in requests:
        payload = request if isinstance(request, bytes) else request.SerializeToString()
        try:
            await plan(payload, timeout=10)
            codes.add(grpc.StatusCode.OK)
        except grpc.aio.AioRpcError as error:
            codes.add(error.code())
    return codes


@pytest.fixture
def traced() -> Iterator[None]:
    tracemalloc.start()
    try:
        yield
    finally:
        tracemalloc.stop()


def live_bytes() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


async def test_hostile_plan_calls_leave_no_memory_behind(offline_channel, traced):
    await call_all(offline_channel, hostile_requests(seed=1, count=WARM_CALLS))
    warm = live_bytes()
    codes = await call_all(offline_channel, hostile_requests(seed=2, count=CALLS))
    grown = live_bytes() - warm
    # The calls were answered (plans and refusals), never with an internal error.
    assert {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT} <= codes
    assert not codes & {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}
    assert grown < MAX_GROWTH_BYTES, f"{grown} bytes still live after {CALLS} calls"

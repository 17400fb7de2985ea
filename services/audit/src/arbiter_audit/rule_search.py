"""The audit service's own calls to search: one Retrieve per group of facts, through the
kit's client (a deadline from the caller's budget, retries on UNAVAILABLE, a breaker,
bounded in-flight calls, metrics). A failed search is a note in the verdict, never a
failed Judge: the SOP goes on with what it has."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from arbiter.common.v1 import common_pb2
from arbiter.search.v1 import search_pb2, search_pb2_grpc
from arbiter_kit.client import Downstream, DownstreamConfig
from arbiter_kit.deadline import Deadline
from arbiter_kit.errors import ArbiterError

RULES, FINDINGS = "rule", "finding"
"""The document types regulation matching and the precedent search ask for."""


@dataclass(frozen=True)
class Searched:
    """What one round of searches found, and what went wrong."""

    passages: tuple[tuple[common_pb2.Passage, ...], ...]
    """One ranked list per query that answered."""
    failures: tuple[str, ...] = ()
    """Why a search did not answer, once per distinct reason, e.g. "search is
    unavailable (CIRCUIT_OPEN)"."""


class RuleSearch:
    """Retrieve against the search service, many queries at once."""

    def __init__(self, config: DownstreamConfig) -> None:
        self._downstream = Downstream(config)
        self._stub = search_pb2_grpc.SearchServiceStub(self._downstream.channel)

    async def close(self) -> None:
        await self._downstream.close()

    async def retrieve(
        self,
        queries: Sequence[str],
        *,
        top_k: int,
        deadline: Deadline,
        doc_types: Sequence[str] = (),
        document_ids: Sequence[str] = (),
    ) -> Searched:
        """Each query's passages (of `doc_types` and `document_ids` when given), in query
        order; the queries run concurrently, each within `deadline`."""
        wanted = (("doc_type", doc_types), ("document_id", document_ids))
        filters = [common_pb2.MetadataFilter(field=f, any_of=v) for f, v in wanted if v]
        outcomes = await asyncio.gather(
            *(self._one(q, top_k=top_k, filters=filters, deadline=deadline) for q in queries)
        )
        found = tuple(p for p in outcomes if not isinstance(p, str))
        failures = tuple(dict.fromkeys(p for p in outcomes if isinstance(p, str)))
        return Searched(passages=found, failures=failures)

    async def _one(
        self,
        query: str,
        *,
        top_k: int,
        filters: list[common_pb2.MetadataFilter],
        deadline: Deadline,
    ) -> tuple[common_pb2.Passage, ...] | str:
        request = search_pb2.RetrieveRequest(query=query, top_k=top_k, filters=filters)
        try:
            response = await self._downstream.unary(self._stub.Retrieve, request, deadline=deadline)
        except ArbiterError as failed:
            return _failure(failed)
        return tuple(response.passages)


def _failure(failed: ArbiterError) -> str:
    """A failed search in words a reader understands; its reason code says which
    failure it was (unavailable, breaker open, out of time) without any address."""
    what = {
        "DEADLINE_EXCEEDED": "did not answer in time",
        "UNAVAILABLE": "is unavailable",
    }.get(failed.code.name, "failed")
    return f"search {what} ({failed.reason})" if failed.reason else f"search {what}"

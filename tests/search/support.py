"""Small helpers the search tests share: counting and searching."""

from __future__ import annotations

from collections.abc import Sequence

from arbiter.common.v1 import common_pb2
from arbiter.search.v1 import search_pb2

from tests.support.search import RunningSearch


async def chunk_count(search: RunningSearch) -> int:
    info = await search.stub.GetCorpusInfo(search_pb2.GetCorpusInfoRequest())
    return int(info.chunks)


async def passages_of(
    search: RunningSearch,
    query: str,
    *,
    top_k: int = 0,
    filters: Sequence[common_pb2.MetadataFilter] = (),
) -> list[common_pb2.Passage]:
    request = search_pb2.RetrieveRequest(query=query, top_k=top_k, filters=filters)
    reply = await search.stub.Retrieve(request)
    return list(reply.passages)

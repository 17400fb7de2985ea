"""Small helpers the search tests share: counting, searching, checking errors."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Any

import grpc
import pytest
from arbiter.common.v1 import common_pb2
from arbiter.search.v1 import search_pb2
from arbiter_kit.errors import error_info

from tests.search.conftest import RunningSearch


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


async def assert_invalid_argument(call: Awaitable[Any], field: str) -> None:
    """The call fails with INVALID_ARGUMENT and an ErrorInfo naming `field`."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, caught.value.details()
    info = error_info(caught.value)
    assert info is not None
    assert info.metadata["field"] == field, caught.value.details()

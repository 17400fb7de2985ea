"""The search service assembled: its store opened from configuration, its servicer on
the shared kit's server. Used by `python -m arbiter_search` and by the tests alike."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from arbiter.search.v1 import search_pb2_grpc
from arbiter_kit.config import ServerConfig
from arbiter_kit.server import Service, ServiceServer, built_server
from arbiter_llm import LLM, LLMConfig, open_llm

from arbiter_search.config import SearchConfig
from arbiter_search.embed.factory import open_embedder
from arbiter_search.graph import open_graph_store
from arbiter_search.research.config import ResearchConfig
from arbiter_search.service import SERVICE_NAME, SearchServicer
from arbiter_search.store.milvus import MilvusPassageStore


@asynccontextmanager
async def search_services(
    config: SearchConfig,
    *,
    llm: LLMConfig | None = None,
    research: ResearchConfig | None = None,
) -> AsyncIterator[list[Service]]:
    """The search service over its opened stores and LLM provider (offline unless `llm`
    names another), which close when the block ends."""
    async with (
        open_llm(llm or LLMConfig()) as provider,
        _search_services(config, llm=provider, research=research) as services,
    ):
        yield services


@asynccontextmanager
async def _search_services(
    config: SearchConfig, *, llm: LLM, research: ResearchConfig | None
) -> AsyncIterator[list[Service]]:
    """The search service over its embedder and opened stores, which close when the
    block ends."""
    embedder = await asyncio.to_thread(open_embedder, config.embedder)
    try:
        store = await MilvusPassageStore.open(
            config.milvus_uri,
            collection=config.collection,
            token=config.milvus_token,
            embedder=embedder,
            hybrid=config.hybrid,
            default_tenant=config.tenant,
        )
    except BaseException:
        if embedder is not None:
            await embedder.close()
        raise
    try:
        graph = await open_graph_store(config.graph)
        try:
            add = search_pb2_grpc.add_SearchServiceServicer_to_server
            yield [
                Service(
                    SERVICE_NAME,
                    SearchServicer(store, config, graph=graph, llm=llm, research=research),
                    add,
                )
            ]
        finally:
            if graph is not None:
                await graph.close()
    finally:
        await store.close()
        if embedder is not None:
            await embedder.close()


def search_server(
    server_config: ServerConfig,
    config: SearchConfig,
    *,
    llm: LLMConfig | None = None,
    research: ResearchConfig | None = None,
) -> AbstractAsyncContextManager[ServiceServer]:
    """A search server (not yet started) over its opened store; the store closes when
    the block ends, after the caller has stopped the server."""
    return built_server(
        "search", server_config, lambda: search_services(config, llm=llm, research=research)
    )

"""The SearchService servicer: the v1 contract on top of ingestion, retrieval and the
research loop. Handlers translate messages; the work happens behind them."""

from __future__ import annotations

import time
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

import grpc
from arbiter.common.v1 import common_pb2
from arbiter.search.v1 import search_pb2, search_pb2_grpc
from arbiter_kit.deadline import Deadline
from arbiter_kit.errors import InvalidArgument, shown
from arbiter_llm import LLM

from arbiter_search.config import SearchConfig
from arbiter_search.graph import GraphExpander, GraphIndexer, GraphStore
from arbiter_search.ingest.config import IngestLimits
from arbiter_search.ingest.documents import SourceDocument, preparer_for
from arbiter_search.ingest.pipeline import Ingestor, IngestTally, rejections_metadata
from arbiter_search.research.config import ResearchConfig
from arbiter_search.research.loop import Findings, ResearchLoop, rounds_allowed
from arbiter_search.research.retrieval import (
    RetrievalOptions,
    RetrievalQuery,
    Retriever,
    parse_query,
)
from arbiter_search.store.base import Hit, RetrievalMode, VectorStore
from arbiter_search.store.filters import Condition, FilterCompiler

SERVICE_NAME: str = search_pb2.DESCRIPTOR.services_by_name["SearchService"].full_name
DEFAULT_BUDGET_SECONDS = 30.0
"""Time a read may take when the caller set no deadline."""
NO_EMBEDDER = "none"
"""What GetCorpusInfo reports for a store without an embedder (retrieval is BM25 only)."""
_MODES = {
    search_pb2.RETRIEVAL_MODE_UNSPECIFIED: None,
    search_pb2.RETRIEVAL_MODE_SPARSE: RetrievalMode.SPARSE,
    search_pb2.RETRIEVAL_MODE_DENSE: RetrievalMode.DENSE,
    search_pb2.RETRIEVAL_MODE_HYBRID: RetrievalMode.HYBRID,
}


class SearchServicer(search_pb2_grpc.SearchServiceServicer):  # type: ignore[misc]
    """Serves one store. Every call acts for the configured tenant until authentication
    carries one (DESIGN §6)."""

    def __init__(
        self,
        store: VectorStore,
        config: SearchConfig,
        *,
        graph: GraphStore | None = None,
        llm: LLM | None = None,
        research: ResearchConfig | None = None,
    ) -> None:
        self._store = store
        self._tenant = config.tenant
        self._limits = config.ingest_limits
        self._compiler = FilterCompiler(default_tenant=config.tenant)
        preparer = preparer_for(config.ingest, default_tenant=config.tenant)
        self._ingestor = Ingestor(
            store,
            preparer,
            batch_size=config.ingest.ingest_batch,
            graph=GraphIndexer(graph) if graph else None,
        )
        self._retriever = Retriever(store)
        research = research or ResearchConfig.default
        self._default_rounds = research.research_rounds
        self._research = ResearchLoop(
            self._retriever,
            llm=llm,
            compiler=self._compiler,
            config=research,
            graph=GraphExpander(graph, store, config.graph.expansion) if graph else None,
        )

    async def Retrieve(
        self, request: search_pb2.RetrieveRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> search_pb2.RetrieveResponse:
        query = self._query(request)
        deadline = Deadline.of_call(context, default=DEFAULT_BUDGET_SECONDS)
        hits = await self._retriever.retrieve(query, tenant=self._tenant, deadline=deadline)
        return search_pb2.RetrieveResponse(passages=[_passage(h) for h in hits])

    async def Research(
        self, request: search_pb2.ResearchRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[search_pb2.ResearchResponse]:
        query = self._query(request)
        max_rounds = rounds_allowed(request.max_rounds, default=self._default_rounds)
        deadline = Deadline.of_call(context, default=DEFAULT_BUDGET_SECONDS)
        steps = self._research.run(
            query,
            max_rounds=max_rounds,
            tenant=self._tenant,
            deadline=deadline,
        )
        async for step in steps:
            if isinstance(step, Findings):
                yield search_pb2.ResearchResponse(result=_result(step))
            else:
                progress = common_pb2.Progress(stage=step.name, message=step.message)
                if step.percent is not None:
                    progress.percent = step.percent
                yield search_pb2.ResearchResponse(progress=progress)

    async def Ingest(
        self,
        request_iterator: AsyncIterable[search_pb2.IngestRequest],
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> AsyncIterator[search_pb2.IngestResponse]:
        started = time.perf_counter()
        expected = 0

        async def documents() -> AsyncIterator[SourceDocument]:
            nonlocal expected
            first = True
            received = 0
            async for request in request_iterator:
                kind = request.WhichOneof("kind")
                if kind == "options":
                    if not first:
                        raise InvalidArgument("options", "only the first message may carry options")
                    if request.options.expected_documents < 0:
                        raise InvalidArgument("options.expected_documents", "must be >= 0")
                    expected = request.options.expected_documents
                elif kind == "document":
                    yield _within(self._limits, request, index=received)
                    received += 1
                else:
                    raise InvalidArgument("kind", "each message carries options or a document")
                first = False

        tally = IngestTally()
        async for tally in self._ingestor.ingest(documents(), tenant=self._tenant):
            progress = search_pb2.IngestProgress(
                documents_received=tally.documents, chunks_written=tally.chunks_written
            )
            if expected:
                progress.percent = min(100.0, 100.0 * tally.documents / expected)
            yield search_pb2.IngestResponse(progress=progress)
        if tally.examples:
            context.set_trailing_metadata(rejections_metadata(tally.examples))
        yield search_pb2.IngestResponse(
            summary=search_pb2.IngestSummary(
                documents=tally.documents,
                chunks_written=tally.chunks_written,
                unchanged=tally.unchanged,
                rejected=tally.rejected,
                seconds=time.perf_counter() - started,
            )
        )

    def _query(
        self, request: search_pb2.RetrieveRequest | search_pb2.ResearchRequest
    ) -> RetrievalQuery:
        return parse_query(
            text=request.query,
            filters=request.filters,
            top_k=request.top_k,
            compiler=self._compiler,
            options=_options(request.options),
        )

    async def GetCorpusInfo(
        self, request: search_pb2.GetCorpusInfoRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> search_pb2.GetCorpusInfoResponse:
        deadline = Deadline.of_call(context, default=DEFAULT_BUDGET_SECONDS)
        return search_pb2.GetCorpusInfoResponse(
            chunks=await self._store.count(tenant=self._tenant, deadline=deadline),
            filterable_fields=self._compiler.fields,
            embedder=self._store.embedder_name or NO_EMBEDDER,
        )


def _within(
    limits: IngestLimits, request: search_pb2.IngestRequest, *, index: int
) -> SourceDocument:
    """The document `request` carries, the `index`th of its call, if it is within
    `limits`; else InvalidArgument naming it (e.g. `documents[3].text`)."""
    if index >= limits.max_ingest_documents:
        raise InvalidArgument(
            "documents", f"at most {limits.max_ingest_documents} documents per Ingest call"
        )
    d = request.document
    at = f"documents[{index}]"
    text_bytes = len(d.text.encode())
    if text_bytes > limits.max_document_bytes:
        raise InvalidArgument(
            f"{at}.text",
            f"document {shown(d.id)} has {text_bytes} bytes of text; "
            f"at most {limits.max_document_bytes} (SEARCH_MAX_DOCUMENT_BYTES)",
        )
    if (size := request.ByteSize()) > limits.max_ingest_message_bytes:
        raise InvalidArgument(
            at,
            f"document {shown(d.id)} makes a {size}-byte message; "
            f"at most {limits.max_ingest_message_bytes} (SEARCH_MAX_INGEST_MESSAGE_BYTES)",
        )
    return SourceDocument(d.id, d.title, d.text, dict(d.metadata))


def _options(options: search_pb2.RetrievalOptions) -> RetrievalOptions:
    if options.mode not in _MODES:
        raise InvalidArgument("options.mode", f"unknown retrieval mode {options.mode}")
    return RetrievalOptions(
        mode=_MODES[options.mode],
        disable_graph=options.disable_graph,
        disable_rerank=options.disable_rerank,
    )


def _passage(hit: Hit) -> common_pb2.Passage:
    return common_pb2.Passage(
        id=hit.id,
        source_id=hit.source_id,
        passage_ref=hit.passage_ref,
        document_id=hit.document_id,
        rulebook=hit.rulebook,
        title=hit.title,
        text=hit.text,
        score=hit.score,
        similarity=hit.similarity,
        doc_type=hit.doc_type,
    )


def _filters(conditions: tuple[Condition, ...]) -> list[common_pb2.MetadataFilter]:
    return [common_pb2.MetadataFilter(field=c.field, any_of=c.values) for c in conditions]


def _result(findings: Findings) -> search_pb2.ResearchResult:
    return search_pb2.ResearchResult(
        passages=[_passage(h) for h in findings.hits],
        rounds=[
            search_pb2.ResearchRound(
                number=r.number,
                query=r.query,
                filters=_filters(r.conditions),
                hits=r.hits,
                decision=r.decision,
            )
            for r in findings.rounds
        ],
        usage=findings.usage.message(),
    )

"""Arbiter search: ingestion into Milvus and retrieval with metadata filters."""

from arbiter_search.config import SearchConfig
from arbiter_search.ingest.chunker import Chunker
from arbiter_search.ingest.documents import DocumentPreparer, SourceDocument
from arbiter_search.ingest.pipeline import Ingestor, IngestTally
from arbiter_search.research.loop import Findings, ResearchLoop
from arbiter_search.research.retrieval import RetrievalQuery, Retriever
from arbiter_search.server import search_server, search_services
from arbiter_search.service import SearchServicer
from arbiter_search.store.base import Chunk, Hit, VectorStore
from arbiter_search.store.filters import Condition, FilterCompiler
from arbiter_search.store.milvus import MilvusPassageStore

__all__ = [
    "Chunk",
    "Chunker",
    "Condition",
    "DocumentPreparer",
    "FilterCompiler",
    "Findings",
    "Hit",
    "IngestTally",
    "Ingestor",
    "MilvusPassageStore",
    "ResearchLoop",
    "RetrievalQuery",
    "Retriever",
    "SearchConfig",
    "SearchServicer",
    "SourceDocument",
    "VectorStore",
    "search_server",
    "search_services",
]

"""Arbiter search: ingestion into Milvus and retrieval with metadata filters."""

from arbiter_search.chunker import Chunker
from arbiter_search.config import SearchConfig
from arbiter_search.documents import DocumentPreparer, SourceDocument
from arbiter_search.filters import Condition, FilterCompiler
from arbiter_search.ingest import Ingestor, IngestTally
from arbiter_search.milvus_store import MilvusPassageStore
from arbiter_search.research import Findings, ResearchLoop
from arbiter_search.retrieval import RetrievalQuery, Retriever
from arbiter_search.server import search_server, search_services
from arbiter_search.service import SearchServicer
from arbiter_search.store import Chunk, Hit, VectorStore

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

"""The search service's settings, read once from the environment at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from arbiter_kit.config import env_bool, env_float, env_int, env_str
from arbiter_kit.errors import InvalidArgument

from arbiter_search.chunker import MAX_CHUNK_TOKENS, MIN_CHUNK_TOKENS
from arbiter_search.embedding import DEFAULT_OFFLINE_MODEL, NONE, OPENAI, offline_models
from arbiter_search.graph.config import GraphConfig

DEFAULT_TENANT = "default"


def repo_root() -> Path:
    """The checkout this package runs from, or the working directory when installed."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "services" / "search").is_dir() and (parent / "protos").is_dir():
            return parent
    return Path.cwd()


@dataclass(frozen=True)
class EmbedderConfig:
    """Which embedder fills the dense field: an offline model, an endpoint, or none."""

    kind: str = DEFAULT_OFFLINE_MODEL
    """An offline model's name, `openai` (an OpenAI-compatible endpoint), or `none`."""
    base_url: str = ""
    """The endpoint's base URL (e.g. `https://api.openai.com/v1`); `openai` only."""
    api_key: str = ""
    model: str = ""
    """The endpoint's embeddings model; `openai` only."""
    dim: int = 0
    """The endpoint model's vector dimension; `openai` only."""
    timeout_seconds: float = 30.0
    """Cap on one endpoint call (a caller's shorter deadline wins)."""
    threads: int = 0
    """Threads of the offline model (0: up to 4, as the machine has)."""

    def validate(self) -> None:
        """Raise InvalidArgument naming the setting at fault."""
        if self.kind == OPENAI:
            if not self.base_url:
                raise InvalidArgument("SEARCH_EMBEDDINGS_BASE_URL", "required with openai")
            if not self.model:
                raise InvalidArgument("SEARCH_EMBEDDINGS_MODEL", "required with openai")
            if not 1 <= self.dim <= 32_768:
                raise InvalidArgument("SEARCH_EMBEDDINGS_DIM", "required with openai: 1..32768")
        elif self.kind != NONE and self.kind not in offline_models():
            choices = ", ".join([*offline_models(), OPENAI, NONE])
            raise InvalidArgument("SEARCH_EMBEDDER", f"unknown {self.kind!r}; one of {choices}")
        if self.timeout_seconds <= 0:
            raise InvalidArgument("SEARCH_EMBEDDINGS_TIMEOUT", "must be > 0")
        if not 0 <= self.threads <= 64:
            raise InvalidArgument("SEARCH_EMBEDDER_THREADS", "must be 0..64")


@dataclass(frozen=True)
class HybridConfig:
    """How a search runs its retrievers and fuses their lists."""

    fusion: str = "rrf"
    """`rrf` (reciprocal rank fusion) or `weighted` (normalised scores, weighted)."""
    rrf_k: int = 60
    """RRF's k: a larger k flattens the advantage of the top ranks."""
    dense_weight: float = 0.5
    """`weighted` only: the dense list's weight; BM25 gets 1 - dense_weight."""
    prune_query: bool = True
    """Drop stop words from the BM25 query text: fewer posting lists to scan, so faster
    (Milvus Lite ignores the analyzer's stop-word filter)."""

    def validate(self) -> None:
        """Raise InvalidArgument naming the setting at fault."""
        if self.fusion not in ("rrf", "weighted"):
            raise InvalidArgument("SEARCH_FUSION", "rrf or weighted")
        if not 1 <= self.rrf_k <= 16_384:
            raise InvalidArgument("SEARCH_RRF_K", "must be 1..16384")
        if not 0.0 <= self.dense_weight <= 1.0:
            raise InvalidArgument("SEARCH_DENSE_WEIGHT", "must be 0..1")


@dataclass(frozen=True)
class IngestLimits:
    """How much one Ingest call may carry, so that no request can hold the service: a
    document beyond them is refused, naming it (those before it are stored)."""

    max_documents: int = 1_000_000
    """Documents per Ingest call (each message carries one)."""
    max_document_bytes: int = 8 * 1024 * 1024
    """UTF-8 bytes of one document's text."""
    max_message_bytes: int = 10 * 1024 * 1024
    """Serialised bytes of one Ingest message: text, title, metadata and id (the server's
    `SEARCH_MAX_MESSAGE_BYTES` refuses larger ones before they are read)."""

    def validate(self) -> None:
        """Raise InvalidArgument naming the setting at fault."""
        if self.max_documents < 1:
            raise InvalidArgument("SEARCH_MAX_INGEST_DOCUMENTS", "must be >= 1")
        if self.max_document_bytes < 1:
            raise InvalidArgument("SEARCH_MAX_DOCUMENT_BYTES", "must be >= 1")
        if self.max_message_bytes < self.max_document_bytes:
            raise InvalidArgument(
                "SEARCH_MAX_INGEST_MESSAGE_BYTES", "must be >= SEARCH_MAX_DOCUMENT_BYTES"
            )


@dataclass(frozen=True)
class SearchConfig:
    """Where passages live and how they are cut and written."""

    milvus_uri: str
    """A Milvus server (`http://host:19530`) or a Milvus Lite file (`/abs/dir/milvus.db`)."""
    milvus_token: str = ""
    """Milvus server credentials (`user:password` or an API key); empty for none."""
    collection: str = "passages"
    """Collection holding the chunks."""
    chunk_tokens: int = 256
    """Largest chunk, in tokens (context header included)."""
    context_injection: bool = False
    """Prepend the document's key metadata and section path to each indexed chunk (off
    by default: on ObliQA dev it lowers BM25 Recall@10; see docs/ingestion.md)."""
    ingest_batch: int = 500
    """Documents written (and flushed) together; one progress message per batch."""
    ingest_limits: IngestLimits = field(default_factory=IngestLimits)
    """Most documents, and bytes per document and per message, one Ingest call carries."""
    tenant: str = DEFAULT_TENANT
    """Tenant of calls that carry none, until authentication names one (DESIGN §6)."""
    embedder: EmbedderConfig = field(default_factory=EmbedderConfig)
    """The dense leg's embedder; a collection records the one that filled it."""
    hybrid: HybridConfig = field(default_factory=HybridConfig)
    """How searches run BM25 and dense retrieval and fuse them."""
    graph: GraphConfig = field(default_factory=GraphConfig)
    """The knowledge graph; none unless configured (`from_env` defaults to the embedded
    engine under `<repo>/.data/search/graph`)."""

    @property
    def is_lite(self) -> bool:
        """True when `milvus_uri` names a local Milvus Lite file rather than a server."""
        return "://" not in self.milvus_uri

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SearchConfig:
        """Read `SEARCH_MILVUS_URI` (else `MILVUS_URI`, else `<repo>/.data/search/milvus.db`),
        `SEARCH_MILVUS_TOKEN` (else `MILVUS_TOKEN`), `SEARCH_COLLECTION`,
        `SEARCH_CHUNK_TOKENS`, `SEARCH_CONTEXT_INJECTION`, `SEARCH_INGEST_BATCH`, the ingest
        limits `SEARCH_MAX_INGEST_DOCUMENTS`/`SEARCH_MAX_DOCUMENT_BYTES`/
        `SEARCH_MAX_INGEST_MESSAGE_BYTES`, the embedder's
        `SEARCH_EMBEDDER`/`SEARCH_EMBEDDINGS_*`, fusion's `SEARCH_FUSION`/`SEARCH_RRF_K`/
        `SEARCH_DENSE_WEIGHT`/`SEARCH_PRUNE_QUERY`, and the graph's `SEARCH_GRAPH_*`."""
        e = os.environ if env is None else env
        default_uri = str(repo_root() / ".data" / "search" / "milvus.db")
        uri = e.get("SEARCH_MILVUS_URI") or e.get("MILVUS_URI") or default_uri
        if "://" not in uri:
            uri = str(Path(uri).expanduser().resolve())
        config = cls(
            milvus_uri=uri,
            milvus_token=e.get("SEARCH_MILVUS_TOKEN") or e.get("MILVUS_TOKEN") or "",
            collection=env_str(e, "SEARCH_COLLECTION", "passages"),
            chunk_tokens=env_int(e, "SEARCH_CHUNK_TOKENS", 256),
            context_injection=env_bool(e, "SEARCH_CONTEXT_INJECTION", False),
            ingest_batch=env_int(e, "SEARCH_INGEST_BATCH", 500),
            ingest_limits=IngestLimits(
                max_documents=env_int(e, "SEARCH_MAX_INGEST_DOCUMENTS", 1_000_000),
                max_document_bytes=env_int(e, "SEARCH_MAX_DOCUMENT_BYTES", 8 * 1024 * 1024),
                max_message_bytes=env_int(e, "SEARCH_MAX_INGEST_MESSAGE_BYTES", 10 * 1024 * 1024),
            ),
            embedder=EmbedderConfig(
                kind=env_str(e, "SEARCH_EMBEDDER", DEFAULT_OFFLINE_MODEL).strip(),
                base_url=env_str(e, "SEARCH_EMBEDDINGS_BASE_URL", ""),
                api_key=env_str(e, "SEARCH_EMBEDDINGS_API_KEY", ""),
                model=env_str(e, "SEARCH_EMBEDDINGS_MODEL", ""),
                dim=env_int(e, "SEARCH_EMBEDDINGS_DIM", 0),
                timeout_seconds=env_float(e, "SEARCH_EMBEDDINGS_TIMEOUT", 30.0),
                threads=env_int(e, "SEARCH_EMBEDDER_THREADS", 0),
            ),
            hybrid=HybridConfig(
                fusion=env_str(e, "SEARCH_FUSION", "rrf").strip().lower(),
                rrf_k=env_int(e, "SEARCH_RRF_K", 60),
                dense_weight=env_float(e, "SEARCH_DENSE_WEIGHT", 0.5),
                prune_query=env_bool(e, "SEARCH_PRUNE_QUERY", True),
            ),
            # An embedded graph lives beside the Milvus Lite file (by default both under
            # <repo>/.data/search), so one data folder holds the whole corpus.
            graph=GraphConfig.from_env(
                e,
                default_folder=(
                    Path(uri).parent if "://" not in uri else repo_root() / ".data" / "search"
                )
                / "graph",
            ),
        )
        config.validate()
        return config

    def validate(self) -> None:
        """Raise InvalidArgument naming the setting that is out of range."""
        if not MIN_CHUNK_TOKENS <= self.chunk_tokens <= MAX_CHUNK_TOKENS:
            raise InvalidArgument(
                "SEARCH_CHUNK_TOKENS", f"must be {MIN_CHUNK_TOKENS}..{MAX_CHUNK_TOKENS}"
            )
        if not 1 <= self.ingest_batch <= 5000:
            raise InvalidArgument("SEARCH_INGEST_BATCH", "must be 1..5000")
        if not self.collection.replace("_", "a").isalnum() or not self.collection[0].isalpha():
            raise InvalidArgument(
                "SEARCH_COLLECTION", "letters, digits and underscores, starting with a letter"
            )
        self.ingest_limits.validate()
        self.embedder.validate()
        self.hybrid.validate()

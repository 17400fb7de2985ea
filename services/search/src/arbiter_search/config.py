"""The search service's settings, read once from the environment at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from arbiter_kit.config import env_bool, env_int, env_str
from arbiter_kit.errors import InvalidArgument

from arbiter_search.chunker import MAX_CHUNK_TOKENS, MIN_CHUNK_TOKENS
from arbiter_search.graph.config import GraphConfig

DEFAULT_TENANT = "default"


def repo_root() -> Path:
    """The checkout this package runs from, or the working directory when installed."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "services" / "search").is_dir() and (parent / "protos").is_dir():
            return parent
    return Path.cwd()


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
    tenant: str = DEFAULT_TENANT
    """Tenant of calls that carry none, until authentication names one (DESIGN §6)."""
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
        `SEARCH_CHUNK_TOKENS`, `SEARCH_CONTEXT_INJECTION`, `SEARCH_INGEST_BATCH`."""
        e = os.environ if env is None else env
        default_uri = str(repo_root() / ".data" / "search" / "milvus.db")
        uri = e.get("SEARCH_MILVUS_URI") or e.get("MILVUS_URI") or default_uri
        if "://" not in uri:
            uri = str(Path(uri).expanduser().resolve())
        config = cls(
            # An embedded graph lives beside the Milvus Lite file (by default both under
            # <repo>/.data/search), so one data folder holds the whole corpus.
            graph=GraphConfig.from_env(
                e,
                default_folder=(
                    Path(uri).parent if "://" not in uri else repo_root() / ".data" / "search"
                )
                / "graph",
            ),
            milvus_uri=uri,
            milvus_token=e.get("SEARCH_MILVUS_TOKEN") or e.get("MILVUS_TOKEN") or "",
            collection=env_str(e, "SEARCH_COLLECTION", "passages"),
            chunk_tokens=env_int(e, "SEARCH_CHUNK_TOKENS", 256),
            context_injection=env_bool(e, "SEARCH_CONTEXT_INJECTION", False),
            ingest_batch=env_int(e, "SEARCH_INGEST_BATCH", 500),
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

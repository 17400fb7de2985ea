"""The search service's settings, read once from the environment at start-up: where the
passages live, and each part's own settings (`ingest.config`, `embed.config`,
`store.config`, `graph.config`; the research loop's are `research.config`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from arbiter_kit.config import env_str
from arbiter_kit.errors import InvalidArgument

from arbiter_search.embed.config import EmbedderConfig
from arbiter_search.graph.config import GraphConfig
from arbiter_search.ingest.config import IngestConfig, IngestLimits
from arbiter_search.store.config import DEFAULT_TENANT, HybridConfig

DEFAULT_COLLECTION = "passages"


def repo_root() -> Path:
    """The checkout this package runs from, or the working directory when installed."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "services" / "search").is_dir() and (parent / "protos").is_dir():
            return parent
    return Path.cwd()


@dataclass(frozen=True)
class SearchConfig:
    """Where passages live, and how they are cut, written, embedded and searched."""

    milvus_uri: str
    """A Milvus server (`http://host:19530`) or a Milvus Lite file (`/abs/dir/milvus.db`)."""
    milvus_token: str = ""
    """Milvus server credentials (`user:password` or an API key); empty for none."""
    collection: str = DEFAULT_COLLECTION
    """Collection holding the chunks."""
    ingest: IngestConfig = field(default_factory=IngestConfig)
    """How documents are cut into chunks and written."""
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
        `SEARCH_MILVUS_TOKEN` (else `MILVUS_TOKEN`), `SEARCH_COLLECTION`, and each part's
        settings: ingestion's, the embedder's, fusion's and the graph's."""
        e = os.environ if env is None else env
        default_uri = str(repo_root() / ".data" / "search" / "milvus.db")
        uri = e.get("SEARCH_MILVUS_URI") or e.get("MILVUS_URI") or default_uri
        if "://" not in uri:
            uri = str(Path(uri).expanduser().resolve())
        config = cls(
            milvus_uri=uri,
            milvus_token=e.get("SEARCH_MILVUS_TOKEN") or e.get("MILVUS_TOKEN") or "",
            collection=env_str(e, "SEARCH_COLLECTION", DEFAULT_COLLECTION),
            ingest=IngestConfig.from_env(e),
            ingest_limits=IngestLimits.from_env(e),
            embedder=EmbedderConfig.from_env(e),
            hybrid=HybridConfig.from_env(e),
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
        if not self.collection.replace("_", "a").isalnum() or not self.collection[0].isalpha():
            raise InvalidArgument(
                "SEARCH_COLLECTION", "letters, digits and underscores, starting with a letter"
            )
        self.ingest.validate()
        self.ingest_limits.validate()
        self.embedder.validate()
        self.hybrid.validate()

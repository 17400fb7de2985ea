"""The graph's settings, read once from the environment at start-up, and the store they
select: the embedded engine for a folder, Neo4j for a `bolt://` or `neo4j://` URI."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from arbiter_kit.config import env_override
from arbiter_kit.errors import InvalidArgument

from arbiter_search.graph.expansion import ExpansionSettings
from arbiter_search.graph.store import GraphStore

NEO4J_SCHEMES = ("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")
DISABLED = "none"


@dataclass(frozen=True)
class Neo4jLogin:
    """How the service signs in to a Neo4j server (`NEO4J_<FIELD>`)."""

    default: ClassVar[Neo4jLogin]

    user: str = ""
    """Empty for a server without authentication."""
    password: str = field(default="", repr=False)
    database: str = ""
    """Empty for the server's default."""


Neo4jLogin.default = Neo4jLogin()


@dataclass(frozen=True)
class GraphConfig:
    """Where the knowledge graph lives and how retrieval expands through it."""

    uri: str = ""
    """A folder for the embedded engine, a `bolt://`/`neo4j://` URI for Neo4j, or empty
    for no graph."""
    neo4j: Neo4jLogin = field(default_factory=Neo4jLogin)
    """Neo4j's credentials and database; a Neo4j URI only."""
    expansion: ExpansionSettings = field(default_factory=ExpansionSettings)

    @property
    def enabled(self) -> bool:
        return bool(self.uri)

    @property
    def is_neo4j(self) -> bool:
        return self.uri.startswith(NEO4J_SCHEMES)

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, default_folder: Path) -> GraphConfig:
        """Read `SEARCH_GRAPH_URI` (a folder, a Neo4j URI, or `none`; default
        `default_folder`), `NEO4J_USER`, `NEO4J_PASSWORD`, `NEO4J_DATABASE`,
        `SEARCH_GRAPH_HOPS`, `SEARCH_GRAPH_CAP`, `SEARCH_GRAPH_DISCOUNT`,
        `SEARCH_GRAPH_HIERARCHY`."""
        uri = env.get("SEARCH_GRAPH_URI") or str(default_folder)
        if uri.strip().lower() == DISABLED:
            uri = ""
        elif "://" not in uri:
            uri = str(Path(uri).expanduser().resolve())
        elif not uri.startswith(NEO4J_SCHEMES):
            raise InvalidArgument(
                "SEARCH_GRAPH_URI", "a folder, a bolt:// or neo4j:// URI, or 'none'"
            )
        return cls(
            uri=uri,
            neo4j=env_override(env, "NEO4J", Neo4jLogin.default),
            expansion=env_override(env, "SEARCH_GRAPH", ExpansionSettings.default),
        )


async def open_graph_store(config: GraphConfig) -> GraphStore | None:
    """The store `config` names, opened; None when the graph is disabled."""
    if not config.enabled:
        return None
    if config.is_neo4j:
        from arbiter_search.graph.neo4j_store import Neo4jGraphStore

        login = config.neo4j
        return await Neo4jGraphStore.open(
            config.uri, user=login.user, password=login.password, database=login.database
        )
    from arbiter_search.graph.embedded import LadybugGraphStore

    return await LadybugGraphStore.open(config.uri)

"""The graph's settings, read once from the environment at start-up, and the store they
select: the embedded engine for a folder, Neo4j for a `bolt://` or `neo4j://` URI."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from arbiter_kit.config import env_bool, env_float, env_int, env_str
from arbiter_kit.errors import InvalidArgument

from arbiter_search.graph.expansion import MAX_HOPS, ExpansionSettings
from arbiter_search.graph.store import GraphStore

NEO4J_SCHEMES = ("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")
DISABLED = "none"


@dataclass(frozen=True)
class GraphConfig:
    """Where the knowledge graph lives and how retrieval expands through it."""

    uri: str = ""
    """A folder for the embedded engine, a `bolt://`/`neo4j://` URI for Neo4j, or empty
    for no graph."""
    user: str = ""
    """Neo4j user; empty for a server without authentication."""
    password: str = field(default="", repr=False)
    database: str = ""
    """Neo4j database; empty for the server's default."""
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
        hops = env_int(env, "SEARCH_GRAPH_HOPS", 1)
        cap = env_int(env, "SEARCH_GRAPH_CAP", 10)
        discount = env_float(env, "SEARCH_GRAPH_DISCOUNT", 0.5)
        if not 1 <= hops <= MAX_HOPS:
            raise InvalidArgument("SEARCH_GRAPH_HOPS", f"must be 1..{MAX_HOPS}")
        if not 0 <= cap <= 100:
            raise InvalidArgument("SEARCH_GRAPH_CAP", "must be 0..100")
        if not 0.0 < discount <= 1.0:
            raise InvalidArgument("SEARCH_GRAPH_DISCOUNT", "must be in (0, 1]")
        return cls(
            uri=uri,
            user=env_str(env, "NEO4J_USER", ""),
            password=env_str(env, "NEO4J_PASSWORD", ""),
            database=env_str(env, "NEO4J_DATABASE", ""),
            expansion=ExpansionSettings(
                hops=hops,
                cap=cap,
                discount=discount,
                hierarchy=env_bool(env, "SEARCH_GRAPH_HIERARCHY", False),
            ),
        )


async def open_graph_store(config: GraphConfig) -> GraphStore | None:
    """The store `config` names, opened; None when the graph is disabled."""
    if not config.enabled:
        return None
    if config.is_neo4j:
        from arbiter_search.graph.neo4j_store import Neo4jGraphStore

        return await Neo4jGraphStore.open(
            config.uri, user=config.user, password=config.password, database=config.database
        )
    from arbiter_search.graph.embedded import LadybugGraphStore

    return await LadybugGraphStore.open(config.uri)

"""The knowledge graph: documents, passages and the cross-references read from rule text,
built during ingestion and followed by retrieval."""

from arbiter_search.graph.config import GraphConfig, open_graph_store
from arbiter_search.graph.embedded import LadybugGraphStore
from arbiter_search.graph.expansion import ExpansionSettings, GraphExpander, merge
from arbiter_search.graph.indexer import GraphIndexer, IndexTally
from arbiter_search.graph.model import (
    DocumentNode,
    FindingNode,
    Label,
    Neighbour,
    PassageNode,
    Precedent,
    Reference,
    Rel,
)
from arbiter_search.graph.neo4j_store import Neo4jGraphStore
from arbiter_search.graph.references import Kind, Mention, extract
from arbiter_search.graph.resolution import AddressBook
from arbiter_search.graph.store import GraphChange, GraphSnapshot, GraphStore

__all__ = [
    "AddressBook",
    "DocumentNode",
    "ExpansionSettings",
    "FindingNode",
    "GraphChange",
    "GraphConfig",
    "GraphExpander",
    "GraphIndexer",
    "GraphSnapshot",
    "GraphStore",
    "IndexTally",
    "Kind",
    "Label",
    "LadybugGraphStore",
    "Mention",
    "Neighbour",
    "Neo4jGraphStore",
    "PassageNode",
    "Precedent",
    "Reference",
    "Rel",
    "extract",
    "merge",
    "open_graph_store",
]

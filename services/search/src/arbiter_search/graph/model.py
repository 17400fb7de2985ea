"""The knowledge graph's vocabulary (every label and relationship name lives here) and the
records that cross the `GraphStore` interface.

Today: (Document)-[:CONTAINS]->(Passage)-[:REFERENCES]->(Passage). Findings and their
dispositions join later as (Finding)-[:VIOLATES]->(Passage) and
(Finding)-[:DISPOSED_AS]->(Disposition); their names are reserved below so that queries
and schemas are written against one list.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from arbiter_search.graph.addresses import place_of


class Label(StrEnum):
    """Node labels (Kùzu-family engines: node tables)."""

    DOCUMENT = "Document"
    PASSAGE = "Passage"
    TENANT = "GraphTenant"
    """One per tenant: the generation counter that tells an indexer its cache is stale."""
    FINDING = "Finding"
    """Reserved: audit findings (a later issue)."""
    DISPOSITION = "Disposition"
    """Reserved: how a finding was disposed of (a later issue)."""


class Rel(StrEnum):
    """Relationship types (Kùzu-family engines: rel tables)."""

    CONTAINS = "CONTAINS"
    """Document -> Passage."""
    REFERENCES = "REFERENCES"
    """Passage -> Passage it cites; property `mention` keeps the citing text."""
    VIOLATES = "VIOLATES"
    """Reserved: Finding -> Passage."""
    DISPOSED_AS = "DISPOSED_AS"
    """Reserved: Finding -> Disposition."""


KEY_SEPARATOR = "\x1f"
"""Between tenant and id in node keys; ids cannot contain control characters."""


def node_key(tenant: str, node_id: str) -> str:
    """The unique key of a tenant's node: two tenants' ids never collide."""
    return f"{tenant}{KEY_SEPARATOR}{node_id}"


@dataclass(frozen=True)
class DocumentNode:
    """A rulebook or guidance document."""

    tenant: str
    id: str
    rulebook: str
    """Short name ("COBS") or, for documents without one, the full title."""
    title: str

    @property
    def key(self) -> str:
        return node_key(self.tenant, self.id)


@dataclass(frozen=True)
class PassageNode:
    """A passage (a rule, a guidance note, a paragraph) as the graph knows it: no text,
    which stays in the vector store, but the mentions read from it."""

    tenant: str
    source_id: str
    passage_ref: str
    document_id: str
    rulebook: str
    content_hash: str
    """The source document's hash as ingested; unchanged hash, unchanged node."""
    mentions: tuple[str, ...] = ()
    """`Mention.encode()` lines, kept so that a target ingested later can be resolved."""

    @property
    def key(self) -> str:
        return node_key(self.tenant, self.source_id)

    @property
    def document_key(self) -> str:
        return node_key(self.tenant, self.document_id)

    @property
    def address(self) -> str | None:
        return place_of(self.passage_ref).address

    @property
    def parent(self) -> str | None:
        return place_of(self.passage_ref).parent


@dataclass(frozen=True)
class Reference:
    """A resolved cross-reference: `source_id` cites `target_id` as `mention`."""

    source_id: str
    target_id: str
    mention: str


@dataclass(frozen=True)
class Neighbour:
    """A passage next to `of` in the graph, and how it is related."""

    of: str
    """Source id of the passage the step started from."""
    source_id: str
    relation: str
    """`Rel.REFERENCES` either way, or `sibling` / `parent` by passage_ref hierarchy."""


SIBLING = "sibling"
PARENT = "parent"

"""The knowledge graph's vocabulary (every label and relationship name lives here) and the
records that cross the `GraphStore` interface.

(Document)-[:CONTAINS]->(Passage)-[:REFERENCES]->(Passage) for rule text, and for audit
findings (documents of type `finding`) (Finding)-[:VIOLATES]->(Passage) to the passages a
finding cites and (Finding)-[:DISPOSED_AS]->(Disposition) to how it ended, so that a rule
leads to the findings under it and their outcomes, and a finding to its rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from arbiter_search.graph.addresses import place_of
from arbiter_search.ingest.findings import Disposition


class Label(StrEnum):
    """Node labels (Kùzu-family engines: node tables)."""

    DOCUMENT = "Document"
    PASSAGE = "Passage"
    TENANT = "GraphTenant"
    """One per tenant: the generation counter that tells an indexer its cache is stale."""
    FINDING = "Finding"
    """An audit finding (a document of type `finding`), keyed like a passage."""
    DISPOSITION = "Disposition"
    """How one finding was disposed of; keyed by its finding's key."""


class Rel(StrEnum):
    """Relationship types (Kùzu-family engines: rel tables)."""

    CONTAINS = "CONTAINS"
    """Document -> Passage."""
    REFERENCES = "REFERENCES"
    """Passage -> Passage it cites; property `mention` keeps the citing text."""
    VIOLATES = "VIOLATES"
    """Finding -> Passage it cites."""
    DISPOSED_AS = "DISPOSED_AS"
    """Finding -> Disposition."""


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
class FindingNode:
    """An audit finding as the graph knows it: the passages it cites (linked by VIOLATES
    once they are in the graph, whichever arrives first) and its disposition, if any."""

    tenant: str
    source_id: str
    rulebook: str
    severity: str
    content_hash: str
    """The report's hash as ingested; unchanged hash, unchanged node."""
    cites: tuple[str, ...] = ()
    """Source ids of the passages it cites."""
    disposition: Disposition | None = None

    @property
    def key(self) -> str:
        return node_key(self.tenant, self.source_id)


@dataclass(frozen=True)
class Precedent:
    """A finding that cites `passage_id`, as a rule's precedents are read."""

    passage_id: str
    finding: FindingNode


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
    """`Rel.REFERENCES` either way, `Rel.VIOLATES` either way (a finding and a passage it
    cites), or `sibling` / `parent` by passage_ref hierarchy."""


SIBLING = "sibling"
PARENT = "parent"

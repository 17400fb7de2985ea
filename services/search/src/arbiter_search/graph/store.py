"""The `GraphStore` interface: an embedded engine by default, Neo4j in production, the same
Cypher where the dialects agree (`cypher`). Every read filters by tenant and ends by the
caller's deadline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from arbiter_kit.deadline import Deadline

from arbiter_search.graph.model import (
    DocumentNode,
    FindingNode,
    Neighbour,
    PassageNode,
    Precedent,
    Reference,
    node_key,
)
from arbiter_search.ingest.findings import Disposition

WRITE_TIMEOUT_SECONDS = 120.0
"""Cap on one write transaction (ingestion carries no deadline of its own)."""


@dataclass(frozen=True)
class GraphSnapshot:
    """Everything a tenant's graph holds that an indexer needs to resolve references."""

    generation: int
    documents: tuple[DocumentNode, ...]
    passages: tuple[PassageNode, ...]
    references: tuple[Reference, ...]
    findings: tuple[FindingNode, ...] = ()


@dataclass(frozen=True)
class GraphChange:
    """One write, applied atomically: upserts and the reference edges added and removed."""

    tenant: str
    documents: Sequence[DocumentNode] = ()
    passages: Sequence[PassageNode] = ()
    """Created or updated (and attached to their document) by key."""
    added: Sequence[Reference] = field(default_factory=tuple)
    """Edges that do not exist yet."""
    removed: Sequence[Reference] = field(default_factory=tuple)
    findings: Sequence[FindingNode] = ()
    """Created or replaced by key, with their dispositions; a replaced finding loses its
    VIOLATES edges, so `violations` lists every edge its citations now make."""
    violations: Sequence[tuple[str, str]] = ()
    """(finding source id, passage source id) VIOLATES edges to create; both exist."""

    def __bool__(self) -> bool:
        return bool(
            self.documents
            or self.passages
            or self.added
            or self.removed
            or self.findings
            or self.violations
        )


class GraphStore(Protocol):
    """Documents, passages and their references, per tenant."""

    async def generation(self, *, tenant: str, deadline: Deadline | None = None) -> int:
        """Bumped by every write; 0 before the first. A cache of the tenant's graph is
        current while this is unchanged."""
        ...

    async def snapshot(self, *, tenant: str, deadline: Deadline | None = None) -> GraphSnapshot:
        """The tenant's documents, passages and references."""
        ...

    async def write(self, change: GraphChange) -> int:
        """Apply `change` in one transaction; the tenant's new generation."""
        ...

    async def neighbours(
        self, *, tenant: str, source_ids: Sequence[str], deadline: Deadline | None = None
    ) -> list[Neighbour]:
        """Passages that reference, or are referenced by, any of `source_ids`."""
        ...

    async def relatives(
        self, *, tenant: str, source_ids: Sequence[str], deadline: Deadline | None = None
    ) -> list[Neighbour]:
        """Siblings (same parent address in the same document) and parents of each."""
        ...

    async def precedents(
        self, *, tenant: str, source_ids: Sequence[str], deadline: Deadline | None = None
    ) -> list[Precedent]:
        """The findings that cite any of the passages `source_ids`, with their
        dispositions, in the order of `source_ids` and then by finding id."""
        ...

    async def close(self) -> None: ...


def passage_row(node: PassageNode) -> dict[str, object]:
    """A passage as statement parameters."""
    return {
        "key": node.key,
        "document_key": node.document_key,
        "tenant": node.tenant,
        "source_id": node.source_id,
        "passage_ref": node.passage_ref,
        "document_id": node.document_id,
        "rulebook": node.rulebook,
        "address": node.address,
        "parent": node.parent,
        "content_hash": node.content_hash,
        "mentions": list(node.mentions),
    }


def passage_of(tenant: str, row: Sequence[Any]) -> PassageNode:
    """A passage from the columns of `cypher.PASSAGES`."""
    source_id, passage_ref, document_id, rulebook, content_hash, mentions = row
    return PassageNode(
        tenant,
        source_id,
        passage_ref,
        document_id,
        rulebook,
        content_hash,
        tuple(mentions or ()),
    )


def document_row(node: DocumentNode) -> dict[str, object]:
    return {
        "key": node.key,
        "tenant": node.tenant,
        "id": node.id,
        "rulebook": node.rulebook,
        "title": node.title,
    }


def edge_row(tenant: str, reference: Reference) -> dict[str, object]:
    return {
        "source": node_key(tenant, reference.source_id),
        "target": node_key(tenant, reference.target_id),
        "mention": reference.mention,
    }


def finding_row(node: FindingNode) -> dict[str, object]:
    """A finding and its disposition as statement parameters."""
    disposition = node.disposition
    return {
        "key": node.key,
        "tenant": node.tenant,
        "source_id": node.source_id,
        "rulebook": node.rulebook,
        "severity": node.severity,
        "content_hash": node.content_hash,
        "cites": list(node.cites),
        "disposed": disposition is not None,
        "outcome": disposition.outcome if disposition else "",
        "penalty_usd": disposition.penalty_usd if disposition else 0.0,
        "decided_on": disposition.decided_on if disposition else "",
    }


def finding_of(tenant: str, row: Sequence[Any]) -> FindingNode:
    """A finding from the columns of `cypher.FINDINGS` (the last three its disposition's,
    null when it has none)."""
    source_id, rulebook, severity, content_hash, cites, outcome, penalty, decided_on = row
    disposition = None
    if outcome is not None:
        disposition = Disposition(outcome, float(penalty or 0.0), decided_on or "")
    return FindingNode(
        tenant, source_id, rulebook, severity, content_hash, tuple(cites or ()), disposition
    )


def violation_row(tenant: str, finding_id: str, passage_id: str) -> dict[str, object]:
    return {"finding": node_key(tenant, finding_id), "passage": node_key(tenant, passage_id)}

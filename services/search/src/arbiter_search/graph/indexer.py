"""Builds the graph during ingestion: each batch of prepared documents becomes document and
passage nodes, and their cross-references become edges; a finding (a document of type
`finding`) becomes a finding node, with its disposition, linked to the passages it cites.

Idempotent: a passage whose content hash the graph already has is skipped, and edges are
written as the difference between what resolution wants and what exists, so re-ingesting
changes nothing, a changed passage has its outgoing references replaced, and a target
ingested after the passage (or finding) that cites it is linked when it arrives.

Resolution needs the tenant's whole address book, so the indexer keeps it in memory,
loaded once and reloaded whenever the store's generation shows another writer (another
replica on a shared Neo4j) has changed the tenant's graph.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from arbiter_search.graph.model import DocumentNode, FindingNode, PassageNode, Reference
from arbiter_search.graph.references import extract
from arbiter_search.graph.resolution import AddressBook
from arbiter_search.graph.store import GraphChange, GraphSnapshot, GraphStore
from arbiter_search.ingest.documents import PreparedDocument
from arbiter_search.store.base import passage_text

log = logging.getLogger(__name__)

TITLE_SEPARATOR = " — "
"""Between a document's title and the passage ref in the corpus's passage titles."""


@dataclass(frozen=True)
class IndexTally:
    """What one batch changed in the graph."""

    passages: int = 0
    """Passages created or updated."""
    added: int = 0
    removed: int = 0
    unresolved: int = 0
    """Mentions in the written passages that name no passage (yet)."""
    findings: int = 0
    """Findings created or replaced."""
    violations: int = 0
    """Finding -> passage links made."""


@dataclass
class _TenantGraph:
    generation: int
    book: AddressBook
    documents: dict[str, DocumentNode]
    edges: dict[str, dict[str, str]] = field(default_factory=dict)
    """source id -> {target id: mention} as stored."""
    settled: set[str] = field(default_factory=set)
    """Passages whose references no later arrival can change (see `Resolved.settled`)."""
    findings: dict[str, FindingNode] = field(default_factory=dict)
    citers: dict[str, set[str]] = field(default_factory=dict)
    """passage source id -> the findings that cite it, whether it is in the graph or not."""

    def cite(self, finding: FindingNode) -> None:
        """Record `finding` (replacing its earlier version) and whom it cites."""
        old = self.findings.get(finding.source_id)
        for cited in old.cites if old else ():
            self.citers.get(cited, set()).discard(finding.source_id)
        self.findings[finding.source_id] = finding
        for cited in finding.cites:
            self.citers.setdefault(cited, set()).add(finding.source_id)

    @classmethod
    def of(cls, snapshot: GraphSnapshot) -> _TenantGraph:
        book = AddressBook()
        documents = {d.id: d for d in snapshot.documents}
        for d in snapshot.documents:
            book.name_document(d.id, rulebook=d.rulebook, title=d.title)
        for p in snapshot.passages:
            book.put(p)
        edges: dict[str, dict[str, str]] = {}
        for r in snapshot.references:
            edges.setdefault(r.source_id, {})[r.target_id] = r.mention
        graph = cls(snapshot.generation, book, documents, edges)
        for finding in snapshot.findings:
            graph.cite(finding)
        return graph


def graph_nodes(document: PreparedDocument, *, tenant: str) -> tuple[DocumentNode, PassageNode]:
    """The document and passage nodes of one prepared source document."""
    first = document.chunks[0]
    document_id = first.document_id or document.source_id
    title = first.title
    if first.passage_ref and title.endswith(TITLE_SEPARATOR + first.passage_ref):
        title = title[: -len(TITLE_SEPARATOR + first.passage_ref)]
    text = "\n".join(passage_text(chunk.text) for chunk in document.chunks)
    passage = PassageNode(
        tenant=tenant,
        source_id=document.source_id,
        passage_ref=first.passage_ref,
        document_id=document_id,
        rulebook=first.rulebook,
        content_hash=document.content_hash,
        mentions=tuple(m.encode() for m in extract(text)),
    )
    return DocumentNode(tenant, document_id, first.rulebook or title, title), passage


def finding_node(document: PreparedDocument, *, tenant: str) -> FindingNode:
    """The finding node of a prepared document of type `finding`."""
    assert document.finding is not None
    facts = document.finding
    return FindingNode(
        tenant=tenant,
        source_id=document.source_id,
        rulebook=document.chunks[0].rulebook,
        severity=facts.severity,
        content_hash=document.content_hash,
        cites=facts.cites,
        disposition=facts.disposition,
    )


class GraphIndexer:
    """Keeps one store's graph in step with what is ingested."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store
        self._tenants: dict[str, _TenantGraph] = {}
        self._lock = asyncio.Lock()

    async def index(self, documents: Iterable[PreparedDocument], *, tenant: str) -> IndexTally:
        """Bring the graph in line with `documents` (a batch just written to the vector
        store, unchanged ones included, so that a lost graph is rebuilt by re-ingesting)."""
        async with self._lock:
            graph = await self._current(tenant)
            try:
                return await self._index(graph, documents, tenant)
            except BaseException:
                # The write may or may not have landed: reload before the next batch.
                self._tenants.pop(tenant, None)
                raise

    async def _current(self, tenant: str) -> _TenantGraph:
        graph = self._tenants.get(tenant)
        if graph is None or await self._store.generation(tenant=tenant) != graph.generation:
            graph = _TenantGraph.of(await self._store.snapshot(tenant=tenant))
            self._tenants[tenant] = graph
            log.info("graph loaded", extra={"tenant": tenant, "passages": len(graph.book)})
        return graph

    async def _index(
        self, graph: _TenantGraph, documents: Iterable[PreparedDocument], tenant: str
    ) -> IndexTally:
        passages: dict[str, PassageNode] = {}
        new_documents: dict[str, DocumentNode] = {}
        findings: dict[str, FindingNode] = {}
        changed: list[PreparedDocument] = []
        for prepared in documents:
            if prepared.finding is not None:
                stored_finding = graph.findings.get(prepared.source_id)
                if stored_finding is None or stored_finding.content_hash != prepared.content_hash:
                    findings[prepared.source_id] = finding_node(prepared, tenant=tenant)
                continue
            stored = graph.book.get(prepared.source_id)
            if stored is None or stored.content_hash != prepared.content_hash:
                changed.append(prepared)
        # Reading a batch's references is CPU-bound: off the event loop.
        nodes = await asyncio.to_thread(lambda: [graph_nodes(p, tenant=tenant) for p in changed])
        for document, passage in nodes:
            passages[passage.source_id] = passage
            if graph.documents.get(document.id) != document:
                new_documents[document.id] = document
        if not passages and not new_documents and not findings:
            return IndexTally()
        arrived = [s for s in passages if graph.book.get(s) is None]
        for document in new_documents.values():
            graph.documents[document.id] = document
            graph.book.name_document(document.id, rulebook=document.rulebook, title=document.title)
        for passage in passages.values():
            graph.book.put(passage)
        added, removed, unresolved = self._rewire(graph, passages, set(new_documents))
        for finding in findings.values():
            graph.cite(finding)
        violations = _violations(graph, findings, arrived)
        change = GraphChange(
            tenant=tenant,
            documents=tuple(new_documents.values()),
            passages=tuple(passages.values()),
            added=added,
            removed=removed,
            findings=tuple(findings.values()),
            violations=violations,
        )
        graph.generation = await self._store.write(change)
        for r in removed:
            graph.edges.get(r.source_id, {}).pop(r.target_id, None)
        for r in added:
            graph.edges.setdefault(r.source_id, {})[r.target_id] = r.mention
        return IndexTally(
            len(passages), len(added), len(removed), unresolved, len(findings), len(violations)
        )

    def _rewire(
        self, graph: _TenantGraph, changed: dict[str, PassageNode], named: set[str]
    ) -> tuple[list[Reference], list[Reference], int]:
        """Edges to add and remove so that every passage whose references may have changed
        points where resolution now says: the changed passages, and the passages that cite
        into the documents they belong to (or cite by rulebook, when a document was named)."""
        touched = {p.document_id for p in changed.values()} | named
        added: list[Reference] = []
        removed: list[Reference] = []
        unresolved = 0
        for node in graph.book.nodes():
            if node.source_id not in changed and (
                not node.mentions
                or node.source_id in graph.settled
                or not (node.document_id in touched or _cites_into(node, touched, graph.book))
            ):
                continue
            resolved = graph.book.resolve(node)
            if resolved.settled:
                graph.settled.add(node.source_id)
            else:
                graph.settled.discard(node.source_id)
            if node.source_id in changed:
                unresolved += resolved.unresolved
            have = graph.edges.get(node.source_id, {})
            for target, mention in have.items():
                if resolved.targets.get(target) != mention:
                    removed.append(Reference(node.source_id, target, mention))
            for target, mention in resolved.targets.items():
                if have.get(target) != mention:
                    added.append(Reference(node.source_id, target, mention))
        return added, removed, unresolved


def _violations(
    graph: _TenantGraph, findings: dict[str, FindingNode], arrived: list[str]
) -> list[tuple[str, str]]:
    """The VIOLATES edges to create: every citation of a (re)written finding whose passage
    is in the graph (a rewritten finding lost its edges), and the citations of findings
    already stored that name a passage arriving now."""
    edges = [(f.source_id, p) for f in findings.values() for p in f.cites if graph.book.get(p)]
    for passage in arrived:
        edges += [(f, passage) for f in sorted(graph.citers.get(passage, ())) if f not in findings]
    return edges


def _cites_into(node: PassageNode, documents: set[str], book: AddressBook) -> bool:
    """True when one of `node`'s mentions names a rulebook that is one of `documents`."""
    for line in node.mentions:
        # Encoded mentions are "kind<TAB>target<TAB>rulebook<TAB>surface".
        rulebook = line.split("\t", 3)[2]
        if rulebook and book.documents_named(rulebook) & documents:
            return True
    return False

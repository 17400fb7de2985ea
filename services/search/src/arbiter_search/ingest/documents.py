"""From a source document to the chunks that store it: validation, metadata mapping,
structure (markdown sections), context injection, the content hash that makes
re-ingestion idempotent, and deterministic chunk ids."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from arbiter_kit.errors import InvalidArgument, shown

from arbiter_search.ingest.chunker import Chunker
from arbiter_search.ingest.context import FACT_KEYS, ContextInjection
from arbiter_search.ingest.findings import FindingFacts, doc_type, finding_facts
from arbiter_search.ingest.markdown import Section, sections
from arbiter_search.store import schema
from arbiter_search.store.base import Chunk, indexed_text

if TYPE_CHECKING:
    from arbiter_search.ingest.config import IngestConfig

MAX_CHUNKS_PER_DOCUMENT = 10_000
MAX_METADATA_KEYS = 64
MAX_METADATA_KEY_CHARS = 128
MAX_METADATA_VALUE_CHARS = 8192
PREPARATION = "prepare-v4"
"""Bumped whenever the same document would be prepared into other chunks (v4: a document
that names no type is stored as a `rule`)."""
FORMAT_KEY = "format"
"""Metadata key naming how `text` is written: `text` (the default) or `markdown`."""
FORMATS = ("text", "markdown")

METADATA_COLUMNS: Mapping[schema.Column, tuple[str, ...]] = {
    schema.DOCUMENT_ID: ("document_id",),
    schema.RULEBOOK: ("rulebook", "document_short"),
    schema.PASSAGE_REF: ("passage_ref", "passage_id"),
    schema.DOCUMENT_FILE: ("document_file",),
    schema.DOC_TYPE: ("doc_type",),
}
"""Which metadata keys fill each scalar column; the first present key wins."""


@dataclass(frozen=True)
class SourceDocument:
    """A document as a data owner sends it."""

    id: str
    title: str
    text: str
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PreparedDocument:
    """A valid document cut into the chunks that should be stored for it."""

    source_id: str
    content_hash: str
    chunks: tuple[Chunk, ...]
    finding: FindingFacts | None = None
    """For a document of type `finding`: what it cites and how it was disposed of."""


@dataclass(frozen=True)
class Rejection:
    """A document that cannot be stored, and why."""

    source_id: str
    reason: str


class DocumentPreparer:
    """Validates documents and cuts them into chunks for one chunker configuration."""

    def __init__(
        self,
        chunker: Chunker,
        *,
        default_tenant: str,
        context: ContextInjection | None = None,
    ) -> None:
        self._chunker = chunker
        self._default_tenant = default_tenant
        self._context = context or ContextInjection(enabled=False)

    def prepare(
        self, document: SourceDocument, *, tenant: str, path: str = "document"
    ) -> PreparedDocument | Rejection:
        """The chunks of `document`, or a Rejection for a document with nothing to store.

        Markdown documents are cut on their headings first, and no chunk spans two
        sections; with context injection on, each chunk is indexed behind its header.
        Raises InvalidArgument (naming e.g. `documents[3].id` when `path` is
        `documents[3]`) when a field is malformed: the sender has a bug worth stopping
        for, unlike an empty passage in a corpus. CPU-bound: callers on an event loop run
        it in a worker thread.
        """
        if not document.id.strip():
            return Rejection(document.id, "missing id")
        _check_document(document, path)
        meta = {c: _first(document.metadata, keys) for c, keys in METADATA_COLUMNS.items()}
        meta[schema.DOC_TYPE] = doc_type(document.metadata)
        finding = finding_facts(document.metadata, path=path)
        facts = {key: document.metadata[key] for key in FACT_KEYS if key in document.metadata}
        content_hash = self.content_hash(document)
        chunks: list[Chunk] = []
        for section in self._sections(document):
            header = self._context.header(
                title=document.title,
                rulebook=meta[schema.RULEBOOK],
                section=section.path,
                facts=facts,
                counter=self._chunker.counter,
                max_tokens=self._chunker.max_tokens,
            )
            # Room for the header and its mark, so the indexed text stays within budget.
            budget = self._chunker.max_tokens - self._chunker.count(indexed_text(header, ""))
            for passage in self._chunker.split(section.text, max_tokens=budget):
                if len(chunks) == MAX_CHUNKS_PER_DOCUMENT:
                    raise InvalidArgument(
                        f"{path}.text",
                        f"document {shown(document.id)} makes more than "
                        f"{MAX_CHUNKS_PER_DOCUMENT} chunks",
                    )
                index = len(chunks)
                chunks.append(
                    Chunk(
                        id=schema.chunk_id(
                            tenant, document.id, index, default_tenant=self._default_tenant
                        ),
                        tenant=tenant,
                        source_id=document.id,
                        chunk_index=index,
                        document_id=meta[schema.DOCUMENT_ID],
                        rulebook=meta[schema.RULEBOOK],
                        passage_ref=section.ref or meta[schema.PASSAGE_REF],
                        title=document.title,
                        document_file=meta[schema.DOCUMENT_FILE],
                        doc_type=meta[schema.DOC_TYPE],
                        content_hash=content_hash,
                        text=indexed_text(header, passage),
                    )
                )
        if not chunks:
            return Rejection(document.id, "empty text")
        return PreparedDocument(document.id, content_hash, tuple(chunks), finding)

    def content_hash(self, document: SourceDocument) -> str:
        """SHA-256 over everything that shapes the stored chunks: the document, and how
        it is cut and indexed."""
        digest = hashlib.sha256()
        parts = [PREPARATION, self._chunker.signature, self._context.signature]
        parts += [document.title, document.text]
        for key, value in sorted(document.metadata.items()):
            parts += [key, value]
        for part in parts:
            # Length-prefixed, so no two different field lists hash the same bytes.
            encoded = part.encode()
            digest.update(len(encoded).to_bytes(8, "big"))
            digest.update(encoded)
        return digest.hexdigest()

    def _sections(self, document: SourceDocument) -> list[Section]:
        if document.metadata.get(FORMAT_KEY) == "markdown":
            return sections(document.text)
        return [Section((), document.text)]


def preparer_for(config: IngestConfig, *, default_tenant: str) -> DocumentPreparer:
    """The preparer a search service with `config` ingests with."""
    return DocumentPreparer(
        Chunker(max_tokens=config.chunk_tokens),
        default_tenant=default_tenant,
        context=ContextInjection(enabled=config.context_injection),
    )


def _first(metadata: Mapping[str, str], keys: tuple[str, ...]) -> str:
    for key in keys:
        value = metadata.get(key)
        if value:
            return value
    return ""


_CONTROL = re.compile(r"[\x00-\x1f]")


def _check_document(document: SourceDocument, path: str) -> None:
    _check_bytes(f"{path}.id", document.id, schema.SOURCE_ID.max_bytes)
    if _CONTROL.search(document.id):
        raise InvalidArgument(f"{path}.id", "control characters are not allowed")
    _check_bytes(f"{path}.title", document.title, schema.TITLE.max_bytes)
    if len(document.metadata) > MAX_METADATA_KEYS:
        raise InvalidArgument(f"{path}.metadata", f"at most {MAX_METADATA_KEYS} keys")
    for key, value in document.metadata.items():
        if len(key) > MAX_METADATA_KEY_CHARS:
            raise InvalidArgument(f"{path}.metadata", f"key {shown(key, limit=32)} is too long")
        if len(value) > MAX_METADATA_VALUE_CHARS:
            raise InvalidArgument(f"{path}.metadata[{key}]", "value is too long")
    if document.metadata.get(FORMAT_KEY, "text") not in FORMATS:
        raise InvalidArgument(
            f"{path}.metadata[{FORMAT_KEY}]", f"must be one of {', '.join(FORMATS)}"
        )
    for column, keys in METADATA_COLUMNS.items():
        for key in keys:
            if key in document.metadata:
                _check_bytes(f"{path}.metadata[{key}]", document.metadata[key], column.max_bytes)


def _check_bytes(path: str, value: str, limit: int) -> None:
    if len(value.encode()) > limit:
        raise InvalidArgument(path, f"at most {limit} bytes of UTF-8")

"""From a source document to the chunks that store it: validation, metadata mapping,
the content hash that makes re-ingestion idempotent, and deterministic chunk ids."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from arbiter_kit.errors import InvalidArgument

from arbiter_search import schema
from arbiter_search.chunker import Chunker
from arbiter_search.store import Chunk

MAX_CHUNKS_PER_DOCUMENT = 10_000
MAX_METADATA_KEYS = 64
MAX_METADATA_KEY_CHARS = 128
MAX_METADATA_VALUE_CHARS = 8192

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


@dataclass(frozen=True)
class Rejection:
    """A document that cannot be stored, and why."""

    source_id: str
    reason: str


def chunk_id(tenant: str, source_id: str, index: int, *, default_tenant: str) -> str:
    """The primary key of a chunk: `<source_id>#<n>`, tenant-qualified outside the default
    tenant so that two tenants' documents with the same id never collide."""
    if tenant == default_tenant:
        return f"{source_id}#{index}"
    return f"{tenant}/{source_id}#{index}"


class DocumentPreparer:
    """Validates documents and cuts them into chunks for one chunker configuration."""

    def __init__(self, chunker: Chunker, *, default_tenant: str) -> None:
        self._chunker = chunker
        self._default_tenant = default_tenant

    def prepare(self, document: SourceDocument, *, tenant: str) -> PreparedDocument | Rejection:
        """The chunks of `document`, or a Rejection for a document with nothing to store.

        Raises InvalidArgument (naming e.g. `document.id`) when a field is malformed: the
        sender has a bug worth stopping for, unlike an empty passage in a corpus.
        """
        if not document.id.strip():
            return Rejection(document.id, "missing id")
        _check_document(document)
        texts = self._chunker.split(document.text)
        if not texts:
            return Rejection(document.id, "empty text")
        if len(texts) > MAX_CHUNKS_PER_DOCUMENT:
            raise InvalidArgument(
                "document.text",
                f"document {document.id!r} makes {len(texts)} chunks; "
                f"at most {MAX_CHUNKS_PER_DOCUMENT}",
            )
        content_hash = self.content_hash(document)
        meta = {c: _first(document.metadata, keys) for c, keys in METADATA_COLUMNS.items()}
        chunks = tuple(
            Chunk(
                id=chunk_id(tenant, document.id, i, default_tenant=self._default_tenant),
                tenant=tenant,
                source_id=document.id,
                chunk_index=i,
                document_id=meta[schema.DOCUMENT_ID],
                rulebook=meta[schema.RULEBOOK],
                passage_ref=meta[schema.PASSAGE_REF],
                title=document.title,
                document_file=meta[schema.DOCUMENT_FILE],
                doc_type=meta[schema.DOC_TYPE],
                content_hash=content_hash,
                text=text,
            )
            for i, text in enumerate(texts)
        )
        return PreparedDocument(document.id, content_hash, chunks)

    def content_hash(self, document: SourceDocument) -> str:
        """SHA-256 over everything that shapes the stored chunks, the chunker included."""
        canonical = json.dumps(
            {
                "chunker": self._chunker.signature,
                "title": document.title,
                "text": document.text,
                "metadata": dict(sorted(document.metadata.items())),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


def _first(metadata: Mapping[str, str], keys: tuple[str, ...]) -> str:
    for key in keys:
        value = metadata.get(key)
        if value:
            return value
    return ""


def _check_document(document: SourceDocument) -> None:
    _check_bytes("document.id", document.id, schema.SOURCE_ID.max_bytes)
    if any(ord(ch) < 32 for ch in document.id):
        raise InvalidArgument("document.id", "control characters are not allowed")
    _check_bytes("document.title", document.title, schema.TITLE.max_bytes)
    if len(document.metadata) > MAX_METADATA_KEYS:
        raise InvalidArgument("document.metadata", f"at most {MAX_METADATA_KEYS} keys")
    for key, value in document.metadata.items():
        if len(key) > MAX_METADATA_KEY_CHARS:
            raise InvalidArgument("document.metadata", f"key {key[:32]!r}... is too long")
        if len(value) > MAX_METADATA_VALUE_CHARS:
            raise InvalidArgument(f"document.metadata[{key}]", "value is too long")
    for column, keys in METADATA_COLUMNS.items():
        for key in keys:
            if key in document.metadata:
                _check_bytes(f"document.metadata[{key}]", document.metadata[key], column.max_bytes)


def _check_bytes(path: str, value: str, limit: int) -> None:
    if len(value.encode()) > limit:
        raise InvalidArgument(path, f"at most {limit} bytes of UTF-8")

"""Ingestion's settings, read once from the environment at start-up: how documents are
cut and written, and how much one Ingest call may carry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from arbiter_kit.config import env_override
from arbiter_kit.errors import InvalidArgument

from arbiter_search.ingest.chunker import MAX_CHUNK_TOKENS, MIN_CHUNK_TOKENS


@dataclass(frozen=True)
class IngestConfig:
    """How documents are cut into chunks and written (`SEARCH_<FIELD>`)."""

    default: ClassVar[IngestConfig]

    chunk_tokens: int = 256
    """Largest chunk, in tokens (context header included)."""
    context_injection: bool = False
    """Prepend the document's key metadata and section path to each indexed chunk (off
    by default: on ObliQA dev it lowers BM25 Recall@10; see docs/ingestion.md)."""
    ingest_batch: int = 500
    """Documents written (and flushed) together; one progress message per batch."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> IngestConfig:
        """Read `SEARCH_CHUNK_TOKENS`, `SEARCH_CONTEXT_INJECTION`, `SEARCH_INGEST_BATCH`."""
        return env_override(env, "SEARCH", cls.default)

    def validate(self) -> None:
        """Raise InvalidArgument naming the setting that is out of range."""
        if not MIN_CHUNK_TOKENS <= self.chunk_tokens <= MAX_CHUNK_TOKENS:
            raise InvalidArgument(
                "SEARCH_CHUNK_TOKENS", f"must be {MIN_CHUNK_TOKENS}..{MAX_CHUNK_TOKENS}"
            )
        if not 1 <= self.ingest_batch <= 5000:
            raise InvalidArgument("SEARCH_INGEST_BATCH", "must be 1..5000")


IngestConfig.default = IngestConfig()


@dataclass(frozen=True)
class IngestLimits:
    """How much one Ingest call may carry, so that no request can hold the service: a
    document beyond them is refused, naming it (those before it are stored)."""

    default: ClassVar[IngestLimits]

    max_ingest_documents: int = 1_000_000
    """Documents per Ingest call (each message carries one)."""
    max_document_bytes: int = 8 * 1024 * 1024
    """UTF-8 bytes of one document's text."""
    max_ingest_message_bytes: int = 10 * 1024 * 1024
    """Serialised bytes of one Ingest message: text, title, metadata and id (the server's
    `SEARCH_MAX_MESSAGE_BYTES` refuses larger ones before they are read)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> IngestLimits:
        """Read `SEARCH_MAX_INGEST_DOCUMENTS`, `SEARCH_MAX_DOCUMENT_BYTES`,
        `SEARCH_MAX_INGEST_MESSAGE_BYTES`."""
        return env_override(env, "SEARCH", cls.default)

    def validate(self) -> None:
        """Raise InvalidArgument naming the setting at fault."""
        if self.max_ingest_documents < 1:
            raise InvalidArgument("SEARCH_MAX_INGEST_DOCUMENTS", "must be >= 1")
        if self.max_document_bytes < 1:
            raise InvalidArgument("SEARCH_MAX_DOCUMENT_BYTES", "must be >= 1")
        if self.max_ingest_message_bytes < self.max_document_bytes:
            raise InvalidArgument(
                "SEARCH_MAX_INGEST_MESSAGE_BYTES", "must be >= SEARCH_MAX_DOCUMENT_BYTES"
            )


IngestLimits.default = IngestLimits()

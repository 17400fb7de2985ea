"""Rows of the passage collection: a chunk as the row Milvus stores, a search result
as the `Hit` it stands for, and rows grouped into upserts of bounded size."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any

import numpy as np

from arbiter_search.store import schema
from arbiter_search.store.base import Chunk, Hit, passage_text

WRITE_BATCH_BYTES = 8 * 1024 * 1024
"""Rows per upsert call are capped by size, well under Milvus's 64 MiB message limit."""
_CHUNK_FIELDS = tuple(f.name for f in fields(Chunk) if f.name != "dense")


def chunk_row(chunk: Chunk, *, dense_dim: int | None) -> dict[str, Any]:
    """The chunk's columns, with its vector if it brings one (else the write embeds
    it); a store without a dense field (`dense_dim` None) ignores vectors."""
    row = {name: getattr(chunk, name) for name in _CHUNK_FIELDS}
    if dense_dim and chunk.dense is not None:
        if len(chunk.dense) != dense_dim:
            raise ValueError(f"chunk {chunk.id} needs a {dense_dim}-d dense vector")
        row[schema.DENSE] = list(chunk.dense)
    return row


def cosines(query: Sequence[float], passages: Sequence[Sequence[float]]) -> list[float]:
    """The cosine of `query` and each of `passages` (0 for a zero vector)."""
    if not passages:
        return []
    q = np.asarray(query, dtype=np.float32)
    m = np.asarray(passages, dtype=np.float32)
    norms = np.linalg.norm(m, axis=1) * np.linalg.norm(q)
    cosines = (m @ q) / np.where(norms == 0, 1.0, norms)
    return [float(c) for c in cosines]


def hit_of(found: Mapping[str, Any], score: float | None = None) -> Hit:
    """A Hit from one search result; `score` (higher is better) defaults to the
    magnitude of its distance."""
    entity = found["entity"]
    return Hit(
        id=str(found["id"]),
        source_id=entity[schema.SOURCE_ID.name],
        chunk_index=int(entity[schema.CHUNK_INDEX]),
        document_id=entity[schema.DOCUMENT_ID.name],
        rulebook=entity[schema.RULEBOOK.name],
        passage_ref=entity[schema.PASSAGE_REF.name],
        title=entity[schema.TITLE.name],
        doc_type=entity[schema.DOC_TYPE.name],
        text=passage_text(entity[schema.TEXT]),
        score=abs(float(found["distance"])) if score is None else float(score),
    )


def groups(items: list[str], size: int) -> list[list[str]]:
    """`items` in consecutive groups of at most `size`."""
    return [items[i : i + size] for i in range(0, len(items), size)]


def write_batches(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Rows grouped so that each group's text stays under WRITE_BATCH_BYTES."""
    batches: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 0
    for row in rows:
        row_size = len(row[schema.TEXT].encode()) + len(row[schema.TITLE.name].encode()) + 512
        if current and size + row_size > WRITE_BATCH_BYTES:
            batches.append(current)
            current, size = [], 0
        current.append(row)
        size += row_size
    if current:
        batches.append(current)
    return batches

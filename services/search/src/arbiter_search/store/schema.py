"""The passage collection: its columns and limits, the metadata fields filters may
name, and the Milvus schema and indexes built from them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from arbiter_kit.filter_fields import FILTERABLE_FIELDS
from pymilvus import DataType, Function, FunctionType, MilvusClient

TEXT_MAX_BYTES = 65_535
"""Milvus VARCHAR limit of the text field, in UTF-8 bytes."""
CONTEXT_MAX_BYTES = 8 * 1024
"""Room the text field keeps for the context header (see `ingest.context`)."""
SCHEMA_VERSION = "passages-v1"
"""Stored as a collection property; a mismatch means the collection must be rebuilt."""
SCHEMA_PROPERTY = "arbiter.schema"
"""The property's key (Milvus Lite does not keep schema descriptions, but keeps these)."""
EMBEDDER_PROPERTY = "arbiter.embedder"
"""Property naming the embedder whose vectors fill the dense field (`none`: no field)."""
DIM_PROPERTY = "arbiter.embedder_dim"

# The text field keeps Milvus's default analyzer (standard tokenizer, lower-cased).
# Milvus Lite 3.2 accepts stop-word and stemmer filters but silently ignores them, so
# configuring them would make Lite and a Milvus server rank differently.


@dataclass(frozen=True)
class Column:
    """One scalar VARCHAR column of the collection."""

    name: str
    max_bytes: int
    """Milvus VARCHAR max_length (counted in UTF-8 bytes)."""


ID = Column("id", 640)
TENANT = Column("tenant", 64)
SOURCE_ID = Column("source_id", 512)
DOCUMENT_ID = Column("document_id", 256)
RULEBOOK = Column("rulebook", 512)
PASSAGE_REF = Column("passage_ref", 512)
TITLE = Column("title", 4096)
DOCUMENT_FILE = Column("document_file", 1024)
DOC_TYPE = Column("doc_type", 128)
CONTENT_HASH = Column("content_hash", 64)

SCALARS: tuple[Column, ...] = (
    TENANT,
    SOURCE_ID,
    DOCUMENT_ID,
    RULEBOOK,
    PASSAGE_REF,
    TITLE,
    DOCUMENT_FILE,
    DOC_TYPE,
    CONTENT_HASH,
)
CHUNK_INDEX = "chunk_index"
TEXT = "text"
SPARSE = "sparse"
DENSE = "dense"

FILTER_COLUMNS: Mapping[str, Column] = {c.name: c for c in SCALARS if c.name in FILTERABLE_FIELDS}
"""The column of each field a filter may name (`arbiter_kit.filter_fields`): scalar
columns, since JSON filters are ~25x slower."""

OUTPUT_FIELDS: tuple[str, ...] = (
    SOURCE_ID.name,
    DOCUMENT_ID.name,
    RULEBOOK.name,
    PASSAGE_REF.name,
    TITLE.name,
    DOC_TYPE.name,
    CHUNK_INDEX,
    TEXT,
)
"""What a search returns with each hit."""


TENANT_MARK = "\x1f"
"""Separates the tenant from the source id in a qualified chunk id: source ids hold no
control characters (ingestion refuses them), so no id of the default tenant can ever
equal another tenant's."""


def chunk_id(tenant: str, source_id: str, index: int, *, default_tenant: str) -> str:
    """The primary key of a chunk: `<source_id>#<n>`, tenant-qualified outside the default
    tenant so that two tenants' documents with the same id never collide."""
    if tenant == default_tenant:
        return f"{source_id}#{index}"
    return f"{tenant}{TENANT_MARK}{source_id}#{index}"


def expected_fields(*, dense_dim: int | None) -> set[str]:
    """The field names a collection built by `collection_schema` has."""
    names = {ID.name, CHUNK_INDEX, TEXT, SPARSE, *(c.name for c in SCALARS)}
    return names | {DENSE} if dense_dim else names


def collection_schema(client: MilvusClient, *, dense_dim: int | None = None) -> Any:
    """The chunk collection: deterministic chunk id, scalar metadata, analysed text, BM25
    sparse vector from the built-in function, and a dense vector when `dense_dim` is given.

    Tenant is the partition key, so a tenant's searches touch only its partitions.
    """
    schema = client.create_schema(
        auto_id=False, enable_dynamic_field=False, description=SCHEMA_VERSION
    )
    schema.add_field(ID.name, DataType.VARCHAR, is_primary=True, max_length=ID.max_bytes)
    for column in SCALARS:
        schema.add_field(
            column.name,
            DataType.VARCHAR,
            max_length=column.max_bytes,
            is_partition_key=column is TENANT,
        )
    schema.add_field(CHUNK_INDEX, DataType.INT32)
    schema.add_field(
        TEXT,
        DataType.VARCHAR,
        max_length=TEXT_MAX_BYTES,
        enable_analyzer=True,
    )
    schema.add_field(SPARSE, DataType.SPARSE_FLOAT_VECTOR)
    if dense_dim:
        schema.add_field(DENSE, DataType.FLOAT_VECTOR, dim=dense_dim)
    schema.add_function(
        Function(
            name="text_bm25",
            function_type=FunctionType.BM25,
            input_field_names=[TEXT],
            output_field_names=[SPARSE],
        )
    )
    return schema


def index_params(client: MilvusClient, *, dense_dim: int | None = None) -> Any:
    """Indexes: the BM25 inverted index, plus the dense index when there is a dense field."""
    params = client.prepare_index_params()
    params.add_index(field_name=SPARSE, index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
    if dense_dim:
        params.add_index(field_name=DENSE, index_type="AUTOINDEX", metric_type="COSINE")
    return params

"""The passage collection made ready for a store: created with its schema, indexes and
the embedder that fills it, or checked against them, then loaded."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from arbiter_kit.errors import FailedPrecondition
from pymilvus import MilvusClient

from arbiter_search.embed.config import NONE
from arbiter_search.store import schema

log = logging.getLogger(__name__)


def prepare_collection(
    client: MilvusClient, name: str, *, embedder_name: str | None, dense_dim: int | None
) -> None:
    """Create the collection `name`, or check that an existing one has this schema and
    was filled by this embedder (FailedPrecondition if not), then load it."""
    c = client
    if not c.has_collection(name):
        c.create_collection(
            name,
            schema=schema.collection_schema(c, dense_dim=dense_dim),
            index_params=schema.index_params(c, dense_dim=dense_dim),
            properties={
                schema.SCHEMA_PROPERTY: schema.SCHEMA_VERSION,
                schema.EMBEDDER_PROPERTY: embedder_name or NONE,
                schema.DIM_PROPERTY: str(dense_dim or 0),
            },
        )
        log.info("created collection", extra={"collection": name})
    else:
        described = c.describe_collection(name)
        properties = described.get("properties") or {}
        _check_embedder(name, properties, embedder_name=embedder_name, dense_dim=dense_dim)
        fields = {f["name"] for f in described["fields"]}
        wanted = schema.expected_fields(dense_dim=dense_dim)
        version = properties.get(schema.SCHEMA_PROPERTY)
        if version != schema.SCHEMA_VERSION or fields != wanted:
            raise FailedPrecondition(
                f"collection {name!r} was built for another schema "
                f"({version!r}, fields {sorted(fields)}); "
                f"drop it or choose another SEARCH_COLLECTION, then re-ingest"
            )
    # A reopened Lite collection starts released; loading a loaded one is a no-op.
    c.load_collection(name)


def _check_embedder(
    name: str, properties: Mapping[str, str], *, embedder_name: str | None, dense_dim: int | None
) -> None:
    """Vectors of two embedders are not comparable: refuse a collection another one
    filled (one made before embedders were recorded has no dense field: `none`)."""
    recorded = properties.get(schema.EMBEDDER_PROPERTY, NONE)
    recorded_dim = int(properties.get(schema.DIM_PROPERTY) or 0)
    mine = embedder_name or NONE
    if (recorded, recorded_dim) == (mine, dense_dim or 0):
        return

    def described(name: str, dim: int) -> str:
        return "no embedder (BM25 only)" if name == NONE else f"embedder {name!r} ({dim}-d)"

    raise FailedPrecondition(
        f"collection {name!r} was filled by "
        f"{described(recorded, recorded_dim)}, but this service is configured with "
        f"{described(mine, dense_dim or 0)}; vectors of two embedders cannot be "
        f"mixed. Set SEARCH_EMBEDDER={recorded} to use it as it is, or choose another "
        f"SEARCH_COLLECTION (or drop this one) and re-ingest"
    )

"""The metadata fields a caller may filter passages on, and the one check every service
(gateway, planner, search) makes of a request's filters, so a filter the gateway accepts
is one search can run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from arbiter_kit.errors import shown
from arbiter_kit.validation import FilterSpec, metadata_filters

FILTERABLE_FIELDS: tuple[str, ...] = (
    "rulebook",
    "document_id",
    "source_id",
    "passage_ref",
    "doc_type",
)
"""Metadata fields a filter may name (search stores each as a scalar column)."""

FIELD_ALIASES: Mapping[str, str] = {"passage_id": "passage_ref"}
"""Names the corpus metadata uses for a filterable field."""

SCOPE_FIELDS: frozenset[str] = frozenset({"tenant"})
"""Fields the service scopes every request by itself; a caller can never filter on them
(a filter on `tenant` would be an attempt to read another tenant's passages)."""

MAX_FILTERS = 16
"""Most filters one request may carry."""
MAX_VALUES = 64
"""Most values one filter may list."""
MAX_VALUE_CHARS = 256
"""Longest filter value, in characters."""


@dataclass(frozen=True)
class Condition:
    """A validated filter: `field` (a canonical filterable name) equals one of `values`."""

    field: str
    values: tuple[str, ...]


def canonical_field(name: str) -> str | None:
    """The filterable field `name` stands for (itself or the field it aliases), or None
    when it names no filterable field."""
    field = FIELD_ALIASES.get(name, name)
    return field if field in FILTERABLE_FIELDS else None


def validate_filters(filters: Sequence[FilterSpec], *, path: str = "filters") -> list[Condition]:
    """Check a request's `filters` and return them as conditions (aliases resolved,
    repeated values folded, order kept).

    At most MAX_FILTERS filters, each naming a filterable field (or an alias) and listing
    1..MAX_VALUES values of at most MAX_VALUE_CHARS characters. `tenant` is never a
    caller's filter. Raises InvalidArgument naming the exact place at fault under
    `path`, e.g. `filters[0].field` for `rulebook or 1==1`, `filters[1].any_of[3]` for an
    overlong value."""
    metadata_filters(
        path,
        filters,
        max_filters=MAX_FILTERS,
        max_values=MAX_VALUES,
        max_value_chars=MAX_VALUE_CHARS,
        check_field=_refusal,
    )
    return [
        Condition(FIELD_ALIASES.get(spec.field, spec.field), tuple(dict.fromkeys(spec.any_of)))
        for spec in filters
    ]


def _refusal(name: str) -> str | None:
    if name in SCOPE_FIELDS:
        return f"{name} is set by the service, never by a filter"
    if canonical_field(name) is None:
        return f"unknown field {shown(name)}; filterable: {', '.join(sorted(FILTERABLE_FIELDS))}"
    return None


__all__ = [
    "FIELD_ALIASES",
    "FILTERABLE_FIELDS",
    "MAX_FILTERS",
    "MAX_VALUES",
    "MAX_VALUE_CHARS",
    "SCOPE_FIELDS",
    "Condition",
    "canonical_field",
    "validate_filters",
]

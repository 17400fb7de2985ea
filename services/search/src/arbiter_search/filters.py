"""Metadata filters: validated against the filterable fields of the collection, then
compiled into a Milvus boolean expression with every value quoted as a literal.

Milvus Lite has no `filter_params` templates, so this module is the one place where
expression text is built; no caller-supplied text ever reaches it unquoted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from arbiter_kit.validation import FilterSpec, metadata_filters

from arbiter_search.schema import FILTER_ALIASES, FILTERABLE, TENANT, Column

MAX_FILTERS = 16
MAX_VALUES = 256
MAX_VALUE_CHARS = 1024

_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def quote(value: str) -> str:
    """A Milvus string literal that stands for exactly `value`."""
    return '"' + value.translate(_ESCAPES) + '"'


@dataclass(frozen=True)
class Condition:
    """A validated restriction: `field` (a filterable name) equals one of `values`."""

    field: str
    values: tuple[str, ...]


class FilterCompiler:
    """Turns filter requests into conditions, and conditions into Milvus expressions."""

    def __init__(
        self,
        fields: Mapping[str, Column] = FILTERABLE,
        *,
        aliases: Mapping[str, str] = FILTER_ALIASES,
    ) -> None:
        self._fields = dict(fields)
        self._aliases = dict(aliases)

    @property
    def fields(self) -> list[str]:
        """Field names filters may use, in a stable order."""
        return sorted(self._fields)

    def validate(self, filters: Sequence[FilterSpec], *, path: str = "filters") -> list[Condition]:
        """Conditions for `filters`; InvalidArgument names the offending field path."""
        metadata_filters(
            path,
            filters,
            max_filters=MAX_FILTERS,
            max_values=MAX_VALUES,
            max_value_chars=MAX_VALUE_CHARS,
            check_field=self._unknown,
        )
        return [
            Condition(self._aliases.get(spec.field, spec.field), tuple(dict.fromkeys(spec.any_of)))
            for spec in filters
        ]

    def _unknown(self, field: str) -> str | None:
        if self._aliases.get(field, field) in self._fields:
            return None
        return f"unknown field {field[:64]!r}; filterable: {', '.join(self.fields)}"

    def compile(self, conditions: Sequence[Condition], *, tenant: str) -> str:
        """The expression for the tenant's rows that meet every condition."""
        clauses = [f"{TENANT.name} == {quote(tenant)}"]
        for condition in conditions:
            column = self._fields[condition.field].name
            if len(condition.values) == 1:
                clauses.append(f"{column} == {quote(condition.values[0])}")
            else:
                listed = ", ".join(quote(v) for v in condition.values)
                clauses.append(f"{column} in [{listed}]")
        return " and ".join(clauses)

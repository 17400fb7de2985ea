"""Metadata filters: validated against the filterable fields of the collection, then
compiled into a Milvus boolean expression with every value quoted as a literal.

Milvus Lite has no `filter_params` templates, so this module is the one place where
expression text is built; no caller-supplied text ever reaches it unquoted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from arbiter_kit.errors import InvalidArgument

from arbiter_search.schema import FILTER_ALIASES, FILTERABLE, TENANT, Column

MAX_FILTERS = 16
MAX_VALUES = 256
MAX_VALUE_CHARS = 1024

_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def quote(value: str) -> str:
    """A Milvus string literal that stands for exactly `value`."""
    return '"' + value.translate(_ESCAPES) + '"'


class FilterSpec(Protocol):
    """What a filter request carries (`arbiter.common.v1.MetadataFilter` fits)."""

    @property
    def field(self) -> str: ...

    @property
    def any_of(self) -> Sequence[str]: ...


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
        if len(filters) > MAX_FILTERS:
            raise InvalidArgument(path, f"at most {MAX_FILTERS} filters")
        conditions: list[Condition] = []
        for i, spec in enumerate(filters):
            name = self._aliases.get(spec.field, spec.field)
            if name not in self._fields:
                raise InvalidArgument(
                    f"{path}[{i}].field",
                    f"unknown field {spec.field[:64]!r}; filterable: {', '.join(self.fields)}",
                )
            values = tuple(dict.fromkeys(spec.any_of))
            if not values:
                raise InvalidArgument(f"{path}[{i}].any_of", "at least one value")
            if len(values) > MAX_VALUES:
                raise InvalidArgument(f"{path}[{i}].any_of", f"at most {MAX_VALUES} values")
            for j, value in enumerate(values):
                if len(value) > MAX_VALUE_CHARS:
                    raise InvalidArgument(
                        f"{path}[{i}].any_of[{j}]", f"at most {MAX_VALUE_CHARS} characters"
                    )
            conditions.append(Condition(name, values))
        return conditions

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

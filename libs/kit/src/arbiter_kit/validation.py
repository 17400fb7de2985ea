"""Request checks every service makes the same way: required text within a length, lists
within a count, metadata filters within limits. Each raises InvalidArgument naming the
exact field at fault; the limits stay with the service that sets them."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence, Sized
from typing import Protocol

from google.protobuf.message import Message

from arbiter_kit.errors import InvalidArgument, shown


class FilterSpec(Protocol):
    """What a filter request carries (`arbiter.common.v1.MetadataFilter` fits)."""

    @property
    def field(self) -> str: ...

    @property
    def any_of(self) -> Sequence[str]: ...


FieldCheck = Callable[[str], str | None]
"""Why a filter's (non-empty) field name is refused, or None when it is accepted."""


def required_text(field: str, value: str, *, max_chars: int) -> str:
    """`value` stripped; it must be non-blank and at most `max_chars` once stripped."""
    text = value.strip()
    if not text:
        raise InvalidArgument(field, "must not be empty")
    if len(text) > max_chars:
        raise InvalidArgument(field, f"must be at most {max_chars} characters")
    return text


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""Control characters other than tab, newline and carriage return (C0, DEL and C1)."""


def no_control_characters(field: str, value: str) -> str:
    """`value`, which must hold no control character but tab, newline and carriage return:
    text a person wrote has none, and they would reach prompts, logs and terminals."""
    found = _CONTROL.search(value)
    if found is not None:
        raise InvalidArgument(
            field, f"must not contain control characters (U+{ord(found.group()):04X})"
        )
    return value


def required_id(field: str, value: str, *, max_chars: int = 128) -> str:
    """`value` as given: an id must be non-empty and at most `max_chars` characters."""
    if not value:
        raise InvalidArgument(field, "must not be empty")
    if len(value) > max_chars:
        raise InvalidArgument(field, f"must be at most {max_chars} characters")
    return value


def max_items(field: str, items: Sized, *, limit: int) -> None:
    """`items` (the list `field` names, e.g. `passages`) holds at most `limit` entries."""
    if len(items) > limit:
        raise InvalidArgument(field, f"at most {limit} {field}")


def metadata_filters(
    field: str,
    filters: Sequence[FilterSpec],
    *,
    max_filters: int,
    max_values: int,
    max_value_chars: int | None,
    check_field: FieldCheck | None = None,
) -> None:
    """At most `max_filters` filters, each with a named field (that `check_field`
    accepts) and 1..`max_values` values of at most `max_value_chars` characters (None:
    no limit). The error names the exact place, e.g. `filters[2].field`,
    `filters[2].any_of` or `filters[2].any_of[0]`."""
    max_items(field, filters, limit=max_filters)
    for i, spec in enumerate(filters):
        at = f"{field}[{i}]"
        if not spec.field:
            raise InvalidArgument(f"{at}.field", "must not be empty")
        if check_field is not None and (why := check_field(spec.field)) is not None:
            raise InvalidArgument(f"{at}.field", why)
        if not 1 <= len(spec.any_of) <= max_values:
            raise InvalidArgument(f"{at}.any_of", f"needs 1..{max_values} values")
        if max_value_chars is None:
            continue
        for j, value in enumerate(spec.any_of):
            if len(value) > max_value_chars:
                raise InvalidArgument(f"{at}.any_of[{j}]", f"at most {max_value_chars} characters")


def known_enums(message: Message, *, prefix: str = "") -> None:
    """Every enum value anywhere in `message` is one its enum defines.

    proto3 keeps a number it does not know (a newer client's, or a hostile one) as is,
    so a value must be checked before anything names or compares it. The error names
    the place, e.g. `decision` or `steps[2].kind`.
    """
    for field, value in message.ListFields():
        at = f"{prefix}{field.name}"
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            # Map keys are never enums; only the values can be (or hold) one.
            field = field.message_type.fields_by_name["value"]
            items = [(f"{at}[{shown(str(key))}]", value[key]) for key in value]
        elif field.is_repeated:
            items = [(f"{at}[{i}]", item) for i, item in enumerate(value)]
        else:
            items = [(at, value)]
        for where, item in items:
            if field.enum_type is not None and item not in field.enum_type.values_by_number:
                raise InvalidArgument(where, f"unknown {field.enum_type.name} value {item}")
            if field.message_type is not None:
                known_enums(item, prefix=f"{where}.")

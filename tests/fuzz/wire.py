"""Protobuf wire bytes built by hand: what no well-behaved client sends (bad UTF-8 in a
string field, truncated or overlong lengths, field number 0, groups nested past the
parser's limit). Sent over a channel method with no serializer."""

from __future__ import annotations

import random

from google.protobuf.descriptor import Descriptor, FieldDescriptor

VARINT, FIXED64, LENGTH, START_GROUP, END_GROUP, FIXED32 = 0, 1, 2, 3, 4, 5
BAD_UTF8 = (
    b"\xff",
    b"\xc3\x28",
    b"\xe2\x82",
    b"\xed\xa0\x80",  # a UTF-16 surrogate encoded as UTF-8
    b"\xf8\x88\x80\x80\x80",
    b"\xc0\xaf",  # an overlong "/"
    b"ok\x80ok",
)
_WIRE_TYPE = {FieldDescriptor.TYPE_STRING: LENGTH, FieldDescriptor.TYPE_BYTES: LENGTH}


def varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def tag(number: int, wire_type: int) -> bytes:
    return varint(number << 3 | wire_type)


def length_delimited(number: int, payload: bytes) -> bytes:
    return tag(number, LENGTH) + varint(len(payload)) + payload


def _string_paths(message: Descriptor, depth: int = 3) -> list[list[FieldDescriptor]]:
    """Every chain of fields from `message` down to a string field, `depth` deep at most."""
    paths: list[list[FieldDescriptor]] = []
    for field in message.fields:
        if field.type == FieldDescriptor.TYPE_STRING:
            paths.append([field])
        elif field.message_type is not None and depth > 1:
            paths += [[field, *p] for p in _string_paths(field.message_type, depth - 1)]
    return paths


def bad_utf8(message: Descriptor, rng: random.Random) -> bytes | None:
    """One string field, possibly nested (map keys and values included), holding bytes
    that are not UTF-8; None when the message has no string field."""
    paths = _string_paths(message)
    if not paths:
        return None
    path = rng.choice(paths)
    payload = length_delimited(path[-1].number, b"text" + rng.choice(BAD_UTF8))
    for field in reversed(path[:-1]):
        payload = length_delimited(field.number, payload)
    return payload


def malformed(message: Descriptor, rng: random.Random) -> bytes:
    """Bytes no parser accepts as `message`: an impossible length, field number 0, a
    varint that never ends, or groups nested beyond the recursion limit."""
    fields = list(message.fields)
    number = rng.choice(fields).number if fields else 1
    choice = rng.randrange(5)
    if choice == 0:
        return tag(number, LENGTH) + varint(2**31) + b"short"
    if choice == 1:
        return tag(0, VARINT) + varint(1)
    if choice == 2:
        return tag(number, VARINT) + b"\xff" * 11
    if choice == 3:
        depth = rng.choice([101, 200, 1000])
        return tag(4095, START_GROUP) * depth + tag(4095, END_GROUP) * depth
    # A field sent with a wire type its declaration does not have, then a dangling group end.
    wrong = FIXED32 if _WIRE_TYPE.get(fields[0].type if fields else 0) == LENGTH else LENGTH
    return tag(number, wrong) + b"\x01\x02" + tag(number, END_GROUP)

"""One fuzzed request for an RPC: built at random from its message descriptor, a seed
mutated, a seed carrying a hostile value, or raw bytes no parser accepts. Deterministic
for a given random stream, so a seed and an index reproduce a call."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from google.protobuf import text_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from tests.fuzz import wire
from tests.fuzz.rpcs import Rpc, fields
from tests.fuzz.seeds import STORED_IDS
from tests.fuzz.values import Values

KINDS = ("random", "mutated", "hostile", "raw")
_WEIGHTS = (0.3, 0.25, 0.2, 0.25)
MAX_DEPTH = 4
SHOWN_CHARS = 80
"""Characters of a long string a reproducer shows (with the full length)."""


@dataclass
class Request:
    """What one call sends: one payload per request message (one for a unary request)."""

    kind: str
    payloads: list[bytes]
    messages: list[Message | None] = field(default_factory=list)
    """The message behind each payload; None for bytes that are no message."""

    @classmethod
    def of(cls, kind: str, messages: Sequence[Message]) -> Request:
        return cls(kind, [m.SerializeToString() for m in messages], list(messages))

    def describe(self) -> str:
        """A reproducer a person can read: each message in text format with long strings
        cut, or the bytes in hex."""
        parts = []
        for payload, message in zip(
            self.payloads, self.messages or [None] * len(self.payloads), strict=True
        ):
            if message is None:
                shown = payload[:256].hex()
                parts.append(f"bytes[{len(payload)}]:{shown}{'…' if len(payload) > 256 else ''}")
            else:
                parts.append("{" + _text(message) + "}")
        return " | ".join(parts) if parts else "(no request messages)"


def copy_of(message: Message) -> Message:
    copy = type(message)()
    copy.CopyFrom(message)
    return copy


def _text(message: Message) -> str:
    def cut(m: Message, indent: int, as_one_line: bool) -> str | None:
        del indent, as_one_line
        return None

    shortened = copy_of(message)
    _shorten(shortened)
    return text_format.MessageToString(
        shortened, as_one_line=True, message_formatter=cut, print_unknown_fields=True
    ).strip()


def _shorten(message: Message) -> None:
    """Long strings in place become their first characters and their length."""
    for fd, value in message.ListFields():
        if (
            fd.type == FieldDescriptor.TYPE_STRING
            and not fd.is_repeated
            and len(value) > SHOWN_CHARS
        ):
            setattr(message, fd.name, f"{value[:SHOWN_CHARS]}…({len(value)} chars)")
        elif fd.message_type is not None and not fd.message_type.GetOptions().map_entry:
            for child in value if fd.is_repeated else [value]:
                _shorten(child)


class RequestMaker:
    """Builds requests for one RPC from its descriptor and its seed requests."""

    def __init__(self, rpc: Rpc, seeds: Sequence[Sequence[Message]], values: Values) -> None:
        self.rpc = rpc
        self.seeds = [list(s) for s in seeds]
        self.values = values
        self.rng = values.rng

    def make(self) -> Request:
        kind = self.rng.choices(KINDS, _WEIGHTS)[0]
        if kind != "raw" and kind != "random" and not self.seeds:
            kind = "random"
        if kind == "random":
            messages = [self.random_message() for _ in range(self._count())]
            return Request.of(kind, self.stored_ids_pooled(messages))
        if kind == "raw":
            return self.raw()
        messages = [copy_of(m) for m in self.rng.choice(self.seeds)]
        if kind == "hostile":
            for message in messages:
                self.plant(message)
        else:
            messages = self.mutate(messages)
        return Request.of(kind, self.stored_ids_pooled(messages))

    def stored_ids_pooled(self, messages: list[Message]) -> list[Message]:
        """`messages` with the id of anything they would store drawn from the RPC's
        bounded pool (seeds.STORED_IDS), so accepted calls replace stored data."""
        stored = STORED_IDS.get(self.rpc.name)
        if stored is None:
            return messages
        for message in messages:
            if not message.HasField(stored.message_field):
                continue
            target = getattr(message, stored.message_field)
            if getattr(target, stored.id_field) not in stored.pool:
                setattr(target, stored.id_field, self.rng.choice(stored.pool))
        return messages

    def _count(self) -> int:
        """How many request messages a call sends: one, or a stream's worth."""
        if not self.rpc.streams_requests:
            return 1
        return self.rng.choice([0, 1, 1, 2, 3, 5, 20])

    def random_message(self, depth: int = 0) -> Message:
        message = self.rpc.request_type()
        self.fill(message, depth)
        return message

    def fill(self, message: Message, depth: int) -> None:
        """Set a random subset of `message`'s fields (one member of each oneof at most)."""
        rng = self.rng
        chosen = {o.name: rng.choice([None, *o.fields]) for o in message.DESCRIPTOR.oneofs}
        for fd in fields(message):
            oneof = fd.containing_oneof
            if oneof is not None and chosen.get(oneof.name) is not fd:
                continue
            if oneof is None and rng.random() < 0.4:
                continue
            self.set_field(message, fd, depth)

    def set_field(self, message: Message, fd: FieldDescriptor, depth: int) -> None:
        """Give `fd` a random value: scalars, enums, nested messages, lists and maps."""
        if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
            entries = getattr(message, fd.name)
            key_fd, value_fd = (
                fd.message_type.fields_by_name["key"],
                fd.message_type.fields_by_name["value"],
            )
            for _ in range(self._items()):
                key = self.scalar(key_fd)
                if value_fd.message_type is not None:
                    self.fill(entries[key], depth + 1)
                else:
                    entries[key] = self.scalar(value_fd)
        elif fd.is_repeated:
            items = getattr(message, fd.name)
            for _ in range(self._items()):
                if fd.message_type is not None:
                    child = items.add()
                    if depth < MAX_DEPTH:
                        self.fill(child, depth + 1)
                else:
                    items.append(self.scalar(fd))
        elif fd.message_type is not None:
            child = getattr(message, fd.name)
            child.SetInParent()
            if depth < MAX_DEPTH:
                self.fill(child, depth + 1)
        else:
            setattr(message, fd.name, self.scalar(fd))

    def _items(self) -> int:
        """Entries of a list or map: mostly few, sometimes past any sensible limit."""
        return self.rng.choice([0, 1, 1, 2, 3, 8, 17, 65, 300])

    def scalar(self, fd: FieldDescriptor) -> object:
        v = self.values
        if fd.type == FieldDescriptor.TYPE_STRING:
            return v.text()
        if fd.type == FieldDescriptor.TYPE_BYTES:
            return v.raw(v.length() // 4)
        if fd.type == FieldDescriptor.TYPE_BOOL:
            return self.rng.random() < 0.5
        if fd.type == FieldDescriptor.TYPE_ENUM:
            enum = fd.enum_type
            assert enum is not None
            # A closed (proto2) enum refuses undeclared values in Python; raw bytes carry them.
            return enum.values[0].number if enum.is_closed else v.enum(enum)
        if fd.type in (FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE):
            return v.floating()
        return v.integer(fd.type)

    def mutate(self, messages: list[Message]) -> list[Message]:
        """One to three edits: a field re-drawn or cleared, a list grown or emptied; a
        stream's messages dropped, repeated or reordered."""
        rng = self.rng
        for _ in range(rng.randint(1, 3)):
            if self.rpc.streams_requests and messages and rng.random() < 0.3:
                edit = rng.randrange(3)
                if edit == 0:
                    messages.pop(rng.randrange(len(messages)))
                elif edit == 1:
                    messages.append(copy_of(rng.choice(messages)))
                else:
                    rng.shuffle(messages)
                continue
            if not messages:
                messages.append(self.random_message())
            target = self._somewhere(rng.choice(messages))
            if not fields(target):
                continue
            fd = rng.choice(fields(target))
            if rng.random() < 0.25:
                target.ClearField(fd.name)
            else:
                if fd.is_repeated and rng.random() < 0.5:
                    target.ClearField(fd.name)
                self.set_field(target, fd, MAX_DEPTH - 1)
        return messages

    def plant(self, message: Message) -> None:
        """Put a hostile value into one string field somewhere in `message`, or flood
        one of its lists."""
        target = self._somewhere(message)
        strings = [fd for fd in target.DESCRIPTOR.fields if fd.type == FieldDescriptor.TYPE_STRING]
        if not strings:
            self.fill(target, MAX_DEPTH - 1)
            return
        fd = self.rng.choice(strings)
        if fd.is_repeated:
            items = getattr(target, fd.name)
            items.extend(self.values.text() for _ in range(self._items()))
        else:
            setattr(target, fd.name, self.values.text())

    def _somewhere(self, message: Message) -> Message:
        """`message` or a message nested in it, each set one equally likely."""
        found = [message]
        for fd, value in message.ListFields():
            if fd.message_type is None or fd.message_type.GetOptions().map_entry:
                continue
            for child in value if fd.is_repeated else [value]:
                found.append(self._somewhere(child))
        return self.rng.choice(found)

    def raw(self) -> Request:
        """Bytes that are no valid request: random, truncated, bad UTF-8 or malformed;
        in a stream, one such payload among valid messages."""
        rng = self.rng
        descriptor = self.rpc.request_descriptor
        valid = [copy_of(m) for m in rng.choice(self.seeds)] if self.seeds else []
        if not valid:
            valid = self.stored_ids_pooled([self.random_message()])
        base = valid[0].SerializeToString()
        choice = rng.randrange(4)
        if choice == 0:
            bad = self.values.raw(rng.choice([1, 2, 7, 64, 1000, 65_536]))
        elif choice == 1 and len(base) > 1:
            bad = base[: rng.randrange(1, len(base))]
        elif choice == 2:
            bad = base + (wire.bad_utf8(descriptor, rng) or self.values.raw(9))
        else:
            bad = base + wire.malformed(descriptor, rng)
        payloads = [m.SerializeToString() for m in valid]
        messages: list[Message | None] = list(valid)
        at = rng.randrange(len(payloads)) if self.rpc.streams_requests else 0
        payloads[at], messages[at] = bad, None
        return Request("raw", payloads, messages)

"""What makes a call's answer a failure: a status of INTERNAL or UNKNOWN (also when a
stream relays one in an error event), and any text a caller can read that gives away
internals: exception names, tracebacks, module paths, file paths, addresses."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import DecodeError, Message
from google.rpc import error_details_pb2, status_pb2  # type: ignore[import-untyped]

from tests.fuzz.rpcs import contract_field_names

FORBIDDEN_CODES = frozenset({"INTERNAL", "UNKNOWN"})
DETAILS_KEY = "grpc-status-details-bin"
LEAKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("traceback", re.compile(r"Traceback|File \"|line \d+, in ")),
    ("exception class", re.compile(r"<class |\b(?:[A-Z][a-z0-9]+)+(?:Error|Exception)\b")),
    ("exception class", re.compile(r"\b(?:KeyboardInterrupt|StopIteration|StopAsyncIteration)\b")),
    ("module path", re.compile(r"\b[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*){2,}(?:\.[A-Z]\w*)?\b")),
    ("source file", re.compile(r"\w\.py\b|site-packages")),
    ("filesystem path", re.compile(r"(?<![\w.:/])/(?:[\w.@+-]+/)+[\w.@+-]*")),
    (
        "address",
        re.compile(r"127\.0\.0\.1:|\bipv4:|\bipv6:|\bunix:|localhost:\d|\[::1?\]|0\.0\.0\.0:"),
    ),
)
SCANNED_FIELDS = frozenset({"message", "error", "reason", "details"})
"""Response fields that carry an explanation, where internals could leak into a stream."""


@dataclass
class Answer:
    """What a caller saw of one call."""

    code: str
    """The status code's name, OK included."""
    details: str = ""
    metadata: list[tuple[str, str | bytes]] = field(default_factory=list)
    responses: list[Message] = field(default_factory=list)
    undecodable_responses: int = 0


def problems(answer: Answer, sent: Callable[[], str]) -> list[tuple[str, str]]:
    """(what, evidence) for each way `answer` fails the checks. Text that only repeats
    what the caller sent (`sent()`, asked only when a pattern matches) is no leak."""
    found = []
    if answer.code in FORBIDDEN_CODES:
        found.append((answer.code, answer.details))
    for code, message in _relayed_errors(answer.responses):
        if code in FORBIDDEN_CODES:
            found.append((f"{code} relayed in the stream", message))
    for where, text in _readable_texts(answer):
        for what, pattern in LEAKS:
            for match in pattern.finditer(text):
                if what == "module path" and _field_path(match.group()):
                    continue
                if match.group() not in sent():
                    found.append((f"leak of {what} in {where}", _around(text, match)))
                    break
    if answer.undecodable_responses:
        found.append(("undecodable response", f"{answer.undecodable_responses} messages"))
    return found


def _field_path(text: str) -> bool:
    """Whether a dotted name is a path of the contract's field names, as an
    INVALID_ARGUMENT names the field at fault."""
    return all(part in contract_field_names() for part in text.split("."))


def caller_text(messages: Iterable[Message | None], payloads: Iterable[bytes]) -> str:
    """Every string a request carried, as sent and as Python would quote it."""
    parts = [p.decode("utf-8", "replace") for p in payloads]
    for message in messages:
        if message is not None:
            for text in _strings(message):
                parts += [text, repr(text)]
    return "\x00".join(parts)


def _around(text: str, match: re.Match[str]) -> str:
    return text[max(0, match.start() - 60) : match.end() + 60]


def _readable_texts(answer: Answer) -> Iterator[tuple[str, str]]:
    yield "status message", answer.details
    for key, value in answer.metadata:
        if key == DETAILS_KEY and isinstance(value, bytes):
            yield from _status_texts(value)
        elif isinstance(value, str):
            yield f"metadata {key}", value
    for response in answer.responses:
        for fd, text in _fields(response):
            if fd.name in SCANNED_FIELDS:
                yield f"response field {fd.full_name}", text


def _status_texts(value: bytes) -> Iterator[tuple[str, str]]:
    try:
        status = status_pb2.Status.FromString(value)
    except DecodeError:
        yield "status details", value.decode("utf-8", "replace")
        return
    yield "status details message", status.message
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            yield "error info", " ".join([info.reason, info.domain, *info.metadata.values()])
        else:
            yield "status detail", detail.type_url


def _relayed_errors(responses: Iterable[Message]) -> Iterator[tuple[str, str]]:
    """(code, message) of every error a stream carried as a message of its own, e.g.
    the gateway's `Error` event: a message type with string `code` and `message`."""
    for response in responses:
        for message in _messages(response):
            names = message.DESCRIPTOR.fields_by_name
            if "code" in names and "message" in names and names["code"].type == _STRING:
                code, text = (getattr(message, names[n].name) for n in ("code", "message"))
                yield code, text


_STRING = FieldDescriptor.TYPE_STRING


def _messages(message: Message) -> Iterator[Message]:
    yield message
    for fd, value in message.ListFields():
        if fd.message_type is not None and not fd.message_type.GetOptions().map_entry:
            for child in value if fd.is_repeated else [value]:
                yield from _messages(child)


def _fields(message: Message) -> Iterator[tuple[FieldDescriptor, str]]:
    """Every set string field of `message` and the messages nested in it."""
    for m in _messages(message):
        for fd, value in m.ListFields():
            if fd.type == _STRING:
                for text in value if fd.is_repeated else [value]:
                    yield fd, text


def _strings(message: Message) -> Iterator[str]:
    """Every string in `message`: its string fields and its maps' keys and values."""
    yield from (text for _, text in _fields(message))
    for m in _messages(message):
        for fd, value in m.ListFields():
            if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
                for key, item in value.items():
                    yield str(key)
                    if isinstance(item, str):
                        yield item

"""One fuzzed call over a channel method with no serializer (so any bytes can be sent),
and what the caller saw of it; and the shrinking of a failing request to a small one."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import grpc
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import DecodeError, Message

from tests.fuzz.checks import Answer
from tests.fuzz.requests import Request, copy_of
from tests.fuzz.rpcs import Rpc

MAX_RESPONSES = 5_000
"""Responses read from one stream before the call is cancelled."""
CHANNEL_OPTIONS = [
    ("grpc.max_send_message_length", 64 * 1024 * 1024),
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
]
"""The client never refuses what it sends or reads: the service's own limits answer."""
PLAIN: dict[str, Any] = {"request_serializer": None, "response_deserializer": None}
"""No serializers: payloads go out as they are, responses come back as bytes."""


class Connection:
    """Channels to one service: grpc.aio for calls with one request message, the
    blocking API (run in a thread) for request streams. (grpc.aio, still writing a
    stream when the server has answered, replaces the server's status with a client-side
    INTERNAL "Internal error from Core"; the blocking API stops writing and keeps it.)"""

    def __init__(self, address: str) -> None:
        self.aio = grpc.aio.insecure_channel(address, options=CHANNEL_OPTIONS)
        self.blocking = grpc.insecure_channel(address, options=CHANNEL_OPTIONS)

    async def close(self) -> None:
        await self.aio.close(grace=None)
        self.blocking.close()


async def send(connection: Connection, rpc: Rpc, request: Request, *, deadline: float) -> Answer:
    """Make the call and collect its status, trailing metadata and decoded responses."""
    if rpc.streams_requests:
        return await asyncio.to_thread(_send_stream, connection.blocking, rpc, request, deadline)
    answer = Answer(code="OK")
    call: Any
    if rpc.streams_responses:
        call = connection.aio.unary_stream(rpc.path, **PLAIN)(request.payloads[0], timeout=deadline)
    else:
        call = connection.aio.unary_unary(rpc.path, **PLAIN)(request.payloads[0], timeout=deadline)
    try:
        if rpc.streams_responses:
            async for raw in call:
                if not _decode(rpc, raw, answer):
                    call.cancel()
                    break
        else:
            _decode(rpc, await call, answer)
        answer.code = (await call.code()).name
        answer.details = await call.details() or ""
        answer.metadata = _pairs(await call.trailing_metadata())
    except grpc.aio.AioRpcError as error:
        _failed(answer, error)
    return answer


def _send_stream(channel: grpc.Channel, rpc: Rpc, request: Request, deadline: float) -> Answer:
    """A call with a stream of request messages, on the blocking API."""
    answer = Answer(code="OK")
    call: Any
    try:
        if rpc.streams_responses:
            call = channel.stream_stream(rpc.path, **PLAIN)(
                iter(request.payloads), timeout=deadline
            )
            for raw in call:
                if not _decode(rpc, raw, answer):
                    call.cancel()
                    break
        else:
            raw, call = channel.stream_unary(rpc.path, **PLAIN).with_call(
                iter(request.payloads), timeout=deadline
            )
            _decode(rpc, raw, answer)
        answer.code = call.code().name
        answer.details = call.details() or ""
        answer.metadata = _pairs(call.trailing_metadata())
    except grpc.RpcError as error:
        _failed(answer, error)
    return answer


def _failed(answer: Answer, error: Any) -> None:
    """What a failed call said (an AioRpcError, or a blocking RpcError, which is a Call)."""
    answer.code = error.code().name
    answer.details = error.details() or ""
    answer.metadata = _pairs(error.trailing_metadata())


def _decode(rpc: Rpc, raw: bytes, answer: Answer) -> bool:
    """Add a response to `answer`; False once enough have been read."""
    try:
        answer.responses.append(rpc.response_type.FromString(raw))
    except DecodeError:
        answer.undecodable_responses += 1
    return len(answer.responses) < MAX_RESPONSES


def _pairs(metadata: Any) -> list[tuple[str, str | bytes]]:
    """Metadata as (key, value) pairs; grpc.aio hands over its own Metadata type."""
    return [(str(key), value) for key, value in metadata or ()]


async def shrink(
    request: Request, still_fails: Callable[[Request], Awaitable[bool]], *, budget: int
) -> Request:
    """A smaller request that still fails the same way: messages dropped, fields cleared,
    strings and lists halved, bytes cut; at most `budget` tries."""
    tries = 0
    improved = True
    while improved and tries < budget:
        improved = False
        for candidate in _smaller(request):
            tries += 1
            if await still_fails(candidate):
                request, improved = candidate, True
                break
            if tries >= budget:
                break
    return request


def _smaller(request: Request) -> Iterator[Request]:
    messages = request.messages or [None] * len(request.payloads)
    if len(request.payloads) > 1:
        for i in range(len(request.payloads)):
            yield Request(
                request.kind,
                request.payloads[:i] + request.payloads[i + 1 :],
                messages[:i] + messages[i + 1 :],
            )
    for i, (payload, message) in enumerate(zip(request.payloads, messages, strict=True)):
        if message is None:
            replacements = [payload[: len(payload) // 2], payload[len(payload) // 2 :]]
            for smaller in replacements if len(payload) > 1 else []:
                yield _replaced(request, i, smaller, None)
            continue
        for smaller_message in _smaller_messages(message):
            yield _replaced(request, i, smaller_message.SerializeToString(), smaller_message)


def _replaced(request: Request, i: int, payload: bytes, message: Message | None) -> Request:
    messages = list(request.messages or [None] * len(request.payloads))
    payloads = list(request.payloads)
    payloads[i], messages[i] = payload, message
    return Request(request.kind, payloads, messages)


def _smaller_messages(message: Message) -> Iterator[Message]:
    """Copies of `message`, each with one field cleared, shortened or trimmed."""
    for fd, value in message.ListFields():
        copy = copy_of(message)
        copy.ClearField(fd.name)
        yield copy
        if fd.is_repeated and len(value) > 1:
            copy = copy_of(message)
            del getattr(copy, fd.name)[1:]
            yield copy
        elif fd.type == FieldDescriptor.TYPE_STRING and not fd.is_repeated and len(value) > 8:
            copy = copy_of(message)
            setattr(copy, fd.name, value[: len(value) // 2])
            yield copy
        elif fd.message_type is not None and not fd.is_repeated:
            for child in _smaller_messages(value):
                copy = copy_of(message)
                getattr(copy, fd.name).CopyFrom(child)
                yield copy

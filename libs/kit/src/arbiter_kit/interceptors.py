"""Server interceptors: the bulkhead, request decoding and response encoding,
Prometheus metrics, request-scoped logging context, and the mapping of domain errors
to `google.rpc.Status`. One wrapper serves all four RPC kinds."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import grpc
from google.protobuf.message import Message

from arbiter_kit import logs, metrics
from arbiter_kit.bulkhead import PROBE_SERVICES, Bulkhead
from arbiter_kit.errors import (
    ArbiterError,
    Internal,
    InvalidArgument,
    Unimplemented,
    to_status,
)
from arbiter_kit.validation import known_enums

if TYPE_CHECKING:
    Context = grpc.aio.ServicerContext[Any, Any]

log = logging.getLogger(__name__)

_UNDECODABLE = (
    "could not be decoded: not a valid message for this method "
    "(truncated or corrupt bytes, or a string field that is not UTF-8)"
)


@dataclass(frozen=True)
class _Rpc:
    """One method as the wrappers see it: its labels, how its messages are decoded and
    encoded, and the bulkhead its calls count against (None for probes)."""

    method: str
    kind: str
    deserializer: Callable[[bytes], Any] | None
    serializer: Callable[[Any], bytes] | None
    bulkhead: Bulkhead | None

    def admitted(self) -> AbstractContextManager[None]:
        """A bulkhead slot held for the call (nothing for probes); raises
        ResourceExhausted when the bulkhead is full."""
        return contextlib.nullcontext() if self.bulkhead is None else self.bulkhead.slot()

    def decoded(self, raw: bytes, *, position: int | None = None) -> Any:
        """The request message from the bytes the caller sent.

        gRPC would report a parse failure as UNKNOWN naming the exception class and the
        message type; the caller gets INVALID_ARGUMENT instead, and no internals.
        """
        if self.deserializer is None:
            return raw
        try:
            request = self.deserializer(raw)
        except Exception as exc:
            log.info("undecodable request", extra={"method": self.method, "error": str(exc)})
            which = "" if position is None else f"message {position} of the stream "
            raise InvalidArgument("request", f"{which}{_UNDECODABLE}") from None
        # An enum number the contract does not define decodes fine in proto3; refusing
        # it here means no handler ever names or compares one.
        if isinstance(request, Message):
            known_enums(request)
        return request

    def encoded(self, response: Any) -> Any:
        """The handler's response as bytes.

        A handler that answers with something other than its response message (None, a
        message of another type) is a bug: gRPC would send the caller UNKNOWN naming the
        TypeError; this makes it INTERNAL, logged, with nothing shown.
        """
        try:
            return self.wire(response)
        except Exception as exc:
            answered = type(response).__name__
            raise Internal(f"{self.method} answered with a {answered}") from exc

    def wire(self, response: Any) -> Any:
        """gRPC's serializer for the method: bytes (encoded by the wrapper) go as they
        are; what a handler passes to `context.write()` is encoded here."""
        if self.serializer is None or isinstance(response, bytes):
            return response
        return self.serializer(response)


class _Call:
    """Bookkeeping for one server call: labels, timer, message counts, final code."""

    def __init__(self, rpc: _Rpc, context: Context) -> None:
        service, method = metrics.split_method(rpc.method)
        self.labels = (rpc.kind, service, method)
        self.method = rpc.method
        self.started = time.perf_counter()
        logs.bind_incoming(context.invocation_metadata() or ())
        metrics.SERVER_STARTED.labels(*self.labels).inc()

    def received(self) -> None:
        metrics.SERVER_MSG_RECEIVED.labels(*self.labels).inc()

    def sent(self) -> None:
        metrics.SERVER_MSG_SENT.labels(*self.labels).inc()

    def done(self, code: grpc.StatusCode) -> None:
        metrics.SERVER_HANDLED.labels(*self.labels, code.name).inc()
        metrics.SERVER_HANDLING.labels(*self.labels).observe(time.perf_counter() - self.started)


def _ended_code(context: Context) -> grpc.StatusCode:
    """The code a handler set itself (by abort or set_code), OK if it set none."""
    code = context.code()
    # Older grpc versions report the code as the raw integer.
    if isinstance(code, int) and not isinstance(code, grpc.StatusCode):
        code = next((c for c in grpc.StatusCode if c.value[0] == code), grpc.StatusCode.UNKNOWN)
    return code if isinstance(code, grpc.StatusCode) else grpc.StatusCode.OK


async def _fail(call: _Call, context: Context, exc: BaseException) -> None:
    """Record the call's end and send the status `exc` stands for; the handler then
    returns, and gRPC ends the call.

    Cancellation (the client went away, or its deadline passed) is recorded and
    re-raised: there is nobody to send a status to.
    """
    if isinstance(exc, asyncio.CancelledError | GeneratorExit | KeyboardInterrupt | SystemExit):
        remaining = context.time_remaining()
        expired = remaining is not None and remaining <= 0.0
        call.done(grpc.StatusCode.DEADLINE_EXCEEDED if expired else grpc.StatusCode.CANCELLED)
        raise exc
    if isinstance(exc, NotImplementedError):
        # The generated base servicer raises this for methods a service does not serve.
        exc = Unimplemented(f"{call.method} is not implemented by this server")
    elif not isinstance(exc, ArbiterError):
        log.error("unhandled error", exc_info=exc, extra={"method": call.method})
        exc = Internal("unhandled error")
    elif exc.code is grpc.StatusCode.INTERNAL:
        log.error("internal error: %s", exc.message, exc_info=exc, extra={"method": call.method})
    call.done(exc.code)
    status = to_status(exc)
    try:
        await context.abort(status.code, status.details, trailing_metadata=status.trailing_metadata)
    except grpc.aio.AbortError as aborted:
        # gRPC keeps this AbortError on the call's state and raises it again when the
        # handler returns. Its traceback and context would hold this frame, `exc` and the
        # handler's frames with the request in them: a reference cycle through the call
        # state that only a full garbage collection frees, so every refused 4 MiB
        # request stayed resident for minutes (the planner grew 84 -> 207 MiB in 4,400
        # hostile calls, issue 7). Emptied, it holds nothing of the call.
        aborted.__traceback__ = None
        aborted.__context__ = None


def _wrap_unary_response(
    behavior: Callable[[Any, Context], Any], rpc: _Rpc, request_streaming: bool
) -> Callable[[Any, Context], Awaitable[Any]]:
    async def handle(request: Any, context: Context) -> Any:
        call = _Call(rpc, context)
        try:
            with rpc.admitted():
                response = behavior(_requests(request, call, rpc, request_streaming), context)
                if inspect.isawaitable(response):
                    response = await response
        except grpc.aio.AbortError:
            call.done(_ended_code(context))
            raise
        except BaseException as exc:
            await _fail(call, context, exc)
            return b""
        code = _ended_code(context)
        if code is not grpc.StatusCode.OK:
            # The handler set its own status (set_code) and sends no response.
            call.done(code)
            return b""
        try:
            encoded = rpc.encoded(response)
        except Internal as exc:
            await _fail(call, context, exc)
            return b""
        call.sent()
        call.done(code)
        return encoded

    return handle


def _wrap_stream_response(
    behavior: Callable[[Any, Context], Any], rpc: _Rpc, request_streaming: bool
) -> Callable[[Any, Context], AsyncIterator[Any]]:
    async def handle(request: Any, context: Context) -> AsyncIterator[Any]:
        call = _Call(rpc, context)
        try:
            with rpc.admitted():
                responses = behavior(_requests(request, call, rpc, request_streaming), context)
                if inspect.isawaitable(responses):
                    # A handler that writes with `context.write()` instead of yielding.
                    await responses
                else:
                    async for response in responses:
                        encoded = rpc.encoded(response)
                        call.sent()
                        yield encoded
        except grpc.aio.AbortError:
            call.done(_ended_code(context))
            raise
        except BaseException as exc:
            await _fail(call, context, exc)
            return
        call.done(_ended_code(context))

    return handle


def _requests(request: Any, call: _Call, rpc: _Rpc, streaming: bool) -> Any:
    """What the handler receives: the decoded request, or for a request stream an
    iterator that decodes (and counts) each message as the handler reads it."""
    if streaming:
        return _decoded_stream(request, call, rpc)
    call.received()
    return rpc.decoded(request)


async def _decoded_stream(raw: AsyncIterator[bytes], call: _Call, rpc: _Rpc) -> AsyncIterator[Any]:
    position = 0
    async for message in raw:
        call.received()
        yield rpc.decoded(message, position=position)
        position += 1


class ServerInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]
    """Bulkhead, request decoding, metrics, logging context and error mapping around
    every handler."""

    def __init__(self, *, bulkhead: Bulkhead) -> None:
        self._bulkhead = bulkhead

    async def intercept_service(
        self,
        continuation: Callable[
            [grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any]]
        ],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any]:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        # Health and reflection are counted too: they are labelled by method, so they
        # sit beside the service's own series, and a failing probe is worth seeing.
        method = handler_call_details.method
        streams_in = handler.request_streaming
        service, _ = metrics.split_method(method)
        rpc = _Rpc(
            method=method,
            kind=metrics.rpc_type(streams_in, handler.response_streaming),
            deserializer=handler.request_deserializer,
            serializer=handler.response_serializer,
            bulkhead=None if service in PROBE_SERVICES else self._bulkhead,
        )
        factory: Any
        if handler.response_streaming:
            inner: Any = handler.unary_stream or handler.stream_stream
            wrapped: Any = _wrap_stream_response(inner, rpc, streams_in)
            factory = (
                grpc.stream_stream_rpc_method_handler
                if streams_in
                else grpc.unary_stream_rpc_method_handler
            )
        else:
            inner = handler.unary_unary or handler.stream_unary
            wrapped = _wrap_unary_response(inner, rpc, streams_in)
            factory = (
                grpc.stream_unary_rpc_method_handler
                if streams_in
                else grpc.unary_unary_rpc_method_handler
            )
        # No deserializer: the handler gets the caller's bytes and decodes them inside
        # the wrapper, where a failure is the caller's INVALID_ARGUMENT; responses are
        # encoded there too, where a failure is a logged INTERNAL.
        new_handler: grpc.RpcMethodHandler[Any, Any] = factory(
            wrapped, request_deserializer=None, response_serializer=rpc.wire
        )
        return new_handler


def server_interceptors(*, bulkhead: Bulkhead) -> list[grpc.aio.ServerInterceptor[Any, Any]]:
    """The interceptors every Arbiter server runs, outermost first."""
    return [ServerInterceptor(bulkhead=bulkhead)]

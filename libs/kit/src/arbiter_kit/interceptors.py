"""Server interceptors: Prometheus metrics, request-scoped logging context, and the
mapping of domain errors to `google.rpc.Status`. One wrapper serves all four RPC kinds."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

from arbiter_kit import logs, metrics
from arbiter_kit.errors import ArbiterError, Internal, to_status

log = logging.getLogger(__name__)


class _Call:
    """Bookkeeping for one server call: labels, timer, message counts, final code."""

    def __init__(self, full_method: str, kind: str, metadata: tuple[Any, ...]) -> None:
        service, method = metrics.split_method(full_method)
        self.labels = (kind, service, method)
        self.method = full_method
        self.started = time.perf_counter()
        md = {k: v for k, v in metadata or ()}
        logs.request_id.set(str(md.get("x-request-id") or uuid.uuid4().hex[:16]))
        if md.get("x-session-id"):
            logs.session_id.set(str(md["x-session-id"]))
        traceparent = str(md.get("traceparent", ""))
        logs.trace_id.set(traceparent.split("-")[1] if traceparent.count("-") >= 3 else "")
        metrics.SERVER_STARTED.labels(*self.labels).inc()

    def received(self) -> None:
        metrics.SERVER_MSG_RECEIVED.labels(*self.labels).inc()

    def sent(self) -> None:
        metrics.SERVER_MSG_SENT.labels(*self.labels).inc()

    def done(self, code: grpc.StatusCode) -> None:
        metrics.SERVER_HANDLED.labels(*self.labels, code.name).inc()
        metrics.SERVER_HANDLING.labels(*self.labels).observe(time.perf_counter() - self.started)


async def _fail(call: _Call, context: grpc.aio.ServicerContext, exc: BaseException) -> None:
    """Abort the call with the status `exc` stands for; always raises."""
    if isinstance(exc, asyncio.CancelledError):
        call.done(grpc.StatusCode.CANCELLED)
        raise exc
    if not isinstance(exc, ArbiterError):
        log.exception("unhandled error", extra={"method": call.method})
        exc = Internal("unhandled error")
    elif exc.code is grpc.StatusCode.INTERNAL:
        log.error("internal error: %s", exc.message, extra={"method": call.method})
    call.done(exc.code)
    await context.abort_with_status(to_status(exc))


def _aborted_code(context: grpc.aio.ServicerContext) -> grpc.StatusCode:
    code = context.code()
    return code if isinstance(code, grpc.StatusCode) else grpc.StatusCode.UNKNOWN


def _wrap_unary_response(
    behavior: Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]],
    full_method: str,
    kind: str,
    request_streaming: bool,
) -> Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]:
    async def handle(request: Any, context: grpc.aio.ServicerContext) -> Any:
        call = _Call(full_method, kind, context.invocation_metadata() or ())
        if request_streaming:
            request = _count(request, call)
        else:
            call.received()
        try:
            response = await behavior(request, context)
        except grpc.aio.AbortError:
            call.done(_aborted_code(context))
            raise
        except BaseException as exc:  # noqa: BLE001 - mapped to a status, never leaked
            await _fail(call, context, exc)
            raise
        call.sent()
        call.done(grpc.StatusCode.OK)
        return response

    return handle


def _wrap_stream_response(
    behavior: Callable[[Any, grpc.aio.ServicerContext], AsyncIterator[Any]],
    full_method: str,
    kind: str,
    request_streaming: bool,
) -> Callable[[Any, grpc.aio.ServicerContext], AsyncIterator[Any]]:
    async def handle(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        call = _Call(full_method, kind, context.invocation_metadata() or ())
        if request_streaming:
            request = _count(request, call)
        else:
            call.received()
        try:
            async for response in behavior(request, context):
                call.sent()
                yield response
        except grpc.aio.AbortError:
            call.done(_aborted_code(context))
            raise
        except BaseException as exc:  # noqa: BLE001 - mapped to a status, never leaked
            await _fail(call, context, exc)
            raise
        call.done(grpc.StatusCode.OK)

    return handle


async def _count(requests: AsyncIterator[Any], call: _Call) -> AsyncIterator[Any]:
    async for request in requests:
        call.received()
        yield request


class ServerInterceptor(grpc.aio.ServerInterceptor):
    """Metrics, logging context and error mapping around every handler."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method = handler_call_details.method
        kind = metrics.rpc_type(handler.request_streaming, handler.response_streaming)
        if method.startswith("/grpc.health.") or method.startswith("/grpc.reflection."):
            return handler
        streams_in = handler.request_streaming
        factory: Any
        if handler.response_streaming:
            inner = handler.unary_stream or handler.stream_stream
            wrapped: Any = _wrap_stream_response(inner, method, kind, streams_in)
            factory = (
                grpc.stream_stream_rpc_method_handler
                if streams_in
                else grpc.unary_stream_rpc_method_handler
            )
        else:
            inner = handler.unary_unary or handler.stream_unary
            wrapped = _wrap_unary_response(inner, method, kind, streams_in)
            factory = (
                grpc.stream_unary_rpc_method_handler
                if streams_in
                else grpc.unary_unary_rpc_method_handler
            )
        return factory(
            wrapped,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


def server_interceptors(service: str) -> list[grpc.aio.ServerInterceptor]:
    """The interceptors every Arbiter server runs, outermost first."""
    del service  # labels come from the method name; kept for per-service policy later
    return [ServerInterceptor()]

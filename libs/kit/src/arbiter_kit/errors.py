"""Arbiter's domain errors and their mapping to `google.rpc.Status`.

The tree::

    ArbiterError                  INTERNAL (root; message never shown to callers)
    ├── Internal                  INTERNAL
    ├── InvalidArgument           INVALID_ARGUMENT, names the field
    ├── NotFound                  NOT_FOUND
    ├── FailedPrecondition        FAILED_PRECONDITION
    ├── Unauthenticated           UNAUTHENTICATED
    ├── PermissionDenied          PERMISSION_DENIED
    ├── ResourceExhausted         RESOURCE_EXHAUSTED
    ├── DeadlineExceeded          DEADLINE_EXCEEDED
    ├── Unavailable               UNAVAILABLE (a dependency failed, or a breaker is open)
    ├── Unimplemented             UNIMPLEMENTED
    └── Cancelled                 CANCELLED

Handlers raise these; one server interceptor turns them into a status with one
`ErrorInfo` (reason, domain, metadata), and a `RetryInfo` when the error says when to
try again. Any other exception becomes INTERNAL with a fixed message, so internals never
reach a caller. `error_for_code` goes the other way, for the client kit's mapping of a
downstream's failure; it is what raises Unauthenticated and Cancelled, statuses the
transport (or a proxy in front of a downstream) makes rather than a handler. A code with
no class here (ABORTED, ALREADY_EXISTS, OUT_OF_RANGE, ...) becomes Internal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import DecodeError
from google.rpc import (  # type: ignore[import-untyped]  # no stubs published
    code_pb2,
    error_details_pb2,
    status_pb2,
)
from grpc_status import rpc_status

DOMAIN = "arbiter"
_DETAILS_KEY = "grpc-status-details-bin"
INTERNAL_MESSAGE = "internal error; the incident is logged with its trace id"
SHOWN_CHARS = 64
"""Most characters of a caller's value an error message quotes."""
MESSAGE_CHARS = 512
"""Most characters of a message (or an ErrorInfo value) a status carries: the status
travels in trailing metadata, and a handler that quotes a caller's value whole must not
turn a clear answer into the transport's RESOURCE_EXHAUSTED."""


def shown(value: str, *, limit: int = SHOWN_CHARS) -> str:
    """`value` quoted for an error message, cut to `limit` characters: a message must
    stay small (it travels in metadata) whatever the caller sent."""
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}... ({len(value)} characters)"


class ArbiterError(Exception):
    """Root of Arbiter's errors; carries a gRPC status code and a reason."""

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL
    default_reason = "INTERNAL"

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
        retry_delay: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason
        self.metadata = dict(metadata or {})
        # Seconds a caller should wait before trying again, sent as a RetryInfo.
        self.retry_delay = retry_delay

    def public_message(self) -> str:
        """The message a caller may see."""
        return INTERNAL_MESSAGE if self.code is grpc.StatusCode.INTERNAL else self.message


class InvalidArgument(ArbiterError):
    """A request field is missing, malformed or out of range."""

    code = grpc.StatusCode.INVALID_ARGUMENT
    default_reason = "INVALID_ARGUMENT"

    def __init__(self, field: str, message: str, *, reason: str | None = None) -> None:
        super().__init__(f"{field}: {message}", reason=reason, metadata={"field": field})
        self.field = field


class Internal(ArbiterError):
    """Something broke that the caller cannot fix; the details stay in the logs."""


class NotFound(ArbiterError):
    code = grpc.StatusCode.NOT_FOUND
    default_reason = "NOT_FOUND"


class FailedPrecondition(ArbiterError):
    code = grpc.StatusCode.FAILED_PRECONDITION
    default_reason = "FAILED_PRECONDITION"


class Unauthenticated(ArbiterError):
    code = grpc.StatusCode.UNAUTHENTICATED
    default_reason = "UNAUTHENTICATED"


class PermissionDenied(ArbiterError):
    code = grpc.StatusCode.PERMISSION_DENIED
    default_reason = "PERMISSION_DENIED"


class ResourceExhausted(ArbiterError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED
    default_reason = "RESOURCE_EXHAUSTED"


class DeadlineExceeded(ArbiterError):
    code = grpc.StatusCode.DEADLINE_EXCEEDED
    default_reason = "DEADLINE_EXCEEDED"


class Unavailable(ArbiterError):
    code = grpc.StatusCode.UNAVAILABLE
    default_reason = "UNAVAILABLE"


class Unimplemented(ArbiterError):
    code = grpc.StatusCode.UNIMPLEMENTED
    default_reason = "UNIMPLEMENTED"


class Cancelled(ArbiterError):
    code = grpc.StatusCode.CANCELLED
    default_reason = "CANCELLED"


_BY_CODE: dict[grpc.StatusCode, type[ArbiterError]] = {
    cls.code: cls
    for cls in (
        Internal,
        InvalidArgument,
        NotFound,
        FailedPrecondition,
        Unauthenticated,
        PermissionDenied,
        ResourceExhausted,
        DeadlineExceeded,
        Unavailable,
        Unimplemented,
        Cancelled,
    )
}


def error_for_code(
    code: grpc.StatusCode,
    message: str,
    *,
    reason: str | None = None,
    metadata: Mapping[str, str] | None = None,
) -> ArbiterError:
    """The ArbiterError subclass for `code` carrying exactly `message`.

    UNKNOWN, DATA_LOSS and any code without a class of its own become Internal.
    """
    cls = _BY_CODE.get(code, Internal)
    error = cls.__new__(cls)
    # Bypass subclass constructors (InvalidArgument prefixes the field name) so the
    # message stays the one given; the field still comes from the metadata.
    ArbiterError.__init__(error, message, reason=reason, metadata=metadata)
    if isinstance(error, InvalidArgument):
        error.field = error.metadata.get("field", "")
    return error


def to_status(error: ArbiterError, *, domain: str = DOMAIN) -> grpc.Status:
    """The `google.rpc.Status` that represents `error`: one ErrorInfo, plus a RetryInfo
    when the error carries a retry delay; message and metadata values capped in length."""
    info = error_details_pb2.ErrorInfo(
        reason=error.reason,
        domain=domain,
        metadata={key: _capped(value) for key, value in error.metadata.items()},
    )
    details = [_packed(info)]
    if error.retry_delay is not None:
        delay = duration_pb2.Duration()
        delay.FromNanoseconds(round(max(0.0, error.retry_delay) * 1e9))
        details.append(_packed(error_details_pb2.RetryInfo(retry_delay=delay)))
    status = status_pb2.Status(
        code=getattr(code_pb2, error.code.name),
        message=_capped(error.public_message()),
        details=details,
    )
    return rpc_status.to_status(status)


def _packed(detail: Any) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(detail)
    return packed


def _capped(text: str) -> str:
    if len(text) <= MESSAGE_CHARS:
        return text
    return f"{text[:MESSAGE_CHARS]}... ({len(text)} characters)"


def error_info(error: grpc.RpcError) -> error_details_pb2.ErrorInfo | None:
    """The ErrorInfo a failed call carried, if any."""
    info: error_details_pb2.ErrorInfo | None = _detail(error, error_details_pb2.ErrorInfo)
    return info


def retry_delay(error: grpc.RpcError) -> float | None:
    """The seconds a failed call's RetryInfo asks the caller to wait, if it carried one."""
    info = _detail(error, error_details_pb2.RetryInfo)
    return None if info is None else float(info.retry_delay.ToNanoseconds()) / 1e9


def _detail(error: grpc.RpcError, kind: Any) -> Any:
    """The first status detail of type `kind` a failed call carried, if any.

    Reads the status details from the trailing metadata itself: `grpc.aio.AioRpcError`
    is not a `grpc.Call`, and `rpc_status.from_call` raises on a code/message mismatch,
    which a caller mapping an error must not.
    """
    trailing = getattr(error, "trailing_metadata", None)
    for key, value in (trailing() if callable(trailing) else None) or ():
        if key != _DETAILS_KEY or not isinstance(value, bytes):
            continue
        try:
            status = status_pb2.Status.FromString(value)
        except DecodeError:
            return None
        for detail in status.details:
            if detail.Is(kind.DESCRIPTOR):
                found = kind()
                detail.Unpack(found)
                return found
    return None

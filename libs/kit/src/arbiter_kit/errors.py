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
    └── Unimplemented             UNIMPLEMENTED

Handlers raise these; one server interceptor turns them into a status with one
`ErrorInfo` (reason, domain, metadata). Any other exception becomes INTERNAL with a
fixed message, so internals never reach a caller.
"""

from __future__ import annotations

from collections.abc import Mapping

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

DOMAIN = "arbiter"
INTERNAL_MESSAGE = "internal error; the incident is logged with its trace id"


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
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason
        self.metadata = dict(metadata or {})

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


def to_status(error: ArbiterError, *, domain: str = DOMAIN) -> grpc.Status:
    """The `google.rpc.Status` (with one ErrorInfo) that represents `error`."""
    info = error_details_pb2.ErrorInfo(
        reason=error.reason, domain=domain, metadata=error.metadata
    )
    detail = any_pb2.Any()
    detail.Pack(info)
    status = status_pb2.Status(
        code=getattr(code_pb2, error.code.name),
        message=error.public_message(),
        details=[detail],
    )
    return rpc_status.to_status(status)


def error_info(error: grpc.RpcError) -> error_details_pb2.ErrorInfo | None:
    """The ErrorInfo a failed call carried, if any."""
    if not isinstance(error, grpc.Call):
        return None
    status = rpc_status.from_call(error)
    if status is None:
        return None
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info
    return None

"""Domain errors to google.rpc.Status and back."""

from __future__ import annotations

import grpc
import pytest
from arbiter_kit.errors import (
    INTERNAL_MESSAGE,
    MESSAGE_CHARS,
    ArbiterError,
    Internal,
    InvalidArgument,
    NotFound,
    ResourceExhausted,
    Unavailable,
    error_for_code,
    to_status,
)
from google.rpc import error_details_pb2, status_pb2


def unpack(status: grpc.Status) -> tuple[status_pb2.Status, error_details_pb2.ErrorInfo]:
    (key, value), *_ = status.trailing_metadata
    assert key == "grpc-status-details-bin"
    rich = status_pb2.Status.FromString(value)
    info = error_details_pb2.ErrorInfo()
    assert len(rich.details) == 1
    rich.details[0].Unpack(info)
    return rich, info


def test_invalid_argument_names_the_field() -> None:
    status = to_status(InvalidArgument("question", "must not be empty"))
    rich, info = unpack(status)
    assert status.code is grpc.StatusCode.INVALID_ARGUMENT
    assert status.details == rich.message == "question: must not be empty"
    assert (info.reason, info.domain, dict(info.metadata)) == (
        "INVALID_ARGUMENT",
        "arbiter",
        {"field": "question"},
    )


def test_internal_errors_never_show_their_message() -> None:
    status = to_status(Internal("db password is hunter2"))
    assert status.code is grpc.StatusCode.INTERNAL
    assert status.details == INTERNAL_MESSAGE
    assert "hunter2" not in unpack(status)[0].message


def test_reason_and_metadata_pass_through() -> None:
    status = to_status(NotFound("no such session", reason="SESSION_NOT_FOUND", metadata={"a": "b"}))
    _, info = unpack(status)
    assert status.code is grpc.StatusCode.NOT_FOUND
    assert (info.reason, dict(info.metadata)) == ("SESSION_NOT_FOUND", {"a": "b"})


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (grpc.StatusCode.UNAVAILABLE, Unavailable),
        (grpc.StatusCode.NOT_FOUND, NotFound),
        (grpc.StatusCode.UNKNOWN, Internal),
        (grpc.StatusCode.DATA_LOSS, Internal),
    ],
)
def test_error_for_code_picks_the_class(code: grpc.StatusCode, cls: type[ArbiterError]) -> None:
    error = error_for_code(code, "planner: down", reason="R")
    assert type(error) is cls
    assert (error.message, error.reason) == ("planner: down", "R")


def test_error_for_code_keeps_the_message_and_field_of_invalid_argument() -> None:
    error = error_for_code(
        grpc.StatusCode.INVALID_ARGUMENT, "planner: question: empty", metadata={"field": "question"}
    )
    assert isinstance(error, InvalidArgument)
    assert error.field == "question"
    assert error.message == "planner: question: empty"
    assert error.code is grpc.StatusCode.INVALID_ARGUMENT


def test_a_retry_delay_travels_as_retry_info() -> None:
    status = to_status(ResourceExhausted("busy", retry_delay=1.5))
    (_, value), *_ = status.trailing_metadata
    rich = status_pb2.Status.FromString(value)
    kinds = [d.TypeName() for d in rich.details]
    assert kinds == ["google.rpc.ErrorInfo", "google.rpc.RetryInfo"]
    retry = error_details_pb2.RetryInfo()
    rich.details[1].Unpack(retry)
    assert retry.retry_delay.ToNanoseconds() == 1_500_000_000


def test_a_status_never_carries_a_message_or_value_past_its_cap() -> None:
    huge = "x" * 20_000
    status = to_status(NotFound(f"no session {huge}", metadata={"session_id": huge}))
    (_, value), *_ = status.trailing_metadata
    rich = status_pb2.Status.FromString(value)
    info = error_details_pb2.ErrorInfo()
    rich.details[0].Unpack(info)
    assert len(status.details) <= MESSAGE_CHARS + 64
    assert status.details.endswith("(20011 characters)")
    assert len(info.metadata["session_id"]) <= MESSAGE_CHARS + 64

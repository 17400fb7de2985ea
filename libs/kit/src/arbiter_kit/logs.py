"""Structured JSON logs: one object a line, with the service, request, session and
trace ids of the call in progress."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import secrets
import sys
import time
from collections.abc import Iterable
from typing import Any

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
session_id: contextvars.ContextVar[str] = contextvars.ContextVar("session_id", default="")
trace_id: contextvars.ContextVar[str] = contextvars.ContextVar("trace_id", default="")

# W3C trace context: version-traceid-parentid-flags, lower-case hex.
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")
# A caller's request or session id is kept only when short and printable: it is
# written to every log line and forwarded to every downstream, where an outsized one
# would overflow the metadata limit and fail calls (and trip breakers) for everyone.
_CALLER_ID = re.compile(r"^[\x21-\x7e]{1,128}$")

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


_IDS = (("request_id", request_id), ("session_id", session_id), ("trace_id", trace_id))


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object, extra fields included."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, var in _IDS:
            value = var.get()
            if value:
                out[key] = value
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def bind_incoming(metadata: Iterable[tuple[str, str | bytes]]) -> None:
    """Set this call's request, session and trace ids from its metadata.

    A call without a valid request id (at most 128 printable ASCII characters) or a
    valid `traceparent` gets fresh ones, so every log line of the call, and every call
    it makes downstream, carries both; an invalid session id is dropped.
    """
    md = {key: value for key, value in metadata if isinstance(value, str)}
    request_id.set(_caller_id(md.get("x-request-id", "")) or secrets.token_hex(8))
    session_id.set(_caller_id(md.get("x-session-id", "")))
    match = _TRACEPARENT.match(md.get("traceparent", "").strip())
    trace_id.set(match.group(1) if match else secrets.token_hex(16))


def _caller_id(value: str) -> str:
    return value if _CALLER_ID.match(value) else ""


def outgoing_metadata() -> tuple[tuple[str, str], ...]:
    """Metadata that carries the current request, session and trace ids to a downstream."""
    out: list[tuple[str, str]] = []
    if value := request_id.get():
        out.append(("x-request-id", value))
    if value := session_id.get():
        out.append(("x-session-id", value))
    if value := trace_id.get():
        # No span model yet (OpenTelemetry comes later): each outbound call gets a fresh
        # parent id under the same trace, which keeps the trace joinable across services.
        out.append(("traceparent", f"00-{value}-{secrets.token_hex(8)}-01"))
    return tuple(out)


def configure_logging(service: str, *, level: str = "INFO") -> None:
    """Send the process's logs to stderr as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())

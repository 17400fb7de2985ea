"""Prometheus metrics with the standard gRPC names, plus the kit's own, and the
HTTP endpoint that serves them on a separate port."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_RPC = ("grpc_type", "grpc_service", "grpc_method")

SERVER_STARTED = Counter("grpc_server_started_total", "RPCs started on the server.", _RPC)
SERVER_HANDLED = Counter(
    "grpc_server_handled_total", "RPCs completed on the server.", (*_RPC, "grpc_code")
)
SERVER_HANDLING = Histogram(
    "grpc_server_handling_seconds",
    "RPC handling time on the server.",
    _RPC,
    buckets=LATENCY_BUCKETS,
)
SERVER_MSG_RECEIVED = Counter(
    "grpc_server_msg_received_total", "Messages received by the server.", _RPC
)
SERVER_MSG_SENT = Counter("grpc_server_msg_sent_total", "Messages sent by the server.", _RPC)

CLIENT_STARTED = Counter("grpc_client_started_total", "RPCs started by the client.", _RPC)
CLIENT_HANDLED = Counter(
    "grpc_client_handled_total", "RPCs completed by the client.", (*_RPC, "grpc_code")
)
CLIENT_HANDLING = Histogram(
    "grpc_client_handling_seconds", "RPC time seen by the client.", _RPC, buckets=LATENCY_BUCKETS
)
CLIENT_MSG_RECEIVED = Counter(
    "grpc_client_msg_received_total", "Messages received by the client.", _RPC
)
CLIENT_MSG_SENT = Counter("grpc_client_msg_sent_total", "Messages sent by the client.", _RPC)

BREAKER_STATE = Gauge(
    "arbiter_circuit_breaker_state",
    "Circuit breaker state per downstream: 0 closed, 1 open, 2 half-open.",
    ("downstream",),
)
BREAKER_TRANSITIONS = Counter(
    "arbiter_circuit_breaker_transitions_total",
    "Circuit breaker state changes.",
    ("downstream", "from_state", "to_state"),
)
BREAKER_REJECTED = Counter(
    "arbiter_circuit_breaker_rejected_total", "Calls refused by an open breaker.", ("downstream",)
)
RETRIES = Counter(
    "arbiter_client_retries_total", "Application-level retries of outbound calls.", ("downstream",)
)
DEPENDENCY_FAILURES = Counter(
    "arbiter_dependency_failures_total",
    "Failed calls to a dependency (services, stores, models), by reason.",
    ("dependency", "reason"),
)
LLM_CALLS = Counter(
    "arbiter_llm_calls_total", "LLM calls by step and outcome.", ("step", "outcome")
)
LLM_TOKENS = Counter("arbiter_llm_tokens_total", "LLM tokens by step and kind.", ("step", "kind"))


def split_method(full_method: str) -> tuple[str, str]:
    """`/pkg.Service/Method` -> (`pkg.Service`, `Method`)."""
    _, service, method = full_method.split("/", 2)
    return service, method


def rpc_type(request_streaming: bool, response_streaming: bool) -> str:
    if request_streaming and response_streaming:
        return "bidi_stream"
    if request_streaming:
        return "client_stream"
    if response_streaming:
        return "server_stream"
    return "unary"


class MetricsEndpoint:
    """The /metrics HTTP server of one process; `close()` frees its port."""

    def __init__(self, host: str, port: int) -> None:
        self._server, self._thread = start_http_server(port, addr=host)
        self.port = int(self._server.server_port)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

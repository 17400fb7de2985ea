"""A small local OpenAI-compatible server for tests: the one fake, at the model boundary.

It serves `POST /v1/chat/completions` (plain and streamed as server-sent events) and
`POST /v1/embeddings` (deterministic hashed bag-of-words vectors) on 127.0.0.1, answers
chat calls from a script of replies, and records every request it receives::

    with OpenAIServer() as server:
        server.script(Reply.json({"intent": "RESEARCH"}), Reply.error(500))
        ...  # point the code under test at server.base_url
        assert len(server.requests) == 2
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import socket
import struct
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

EMBEDDING_DIMENSIONS = 64


@dataclass(frozen=True)
class Reply:
    """One scripted answer to a chat-completions call."""

    content: str = ""
    """The assistant message (streamed in `chunks` when the request asks to stream)."""
    status: int = 200
    """HTTP status; anything but 200 answers with an OpenAI-style error body."""
    delay: float = 0.0
    """Seconds to wait before answering (to test timeouts)."""
    chunks: tuple[str, ...] | None = None
    """The streamed pieces; by default `content` split after each word."""
    chunk_delay: float = 0.0
    """Seconds between streamed chunks."""
    drop_after: int | None = None
    """Stream only: close the connection after this many chunks, without `[DONE]`."""

    @classmethod
    def json(cls, obj: Any, **kwargs: Any) -> Reply:
        return cls(content=json.dumps(obj), **kwargs)

    @classmethod
    def text(cls, content: str, **kwargs: Any) -> Reply:
        return cls(content=content, **kwargs)

    @classmethod
    def error(cls, status: int = 500, message: str = "scripted failure") -> Reply:
        return cls(content=message, status=status)

    @classmethod
    def stream(cls, *chunks: str, **kwargs: Any) -> Reply:
        return cls(content="".join(chunks), chunks=tuple(chunks), **kwargs)


@dataclass(frozen=True)
class Received:
    """One request the server received."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    def text(self) -> str:
        """All message contents, joined: what the model was shown."""
        return "\n".join(str(m.get("content", "")) for m in self.messages)


Responder = Callable[[Received], Reply]


def _tokens(text: str) -> int:
    return len(re.findall(r"\S+", text))


def embed(text: str, dimensions: int = EMBEDDING_DIMENSIONS) -> list[float]:
    """A deterministic unit vector: words hashed into buckets, so shared words mean
    similar vectors (enough for retrieval tests; not a language model)."""
    vector = [0.0] * dimensions
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        digest = hashlib.sha256(word.encode()).digest()
        bucket = int.from_bytes(digest[:4], "little") % dimensions
        vector[bucket] += 1.0 if digest[4] % 2 == 0 else -1.0
    norm = math.sqrt(sum(v * v for v in vector))
    if norm == 0.0:
        vector[0] = 1.0
        return vector
    return [v / norm for v in vector]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        del format, args

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._send_json(400, {"error": {"message": "body is not JSON", "type": "bad_request"}})
            return
        received = Received(
            path=self.path, body=body, headers={k.lower(): v for k, v in self.headers.items()}
        )
        owner = self.server.owner
        owner._record(received)
        if self.path.rstrip("/").endswith("/chat/completions"):
            self._chat(received, owner._next_reply(received))
        elif self.path.rstrip("/").endswith("/embeddings"):
            self._embeddings(body)
        else:
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "x"}})

    def _chat(self, received: Received, reply: Reply) -> None:
        if reply.delay:
            time.sleep(reply.delay)
        if reply.status != 200:
            error = {"message": reply.content, "type": "server_error", "code": reply.status}
            self._send_json(reply.status, {"error": error})
            return
        model = str(received.body.get("model", "test-model"))
        prompt_tokens = _tokens(received.text())
        completion_tokens = _tokens(reply.content)
        if received.body.get("stream"):
            self._stream(reply, model, prompt_tokens, completion_tokens, received.body)
            return
        self._send_json(
            200,
            {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": reply.content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            },
        )

    def _stream(
        self, reply: Reply, model: str, prompt: int, completion: int, body: dict[str, Any]
    ) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        pieces = reply.chunks or tuple(re.findall(r"\S+\s*|\s+", reply.content))

        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
            choices = [{"index": 0, "delta": delta, "finish_reason": finish}]
            return {
                "id": "chatcmpl-test",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": choices,
                **extra,
            }

        try:
            self._event(chunk({"role": "assistant", "content": ""}))
            for n, piece in enumerate(pieces):
                if reply.drop_after is not None and n >= reply.drop_after:
                    self.close_connection = True
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if reply.chunk_delay:
                    time.sleep(reply.chunk_delay)
                self._event(chunk({"content": piece}))
            self._event(chunk({}, "stop"))
            if (body.get("stream_options") or {}).get("include_usage"):
                usage = {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                }
                self._event({**chunk({}), "choices": [], "usage": usage})
            self._write_chunk(b"data: [DONE]\n\n")
            self._write_chunk(b"")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _event(self, payload: dict[str, Any]) -> None:
        self._write_chunk(b"data: " + json.dumps(payload).encode() + b"\n\n")

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _embeddings(self, body: dict[str, Any]) -> None:
        inputs = body.get("input", [])
        texts = [inputs] if isinstance(inputs, str) else [str(t) for t in inputs]
        dims = int(body.get("dimensions") or EMBEDDING_DIMENSIONS)
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        for n, text in enumerate(texts):
            vector = embed(text, dims)
            value: Any = (
                base64.b64encode(struct.pack(f"<{dims}f", *vector)).decode()
                if as_base64
                else vector
            )
            data.append({"object": "embedding", "index": n, "embedding": value})
        tokens = sum(_tokens(t) for t in texts)
        self._send_json(
            200,
            {
                "object": "list",
                "data": data,
                "model": str(body.get("model", "test-embedder")),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
        )

    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: OpenAIServer

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, address = super().get_request()
        # Without this every small response waits for the client's delayed ACK (~40 ms).
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeout tests) is expected; anything else is reported."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class OpenAIServer:
    """The test server. Start it with `with OpenAIServer() as server:` or `start()`."""

    def __init__(self, *, default: Reply | Responder | None = None) -> None:
        self._lock = threading.Lock()
        self._script: deque[Reply | Responder] = deque()
        self._default = default
        self.requests: list[Received] = []
        self._http = _HTTPServer(("127.0.0.1", 0), _Handler)
        self._http.owner = self
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._http.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> OpenAIServer:
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def script(self, *replies: Reply | Responder) -> None:
        """Queue answers for the next chat calls, in order. A Responder is a function of
        the received request."""
        with self._lock:
            self._script.extend(replies)

    def reset(self) -> None:
        """Forget the script and the recorded requests (between tests)."""
        with self._lock:
            self._script.clear()
            self.requests.clear()

    def chat_requests(self) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def _record(self, received: Received) -> None:
        with self._lock:
            self.requests.append(received)

    def _next_reply(self, received: Received) -> Reply:
        with self._lock:
            entry = self._script.popleft() if self._script else self._default
        if entry is None:
            return Reply.error(500, "the test server has no scripted reply for this call")
        return entry(received) if callable(entry) else entry


@pytest.fixture(scope="module")
def model_server() -> Iterator[OpenAIServer]:
    """One test server per test module (import this fixture into a conftest)."""
    with OpenAIServer() as server:
        yield server


@pytest.fixture
def model(model_server: OpenAIServer) -> Iterator[OpenAIServer]:
    """The module's test server with an empty script and no recorded requests."""
    model_server.reset()
    yield model_server
    model_server.reset()

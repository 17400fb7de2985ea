"""`arbiter ingest PATH`: stream a JSONL corpus (`id, title, text, metadata` a line) to
`SearchService.Ingest`, with a progress bar on stderr and the summary on stdout."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import grpc
from arbiter.search.v1 import search_pb2, search_pb2_grpc

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
BAR_WIDTH = 30


class ProgressBar:
    """A one-line carriage-return bar (plain lines when the stream is not a terminal) of
    what the server has stored and what the client has sent; safe across threads."""

    def __init__(self, total: int, *, stream: TextIO) -> None:
        self.total = total
        self.stream = stream
        self.live = stream.isatty()
        self.started = time.monotonic()
        self.stored = self.chunks = self.sent = 0
        self._lock = threading.Lock()
        self._last_line = ""

    def show(
        self, *, stored: int | None = None, chunks: int | None = None, sent: int | None = None
    ) -> None:
        with self._lock:
            self.stored = self.stored if stored is None else stored
            self.chunks = self.chunks if chunks is None else chunks
            self.sent = self.sent if sent is None else sent
            done = min(1.0, self.stored / self.total) if self.total else 0.0
            filled = int(done * BAR_WIDTH)
            rate = self.stored / max(time.monotonic() - self.started, 1e-6)
            line = (
                f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done * 100:5.1f}%  "
                f"{self.stored}/{self.total} documents ({self.sent} sent)  "
                f"{self.chunks} chunks written  {rate:,.0f} docs/s"
            )
            if line != self._last_line:
                self._last_line = line
                self.stream.write(("\r" + line) if self.live else line + "\n")
                self.stream.flush()

    def close(self) -> None:
        with self._lock:
            if self.live and self._last_line:
                self.stream.write("\n")
                self.stream.flush()


class CorpusReader:
    """Reads the file a line at a time into Ingest requests; remembers unreadable lines."""

    def __init__(self, path: Path, *, expected: int, bar: ProgressBar, every: int) -> None:
        self.path = path
        self.expected = expected
        self.sent = 0
        self.bad_lines: list[int] = []
        self._bar = bar
        self._every = max(1, every)

    def requests(self) -> Iterator[search_pb2.IngestRequest]:
        yield search_pb2.IngestRequest(
            options=search_pb2.IngestOptions(expected_documents=self.expected)
        )
        with self.path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                document = _document(line)
                if document is None:
                    self.bad_lines.append(number)
                    continue
                self.sent += 1
                if self.sent % self._every == 0:
                    self._bar.show(sent=self.sent)
                yield search_pb2.IngestRequest(document=document)
        self._bar.show(sent=self.sent)


def run_ingest(path: str, *, target: str, batch_hint: int = 500) -> int:
    """Ingest the JSONL file at `path` through the search service at `target`.

    The bar redraws whenever the server reports progress (about every 500 documents)
    and every `batch_hint` documents sent.
    Returns a process exit code: 0 done, 1 failed or lines unreadable, 2 no such file,
    3 search unreachable.
    """
    file = Path(path)
    if not file.is_file():
        print(f"arbiter: no such file: {path}", file=sys.stderr)
        return EXIT_USAGE
    expected = _count_documents(file)
    bar = ProgressBar(expected, stream=sys.stderr)
    reader = CorpusReader(file, expected=expected, bar=bar, every=batch_hint)
    summary: Any = None
    options = [
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ]
    try:
        with grpc.insecure_channel(target, options=options) as channel:
            stub = search_pb2_grpc.SearchServiceStub(channel)
            for response in stub.Ingest(reader.requests()):
                if response.HasField("progress"):
                    p = response.progress
                    bar.show(stored=p.documents_received, chunks=p.chunks_written)
                elif response.HasField("summary"):
                    summary = response.summary
                    bar.show(stored=summary.documents, chunks=summary.chunks_written)
    except grpc.RpcError as exc:
        bar.close()
        return _report_failure(exc, target, reader)
    bar.close()
    if summary is None:
        print("arbiter: the ingest stream ended without a summary", file=sys.stderr)
        return EXIT_FAILED
    print(
        f"ingested {summary.documents} documents in {summary.seconds:.1f} s: "
        f"{summary.chunks_written} chunks written, {summary.unchanged} unchanged, "
        f"{summary.rejected} rejected"
    )
    if reader.bad_lines:
        shown = ", ".join(str(n) for n in reader.bad_lines[:10])
        more = " ..." if len(reader.bad_lines) > 10 else ""
        print(
            f"arbiter: skipped {len(reader.bad_lines)} unreadable lines: {shown}{more}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK


def _document(line: str) -> search_pb2.Document | None:
    """A Document from one JSONL line, or None when the line is not a JSON object.

    Metadata values become strings (the corpus has integer document ids); nested values
    are kept as compact JSON; nulls are dropped.
    """
    try:
        raw = json.loads(line)
    except json.JSONDecodeError:
        return None
    if not isinstance(raw, dict):
        return None
    metadata = raw.get("metadata") or {}
    if not isinstance(metadata, dict):
        return None
    return search_pb2.Document(
        id=_text(raw.get("id")),
        title=_text(raw.get("title")),
        text=_text(raw.get("text")),
        metadata={str(k): _text(v) for k, v in metadata.items() if v is not None},
    )


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _count_documents(path: Path) -> int:
    """Non-blank lines, counted in 1 MiB blocks so the file is never held in memory."""
    count = 0
    tail = b""
    with path.open("rb") as raw:
        while block := raw.read(1 << 20):
            lines = (tail + block).split(b"\n")
            tail = lines.pop()
            count += sum(1 for line in lines if line.strip())
    return count + (1 if tail.strip() else 0)


def _report_failure(exc: grpc.RpcError, target: str, reader: CorpusReader) -> int:
    code = exc.code() if isinstance(exc, grpc.Call) else None
    details = exc.details() if isinstance(exc, grpc.Call) else str(exc)
    if code == grpc.StatusCode.UNAVAILABLE:
        print(f"arbiter: search is not reachable at {target}: {details}", file=sys.stderr)
        return EXIT_UNREACHABLE
    print(f"arbiter: ingest failed: {getattr(code, 'name', 'ERROR')}: {details}", file=sys.stderr)
    print(
        f"arbiter: {reader.sent} documents were sent. Ingestion is idempotent: "
        "fix the input and run it again; stored documents will count as unchanged.",
        file=sys.stderr,
    )
    return EXIT_FAILED

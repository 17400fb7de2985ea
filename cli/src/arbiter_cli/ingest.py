"""`arbiter ingest PATH`: stream a JSONL corpus or a folder of markdown files (see
`sources`) to `SearchService.Ingest`, with a progress bar on stderr and the summary on
stdout."""

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

from arbiter_cli.sources import JsonlCorpus, MarkdownFolder, SourceError, open_source

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
REJECTIONS_KEY = "arbiter-rejections-bin"
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
    """Turns a source into Ingest requests a document at a time, counting what it sent."""

    def __init__(
        self, source: JsonlCorpus | MarkdownFolder, *, expected: int, bar: ProgressBar, every: int
    ) -> None:
        self.source = source
        self.expected = expected
        self.sent = 0
        self.error: SourceError | None = None
        self._bar = bar
        self._every = max(1, every)

    def requests(self) -> Iterator[search_pb2.IngestRequest]:
        yield search_pb2.IngestRequest(
            options=search_pb2.IngestOptions(expected_documents=self.expected)
        )
        try:
            for document in self.source.documents():
                self.sent += 1
                if self.sent % self._every == 0:
                    self._bar.show(sent=self.sent)
                yield search_pb2.IngestRequest(document=document)
        except SourceError as exc:
            # Ends the stream early; what was sent is stored, the rest is reported.
            self.error = exc
        self._bar.show(sent=self.sent)


def run_ingest(path: str, *, target: str, batch_hint: int = 500) -> int:
    """Ingest the JSONL file or markdown folder at `path` through the search service at
    `target`.

    The bar redraws whenever the server reports progress (about every 500 documents)
    and every `batch_hint` documents sent.
    Returns a process exit code: 0 done, 1 failed or input partly unreadable, 2 no such
    file or a folder whose contents.json is wrong, 3 search unreachable.
    """
    try:
        source = open_source(Path(path))
    except SourceError as exc:
        print(f"arbiter: {exc}", file=sys.stderr)
        return EXIT_USAGE
    expected = source.count()
    bar = ProgressBar(expected, stream=sys.stderr)
    reader = CorpusReader(source, expected=expected, bar=bar, every=batch_hint)
    summary: Any = None
    options = [
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ]
    try:
        with grpc.insecure_channel(target, options=options) as channel:
            stub = search_pb2_grpc.SearchServiceStub(channel)
            call = stub.Ingest(reader.requests())
            for response in call:
                if response.HasField("progress"):
                    p = response.progress
                    bar.show(stored=p.documents_received, chunks=p.chunks_written)
                elif response.HasField("summary"):
                    summary = response.summary
                    bar.show(stored=summary.documents, chunks=summary.chunks_written)
            examples = _rejections(call.trailing_metadata())
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
    for example in examples:
        print(f"  rejected {example['id']!r}: {example['reason']}")
    if summary.rejected > len(examples):
        print(f"  ... and {summary.rejected - len(examples)} more (see the search log)")
    problems = source.problems() + ([str(reader.error)] if reader.error else [])
    for problem in problems:
        print(f"arbiter: {problem}", file=sys.stderr)
    return EXIT_FAILED if problems else EXIT_OK


def _rejections(metadata: Any) -> list[dict[str, str]]:
    """The first rejected documents, from the call's trailing metadata (see
    `arbiter_search.ingest.pipeline.REJECTIONS_KEY`); [] when absent or unreadable."""
    for key, value in metadata or ():
        if key == REJECTIONS_KEY:
            try:
                listed = json.loads(value)
            except (json.JSONDecodeError, UnicodeDecodeError):
                return []
            if isinstance(listed, list):
                return [
                    {"id": str(item.get("id", "")), "reason": str(item.get("reason", ""))}
                    for item in listed
                    if isinstance(item, dict)
                ]
    return []


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

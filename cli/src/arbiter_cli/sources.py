"""What `arbiter ingest` reads: a JSONL corpus (`id, title, text, metadata` a line), or a
folder of markdown files described by its `contents.json`. Both are read one document at
a time; only `contents.json` is read whole before sending starts.

`contents.json` maps each markdown file's name to its human-verified metadata:

    {
      "AML.md": {
        "document_id": "AML",
        "title": "Anti-Money Laundering and Sanctions Rules and Guidance",
        "rulebook": "AML",
        "doc_type": "rulebook",
        "effective_date": "2023-12-21"
      }
    }

`document_id` and `title` are required, `rulebook`, `doc_type`, `effective_date`
(YYYY-MM-DD) and `version` optional; every value is a non-empty string. The document id is
the stored document's identity: re-ingesting the folder replaces what it sent before.
Every markdown file in the folder must be listed, and every listed file must be there.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from arbiter.search.v1 import search_pb2

CONTENTS = "contents.json"
REQUIRED_KEYS = ("document_id", "title")
FINDING_KEYS = (
    "finding_id",
    "label",
    "firm",
    "firm_id",
    "firm_type",
    "audit_id",
    "severity",
    "status",
    "cites",
    "rule_refs",
    "issue",
    "criteria",
    "action_required",
    "outcome",
    "decided_on",
    "penalty_usd",
)
"""The metadata a report's contents.json entry carries besides the keys every markdown
document may have (document_id, title, rulebook, doc_type, effective_date). Search reads
`cites`, `severity`, `outcome`, `penalty_usd` and `decided_on`; the rest travel with it."""
OPTIONAL_KEYS = ("rulebook", "doc_type", "effective_date", "version", *FINDING_KEYS)
MAX_FILE_BYTES = 12 * 1024 * 1024
"""A markdown file travels as one message; the channel allows 16 MiB."""
MARKDOWN_SUFFIXES = (".md", ".markdown")


class SourceError(Exception):
    """The input cannot be ingested as it is; the message says which file and why."""


@dataclass
class JsonlCorpus:
    """A JSONL file: one document a line; lines that are not a document are remembered."""

    path: Path
    bad_lines: list[int] = field(default_factory=list)

    def count(self) -> int:
        """Non-blank lines, counted in 1 MiB blocks so the file is never held in memory."""
        count = 0
        tail = b""
        with self.path.open("rb") as raw:
            while block := raw.read(1 << 20):
                lines = (tail + block).split(b"\n")
                tail = lines.pop()
                count += sum(1 for line in lines if line.strip())
        return count + (1 if tail.strip() else 0)

    def documents(self) -> Iterator[search_pb2.Document]:
        with self.path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                document = jsonl_document(line)
                if document is None:
                    self.bad_lines.append(number)
                    continue
                yield document

    def problems(self) -> list[str]:
        if not self.bad_lines:
            return []
        shown = ", ".join(str(n) for n in self.bad_lines[:10])
        more = " ..." if len(self.bad_lines) > 10 else ""
        return [f"skipped {len(self.bad_lines)} unreadable lines: {shown}{more}"]


@dataclass
class MarkdownFolder:
    """A folder of markdown files and the `contents.json` that describes each of them."""

    path: Path
    entries: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path) -> MarkdownFolder:
        """Read and check `contents.json` against the folder; SourceError lists every
        problem found, each naming its file."""
        contents = path / CONTENTS
        if not contents.is_file():
            raise SourceError(f"{path}: a markdown folder needs a {CONTENTS}")
        try:
            raw = json.loads(contents.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SourceError(f"{contents}: not valid JSON: {exc}") from exc
        if not isinstance(raw, dict):
            raise SourceError(f"{contents}: must be an object of file name -> metadata")
        problems: list[str] = []
        entries: dict[str, dict[str, str]] = {}
        for name, metadata in raw.items():
            entry = _entry(path, name, metadata, problems)
            if entry is not None:
                entries[name] = entry
        problems += _duplicate_ids(raw)
        listed = set(raw)
        for child in sorted(path.iterdir()):
            if child.name.startswith(".") or child.name == CONTENTS or child.name in listed:
                continue
            kind = "folder" if child.is_dir() else "file"
            problems.append(f"{child.name}: {kind} not listed in {CONTENTS}")
        if problems:
            raise SourceError("\n".join(f"{path}/{p}" for p in problems))
        return cls(path, entries)

    def count(self) -> int:
        return len(self.entries)

    def documents(self) -> Iterator[search_pb2.Document]:
        """One Document per file, in file-name order, read as it is sent."""
        for name in sorted(self.entries):
            entry = self.entries[name]
            try:
                text = (self.path / name).read_text(encoding="utf-8")
            except UnicodeDecodeError as exc:
                raise SourceError(f"{self.path}/{name}: not UTF-8 text ({exc})") from exc
            metadata = {k: v for k, v in entry.items() if k != "title"}
            metadata.update(document_file=name, format="markdown")
            yield search_pb2.Document(
                id=entry["document_id"], title=entry["title"], text=text, metadata=metadata
            )

    def problems(self) -> list[str]:
        return []


def open_source(path: Path) -> JsonlCorpus | MarkdownFolder:
    """A folder is markdown with its contents.json; a file is JSONL."""
    if path.is_dir():
        return MarkdownFolder.open(path)
    if path.is_file():
        return JsonlCorpus(path)
    raise SourceError(f"no such file or folder: {path}")


def _entry(folder: Path, name: str, metadata: object, problems: list[str]) -> dict[str, str] | None:
    """The checked metadata of one contents.json entry; its problems go to `problems`."""
    found = len(problems)
    if "/" in name or "\\" in name or name in ("", ".", ".."):
        problems.append(f"{name}: a contents.json key must be a file name in this folder")
    elif not name.lower().endswith(MARKDOWN_SUFFIXES):
        problems.append(f"{name}: not a markdown file (.md or .markdown)")
    elif not (folder / name).is_file():
        problems.append(f"{name}: listed in {CONTENTS} but not in the folder")
    elif (folder / name).stat().st_size > MAX_FILE_BYTES:
        problems.append(f"{name}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; split it")
    if not isinstance(metadata, dict):
        problems.append(f"{name}: its metadata must be an object")
        return None
    for key in metadata:
        if key not in REQUIRED_KEYS + OPTIONAL_KEYS:
            allowed = ", ".join(REQUIRED_KEYS + OPTIONAL_KEYS)
            problems.append(f"{name}: unknown key {key!r} (allowed: {allowed})")
    for key in REQUIRED_KEYS:
        if key not in metadata:
            problems.append(f"{name}: {key!r} is required")
    for key, value in metadata.items():
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{name}: {key!r} must be a non-empty string")
    date = metadata.get("effective_date")
    if isinstance(date, str) and date.strip() and not _is_date(date):
        problems.append(f"{name}: 'effective_date' must be YYYY-MM-DD, got {date!r}")
    if len(problems) > found:
        return None
    return {str(k): str(v).strip() for k, v in metadata.items()}


def _duplicate_ids(raw: Mapping[str, object]) -> list[str]:
    owners: dict[str, str] = {}
    problems = []
    for name in sorted(raw):
        metadata = raw[name]
        document_id = metadata.get("document_id") if isinstance(metadata, dict) else None
        if not isinstance(document_id, str):
            continue
        document_id = document_id.strip()
        if document_id in owners:
            problems.append(f"{name}: document_id {document_id!r} is also {owners[document_id]}'s")
        owners.setdefault(document_id, name)
    return problems


def _is_date(value: str) -> bool:
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def jsonl_document(line: str) -> search_pb2.Document | None:
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

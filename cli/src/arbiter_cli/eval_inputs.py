"""The inputs of `arbiter eval`: a query set (JSONL) and its relevance judgements (a qrels
TSV), read with errors that name the file and line at fault."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


class InputError(Exception):
    """A query or qrels file that cannot be read as such (exit 2)."""


@dataclass(frozen=True)
class Query:
    id: str
    text: str


def read_jsonl(path: Path, read: Callable[[Any], T], *, what: str, fields: str) -> list[T]:
    """`read` applied to each non-empty line's JSON object; InputError names the line that
    is not such an object with `fields`, or the file that cannot be read."""
    items = []
    try:
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    items.append(read(json.loads(line)))
                except (json.JSONDecodeError, KeyError, TypeError) as exc:
                    raise InputError(f"{path}:{number}: not a JSON object with {fields}") from exc
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror}: {path}") from exc
    return items


def read_queries(path: Path) -> list[Query]:
    """`{id, text, ...}` a line; InputError names the line that is not."""
    return read_jsonl(
        path, lambda row: Query(str(row["id"]), str(row["text"])), what="queries", fields="id, text"
    )


def read_qrels(path: Path) -> dict[str, set[str]]:
    """Relevant doc ids per query from a `query_id doc_id score` TSV (score > 0 relevant)."""
    relevant: dict[str, set[str]] = {}
    try:
        with path.open(encoding="utf-8", newline="") as lines:
            rows = csv.reader(lines, delimiter="\t")
            if [c.strip() for c in next(rows, [])] != ["query_id", "doc_id", "score"]:
                raise InputError(f"{path}: the first line must be `query_id<TAB>doc_id<TAB>score`")
            for number, row in enumerate(rows, start=2):
                if not row:
                    continue
                try:
                    query_id, doc_id, score = row
                    graded = float(score)
                except ValueError as exc:
                    raise InputError(f"{path}:{number}: want query_id, doc_id, score") from exc
                relevant.setdefault(query_id, set())
                if graded > 0:
                    relevant[query_id].add(doc_id)
    except OSError as exc:
        raise InputError(f"cannot read qrels: {exc.strerror}: {path}") from exc
    return relevant

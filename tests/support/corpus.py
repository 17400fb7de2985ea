"""Where the ObliQA corpus is, and small slices of it for tests."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
from arbiter_cli.suite import data_dir

REPO = Path(__file__).resolve().parents[2]
DATA_DIR = data_dir()
CORPUS = DATA_DIR / "corpus.jsonl"


def corpus_slice(dest: Path, lines: int) -> Path:
    """Write the first `lines` passages of the corpus (AML comes first) to `dest`."""
    with CORPUS.open(encoding="utf-8") as src, dest.open("w", encoding="utf-8") as out:
        for n, line in enumerate(src):
            if n >= lines:
                break
            out.write(line)
    return dest


@functools.cache
def _rows() -> dict[str, dict[str, Any]]:
    with CORPUS.open(encoding="utf-8") as lines:
        return {row["id"]: row for row in map(json.loads, lines)}


def corpus_row(uuid: str) -> dict[str, Any]:
    """One corpus passage's row (id, title, text, metadata) by its UUID; the test skips
    when the corpus is absent."""
    if not CORPUS.exists():
        pytest.skip(f"the ObliQA corpus is not at {CORPUS} (set ARBITER_DATA_DIR)")
    return _rows()[uuid]


def passage_text(uuid: str) -> str:
    """The text of one corpus passage; the test skips when the corpus is absent."""
    return str(corpus_row(uuid)["text"])

"""Where the ObliQA corpus is, and small slices of it for tests."""

from __future__ import annotations

from pathlib import Path

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

"""What the parts of `make eval` (scripts/eval.py) share: where things are, the command
line as a reader types it, and writing a part's results between its markers in docs/eval.md."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("ARBITER_DATA_DIR", REPO.parent / "shared" / "data" / "obliqa"))
ARBITER = str(Path(sys.executable).with_name("arbiter"))
STORE = REPO / ".data" / "eval"
RESULTS = ("<!-- results: written by scripts/eval.py -->", "<!-- /results -->")


def write_doc(path: Path, results: list[str], markers: tuple[str, str] = RESULTS) -> None:
    """Replace what lies between `markers`; keep everything else (the markers are added
    at the end when the file lacks them)."""
    text = path.read_text() if path.exists() else "# Retrieval evaluation\n"
    block = "\n".join([markers[0], *results, markers[1]])
    if markers[0] in text and markers[1] in text:
        head, _, rest = text.partition(markers[0])
        text = head + block + rest.partition(markers[1])[2]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)


def git_state() -> str:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "services", "libs"], capture_output=True, text=True
    )
    local = " plus uncommitted changes under services/ or libs/" if dirty.stdout.strip() else ""
    return f"commit {head.stdout.strip() or 'unknown'}{local}"


def typed(argv: list[str], services: dict[str, str] | None = None) -> str:
    """An `arbiter` command as a reader would type it from the checkout: the data folder
    as `$ARBITER_DATA_DIR/..`, each service's address as `$<SERVICE>`."""
    text = shlex.join(["arbiter", *argv[1:]]).replace(str(DATA_DIR.parent), "$ARBITER_DATA_DIR/..")
    for service, target in (services or {}).items():
        text = text.replace(target, f"${service.upper()}")
    return text.replace(str(REPO) + "/", "")

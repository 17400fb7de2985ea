"""The attack corpus (`attacks.jsonl` beside this file): hostile SQL we wrote, one JSON
object a line with `sql`, `class` and `note`; invisible characters are written as JSON
escapes so the file shows them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ATTACKS_FILE = Path(__file__).with_name("attacks.jsonl")


def load_attacks() -> list[dict[str, Any]]:
    """Every entry of the corpus, in file order."""
    lines = ATTACKS_FILE.read_text(encoding="utf-8").split("\n")
    return [json.loads(line) for line in lines if line.strip()]

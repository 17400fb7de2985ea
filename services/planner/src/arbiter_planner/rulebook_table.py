"""Rebuilds `rulebooks.json`, the planner's committed table of rulebook names, from the
ObliQA corpus. The planner never reads the data folder at run time; run this when the
corpus changes::

    python -m arbiter_planner.rulebook_table ../shared/data/obliqa
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

TABLE = Path(__file__).with_name("rulebooks.json")

# Names people use that the corpus' document list does not spell out.
EXTRA_NAMES: dict[str, list[str]] = {
    "FOREIGN ACCOUNT TAX COMPLIANCE REGULATIONS": ["FATCA"],
    "FSMR": ["Financial Services and Markets Regulations"],
    "CRS": ["Common Reporting Standard"],
    "AML": ["AML Rulebook", "Anti-Money Laundering Rulebook"],
    "COBS": ["COB Rulebook"],
}
# A parenthesised tag in a draft's file name, not a name anyone uses.
NOT_ABBREVIATIONS = frozenset({"IA"})
_ABBREVIATION = re.compile(r"^[A-Z]{2,6}s?$")
_FILE_NAME = re.compile(r"_|VER\d|Consolidated|\.\d{6}")


def _names(entry: list[str]) -> tuple[list[str], list[str]]:
    """(abbreviations, full names) among one document's names."""
    abbreviations: list[str] = []
    full: list[str] = []
    for raw in entry:
        name = raw.strip()
        if _FILE_NAME.search(name):
            continue
        inner = re.search(r"\(([A-Z]{2,6})\)\s*$", name)
        if inner:
            if inner.group(1) not in NOT_ABBREVIATIONS:
                abbreviations.append(inner.group(1))
            name = name[: inner.start()].strip()
        if _ABBREVIATION.match(name):
            abbreviations.append(name)
        elif name:
            full.append(name)
            without_year = re.sub(r"\s+(?:\d{4}|\(.*\))$", "", name)
            if without_year != name:
                full.append(without_year)
    return abbreviations, full


def build(data_dir: Path) -> list[dict[str, Any]]:
    """One entry per `document_short` value: the value, its abbreviations, its names."""
    documents = json.loads((data_dir / "documents.json").read_text(encoding="utf-8"))
    short_of: dict[str, str] = {}
    with (data_dir / "corpus.jsonl").open(encoding="utf-8") as corpus:
        for line in corpus:
            meta = json.loads(line)["metadata"]
            short_of.setdefault(str(meta["document_id"]), str(meta["document_short"]))
    table: dict[str, dict[str, list[str]]] = {}
    for doc_id, entry in sorted(documents.items(), key=lambda kv: int(kv[0])):
        if doc_id not in short_of:
            continue
        value = short_of[doc_id]
        abbreviations, full = _names(entry)
        row = table.setdefault(value, {"abbreviations": [], "names": []})
        for abbreviation in abbreviations:
            if abbreviation not in row["abbreviations"]:
                row["abbreviations"].append(abbreviation)
        for name in [*full, *EXTRA_NAMES.get(value, [])]:
            if name.lower() not in {n.lower() for n in row["names"]}:
                row["names"].append(name)
    return [{"rulebook": value, **row} for value, row in table.items()]


def main(argv: list[str]) -> None:
    data_dir = Path(argv[0] if argv else "../shared/data/obliqa")
    rows = build(data_dir)
    TABLE.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(rows)} rulebooks to {TABLE}")


if __name__ == "__main__":
    main(sys.argv[1:])

"""The sample data of the findings database: a seeded generator (same seed and corpus,
same rows, byte for byte) whose findings cite real ObliQA passages, and its files (one CSV
per table and a manifest that labels them as sample data).

Only `random.Random(seed)` decides anything: no hash(), set order or clock, so a seed is
a complete description of the sample."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from arbiter_analysis.findings.schema import (
    FIRM_TYPES,
    SEVERITIES,
    TABLES,
    Table,
)

LABEL = "sample data"
"""What the sample is called wherever it is shown."""
DEFAULT_SEED = 2026
TODAY = dt.date(2026, 1, 15)
"""The day the sample is as of: nothing in it happens later (the dev questions' "today")."""
FIRST_AUDIT, LAST_AUDIT = dt.date(2021, 1, 1), dt.date(2025, 12, 31)
FIRM_COUNT, AUDIT_COUNT = 60, 400
MANIFEST = "manifest.json"

Value = str | dt.date | Decimal | None
Row = tuple[Value, ...]

# Rulebooks findings cite, with how often: the corpus's rule books (its guidance documents
# state expectations rather than rules and are left out).
RULEBOOK_WEIGHTS = {
    "AML": 14, "COBS": 12, "GEN": 12, "PRU": 10, "FSMR": 8, "FUNDS": 6, "MKT": 6, "IFR": 5,
    "CIB": 4, "PIN": 4, "BRR": 4, "GPM": 3, "MIR": 3, "CRS": 3, "FEES": 2, "CMC": 2, "FP": 2,
}  # fmt: skip
_OBLIGATION = re.compile(r"\b(must|shall|is required|are required)\b", re.IGNORECASE)
_FIRM_TYPE_COUNTS = (12, 12, 10, 8, 9, 9)  # per FIRM_TYPES entry; 60 in all
_NAME_WORDS = (
    "Al Noor", "Falcon", "Meridian", "Dhow", "Oasis", "Crescent", "Harbour", "Sandstone",
    "Pearl", "Saffron", "Zenith", "Cedar", "Mirage", "Horizon", "Gulf Star", "Emerald",
    "Atlas", "Summit", "Liwa", "Corniche", "Saadiyat", "Marina", "Northgate", "Silverline",
    "Keystone", "Bluewater", "Orion", "Tamarind", "Amber", "Granite",
)  # fmt: skip
_NAME_SUFFIX = {
    "bank": ("Bank PJSC", "Bank Ltd"),
    "investment firm": ("Capital Ltd", "Securities Ltd"),
    "fund manager": ("Asset Management Ltd", "Investment Managers Ltd"),
    "insurer": ("Insurance Ltd", "Assurance Ltd"),
    "payment service provider": ("Payments Ltd", "Pay Ltd"),
    "virtual asset firm": ("Digital Assets Ltd", "Crypto Exchange Ltd"),
}
_AUDIT_TYPES = (("routine", 55), ("thematic", 25), ("for cause", 20))
_FINDINGS_PER_AUDIT = {"routine": 6.0, "thematic": 7.0, "for cause": 11.0}
_SEVERITY_WEIGHTS = (30, 35, 23, 12)  # low, medium, high, critical
_REMEDIATION_DAYS = {"low": 110, "medium": 70, "high": 45, "critical": 25}
_OUTCOME_WEIGHTS = {  # no further action, warning, remediation order, penalty, restriction
    "low": (42, 40, 15, 3, 0),
    "medium": (20, 40, 30, 8, 2),
    "high": (10, 30, 35, 20, 5),
    "critical": (5, 15, 30, 35, 15),
}
_OUTCOMES = ("no further action", "warning", "remediation order", "financial penalty",
             "licence restriction")  # fmt: skip
_PENALTY_BASE = {"low": 20_000, "medium": 60_000, "high": 180_000, "critical": 450_000}
_LEAD = {
    "low": "Minor documentation gap against",
    "medium": "Partial non-compliance with",
    "high": "Significant weakness in meeting",
    "critical": "Serious failure to meet",
}


@dataclass(frozen=True)
class Passage:
    """A corpus passage a finding may cite."""

    rulebook: str
    rule_ref: str
    passage_id: str
    text: str


@dataclass(frozen=True)
class Sample:
    """The four tables' rows, in `TABLES` order, and how they were made."""

    seed: int
    rows: dict[str, list[Row]]

    def csv_bytes(self, table: str) -> bytes:
        return _csv(TABLES[table], self.rows[table])

    @property
    def checksum(self) -> str:
        """sha256 over every table's CSV: equal checksums, equal samples."""
        digest = hashlib.sha256()
        for name in TABLES:
            digest.update(self.csv_bytes(name))
        return digest.hexdigest()

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.rows.items()}


def passages(corpus_path: Path) -> dict[str, list[tuple[Passage, int]]]:
    """Citable passages per rulebook, each with its weight: a passage that imposes an
    obligation ("must", "shall", "is required") is five times as likely as another."""
    stat = corpus_path.stat()
    return _passages(corpus_path.resolve(), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=2)
def _passages(corpus_path: Path, mtime_ns: int, size: int) -> dict[str, list[tuple[Passage, int]]]:
    """`passages`, read once per version of the corpus file (callers never change it)."""
    found: dict[str, list[tuple[Passage, int]]] = {name: [] for name in RULEBOOK_WEIGHTS}
    with corpus_path.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            meta = record.get("metadata", {})
            rulebook, text = str(meta.get("document_short", "")), str(record.get("text", ""))
            if rulebook not in found or len(text) < 40:  # headings cite nothing
                continue
            passage = Passage(rulebook, str(meta["passage_id"]), str(record["id"]), text)
            found[rulebook].append((passage, 5 if _OBLIGATION.search(text) else 1))
    missing = [name for name, got in found.items() if not got]
    if missing:
        raise ValueError(f"the corpus has no passages of {', '.join(missing)}")
    return found


def generate(seed: int, corpus_path: Path) -> Sample:
    """The sample for `seed`, citing passages of the corpus at `corpus_path`."""
    rng = random.Random(seed)
    cited = passages(corpus_path)
    firms = _firms(rng)
    audits = _audits(rng, firms)
    findings, dispositions = _findings(rng, audits, firms, cited)
    rows = {"firms": firms, "audits": audits, "findings": findings, "dispositions": dispositions}
    return Sample(seed, rows)


def _day(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _firms(rng: random.Random) -> list[Row]:
    types = [t for t, n in zip(FIRM_TYPES, _FIRM_TYPE_COUNTS, strict=True) for _ in range(n)]
    rng.shuffle(types)
    words = rng.sample(_NAME_WORDS, len(_NAME_WORDS))
    rows: list[Row] = []
    for i, firm_type in enumerate(types):
        name = f"{words[i % len(words)]} {_NAME_SUFFIX[firm_type][i // len(words)]}"
        # Virtual asset firms exist only since ADGM's 2018 framework.
        first = dt.date(2018, 7, 1) if firm_type == "virtual asset firm" else dt.date(2008, 1, 1)
        rows.append((f"F{i + 1:03d}", name, firm_type, _day(rng, first, dt.date(2020, 12, 31))))
    return rows


def _audits(rng: random.Random, firms: Sequence[Row]) -> list[Row]:
    # Some firms are audited far more often than others, so top-N questions have answers.
    firm_weights = [rng.choice((1, 1, 2, 3, 5)) for _ in firms]
    drawn = []
    for _ in range(AUDIT_COUNT):
        firm = rng.choices(firms, weights=firm_weights)[0]
        kind = rng.choices([t for t, _ in _AUDIT_TYPES], weights=[w for _, w in _AUDIT_TYPES])[0]
        started = _day(rng, FIRST_AUDIT, LAST_AUDIT)
        closed: dt.date | None = started + dt.timedelta(days=rng.randint(20, 150))
        if closed is not None and (closed > TODAY or rng.random() < 0.03):
            closed = None  # still open
        drawn.append((started, str(firm[0]), kind, closed))
    drawn.sort(key=lambda a: (a[0], a[1]))
    return [(f"A{i + 1:04d}", f, k, s, c) for i, (s, f, k, c) in enumerate(drawn)]


def _findings(
    rng: random.Random,
    audits: Sequence[Row],
    firms: Sequence[Row],
    cited: dict[str, list[tuple[Passage, int]]],
) -> tuple[list[Row], list[Row]]:
    firm_type = {str(f[0]): str(f[2]) for f in firms}
    rulebooks = list(RULEBOOK_WEIGHTS)
    findings: list[Row] = []
    dispositions: list[Row] = []
    for audit_id, firm_id, kind, started, closed in audits:
        assert isinstance(started, dt.date) and (closed is None or isinstance(closed, dt.date))
        mean = _FINDINGS_PER_AUDIT[str(kind)]
        count = max(0, round(rng.gauss(mean, mean * 0.6)))
        last = closed or min(started + dt.timedelta(days=120), TODAY)
        for _ in range(count):
            rulebook = rng.choices(rulebooks, weights=list(RULEBOOK_WEIGHTS.values()))[0]
            options = cited[rulebook]
            passage = rng.choices(options, weights=[w for _, w in options])[0][0]
            severity = rng.choices(SEVERITIES, weights=_SEVERITY_WEIGHTS)[0]
            identified = _day(rng, started, last)
            status, remediated = _remediation(rng, severity, identified)
            finding_id = f"FD{len(findings) + 1:05d}"
            summary = f"{_LEAD[severity]} {rulebook} {passage.rule_ref}: {_gist(passage.text)}."
            findings.append(
                (finding_id, str(audit_id), str(firm_id), rulebook, passage.rule_ref,
                 passage.passage_id, severity, status, identified, remediated, summary)
            )  # fmt: skip
            decided = identified + dt.timedelta(days=rng.randint(14, 200))
            if decided <= TODAY and rng.random() < 0.78:
                outcome = rng.choices(_OUTCOMES, weights=_OUTCOME_WEIGHTS[severity])[0]
                penalty = Decimal("0.00")
                if outcome == "financial penalty":
                    scale = 2.0 if firm_type[str(firm_id)] == "bank" else 1.0
                    amount = _PENALTY_BASE[severity] * scale * rng.lognormvariate(0.0, 0.5)
                    penalty = Decimal(max(1, round(amount / 500)) * 500).quantize(Decimal("0.01"))
                dispositions.append((finding_id, decided, outcome, penalty))
    return findings, dispositions


def _remediation(
    rng: random.Random, severity: str, identified: dt.date
) -> tuple[str, dt.date | None]:
    """A finding's status and remediation date, consistent with each other and TODAY."""
    if rng.random() < 0.12:
        return "open", None
    typical = _REMEDIATION_DAYS[severity]
    remediated = identified + dt.timedelta(days=max(1, round(rng.gauss(typical, typical * 0.5))))
    if remediated > TODAY:
        return "open", None
    # A remediation the supervisor has verified (some time ago) closes the finding.
    verified = (TODAY - remediated).days > 90 and rng.random() < 0.5
    return ("closed" if verified else "remediated"), remediated


def _gist(text: str) -> str:
    """The passage's first words, as a finding's summary quotes them."""
    words = re.sub(r"\s+", " ", text).strip().split(" ")
    gist = " ".join(words[:12]).rstrip(".,;:")
    return f'"{gist}..."' if len(words) > 12 else f'"{gist}"'


def _text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _csv(table: Table, rows: Sequence[Row]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.column_names)
    writer.writerows([_text(v) for v in row] for row in rows)
    return out.getvalue().encode("utf-8")


def write(sample: Sample, folder: Path) -> None:
    """One CSV per table and a manifest that says what they are."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        (folder / f"{name}.csv").write_bytes(sample.csv_bytes(name))
    manifest = {
        "label": LABEL,
        "note": "generated by arbiter findings generate; invented firms, not real supervision",
        "seed": sample.seed,
        "as_of": TODAY.isoformat(),
        "rows": sample.counts(),
        "checksum": sample.checksum,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


def _value(raw: str, sql_type: str, nullable: bool) -> Value:
    if raw == "" and nullable:
        return None
    if sql_type == "date":
        return dt.date.fromisoformat(raw)
    if sql_type.startswith("numeric"):
        return Decimal(raw)
    return raw


def read(folder: Path) -> Sample:
    """A sample `write` wrote; refuses a folder whose manifest is not a sample's or whose
    files do not match their checksum."""
    manifest = json.loads((folder / MANIFEST).read_text())
    if manifest.get("label") != LABEL:
        raise ValueError(f"{folder / MANIFEST} does not describe {LABEL}")
    rows: dict[str, list[Row]] = {}
    for name, table in TABLES.items():
        with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            if tuple(next(reader)) != table.column_names:
                raise ValueError(f"{name}.csv: the header is not {table.column_names}")
            columns = table.columns
            rows[name] = [
                tuple(_value(v, c.sql_type, c.nullable) for v, c in zip(r, columns, strict=True))
                for r in reader
            ]
    sample = Sample(int(manifest["seed"]), rows)
    if sample.checksum != manifest.get("checksum"):
        raise ValueError(f"the files in {folder} do not match their manifest's checksum")
    return sample

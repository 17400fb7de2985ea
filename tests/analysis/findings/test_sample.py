"""The sample generator: same seed, same bytes; another seed, other rows; and the rows
consistent with each other, with the corpus and with the README's promises."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from functools import cache
from pathlib import Path

from arbiter_analysis.findings import sample
from arbiter_analysis.findings.schema import AUDIT_TYPES, FIRM_TYPES, OUTCOMES, SEVERITIES, TABLES

from tests.support.corpus import CORPUS


@cache
def generated(seed: int = sample.DEFAULT_SEED) -> sample.Sample:
    return sample.generate(seed, CORPUS)


def test_the_same_seed_writes_the_same_bytes_and_another_seed_other_ones(tmp_path: Path) -> None:
    sample.write(sample.generate(7, CORPUS), tmp_path / "a")
    sample.write(sample.generate(7, CORPUS), tmp_path / "b")
    sample.write(sample.generate(8, CORPUS), tmp_path / "c")
    names = [f"{t}.csv" for t in TABLES] + [sample.MANIFEST]
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / "findings.csv").read_bytes() != (
        tmp_path / "c" / "findings.csv"
    ).read_bytes()
    manifest = json.loads((tmp_path / "a" / sample.MANIFEST).read_text())
    assert manifest["label"] == "sample data" and manifest["seed"] == 7
    assert sample.read(tmp_path / "a") == sample.generate(7, CORPUS)


def test_sizes_are_those_of_the_readme() -> None:
    counts = generated().counts()
    assert counts["firms"] == 60
    assert 350 <= counts["audits"] <= 450
    assert 2500 <= counts["findings"] <= 3500
    assert 0.6 <= counts["dispositions"] / counts["findings"] <= 0.8


def test_findings_cite_real_passages_mostly_obligations() -> None:
    corpus = {}
    with CORPUS.open(encoding="utf-8") as lines:
        for line in lines:
            r = json.loads(line)
            meta = r["metadata"]
            corpus[r["id"]] = (meta["document_short"], meta["passage_id"], r["text"])
    findings = generated().rows["findings"]
    obligations = 0
    for f in findings:
        rulebook, rule_ref, text = corpus[str(f[5])]
        assert (f[3], f[4]) == (rulebook, rule_ref)
        obligations += any(w in str(text).lower() for w in ("must", "shall", "is required"))
    assert obligations / len(findings) > 0.6
    assert {f[3] for f in findings} == set(sample.RULEBOOK_WEIGHTS)


def test_dates_and_statuses_are_consistent() -> None:
    rows = generated().rows
    audits = {a[0]: a for a in rows["audits"]}
    findings = {f[0]: f for f in rows["findings"]}
    for a in rows["audits"]:
        start, closed = a[3], a[4]
        assert isinstance(start, dt.date) and sample.FIRST_AUDIT <= start <= sample.LAST_AUDIT
        assert closed is None or start <= closed <= sample.TODAY
    for f in findings.values():
        audit = audits[f[1]]
        assert f[2] == audit[1]  # the audited firm
        identified, remediated = f[8], f[9]
        assert isinstance(identified, dt.date) and isinstance(audit[3], dt.date)
        assert audit[3] <= identified <= (audit[4] or sample.TODAY)
        assert (f[7] == "open") == (remediated is None)
        assert remediated is None or identified <= remediated <= sample.TODAY
    for d in rows["dispositions"]:
        identified = findings[d[0]][8]
        assert isinstance(d[1], dt.date) and isinstance(identified, dt.date)
        assert identified <= d[1] <= sample.TODAY
        assert (d[3] > 0) == (d[2] == "financial penalty")


def test_grouped_questions_have_several_rows() -> None:
    rows = generated().rows
    firm_type = {f[0]: f[2] for f in rows["firms"]}
    finding_firm = {f[0]: f[2] for f in rows["findings"]}
    assert set(Counter(f[2] for f in rows["firms"])) == set(FIRM_TYPES)
    assert set(Counter(a[2] for a in rows["audits"])) == set(AUDIT_TYPES)
    assert set(Counter(f[6] for f in rows["findings"])) == set(SEVERITIES)
    assert set(Counter(d[2] for d in rows["dispositions"])) == set(OUTCOMES)
    per_audit = Counter(f[1] for f in rows["findings"])
    assert sum(n > 10 for n in per_audit.values()) >= 5
    assert sum(n >= 15 for n in per_audit.values()) >= 3
    assert sum(a[4] is None for a in rows["audits"]) >= 5
    assert sum(isinstance(f[3], dt.date) and f[3].year < 2015 for f in rows["firms"]) >= 5
    penalty_years = Counter(
        d[1].year for d in rows["dispositions"]
        if d[2] == "financial penalty" and isinstance(d[1], dt.date)
    )  # fmt: skip
    assert all(penalty_years[y] >= 10 for y in (2023, 2024, 2025))
    bank_restrictions = [
        d for d in rows["dispositions"]
        if d[2] == "licence restriction" and firm_type[finding_firm[d[0]]] == "bank"
    ]  # fmt: skip
    assert len(bank_restrictions) >= 3
    years = Counter(f[8].year for f in rows["findings"] if isinstance(f[8], dt.date))
    assert all(years[y] >= 100 for y in range(2021, 2026))

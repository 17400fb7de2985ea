"""`arbiter findings reports`: each finding of the seeded sample as a markdown audit report
with a contents.json of verified metadata, byte for byte the same for the same seed,
labelled as sample data, citing real corpus passages, and ingestible by `arbiter ingest`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from arbiter_analysis.findings import sample
from arbiter_cli import finding_reports
from arbiter_cli.main import main
from arbiter_cli.sources import CONTENTS, FINDING_KEYS, MarkdownFolder

from tests.support.corpus import CORPUS

pytestmark = pytest.mark.skipif(
    not CORPUS.exists(), reason=f"no ObliQA corpus at {CORPUS} (set ARBITER_DATA_DIR)"
)


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def made() -> sample.Sample:
    return sample.generate(sample.DEFAULT_SEED, CORPUS)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The default seed's reports, written once by the command for the module."""
    folder = tmp_path_factory.mktemp("reports")
    assert main(["findings", "reports", "--out", str(folder)]) == 0
    yield folder


def test_the_same_seed_writes_the_same_bytes(
    written: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = str(sample.DEFAULT_SEED)
    assert main(["findings", "reports", "--out", str(tmp_path / "b"), "--seed", seed]) == 0
    out = capsys.readouterr().out
    assert out.startswith("SAMPLE DATA: ") and f"arbiter ingest {tmp_path / 'b'}" in out
    assert files(tmp_path / "b") == files(written)
    assert main(["findings", "reports", "--out", str(tmp_path / "c"), "--seed", "7"]) == 0
    assert files(tmp_path / "c") != files(written)


def test_one_report_per_finding_each_labelled_sample_data(
    written: Path, made: sample.Sample
) -> None:
    contents = json.loads((written / CONTENTS).read_text(encoding="utf-8"))
    finding_ids = [str(row[0]) for row in made.rows["findings"]]
    assert list(contents) == [f"{f}.md" for f in finding_ids]
    assert {p.name for p in written.iterdir()} == {CONTENTS, *contents}
    for name, entry in contents.items():
        assert entry["doc_type"] == "finding" and entry["label"] == "sample data"
        assert entry["document_id"] == entry["finding_id"] == name.removesuffix(".md")
        assert all(isinstance(v, str) and v.strip() for v in entry.values())
        assert set(entry) <= {
            "document_id",
            "title",
            "rulebook",
            "doc_type",
            "effective_date",
        } | set(FINDING_KEYS)
        text = (written / name).read_text(encoding="utf-8")
        assert text.split("\n")[2].startswith("**Sample data** (seed ")


def test_a_report_says_what_the_database_holds(written: Path, made: sample.Sample) -> None:
    """Every finding's rule, passage, severity, status and outcome, as the rows say."""
    corpus = {
        row["id"]: row["text"]
        for row in map(json.loads, CORPUS.read_text(encoding="utf-8").splitlines())
    }
    decided = {str(row[0]): row for row in made.rows["dispositions"]}
    contents = json.loads((written / CONTENTS).read_text(encoding="utf-8"))
    penalties = 0
    for row in made.rows["findings"]:
        finding_id, _, _, rulebook, rule_ref, passage_id, severity, status = map(str, row[:8])
        entry = contents[f"{finding_id}.md"]
        text = (written / f"{finding_id}.md").read_text(encoding="utf-8")
        head, criteria = text.split("**Issue found.**")[0], text.split("**Criteria.**")[1]
        assert (entry["rulebook"], entry["cites"], entry["severity"], entry["status"]) == (
            rulebook,
            passage_id,
            severity,
            status,
        )
        assert f"Rule cited: {rulebook} {rule_ref}, passage {passage_id}" in head
        rule_words = corpus[passage_id].split()
        assert entry["criteria"].split(" …")[0] in " ".join(rule_words)
        quoted = [
            w for line in criteria.splitlines() if line.startswith("> ") for w in line[2:].split()
        ]
        if quoted[-1] == "…":
            quoted = quoted[:-1]
        assert quoted == rule_words[: len(quoted)]
        assert len(quoted) == min(len(rule_words), finding_reports.QUOTED_WORDS)
        disposition = decided.get(finding_id)
        if disposition is None:
            assert "outcome" not in entry and "Outcome: pending" in head
            continue
        _, on, outcome, penalty = disposition
        assert (entry["outcome"], entry["decided_on"], entry["penalty_usd"]) == (
            str(outcome),
            str(on),
            str(penalty),
        )
        assert f"Outcome: {outcome}, decided {on}" in head
        if outcome == "financial penalty":
            penalties += 1
            assert f"Penalty: USD {penalty:,.2f}" in head
        else:
            assert "Penalty: none" in head
    assert penalties > 50


def test_reports_an_earlier_run_wrote_and_this_one_does_not_are_removed(
    made: sample.Sample, tmp_path: Path
) -> None:
    reports = finding_reports.reports(made, CORPUS)
    finding_reports.write(reports[:10], tmp_path)
    finding_reports.write(reports[3:6], tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {CONTENTS, *(r.file_name for r in reports[3:6])}


def test_an_unwritable_folder_is_a_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["findings", "reports", "--out", str(blocker / "reports")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("arbiter findings reports: cannot write the reports to")
    assert "Traceback" not in err


def test_arbiter_ingest_reads_the_folder(written: Path) -> None:
    folder = MarkdownFolder.open(written)
    first = next(folder.documents())
    assert first.metadata["doc_type"] == "finding" and first.metadata["format"] == "markdown"
    assert folder.count() == len(json.loads((written / CONTENTS).read_text()))

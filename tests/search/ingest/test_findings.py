"""Documents by type: rules (the corpus names no type) and findings (the audit reports
`arbiter findings reports` writes), prepared with what the graph needs of a finding, and
told apart by the `doc_type` filter through the real search service."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from arbiter.common.v1 import common_pb2
from arbiter.search.v1 import search_pb2
from arbiter_analysis.findings import sample
from arbiter_cli import finding_reports
from arbiter_cli.sources import CONTENTS, MarkdownFolder
from arbiter_kit.errors import InvalidArgument
from arbiter_search.ingest.chunker import Chunker
from arbiter_search.ingest.documents import DocumentPreparer, PreparedDocument, SourceDocument
from arbiter_search.ingest.findings import Disposition, FindingFacts

from tests.search.support import passages_of
from tests.support.corpus import CORPUS
from tests.support.search import RunningSearch, as_document, ingest, read_jsonl, summary_of

NO_CORPUS = f"no ObliQA corpus at {CORPUS} (set ARBITER_DATA_DIR)"
REPORTS = 12
"""Reports (of the default seed's first findings) the service tests ingest."""


def prepare(metadata: dict[str, str], text: str = "Some text.") -> PreparedDocument:
    result = DocumentPreparer(Chunker(), default_tenant="default").prepare(
        SourceDocument("d1", "A title", text, metadata), tenant="default", path="documents[0]"
    )
    assert isinstance(result, PreparedDocument)
    return result


def test_a_document_that_names_no_type_is_a_rule() -> None:
    ruled = prepare({"document_short": "AML"})
    assert {c.doc_type for c in ruled.chunks} == {"rule"}
    assert ruled.finding is None
    assert {c.doc_type for c in prepare({"doc_type": "glossary"}).chunks} == {"glossary"}


def test_a_finding_carries_its_citations_and_disposition() -> None:
    found = prepare(
        {
            "doc_type": "finding",
            "cites": "a-1, b-2 a-1",
            "severity": "critical",
            "outcome": "financial penalty",
            "penalty_usd": "12,500.00",
            "decided_on": "2024-05-02",
        }
    )
    assert found.finding == FindingFacts(
        ("a-1", "b-2"), "critical", Disposition("financial penalty", 12500.0, "2024-05-02")
    )
    assert {c.doc_type for c in found.chunks} == {"finding"}
    pending = prepare({"doc_type": "finding", "cites": "a-1", "penalty_usd": "1"})
    assert pending.finding == FindingFacts(("a-1",), "", None)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("penalty_usd", "a lot"),
        ("penalty_usd", "-5"),
        ("penalty_usd", "NaN"),
        ("cites", " ".join(f"p{n}" for n in range(65))),
    ],
)
def test_malformed_finding_metadata_names_its_field(key: str, value: str) -> None:
    metadata = {"doc_type": "finding", "cites": "a-1", "outcome": "warning", key: value}
    with pytest.raises(InvalidArgument) as raised:
        prepare(metadata)
    assert raised.value.field == f"documents[0].metadata[{key}]"


def report_documents(folder: Path, count: int) -> tuple[list[search_pb2.Document], set[str]]:
    """The first `count` reports of the default sample, written to `folder` by the CLI's
    writer and read back as `arbiter ingest FOLDER` sends them, and the passages they cite."""
    made = sample.generate(sample.DEFAULT_SEED, CORPUS)
    finding_reports.write(finding_reports.reports(made, CORPUS)[:count], folder)
    entries = json.loads((folder / CONTENTS).read_text(encoding="utf-8"))
    documents = list(MarkdownFolder(folder, entries).documents())
    cited = {c for entry in entries.values() for c in entry["cites"].split()}
    return documents, cited


def rule_documents(cited: set[str], others: int) -> list[search_pb2.Document]:
    """The cited corpus passages and the first `others` passages, as the CLI sends them."""
    rows = [r for r in read_jsonl(CORPUS) if r["id"] in cited] + read_jsonl(CORPUS, others)
    return [as_document(row) for row in {r["id"]: r for r in rows}.values()]


def of_type(*types: str) -> list[common_pb2.MetadataFilter]:
    return [common_pb2.MetadataFilter(field="doc_type", any_of=list(types))]


@pytest.mark.skipif(not CORPUS.exists(), reason=NO_CORPUS)
async def test_research_asks_for_rules_findings_or_both(
    fresh_search: RunningSearch, tmp_path: Path
) -> None:
    reports, cited = report_documents(tmp_path / "reports", REPORTS)
    rules = rule_documents(cited, 40)
    summary = summary_of(await ingest(fresh_search.stub, rules + reports))
    assert (summary.documents, summary.rejected) == (len(rules) + REPORTS, 0)

    # A question in the words of a cited rule finds the rule and the findings under it.
    rule_text = next(d.text for d in rules if d.id in cited and len(d.text.split()) > 8)
    query = " ".join(rule_text.split()[:30])
    findings = await passages_of(fresh_search, query, top_k=10, filters=of_type("finding"))
    assert findings and {p.doc_type for p in findings} == {"finding"}
    assert all(p.document_id.startswith("FD") for p in findings)
    assert all(p.title.startswith("Audit finding FD") for p in findings)
    only_rules = await passages_of(fresh_search, query, top_k=10, filters=of_type("rule"))
    assert only_rules and {p.doc_type for p in only_rules} == {"rule"}
    both = await passages_of(fresh_search, query, top_k=20, filters=of_type("rule", "finding"))
    assert {p.doc_type for p in both} == {"rule", "finding"}
    unfiltered = await passages_of(fresh_search, query, top_k=20)
    assert {p.source_id for p in unfiltered} == {p.source_id for p in both}

    # Ingesting the reports again stores nothing new.
    again = summary_of(await ingest(fresh_search.stub, reports))
    assert (again.unchanged, again.chunks_written) == (REPORTS, 0)

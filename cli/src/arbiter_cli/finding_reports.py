"""The findings sample as audit reports: one markdown file per finding and the
`contents.json` of verified metadata that `arbiter ingest FOLDER` sends with each, so that
search stores them as documents of type `finding` (precedents for judgement) and its
knowledge graph links each to the rule passages it cites and to its disposition.

The reports come from the same seeded generator as the findings database
(`arbiter_analysis.findings.sample`): the same seed and corpus give the same files, byte
for byte. Every report says in its text, and in its metadata, that it is sample data.

Lives in the CLI, not beside the generator: the reports are an input the CLI feeds to
search; the analysis service, which owns the generator, never reads them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from arbiter_analysis.findings import sample
from arbiter_analysis.findings.schema import TABLES

from arbiter_cli.sources import CONTENTS

DOC_TYPE = "finding"
"""The document type search files the reports under (`arbiter_search.ingest.findings`)."""
MAX_CRITERIA_CHARS = 1_000
"""The rule's words in the metadata are cut here (a metadata value may hold 8,192); the
report quotes them whole."""
_SAMPLE_NOTE = (
    "**Sample data** (seed {seed}): an invented firm and finding citing a real ADGM rule; "
    "not real supervision."
)
QUOTED_WORDS = 60
"""The report quotes the rule's first words (the whole rule is the passage it cites):
the embedder's time grows with a report's tokens (the default seed's 3,029 reports make
about 6,000 chunks of 256 tokens), and the first 60 words carry the obligation."""
_ACTION = {
    "low": "Correct the documentation gap against {ref} and keep evidence of the correction "
    "for the next routine review.",
    "medium": "Bring the practice into line with {ref} and report the change to the supervisor.",
    "high": "Remediate the weakness under a plan agreed with the supervisor, signed off by "
    "senior management, with evidence that {ref} is met.",
    "critical": "Stop the non-compliant practice at once, remediate under senior management "
    "oversight, and give the supervisor evidence that {ref} is met.",
}
"""What a finding of each severity requires of the firm."""


@dataclass(frozen=True)
class Report:
    """One finding as a markdown file and its contents.json entry."""

    file_name: str
    markdown: str
    metadata: dict[str, str]


@dataclass(frozen=True)
class _Finding:
    """A finding's row with what the report needs from the other tables."""

    finding: Mapping[str, sample.Value]
    firm: Mapping[str, sample.Value]
    audit: Mapping[str, sample.Value]
    disposition: Mapping[str, sample.Value] | None
    rule: sample.Passage


def reports(made: sample.Sample, corpus_path: Path) -> list[Report]:
    """Every finding of `made` as a report, in finding id order, quoting the passage it
    cites from the corpus at `corpus_path`."""
    by_id = {
        passage.passage_id: passage
        for cited in sample.passages(corpus_path).values()
        for passage, _ in cited
    }
    firms = _keyed(made, "firms")
    audits = _keyed(made, "audits")
    dispositions = _keyed(made, "dispositions")
    found = []
    for finding in _records(made, "findings"):
        finding_id = str(finding["finding_id"])
        one = _Finding(
            finding=finding,
            firm=firms[str(finding["firm_id"])],
            audit=audits[str(finding["audit_id"])],
            disposition=dispositions.get(finding_id),
            rule=by_id[str(finding["passage_id"])],
        )
        found.append(_report(one, made.seed))
    return found


def write(found: Sequence[Report], folder: Path) -> None:
    """The reports and their contents.json in `folder`; reports an earlier run listed
    there and this one does not are removed, so the folder ingests as exactly `found`."""
    folder.mkdir(parents=True, exist_ok=True)
    contents = folder / CONTENTS
    stale: set[str] = set()
    if contents.is_file():
        stale = {name for name in json.loads(contents.read_text(encoding="utf-8"))}
    for report in found:
        (folder / report.file_name).write_text(report.markdown, encoding="utf-8")
        stale.discard(report.file_name)
    for name in sorted(stale):
        if "/" not in name and name.endswith(".md"):
            (folder / name).unlink(missing_ok=True)
    listed = {report.file_name: report.metadata for report in found}
    text = json.dumps(listed, indent=1, ensure_ascii=False) + "\n"
    contents.write_text(text, encoding="utf-8")


def _records(made: sample.Sample, table: str) -> list[dict[str, sample.Value]]:
    names = TABLES[table].column_names
    return [dict(zip(names, row, strict=True)) for row in made.rows[table]]


def _keyed(made: sample.Sample, table: str) -> dict[str, dict[str, sample.Value]]:
    """The table's records by their first column, its primary key."""
    key = TABLES[table].column_names[0]
    return {str(record[key]): record for record in _records(made, table)}


def _report(one: _Finding, seed: int) -> Report:
    finding, firm, audit, disposition, rule = (
        one.finding, one.firm, one.audit, one.disposition, one.rule
    )  # fmt: skip
    finding_id = str(finding["finding_id"])
    severity = str(finding["severity"])
    ref = f"{rule.rulebook} {rule.rule_ref}"
    action = _ACTION[severity].format(ref=ref)
    outcome = _outcome(disposition)
    title = f"Audit finding {finding_id}: {firm['name']} ({ref})"
    audit_span = f"{_day(audit['started_on'])} to {_day(audit['closed_on']) or 'still open'}"
    facts = [
        f"Finding: {finding_id}, severity {severity}",
        # The firm by name only: the text's one F-number id is the finding's own.
        f"Firm: {firm['name']}, {firm['firm_type']}",
        f"Audit: {audit['audit_id']}, {audit['audit_type']}, {audit_span}",
        f"Rule cited: {ref}, passage {rule.passage_id}",
        f"Identified: {_day(finding['identified_on'])}",
        f"Status: {_remediation(finding)}",
        f"Outcome: {outcome}",
        f"Penalty: {_penalty(disposition)}",
    ]
    quoted = "\n".join(f"> {line}".rstrip() for line in _words(rule.text, QUOTED_WORDS))
    # One section (bold labels, not headings), so search stores a report as one or two
    # chunks, the first holding every fact, rather than one chunk per heading.
    markdown = "\n".join(
        [
            f"# Audit finding {finding_id}: {firm['name']}",
            "",
            _SAMPLE_NOTE.format(seed=seed),
            "",
            *(f"- {fact}" for fact in facts),
            "",
            f"**Issue found.** {finding['summary']}",
            "",
            f"**Action required.** {action}",
            "",
            f"**Criteria.** {ref} says:",
            "",
            quoted,
            "",
        ]
    )
    metadata = {
        "document_id": finding_id,
        "title": title,
        "rulebook": rule.rulebook,
        "doc_type": DOC_TYPE,
        "effective_date": _day(finding["identified_on"]),
        "finding_id": finding_id,
        "label": sample.LABEL,
        "firm": str(firm["name"]),
        "firm_id": str(firm["firm_id"]),
        "firm_type": str(firm["firm_type"]),
        "audit_id": str(audit["audit_id"]),
        "severity": severity,
        "status": str(finding["status"]),
        "cites": rule.passage_id,
        "rule_refs": ref,
        "issue": str(finding["summary"]),
        "criteria": _cut(" ".join(rule.text.split()), MAX_CRITERIA_CHARS),
        "action_required": action,
    }
    if disposition is not None:
        metadata |= {
            "outcome": str(disposition["outcome"]),
            "decided_on": _day(disposition["decided_on"]),
            "penalty_usd": str(disposition["penalty_usd"]),
        }
    return Report(f"{finding_id}.md", markdown, metadata)


def _day(value: sample.Value) -> str:
    return value.isoformat() if isinstance(value, dt.date) else ""


def _remediation(finding: Mapping[str, sample.Value]) -> str:
    status = str(finding["status"])
    identified, remediated = finding["identified_on"], finding["remediated_on"]
    if not isinstance(remediated, dt.date) or not isinstance(identified, dt.date):
        return f"open, not remediated as of {sample.TODAY.isoformat()}"
    took = (remediated - identified).days
    done = f"remediated on {remediated.isoformat()}, {took} days after it was identified"
    if status == "closed":
        return f"closed: {done}; the supervisor has verified the remediation"
    return f"{done}; not yet verified by the supervisor"


def _outcome(disposition: Mapping[str, sample.Value] | None) -> str:
    if disposition is None:
        return f"pending, no decision recorded as of {sample.TODAY.isoformat()}"
    return f"{disposition['outcome']}, decided {_day(disposition['decided_on'])}"


def _penalty(disposition: Mapping[str, sample.Value] | None) -> str:
    amount = disposition["penalty_usd"] if disposition else None
    if not isinstance(amount, Decimal) or amount <= 0:
        return "none"
    return f"USD {amount:,.2f}"


def _words(text: str, count: int) -> list[str]:
    """The non-blank lines of `text` that hold its first `count` words, the last ending
    in " …" when words were left out."""
    lines: list[str] = []
    left = count
    for line in text.splitlines():
        taken = line.split()[:left]
        if taken:
            lines.append(" ".join(taken))
            left -= len(taken)
        if left == 0:
            break
    if len(text.split()) > count:
        lines[-1] += " …"
    return lines


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"

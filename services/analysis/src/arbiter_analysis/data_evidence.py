"""A data analysis as evidence for the written answer: one more numbered document after
the passages (its summary, SQL and table, delimited like any passage), the offline
sentences that explain it, the numbers an answer may state, and its citation (the
findings database, with the SQL as the reference)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from arbiter.analysis.v1 import analysis_pb2
from arbiter.common.v1 import common_pb2
from arbiter_llm import Document
from arbiter_llm.citations import strip_markers
from arbiter_text import sentences

from arbiter_analysis.findings.sample import LABEL
from arbiter_analysis.findings.schema import SCHEMA

TITLE = "Findings database"
REFERENCE = "findings database"
SAMPLE_NOTE = (
    "Note: these figures come from the generated sample of findings, not from real "
    "supervisory findings."
)
"""Said whenever the data is the sample, so no reader takes the numbers as real."""
CAN_ANSWER_LEAD = "I can answer questions like these:"
"""How AnalyzeData's answer to a question it cannot map goes on to what it can answer
(analyze.py writes it): that list stands on a line of its own."""
DOCUMENT_ROWS = 60
"""Rows of the table a prompt carries; the summary already states the whole result."""
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")
_LABEL_PREFIX = f"{LABEL}:"


class DataEvidence:
    """One AnalyzeData result, cited as document `index` of a Synthesize request."""

    def __init__(self, result: analysis_pb2.AnalyzeDataResult, index: int) -> None:
        self.result = result
        self.index = index

    @property
    def answered(self) -> bool:
        """Whether a query ran: otherwise the summary says why not and what can be asked."""
        return bool(self.result.sql.strip())

    @property
    def sample(self) -> bool:
        return self.result.summary.strip().lower().startswith(_LABEL_PREFIX)

    def summary(self) -> str:
        """The summary without the sample label (which SAMPLE_NOTE says in a sentence)."""
        text = self.result.summary.strip()
        return text[len(_LABEL_PREFIX) :].strip() if self.sample else text

    def document(self) -> Document:
        table = self.result.table
        lines = [f"Summary: {self.summary()}"]
        if self.sample:
            lines.append(f"Source: {LABEL} (generated, not real findings)")
        lines += [f"SQL: {self.result.sql}", f"Table ({len(table.rows)} rows):"]
        lines.append(" | ".join(table.columns))
        lines += [" | ".join(row.cells) for row in table.rows[:DOCUMENT_ROWS]]
        if len(table.rows) > DOCUMENT_ROWS:
            lines.append(f"... {len(table.rows) - DOCUMENT_ROWS} more rows")
        title = f"{TITLE} ({LABEL})" if self.sample else TITLE
        return Document(index=self.index, text="\n".join(lines), title=title, reference=REFERENCE)

    def sentences(self) -> list[str]:
        """The offline explanation: the summary's sentences, each citing the data; for a
        question the analysis could not map, its own words (nothing to cite)."""
        summary = strip_markers(self.summary())
        if not self.answered:
            why, lead, can = summary.partition(CAN_ANSWER_LEAD)
            return [line.strip() for line in (why, lead + can) if line.strip()]
        table = self.result.table
        columns = ", ".join(table.columns)
        lines = [
            f"The findings database answers this with {_rows(len(table.rows))} of {columns} "
            f"[{self.index}]."
        ]
        lines += [f"{s.strip().rstrip('.')} [{self.index}]." for s in sentences(summary)]
        if self.sample:
            lines.append(SAMPLE_NOTE)
        return lines

    def citation(self, number: int) -> common_pb2.Citation:
        return common_pb2.Citation(
            index=number,
            source_id=SCHEMA,
            passage_ref=self.result.sql,
            title=self.document().title,
            quote=self.summary(),
        )


def _rows(n: int) -> str:
    return "one row" if n == 1 else f"{n:,} rows"


def numbers(text: str) -> set[Decimal]:
    """The numbers written in `text` (1,250.00 and 1250 are the same number)."""
    found = set()
    for match in _NUMBER.finditer(strip_markers(text)):
        try:
            found.add(Decimal(match.group().replace(",", "")).normalize())
        except InvalidOperation:
            continue
    return found


def unsupported_numbers(answer: str, sources: list[str]) -> list[str]:
    """Numbers of `answer` that none of `sources` states: an answer explains the data,
    it never adds figures of its own."""
    known: set[Decimal] = set()
    for source in sources:
        known |= numbers(source)
    return sorted({str(n) for n in numbers(answer) - known})

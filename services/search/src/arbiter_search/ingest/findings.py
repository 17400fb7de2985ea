"""Documents by type: a document says what it is in its `doc_type` metadata (`rule` when
it does not say), and a `finding` (an audit report, `arbiter findings reports`) carries
verified metadata the knowledge graph links it by: the passages it cites and how it was
disposed of.

The metadata keys below are the contract with whoever writes the reports' `contents.json`
(the CLI's `finding_reports`); a finding's other keys (firm, issue, criteria, ...) travel
with it and are hashed with it, but search reads only these.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from arbiter_kit.errors import InvalidArgument, shown

RULE, FINDING = "rule", "finding"
"""The document types search knows: regulatory text, and an audit report (a precedent)."""
DEFAULT_DOC_TYPE = RULE
"""What a document that names no type is: the corpus's passages carry none."""

CITES = "cites"
"""The corpus passage ids (source ids) a finding cites, separated by spaces or commas."""
SEVERITY = "severity"
OUTCOME = "outcome"
"""How the finding was disposed of; absent while no decision is recorded."""
PENALTY = "penalty_usd"
DECIDED_ON = "decided_on"
MAX_CITES = 64
_SEPARATORS = re.compile(r"[\s,]+")
_CONTROL = re.compile(r"[\x00-\x1f]")


@dataclass(frozen=True)
class Disposition:
    """How a finding was disposed of."""

    outcome: str
    penalty_usd: float = 0.0
    decided_on: str = ""


@dataclass(frozen=True)
class FindingFacts:
    """What the graph needs of a finding document, from its verified metadata."""

    cites: tuple[str, ...]
    severity: str = ""
    disposition: Disposition | None = None


def doc_type(metadata: Mapping[str, str]) -> str:
    """The document's type: its `doc_type`, else DEFAULT_DOC_TYPE."""
    return metadata.get("doc_type", "").strip() or DEFAULT_DOC_TYPE


def finding_facts(metadata: Mapping[str, str], *, path: str) -> FindingFacts | None:
    """The finding facts of a document of type `finding`, None for any other document.

    Raises InvalidArgument naming `path.metadata[key]` for a citation list that is too
    long or holds control characters, or a penalty that is not a non-negative amount."""
    if doc_type(metadata) != FINDING:
        return None
    cites = tuple(dict.fromkeys(c for c in _SEPARATORS.split(metadata.get(CITES, "")) if c))
    if len(cites) > MAX_CITES:
        raise InvalidArgument(f"{path}.metadata[{CITES}]", f"at most {MAX_CITES} passage ids")
    for cited in cites:
        if _CONTROL.search(cited):
            raise InvalidArgument(
                f"{path}.metadata[{CITES}]", f"{shown(cited)}: control characters"
            )
    outcome = metadata.get(OUTCOME, "").strip()
    disposition = None
    if outcome:
        disposition = Disposition(
            outcome=outcome,
            penalty_usd=_amount(metadata.get(PENALTY, ""), f"{path}.metadata[{PENALTY}]"),
            decided_on=metadata.get(DECIDED_ON, "").strip(),
        )
    return FindingFacts(cites, metadata.get(SEVERITY, "").strip(), disposition)


def _amount(raw: str, path: str) -> float:
    if not raw.strip():
        return 0.0
    try:
        value = Decimal(raw.replace(",", "").strip())
    except InvalidOperation:
        raise InvalidArgument(path, f"{shown(raw)} is not an amount") from None
    if not value.is_finite() or value < 0:
        raise InvalidArgument(path, "must be a non-negative amount")
    return float(value)

"""A verdict as a reader follows it in a terminal: the facts read from the situation, the
rules found and how the situation stands against each, the trial as a transcript, and
the disposition with its recommendation."""

from __future__ import annotations

from arbiter.common.v1 import common_pb2

INDENT = "  "
ROLES = {
    common_pb2.TRIAL_ROLE_DEFENSE: "Defence",
    common_pb2.TRIAL_ROLE_PROSECUTION: "Prosecution",
    common_pb2.TRIAL_ROLE_JUDGE: "Judge",
}


def _name(enum: object, value: int, prefix: str) -> str:
    name: str = enum.Name(value) if value in enum.values() else "UNSPECIFIED"  # type: ignore[attr-defined]
    return name.removeprefix(prefix).replace("_", " ").lower()


def verdict_lines(verdict: common_pb2.Verdict) -> list[str]:
    """The verdict, section by section; empty when there is none."""
    if verdict.disposition == common_pb2.DISPOSITION_UNSPECIFIED:
        return []
    lines: list[str] = []
    if verdict.facts:
        lines.append("Facts:")
        for fact in verdict.facts:
            lines.append(f"{INDENT}{fact.id} {fact.text}")
    if verdict.assessments:
        lines.append("Rules and the check:")
        for a in verdict.assessments:
            rule = f"[{a.rule.index}] {a.rule.rulebook} {a.rule.passage_ref}".strip()
            applies = _name(common_pb2.Applicability, a.applicability, "APPLICABILITY_")
            lines.append(
                f"{INDENT}{rule}: {applies}"
                + (f" ({a.applicability_reason})" if a.applicability_reason else "")
            )
            if a.condition:
                lines.append(f"{INDENT * 2}condition: {a.condition}")
            if a.compliance != common_pb2.COMPLIANCE_UNSPECIFIED:
                met = _name(common_pb2.Compliance, a.compliance, "COMPLIANCE_")
                facts = f" [{', '.join(a.fact_ids)}]" if a.fact_ids else ""
                lines.append(f"{INDENT * 2}{met}: {a.compliance_reason}{facts}")
    if verdict.trial:
        lines.append("Trial:")
        for turn in verdict.trial:
            cites = "".join(f"[{i}]" for i in turn.citation_indexes)
            lines.append(f"{INDENT}{ROLES.get(turn.role, 'Speaker')}: {turn.text} {cites}".rstrip())
    disposition = _name(common_pb2.Disposition, verdict.disposition, "DISPOSITION_")
    lines.append(f"Verdict: {disposition.upper()} (confidence {verdict.confidence:.2f})")
    if verdict.sop_disposition not in (common_pb2.DISPOSITION_UNSPECIFIED, verdict.disposition):
        sop = _name(common_pb2.Disposition, verdict.sop_disposition, "DISPOSITION_")
        lines.append(f"{INDENT}(the SOP found {sop}; the trial overturned it)")
    for missing in verdict.missing_facts:
        lines.append(f"{INDENT}would be decided by: {missing}")
    if verdict.HasField("recommended_outcome"):
        o = verdict.recommended_outcome
        kind = _name(common_pb2.OutcomeKind, o.kind, "OUTCOME_KIND_")
        penalty = ""
        if o.penalty_high > 0:
            penalty = f", {o.currency} {o.penalty_low:,.0f} to {o.penalty_high:,.0f}"
        lines.append(f"{INDENT}recommended: {kind}{penalty}. {o.reason}".rstrip())
    if verdict.precedents:
        lines.append(
            f"{INDENT}precedents: "
            + "; ".join(
                f"[{p.citation_index}] {p.finding_id} ({p.outcome or 'outcome not stated'})"
                for p in verdict.precedents
            )
        )
    return lines

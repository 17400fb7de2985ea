"""The report of `arbiter eval-judge`: the measures of `judge_scoring` with latency, per
rulebook and per case, as text, as the `--json` object, and as markdown for docs/eval.md
(several runs side by side)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from arbiter_cli.eval_metrics import Share, percentile
from arbiter_cli.judge_scoring import (
    LABELS,
    NO_VERDICT,
    LabelScore,
    Measures,
    Scored,
    measures_of,
    per_rulebook,
)

RESEARCH_FROM_RESULT = "the research step's passages"
RESEARCH_FROM_ASSESSMENTS = (
    "the rules the verdict assesses (the gateway does not return the research step's passages)"
)
"""What research recall was measured on, per mode."""

JSON = dict[str, object]


def _share(s: Share) -> JSON:
    return {"value": round(s.value, 4), "hits": s.hits, "total": s.total}


def _label(s: LabelScore) -> JSON:
    return {
        "precision": round(s.precision, 4),
        "recall": round(s.recall, 4),
        "f1": round(s.f1, 4),
        "true_positives": s.true_positives,
        "predicted": s.predicted,
        "support": s.support,
    }


def _ms(seconds: Sequence[float], q: float) -> float | None:
    """A percentile in milliseconds; None for no timings (every call failed)."""
    return round(percentile([s * 1000 for s in seconds], q), 1) if seconds else None


def _ms_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def _case_line(s: Scored) -> JSON:
    j = s.judged
    return {
        "id": s.case.id,
        "rulebook": s.case.rulebook,
        "expected": s.case.expected,
        "got": j.got,
        "correct": s.correct,
        "cited_governing": s.cited_governing,
        "researched_governing": s.researched_governing,
        "trial_turns": j.trial_turns,
        "ms": round(j.seconds * 1000, 1),
        "missing_facts": list(j.missing_facts),
        "note": j.note,
    }


@dataclass(frozen=True)
class JudgeSummary:
    """What one evaluation measured, how (`mode`) and against what (`service`)."""

    scored: list[Scored]
    mode: str
    """"direct" (Research, then Judge) or "gateway" (Ask)."""
    service: str
    wall_s: float

    @property
    def measures(self) -> Measures:
        return measures_of(self.scored)

    @property
    def research_from(self) -> str:
        return RESEARCH_FROM_RESULT if self.mode == "direct" else RESEARCH_FROM_ASSESSMENTS

    def ids(self, keep: Callable[[Scored], bool]) -> list[str]:
        return [s.case.id for s in self.scored if keep(s)]

    @property
    def errors(self) -> list[str]:
        return [f"{s.case.id}: {s.judged.note}" for s in self.scored if s.judged.failed]

    def latency_ms(self, q: float, *, judge_only: bool = False) -> float | None:
        """A percentile of the answered cases' time, or of the Judge call alone where
        the tool made it itself; None when there is no such time."""
        answered = [s.judged for s in self.scored if not s.judged.failed]
        if not judge_only:
            return _ms([j.seconds for j in answered], q)
        return _ms([j.judge_seconds for j in answered if j.judge_seconds is not None], q)

    def to_json(self) -> JSON:
        """The `--json` object (fields as the text output names them)."""
        m = self.measures
        return {
            "cases": len(self.scored),
            "mode": self.mode,
            "service": self.service,
            "accuracy": _share(m.accuracy),
            "per_label": {s.label: _label(s) for s in m.labels},
            "macro_f1": round(m.macro_f1, 4),
            "citation_recall": _share(m.citation_recall),
            "citation_recall_correct": _share(m.citation_recall_correct),
            "research_recall": _share(m.research_recall),
            "research_recall_from": self.research_from,
            "trial_rate": _share(m.trial_rate),
            "overturned": m.overturned,
            "p50_ms": self.latency_ms(0.5),
            "p99_ms": self.latency_ms(0.99),
            "judge_p50_ms": self.latency_ms(0.5, judge_only=True),
            "judge_p99_ms": self.latency_ms(0.99, judge_only=True),
            "per_rulebook": {
                g.rulebook: {
                    "accuracy": _share(g.accuracy),
                    "citation_recall": _share(g.citation_recall),
                }
                for g in per_rulebook(self.scored)
            },
            "failed": len(self.errors),
            "failed_ids": self.ids(lambda s: s.judged.failed),
            "first_error": self.errors[0] if self.errors else "",
            "no_verdict_ids": self.ids(lambda s: s.judged.got == NO_VERDICT),
            "wrong_ids": self.ids(lambda s: not s.correct),
            "per_case": [_case_line(s) for s in self.scored],
            "wall_s": round(self.wall_s, 2),
        }

    def table(self) -> str:
        """The human report: the measures, per label, per rulebook, per case."""
        m = self.measures
        judge = [_ms_text(self.latency_ms(q, judge_only=True)) for q in (0.5, 0.99)]
        latency = [_ms_text(self.latency_ms(q)) for q in (0.5, 0.99)]
        lines = [
            f"{len(self.scored)} cases; {self.mode} via {self.service}",
            "",
            _row("disposition accuracy", m.accuracy),
            f"  {'macro-F1':<28} {m.macro_f1:.3f}",
            *(
                f"  {s.label:<28} P {s.precision:.3f}  R {s.recall:.3f}  F1 {s.f1:.3f}"
                f"  ({s.true_positives} right of {s.predicted} said, {s.support} expected)"
                for s in m.labels
            ),
            _row("citation recall", m.citation_recall),
            _row("  on correct cases", m.citation_recall_correct),
            _row("research recall", m.research_recall) + f"  from {self.research_from}",
            _row("trial rate", m.trial_rate) + f"  ({m.overturned} overturned)",
            f"  {'p50 / p99 per case':<28} {' / '.join(latency)}",
            f"  {'p50 / p99 Judge alone':<28} {' / '.join(judge)}",
            f"  {'wall':<28} {self.wall_s:.1f} s",
            "",
            "  per rulebook (first governing passage): accuracy, citation recall",
            *(
                f"    {g.rulebook[:36]:<36} {g.accuracy.hits}/{g.accuracy.total}"
                f"  cited {g.citation_recall.hits}/{g.citation_recall.total}"
                for g in per_rulebook(self.scored)
            ),
            "",
            "  per case: id, expected, got, cited governing?",
            *(_case_text(s) for s in self.scored),
        ]
        if self.errors:
            lines += ["", f"  failed {len(self.errors)}: " + "; ".join(self.errors)]
        return "\n".join(lines)


def _row(name: str, s: Share) -> str:
    return f"  {name:<28} {s.value:.3f} ({s.hits}/{s.total})"


def _case_text(s: Scored) -> str:
    mark = "ok   " if s.correct else "WRONG"
    cited = "cited" if s.cited_governing else "not cited"
    note = f"  [{s.judged.note}]" if s.judged.note else ""
    return f"    {mark} {s.case.id:<6} {s.case.expected:<25} {s.judged.got:<25} {cited}{note}"


# --- docs/eval.md ---


def _node(run: JSON, *path: str) -> JSON:
    node: object = run
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def _share_cell(node: JSON) -> str:
    if not node:
        return "-"
    return f"{float(str(node['value'])):.3f} ({node['hits']}/{node['total']})"


def _number_cell(value: object, digits: int = 3) -> str:
    return "-" if value is None else f"{float(str(value)):.{digits}f}"


def _latency_cell(run: JSON, prefix: str) -> str:
    p50, p99 = (_number_cell(run.get(f"{prefix}{q}_ms"), 0) for q in ("p50", "p99"))
    return f"{p50} / {p99}"


LISTED_IDS = 12
"""Most case ids a docs cell lists (the rest are counted; the JSON keeps them all)."""


def _ids_cell(run: JSON, key: str, empty: str) -> str:
    ids = [str(i) for i in _listed(run, key)]
    more = f" and {len(ids) - LISTED_IDS} more" if len(ids) > LISTED_IDS else ""
    return " ".join(ids[:LISTED_IDS]) + more or empty


MARKDOWN_ROWS: tuple[tuple[str, Callable[[JSON], str]], ...] = (
    ("disposition accuracy", lambda r: _share_cell(_node(r, "accuracy"))),
    ("macro-F1", lambda r: _number_cell(r.get("macro_f1"))),
    *(
        (f"{label} P / R / F1", lambda r, label=label: _label_cell(_node(r, "per_label", label)))
        for label in LABELS
    ),
    ("citation recall", lambda r: _share_cell(_node(r, "citation_recall"))),
    ("citation recall, correct cases", lambda r: _share_cell(_node(r, "citation_recall_correct"))),
    ("research recall", lambda r: _share_cell(_node(r, "research_recall"))),
    ("trial rate", lambda r: _share_cell(_node(r, "trial_rate"))),
    ("overturned by the trial", lambda r: str(r.get("overturned", "-"))),
    ("p50 / p99 ms per case", lambda r: _latency_cell(r, "")),
    ("Judge alone p50 / p99 ms", lambda r: _latency_cell(r, "judge_")),
    ("failed calls", lambda r: f"{r.get('failed', '-')} {_ids_cell(r, 'failed_ids', '')}"),
    ("no verdict", lambda r: _ids_cell(r, "no_verdict_ids", "none")),
)
"""The rows of the docs table, each a cell of one run's `--json` summary."""


def markdown_table(runs: Sequence[tuple[str, JSON]]) -> list[str]:
    """`--json` summaries side by side, one column per titled run: the measures, per
    label, per rulebook, the cases decided wrongly."""

    def line(name: str, cell: Callable[[JSON], str]) -> str:
        return f"| {name} | " + " | ".join(cell(run).strip() for _, run in runs) + " |"

    def rulebook(name: str) -> Callable[[JSON], str]:
        return lambda r: _share_cell(_node(r, "per_rulebook", name, "accuracy"))

    rulebooks = sorted({k for _, run in runs for k in _node(run, "per_rulebook")})
    return [
        "| | " + " | ".join(title for title, _ in runs) + " |",
        "|---" * (len(runs) + 1) + "|",
        *(line(name, cell) for name, cell in MARKDOWN_ROWS),
        *(line(f"rulebook {name}: accuracy", rulebook(name)) for name in rulebooks),
        line("decided wrongly", lambda r: _ids_cell(r, "wrong_ids", "none")),
    ]


def _label_cell(node: JSON) -> str:
    if not node:
        return "-"
    return " / ".join(f"{float(str(node[k])):.2f}" for k in ("precision", "recall", "f1"))


def _listed(run: JSON, key: str) -> list[object]:
    value = run.get(key)
    return value if isinstance(value, list) else []

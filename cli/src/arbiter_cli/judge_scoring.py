"""The scoring rules of `arbiter eval-judge`, by `../shared/data/judgement/README.md`: a
labelled situation file, what the judgement path answered each situation, and the
measures over a set of them (disposition accuracy, per-label precision / recall / F1,
macro-F1, citation and research recall of the governing passages, trial rate)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from arbiter_cli.eval_inputs import InputError, read_jsonl
from arbiter_cli.eval_metrics import Share

LABELS = ("BREACH", "COMPLIANT", "INSUFFICIENT_INFORMATION")
"""The dispositions a case can expect, in the README's order."""
FAILED = "ERROR"
"""What a case "got" when its call failed: it counts against its expected label."""
NO_VERDICT = "NONE"
"""What a case "got" when the call ended without a verdict."""
_PASSAGE_ID = re.compile(r"\s+(?:(?:part|chapter)\b|\d).*$", re.IGNORECASE)
"""Where a rule reference's passage id starts: "GEN 6.6.2", "FUNDS PART 5.13.3.4.(3)",
"BRR Part 3.Chapter 3.15.(2)", "<guidance title> 108)"."""

# --- the cases ---


@dataclass(frozen=True)
class Case:
    """One labelled situation (the README's fields)."""

    id: str
    situation: str
    expected: str
    governing: frozenset[str]
    """The passage UUIDs that decide it."""
    rule_refs: tuple[str, ...] = ()
    missing_fact: str = ""

    @property
    def rulebook(self) -> str:
        """The rulebook of the first governing passage, as its rule reference names it."""
        return rulebook_of(self.rule_refs[0]) if self.rule_refs else "-"


def rulebook_of(rule_ref: str) -> str:
    """`"<document_short> <passage_id>"` without the passage id."""
    return _PASSAGE_ID.sub("", rule_ref.strip()) or rule_ref.strip()


def _strings(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise TypeError("want a list of non-empty strings")
    return value


def _case(row: dict[str, object]) -> Case:
    situation, expected = row["situation"], row["expected"]
    if not isinstance(situation, str) or not situation.strip() or expected not in LABELS:
        raise TypeError("want a situation and one of the labels")
    governing = _strings(row["governing"])
    if not governing:
        raise TypeError("want at least one governing passage")
    return Case(
        id=str(row["id"]),
        situation=situation,
        expected=str(expected),
        governing=frozenset(governing),
        rule_refs=tuple(_strings(row.get("rule_refs", []))),
        missing_fact=str(row.get("missing_fact", "")),
    )


CASE_FIELDS = (
    "id, situation, expected (BREACH, COMPLIANT or INSUFFICIENT_INFORMATION), "
    "governing (a non-empty list of passage UUIDs)"
)


def read_cases(path: Path) -> list[Case]:
    """`{id, situation, expected, governing, rule_refs, ...}` a line; InputError names the
    line that is not such a case, or the id given twice."""
    cases = read_jsonl(path, _case, what="cases", fields=CASE_FIELDS)
    if not cases:
        raise InputError(f"{path}: no cases")
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise InputError(f"{path}: case id {case.id} appears twice")
        seen.add(case.id)
    return cases


# --- what the judgement path answered ---


@dataclass
class Judged:
    """What one situation got: the disposition (a LABEL, NO_VERDICT or FAILED), the
    source ids the verdict cites, those the research step found, the trial, time."""

    got: str = NO_VERDICT
    cited: frozenset[str] = frozenset()
    researched: frozenset[str] = frozenset()
    trial_turns: int = 0
    overturned: bool = False
    """The trial's judge overturned the SOP's disposition."""
    seconds: float = 0.0
    """The whole case: research and judge (direct), or the whole Ask (gateway)."""
    judge_seconds: float | None = None
    """The Judge call alone, where the tool made it itself (direct)."""
    missing_facts: tuple[str, ...] = ()
    note: str = ""
    """Why there is no verdict or what the run lacked (failed steps, the error)."""

    @property
    def failed(self) -> bool:
        return self.got == FAILED

    @property
    def has_verdict(self) -> bool:
        return self.got not in (FAILED, NO_VERDICT)


@dataclass(frozen=True)
class Scored:
    """One case and what it got."""

    case: Case
    judged: Judged

    @property
    def correct(self) -> bool:
        return self.judged.got == self.case.expected

    @property
    def cited_governing(self) -> bool:
        return bool(self.case.governing & self.judged.cited)

    @property
    def researched_governing(self) -> bool:
        return bool(self.case.governing & self.judged.researched)


# --- the measures ---


@dataclass(frozen=True)
class LabelScore:
    """Precision, recall and F1 of one label: what was said `predicted` times, was right
    `true_positives` times, and was expected `support` times."""

    label: str
    true_positives: int
    predicted: int
    support: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.support if self.support else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def label_scores(pairs: Sequence[tuple[str, str]]) -> list[LabelScore]:
    """Each of LABELS scored over (expected, got) pairs; a failed or verdict-less case
    is a miss of its expected label and a prediction of none."""
    return [
        LabelScore(
            label,
            true_positives=sum(1 for e, g in pairs if e == g == label),
            predicted=sum(1 for _, g in pairs if g == label),
            support=sum(1 for e, _ in pairs if e == label),
        )
        for label in LABELS
    ]


def macro_f1(scores: Sequence[LabelScore]) -> float:
    """The mean F1 over the labels (all three, whether expected or not)."""
    return sum(s.f1 for s in scores) / len(scores) if scores else 0.0


@dataclass(frozen=True)
class Measures:
    """The measures of a set of scored cases."""

    accuracy: Share
    labels: list[LabelScore]
    citation_recall: Share
    citation_recall_correct: Share
    research_recall: Share
    trial_rate: Share
    """Verdicts with trial turns, of all verdicts."""
    overturned: int

    @property
    def macro_f1(self) -> float:
        return macro_f1(self.labels)


def measures_of(scored: Sequence[Scored]) -> Measures:
    verdicts = [s for s in scored if s.judged.has_verdict]
    return Measures(
        accuracy=Share.of(s.correct for s in scored),
        labels=label_scores([(s.case.expected, s.judged.got) for s in scored]),
        citation_recall=Share.of(s.cited_governing for s in scored),
        citation_recall_correct=Share.of(s.cited_governing for s in scored if s.correct),
        research_recall=Share.of(s.researched_governing for s in scored),
        trial_rate=Share.of(s.judged.trial_turns > 0 for s in verdicts),
        overturned=sum(s.judged.overturned for s in verdicts),
    )


@dataclass(frozen=True)
class Group:
    """The cases of one rulebook and how they fared."""

    rulebook: str
    accuracy: Share
    citation_recall: Share


def per_rulebook(scored: Sequence[Scored]) -> list[Group]:
    """One group per rulebook of the cases' first governing passage, by name."""
    names = sorted({s.case.rulebook for s in scored})
    groups = []
    for name in names:
        members = [s for s in scored if s.case.rulebook == name]
        groups.append(
            Group(
                name,
                Share.of(s.correct for s in members),
                Share.of(s.cited_governing for s in members),
            )
        )
    return groups

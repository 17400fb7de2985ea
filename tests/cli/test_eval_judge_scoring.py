"""`judge_scoring`: the case file and its errors, what a verdict is read as, and the
measures over constructed verdicts, worked out by hand."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from arbiter.common.v1 import common_pb2
from arbiter_cli import suite
from arbiter_cli.eval_inputs import InputError
from arbiter_cli.eval_judge import read_verdict
from arbiter_cli.judge_scoring import (
    FAILED,
    NO_VERDICT,
    Case,
    Judged,
    Scored,
    label_scores,
    macro_f1,
    measures_of,
    per_rulebook,
    read_cases,
    rulebook_of,
)

DEV_CASES = suite.data_dir().parent / "judgement" / "scenarios_dev.jsonl"
RULE = "3f0c2a52-1111-4a4a-9e9e-000000000001"
DEFINITION = "3f0c2a52-1111-4a4a-9e9e-000000000002"
ELSEWHERE = "3f0c2a52-1111-4a4a-9e9e-000000000003"
GUIDANCE = "Guidance \u2013 Regulation of Virtual Asset Activities in ADGM"
"""A document_short with spaces and an en dash, as the corpus names it."""


def case(id: str, expected: str, *governing: str, ref: str = "AML 8.1.1") -> Case:
    return Case(id, f"situation {id}", expected, frozenset(governing or {RULE}), (ref,))


def write(tmp_path: Path, *rows: object) -> Path:
    path = tmp_path / "cases.jsonl"
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


GOOD = {
    "id": "C1",
    "situation": "A firm filed late.",
    "expected": "BREACH",
    "governing": [RULE],
    "rule_refs": ["GEN 6.6.2"],
}


# --- the case file ---


def test_a_case_file_reads_into_cases(tmp_path: Path) -> None:
    missing = {**GOOD, "id": "C2", "expected": "INSUFFICIENT_INFORMATION", "missing_fact": "when"}
    cases = read_cases(write(tmp_path, GOOD, "", missing))
    assert [c.id for c in cases] == ["C1", "C2"]
    assert cases[0].governing == frozenset({RULE})
    assert cases[0].rulebook == "GEN"
    assert cases[1].missing_fact == "when"


@pytest.mark.parametrize(
    "bad",
    [
        {**GOOD, "expected": "VIOLATION"},
        {**GOOD, "governing": []},
        {**GOOD, "governing": RULE},
        {**GOOD, "situation": "  "},
        {k: v for k, v in GOOD.items() if k != "situation"},
        {**GOOD, "rule_refs": [1]},
        "{not json",
        "[1, 2]",
    ],
)
def test_a_bad_case_is_named_by_its_line(tmp_path: Path, bad: object) -> None:
    path = write(tmp_path, GOOD, "", bad)
    with pytest.raises(InputError, match=rf"{path.name}:3: not a JSON object with id, situation"):
        read_cases(path)


def test_an_id_given_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="case id C1 appears twice"):
        read_cases(write(tmp_path, GOOD, GOOD))


def test_an_empty_or_absent_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no cases"):
        read_cases(write(tmp_path, ""))
    with pytest.raises(InputError, match="cannot read cases"):
        read_cases(tmp_path / "absent.jsonl")


@pytest.mark.parametrize(
    ("ref", "rulebook"),
    [
        ("GEN 6.6.2", "GEN"),
        ("FUNDS PART 5.13.3.4.(3)", "FUNDS"),
        ("BRR Part 3.Chapter 3.15.(2)", "BRR"),
        ("CRS Part 3.7.(2)", "CRS"),
        ("AML 10.2.2.Guidance.3.", "AML"),
        (f"{GUIDANCE} 108)", GUIDANCE),
        ("COBS", "COBS"),
    ],
)  # fmt: skip
def test_the_rulebook_is_the_reference_without_its_passage_id(ref: str, rulebook: str) -> None:
    assert rulebook_of(ref) == rulebook


def test_the_dev_set_reads_as_its_readme_counts_it() -> None:
    if not DEV_CASES.exists():
        pytest.skip(f"the judgement dev set is not at {DEV_CASES} (set ARBITER_DATA_DIR)")
    cases = read_cases(DEV_CASES)
    assert len(cases) == 60
    assert Counter(c.expected for c in cases) == {
        "BREACH": 25,
        "COMPLIANT": 23,
        "INSUFFICIENT_INFORMATION": 12,
    }
    rulebooks = Counter(c.rulebook for c in cases)
    # The README's counts per rulebook of the first governing passage.
    assert {k: v for k, v in rulebooks.items() if not k.startswith("Guidance")} == {
        "AML": 11, "GEN": 7, "COBS": 7, "PRU": 7, "FUNDS": 7, "MKT": 6, "FSMR": 3, "PIN": 3,
        "CRS": 2, "IFR": 2, "CIB": 2, "BRR": 2,
    }  # fmt: skip
    assert sum(rulebooks.values()) == 60


# --- a verdict as the scoring reads it ---


def citation(source_id: str, index: int = 1) -> common_pb2.Citation:
    return common_pb2.Citation(index=index, source_id=source_id, rulebook="AML")


def test_a_verdict_is_read_for_its_disposition_citations_and_trial() -> None:
    verdict = common_pb2.Verdict(
        disposition=common_pb2.DISPOSITION_COMPLIANT,
        sop_disposition=common_pb2.DISPOSITION_BREACH,
        citations=[citation(RULE), citation(ELSEWHERE, 2), citation("", 3)],
        trial=[
            common_pb2.TrialTurn(role=common_pb2.TRIAL_ROLE_DEFENSE),
            common_pb2.TrialTurn(role=common_pb2.TRIAL_ROLE_PROSECUTION),
            common_pb2.TrialTurn(role=common_pb2.TRIAL_ROLE_JUDGE, upheld=False),
        ],
    )
    judged = Judged()
    read_verdict(verdict, judged)
    assert judged.got == "COMPLIANT"
    assert judged.cited == {RULE, ELSEWHERE}
    assert judged.trial_turns == 3
    assert judged.overturned


def test_an_upheld_or_trial_less_verdict_is_not_overturned() -> None:
    for verdict in (
        common_pb2.Verdict(
            disposition=common_pb2.DISPOSITION_BREACH,
            sop_disposition=common_pb2.DISPOSITION_BREACH,
            trial=[common_pb2.TrialTurn(role=common_pb2.TRIAL_ROLE_JUDGE, upheld=True)],
        ),
        common_pb2.Verdict(
            disposition=common_pb2.DISPOSITION_INSUFFICIENT_INFORMATION,
            missing_facts=["the customer's risk rating"],
        ),
    ):
        judged = Judged()
        read_verdict(verdict, judged)
        assert not judged.overturned
    assert judged.got == "INSUFFICIENT_INFORMATION"
    assert judged.missing_facts == ("the customer's risk rating",)


def test_a_verdict_without_a_disposition_is_no_verdict() -> None:
    judged = Judged()
    read_verdict(common_pb2.Verdict(summary="?"), judged)
    assert judged.got == NO_VERDICT
    assert not judged.has_verdict
    assert "no disposition" in judged.note


# --- the measures ---


def test_label_scores_and_macro_f1_by_hand() -> None:
    pairs = [
        ("BREACH", "BREACH"),
        ("BREACH", "BREACH"),
        ("BREACH", "INSUFFICIENT_INFORMATION"),
        ("BREACH", FAILED),
        ("COMPLIANT", "COMPLIANT"),
        ("COMPLIANT", "BREACH"),
        ("INSUFFICIENT_INFORMATION", "INSUFFICIENT_INFORMATION"),
        ("INSUFFICIENT_INFORMATION", NO_VERDICT),
    ]
    breach, compliant, insufficient = label_scores(pairs)
    assert (breach.true_positives, breach.predicted, breach.support) == (2, 3, 4)
    assert breach.precision == pytest.approx(2 / 3)
    assert breach.recall == pytest.approx(1 / 2)
    assert breach.f1 == pytest.approx(4 / 7)
    assert (compliant.precision, compliant.recall) == (1.0, 0.5)
    assert compliant.f1 == pytest.approx(2 / 3)
    assert (insufficient.precision, insufficient.recall) == (0.5, 0.5)
    assert macro_f1([breach, compliant, insufficient]) == pytest.approx((4 / 7 + 2 / 3 + 0.5) / 3)


def test_a_label_never_said_nor_expected_scores_zero() -> None:
    breach, compliant, insufficient = label_scores([("BREACH", "BREACH")])
    assert breach.f1 == 1.0
    assert (compliant.precision, compliant.recall, compliant.f1) == (0.0, 0.0, 0.0)
    assert macro_f1([breach, compliant, insufficient]) == pytest.approx(1 / 3)


def judged(got: str, *, cited: str = "", found: str = "", turns: int = 0) -> Judged:
    """A verdict of `got` citing `cited`, after research found `found` (ids or none)."""
    return Judged(got=got, cited=_ids(cited), researched=_ids(found), trial_turns=turns)


def _ids(one: str) -> frozenset[str]:
    return frozenset({one} - {""})


def test_measures_over_constructed_verdicts() -> None:
    scored = [
        # right, cites the rule, research found it, tried
        Scored(case("J1", "BREACH"), judged("BREACH", cited=RULE, found=RULE, turns=3)),
        # right, cites only the definition, which is also governing
        Scored(
            case("J2", "COMPLIANT", RULE, DEFINITION, ref="GEN 5.5.2"),
            judged("COMPLIANT", cited=DEFINITION, found=ELSEWHERE),
        ),
        # right but cites nothing governing
        Scored(case("J3", "COMPLIANT"), judged("COMPLIANT", cited=ELSEWHERE, found=RULE)),
        # wrong, cites the rule
        Scored(case("J4", "COMPLIANT", ref="GEN 6.6.2"), judged("BREACH", cited=RULE, turns=3)),
        # the call failed: counted, wrong, no verdict for the trial rate
        Scored(case("J5", "INSUFFICIENT_INFORMATION"), Judged(got=FAILED, note="UNAVAILABLE")),
    ]
    m = measures_of(scored)
    assert (m.accuracy.hits, m.accuracy.total) == (3, 5)
    assert (m.citation_recall.hits, m.citation_recall.total) == (3, 5)
    assert (m.citation_recall_correct.hits, m.citation_recall_correct.total) == (2, 3)
    assert (m.research_recall.hits, m.research_recall.total) == (2, 5)
    assert (m.trial_rate.hits, m.trial_rate.total) == (2, 4)
    assert m.overturned == 0
    groups = {g.rulebook: g for g in per_rulebook(scored)}
    assert list(groups) == ["AML", "GEN"]
    assert (groups["AML"].accuracy.hits, groups["AML"].accuracy.total) == (2, 3)
    assert (groups["GEN"].accuracy.hits, groups["GEN"].accuracy.total) == (1, 2)
    assert (groups["GEN"].citation_recall.hits, groups["GEN"].citation_recall.total) == (2, 2)

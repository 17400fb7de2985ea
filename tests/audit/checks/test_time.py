"""The time checks on the corpus's rule texts against invented situations: deadlines in
days, business days and months, year ends stated without a year, advance notice by dates
and by a stated period, retention until destruction, periodic duties, "immediately",
alternatives the rule allows, and what the check must not decide."""

from __future__ import annotations

import dataclasses

import pytest
from arbiter_audit.checks.time import TEMPLATES, check
from arbiter_audit.facts.time import read as read_facts
from arbiter_audit.model import Check, Compliance, Condition, Fact, FactKind, Span, Template
from arbiter_audit.templates.time import read as read_conditions

from tests.audit.templates.test_time import (
    AML_TRAINING,
    AUDITOR_REPORTS,
    AUDITOR_TERMINATED,
    CONNECTED_PERSON,
    CRS_RECORDS,
    DNFBP_CEASING,
    FEE_INCREASE,
    PSP_COMPLAINTS,
    RESOLVABILITY,
    passage_text,
)

MET, NOT_MET, CANNOT_TELL = Compliance.MET, Compliance.NOT_MET, Compliance.CANNOT_TELL


def facts_of(situation: str) -> list[Fact]:
    """The situation's time facts numbered f1, f2, ... as the SOP numbers all facts."""
    return [dataclasses.replace(f, id=f"f{i}") for i, f in enumerate(read_facts(situation), 1)]


def condition_of(uuid: str) -> Condition:
    (condition,) = read_conditions(passage_text(uuid))
    return condition


def judge(uuid: str, situation: str) -> Check:
    result = check(condition_of(uuid), facts_of(situation))
    if result.compliance is CANNOT_TELL:
        assert result.missing, result
    else:
        assert result.fact_ids, result
    return result


def test_the_family_checks_its_four_templates() -> None:
    assert (
        frozenset(
            {Template.DEADLINE, Template.ADVANCE_NOTICE, Template.RETENTION, Template.PERIODIC}
        )
        == TEMPLATES
    )


@pytest.mark.parametrize(
    ("situation", "expected", "said"),
    [
        (
            "A client complained to a payment service provider on 3 March 2024. The provider "
            "investigated and sent its final response on 12 March 2024.",
            MET,
            "9 days",
        ),
        (
            "A payment service provider received a complaint on 3 March 2024 about a refund "
            "and resolved it on 28 March 2024.",
            NOT_MET,
            "25 days",
        ),
        (
            "A payment service provider received a complaint in March 2024 and sent its final "
            "response in April 2024.",
            CANNOT_TELL,
            "do not settle",
        ),
        ("A payment service provider received a complaint on 3 March 2024.", CANNOT_TELL, ""),
    ],
)
def test_a_deadline_in_calendar_days(situation: str, expected: Compliance, said: str) -> None:
    result = judge(PSP_COMPLAINTS, situation)
    assert result.compliance is expected, result
    assert said in result.reason
    if expected is NOT_MET:
        assert "15 days" in result.reason and result.fact_ids == ("f1", "f2")


def test_an_unrelated_later_event_is_not_taken_for_the_duty() -> None:
    situation = (
        "A payment service provider received a complaint on 1 June 2023. The firm moved its "
        "offices to Al Reem Island on 30 June 2023."
    )
    assert judge(PSP_COMPLAINTS, situation).compliance is CANNOT_TELL


@pytest.mark.parametrize(
    ("disclosed", "expected"),
    [
        ("Friday 6 October 2023", MET),  # 4 business days
        ("Wednesday 11 October 2023", CANNOT_TELL),  # 7: public holidays could explain 2
        ("Friday 20 October 2023", NOT_MET),  # 14
    ],
)
def test_a_deadline_in_business_days(disclosed: str, expected: Compliance) -> None:
    situation = (
        "A director of a listed company bought 10,000 of its shares on Monday 2 October 2023 "
        f"and disclosed the purchase to the FSRA and the company on {disclosed}."
    )
    result = judge(CONNECTED_PERSON, situation)
    assert result.compliance is expected, result
    assert "public holidays" in result.reason and "Saturday and Sunday" in result.reason


@pytest.mark.parametrize(
    ("sent", "expected"),
    [("15 April 2024", MET), ("30 April 2024", MET), ("2 May 2024", NOT_MET)],
)
def test_a_deadline_from_a_year_end_stated_without_its_year(
    sent: str, expected: Compliance
) -> None:
    situation = (
        "A broker whose financial year ends on 31 December sent the reports of its auditor to "
        f"the FSRA on {sent}."
    )
    result = judge(AUDITOR_REPORTS, situation)
    assert result.compliance is expected, result
    assert "31 December 2023" in result.reason


def test_no_year_end_no_decision() -> None:
    result = judge(
        AUDITOR_REPORTS, "A broker sent its auditor's reports to the FSRA on 2 May 2024."
    )
    assert result.compliance is CANNOT_TELL
    assert "financial year end" in result.missing


@pytest.mark.parametrize(
    ("written", "expected"),
    [("1 February 2024", MET), ("Monday 12 February 2024", NOT_MET)],
)
def test_advance_notice_by_dates(written: str, expected: Compliance) -> None:
    situation = (
        f"A DNFBP wrote to the Regulator on {written} that it would cease its business on "
        "Thursday 22 February 2024."
    )
    result = judge(DNFBP_CEASING, situation)
    assert result.compliance is expected, result
    assert "10 business days" in result.reason


@pytest.mark.parametrize(
    ("notice", "expected"),
    [("60 days' written notice", NOT_MET), ("four months' written notice", MET)],
)
def test_advance_notice_by_a_stated_period(notice: str, expected: Compliance) -> None:
    situation = f"The Fund Manager increased its fee, giving unitholders {notice} of the increase."
    result = judge(FEE_INCREASE, situation)
    assert result.compliance is expected, result
    assert "90 days" in result.reason


def test_the_rule_s_alternative_period_must_be_ruled_out() -> None:
    base = (
        "The FSRA notified a bank of impediments to its resolvability on 10 January 2023. "
        "The bank sent its proposed measures on 28 May 2023."
    )
    open_question = judge(RESOLVABILITY, base)
    assert open_question.compliance is CANNOT_TELL
    assert "other time period" in open_question.missing
    settled = judge(RESOLVABILITY, base + " The notification set no other deadline.")
    assert settled.compliance is NOT_MET and "no other period was set" in settled.reason


@pytest.mark.parametrize(
    ("situation", "expected"),
    [
        (
            "A bank filed its CRS report in June 2019 and deleted the due-diligence records "
            "behind it during a clean-up in March 2022.",
            NOT_MET,
        ),
        (
            "A custodian reported to the Regulatory Authority in 2016 and destroyed the "
            "records supporting that report in 2023.",
            MET,
        ),
        (
            "A custodian keeps the evidence for each report for eight years after the report "
            "is filed.",
            MET,
        ),
        (
            "A custodian keeps the evidence for each report for three years after the report "
            "is filed.",
            NOT_MET,
        ),
        ("A custodian files its CRS report every June.", CANNOT_TELL),
    ],
)
def test_retention(situation: str, expected: Compliance) -> None:
    assert judge(CRS_RECORDS, situation).compliance is expected


@pytest.mark.parametrize(
    ("situation", "expected"),
    [
        (
            "All employees completed AML/TFS training in May 2022 and again in March 2023. "
            "The FSRA visited in September 2023.",
            MET,
        ),
        (
            "All employees completed AML/TFS training in May 2022. No further AML/TFS training "
            "was given to employees before the FSRA's inspection in December 2023.",
            NOT_MET,
        ),
        (
            "All employees completed AML/TFS training in May 2021 and then in November 2022.",
            NOT_MET,
        ),
        ("All employees completed AML/TFS training in May 2022.", CANNOT_TELL),
        ("The firm opened an office in May 2022.", CANNOT_TELL),
    ],
)
def test_a_periodic_duty(situation: str, expected: Compliance) -> None:
    assert judge(AML_TRAINING, situation).compliance is expected


def test_a_periodic_duty_without_a_period_is_never_breached() -> None:
    (condition,) = read_conditions("The firm must review its AML controls on a regular basis.")
    facts = facts_of("The firm reviewed its AML controls in 2019 and not again until 2024.")
    result = check(condition, facts)
    assert result.compliance is CANNOT_TELL and result.missing


@pytest.mark.parametrize(
    ("notified", "expected"),
    [("Monday 6 November 2023", MET), ("Tuesday 28 November 2023", NOT_MET)],
)
def test_immediately(notified: str, expected: Compliance) -> None:
    situation = (
        "A firm's auditor resigned on Friday 3 November 2023. The firm notified the Regulator "
        f"of the resignation on {notified}."
    )
    assert judge(AUDITOR_TERMINATED, situation).compliance is expected


def test_as_soon_as_practicable_is_not_breached_by_a_delay_alone() -> None:
    (condition,) = read_conditions(
        "A firm must notify the Regulator as soon as practicable after it learns of a breach."
    )
    facts = facts_of(
        "The firm became aware of the breach on 1 March 2023 and notified the Regulator on "
        "20 March 2023."
    )
    assert check(condition, facts).compliance is CANNOT_TELL


def test_no_facts_at_all() -> None:
    for uuid in (PSP_COMPLAINTS, DNFBP_CEASING, CRS_RECORDS, AML_TRAINING):
        result = check(condition_of(uuid), [])
        assert result.compliance is CANNOT_TELL and result.missing


def _with_not_done(situation: str, words: str, topic: str) -> list[Fact]:
    """The situation's time facts and one negated ACTION fact, as the actions family
    reads "made no further disclosure"."""
    facts = facts_of(situation)
    at = situation.index(words)
    undone = Fact(
        kind=FactKind.ACTION,
        text=words,
        span=Span(at, at + len(words)),
        value="",
        negated=True,
        topic=topic,
        id=f"f{len(facts) + 1}",
    )
    return [*facts, undone]


STAKE = (
    "An investment company held 7.2% of the voting shares of a listed company. In May 2024 it "
    "raised its stake to 8.6% and made no further disclosure."
)


def test_a_duty_the_situation_says_was_never_done_is_not_met() -> None:
    facts = _with_not_done(STAKE, "made no further disclosure", "make disclosure")
    result = check(condition_of(CONNECTED_PERSON), facts)
    assert result.compliance is NOT_MET, result
    assert result.fact_ids == ("f1", "f2")


def test_another_thing_not_done_is_not_this_duty() -> None:
    facts = _with_not_done(STAKE, "made no further disclosure", "buy more shares")
    assert check(condition_of(CONNECTED_PERSON), facts).compliance is CANNOT_TELL


@pytest.mark.parametrize(
    ("told", "expected"), [("3 May 2024", CANNOT_TELL), ("20 May 2024", NOT_MET)]
)
def test_not_done_is_late_only_once_the_deadline_has_passed(
    told: str, expected: Compliance
) -> None:
    (condition,) = read_conditions(
        "A holder must disclose an acquisition of shares to the Regulator within five "
        "Business Days of acquiring them."
    )
    situation = (
        f"On 2 May 2024 the holder acquired 9% of the shares. As of {told} it had made no "
        "disclosure of it."
    )
    assert judge_with(condition, situation).compliance is expected


def judge_with(condition: Condition, situation: str) -> Check:
    return check(condition, facts_of(situation))


def test_a_duty_not_mentioned_is_not_taken_as_not_done() -> None:
    assert judge(CONNECTED_PERSON, STAKE).compliance is CANNOT_TELL

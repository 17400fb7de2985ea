"""An application rule that limits a chapter ("Only this Rule and Rules ... apply to a
Qualified Investor Fund", FUNDS 12.1.1(3), looked up at test time): the passages it leaves
out do not apply to such a fund, cannot be told when the fund type is unknown, and are
untouched for another fund or for the passages it lists."""

from __future__ import annotations

import pytest
from arbiter_audit.applicability_only import limited, only_rule
from arbiter_audit.model import Applicability

from tests.audit.checks.test_actions import facts_of
from tests.audit.templates.test_actions import passage_text

QIF_ONLY = "ff03d53c-e929-45bb-a062-5e766d9e9000"  # FUNDS 12.1.1(3)


def test_the_rules_an_application_rule_lists() -> None:
    rule = only_rule(passage_text(QIF_ONLY))
    assert rule is not None
    assert rule.listed[:3] == ("12.2", "12.3.1", "12.3.2")
    assert "12.3.7" in rule.listed and "12.13.3" not in rule.listed
    assert rule.scope == "a Qualified Investor Fund"


@pytest.mark.parametrize(
    ("situation", "ref", "expected"),
    [
        ("The manager of a Qualified Investor Fund raised its fee.", "PART 5.12.13.3", "no"),
        ("The manager of a Qualified Investor Fund raised its fee.", "12.3.7.(b)", None),
        ("The manager of a Public Fund raised its fee.", "PART 5.12.13.3", None),
        (
            "The manager raised its fee. The file does not say whether the fund is a "
            "Qualified Investor Fund.",
            "PART 5.12.13.3",
            "unsure",
        ),
    ],
)
def test_a_passage_the_application_rule_leaves_out(
    situation: str, ref: str, expected: str | None
) -> None:
    result = limited(passage_text(QIF_ONLY), ref, facts_of(situation))
    if expected is None:
        assert result is None
    elif expected == "no":
        assert result is not None and result.applicability is Applicability.DOES_NOT_APPLY
        assert result.fact_ids
    else:
        assert result is not None and result.applicability is Applicability.CANNOT_TELL
        assert result.missing == "whether the fund is a Qualified Investor Fund"


def test_a_rule_that_limits_nothing() -> None:
    assert only_rule("A Fund Manager must keep records.") is None
    assert limited("A Fund Manager must keep records.", "12.13.3", facts_of("")) is None

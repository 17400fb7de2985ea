"""What both model-stage test modules work on (no tests here): an invented situation, two of
the corpus's real rules (looked up by UUID, skipped when the corpus is absent), the facts,
assessments and trial case the offline rules would hand over, built by hand from
`model.py`'s types, and the provider fixtures."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Generic, TypeVar

import pytest
from arbiter.common.v1 import common_pb2
from arbiter_audit.assessment import Assessment, ConditionCheck, Decision, Disposition
from arbiter_audit.matching import Candidate
from arbiter_audit.model import (
    Applicability,
    Applies,
    Check,
    Compliance,
    Condition,
    Fact,
    FactKind,
    Span,
    Template,
)
from arbiter_audit.precedents import Precedent
from arbiter_audit.trial import Case
from arbiter_llm import LLMConfig, OpenAICompatibleLLM

from tests.support.corpus import corpus_row
from tests.support.openai_server import OpenAIServer

T = TypeVar("T")

AUDITOR_REPORTS = "42a0a8e7-7432-4aa3-882b-fdc0ca95d1a6"  # GEN 6.6.2
CRS_RECORDS = "e2261508-17ee-4ce6-b877-cb6cd6bfc04a"  # CRS Part 3.7.(2)

SITUATION = (
    "A Category 3A broker whose financial year ended on 31 December 2022 sent the reports "
    "of its auditor to the FSRA on 14 June 2023. It did not tell the FSRA why they were "
    "late. Whether the FSRA had granted an extension is not recorded."
)


def rule_passage(uuid: str) -> common_pb2.Passage:
    """A corpus passage as search returns it; the test skips when the corpus is absent."""
    row = corpus_row(uuid)
    meta = row["metadata"]
    return common_pb2.Passage(
        id=f"{uuid}:0",
        source_id=uuid,
        passage_ref=str(meta["passage_id"]),
        document_id=str(meta["document_id"]),
        rulebook=str(meta["document_short"]),
        title=row["title"],
        text=row["text"],
        doc_type="rule",
    )


def _at(quote: str) -> Span:
    start = SITUATION.index(quote)
    return Span(start, start + len(quote))


def offline_facts() -> list[Fact]:
    year_end, sent = dt.date(2022, 12, 31), dt.date(2023, 6, 14)
    ended = "financial year ended on 31 December 2022"
    return [
        Fact(FactKind.PARTY, "a broker", _at("broker"), "broker", attribute="firm_type", id="f1"),
        Fact(
            FactKind.EVENT,
            "year end",
            _at(ended),
            "2022-12-31",
            when=year_end,
            until=year_end,
            id="f2",
        ),
        Fact(
            FactKind.EVENT,
            "reports sent",
            _at("sent the reports"),
            "2023-06-14",
            when=sent,
            until=sent,
            id="f3",
        ),
        Fact(
            FactKind.ACTION,
            "did not tell why",
            _at("did not tell the FSRA"),
            "",
            negated=True,
            id="f4",
        ),
    ]


def candidates() -> list[Candidate]:
    return [
        Candidate(rule_passage(AUDITOR_REPORTS), retrieval=0.03, found_by=["research"]),
        Candidate(rule_passage(CRS_RECORDS), retrieval=0.01, found_by=["search 1"]),
    ]


def offline_matches(found: list[Candidate]) -> list[tuple[Candidate, Applies]]:
    return [
        (found[0], Applies(Applicability.APPLIES, "the firm is an Authorised Person", ("f1",))),
        (found[1], Applies(Applicability.DOES_NOT_APPLY, "not a Reporting Financial Institution")),
    ]


def condition_check(
    rule: Candidate, template: Template, words: str, check: Check
) -> ConditionCheck:
    """A condition read from `words` of the rule's real text, and its check."""
    text = rule.passage.text
    start = text.index(words)
    condition = Condition(
        template,
        text,
        Span(start, start + len(words)),
        action=words,
        exceptions=("unless the Regulator grants an extension",),
    )
    return ConditionCheck(condition, check)


def offline_assessments(rules: list[tuple[Candidate, Applies]]) -> list[Assessment]:
    """The auditor's reports rule not met; the CRS retention rule not engaged."""
    late = Check(Compliance.NOT_MET, "sent 5.5 months after the year end", ("f2", "f3"))
    unknown = Check(Compliance.CANNOT_TELL, "no record kept", missing="the records kept")
    (reports, applies), (records, scope) = rules
    return [
        Assessment(
            reports,
            applies,
            (condition_check(reports, Template.DEADLINE, "within four months", late),),
        ),
        Assessment(
            records,
            scope,
            (condition_check(records, Template.RETENTION, "at least six (6) years", unknown),),
        ),
    ]


def precedent(finding_id: str, outcome: str, penalty: float, rule: str) -> Precedent:
    passage = common_pb2.Passage(
        id=f"{finding_id}:0",
        source_id=finding_id,
        document_id=finding_id,
        title=f"Finding {finding_id}",
        text=f"Finding {finding_id} cites {rule}. Outcome: {outcome}.",
        doc_type="finding",
    )
    return Precedent(
        passage, finding_id, outcome, penalty, "USD" if penalty else "", frozenset({rule})
    )


def breach_case() -> Case:
    found = candidates()
    assessments = offline_assessments(offline_matches(found))
    decision = Decision(Disposition.BREACH, 0.8, "sent 5.5 months after", assessments[0])
    return Case(
        SITUATION,
        tuple(offline_facts()),
        decision,
        tuple(assessments),
        (
            precedent("FD0101", "financial penalty", 40000.0, AUDITOR_REPORTS),
            precedent("FD0102", "warning", 0.0, AUDITOR_REPORTS),
        ),
    )


class Offline(Generic[T]):
    """An offline thunk that hands back `value` and counts how often it ran."""

    def __init__(self, value: T) -> None:
        self.value = value
        self.calls = 0

    def __call__(self) -> T:
        self.calls += 1
        return self.value


@pytest.fixture
async def openai_llm(model: OpenAIServer) -> AsyncIterator[OpenAICompatibleLLM]:
    config = LLMConfig(
        provider="openai", base_url=model.base_url, model="test-model", max_retries=0
    )
    provider = OpenAICompatibleLLM(config)
    yield provider
    await provider.aclose()

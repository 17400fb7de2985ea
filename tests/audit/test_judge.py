"""Judge over gRPC against a real search server holding real rule passages: the SOP's
stages and the trial's turns streamed in order, then exactly one result; failures of
search end in a verdict that says why, never a hang; bad input is INVALID_ARGUMENT."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import pytest
from arbiter.audit.v1 import audit_pb2, audit_pb2_grpc
from arbiter.common.v1 import common_pb2
from arbiter.search.v1 import search_pb2
from arbiter_audit.__main__ import build_server
from arbiter_audit.config import AuditConfig
from arbiter_audit.rule_search import RuleSearch
from arbiter_kit.breaker import BreakerConfig
from arbiter_kit.client import DownstreamConfig

from tests.support.corpus import CORPUS
from tests.support.search import as_document, ingest, read_jsonl, running_search
from tests.support.servers import LOCAL, assert_invalid_argument, channel_to

COMPLAINTS = ("COBS", "19.22.1.(2)")
"""At the latest fifteen days after the day the payment service provider received the
complaint."""
NEIGHBOURS = 300
"""Other passages in the store (AML comes first in the corpus), so the rule is found
among others, not alone."""
LATE = (
    "A payment service provider received a written complaint from a customer on "
    "4 March 2024. It logged the complaint and sent its final response on 15 April 2024."
)
IN_TIME = (
    "A payment service provider received a written complaint from a customer on "
    "4 March 2024. It logged the complaint and sent its final response on 7 March 2024."
)
UNDATED = (
    "A payment service provider received a written complaint from a customer and later "
    "sent its final response."
)
SOP = ["facts", "match", "check", "disposition"]
TRIAL = ["defense", "prosecution", "judge"]
NOWHERE = "127.0.0.1:1"


def corpus_rows() -> list[dict[str, object]]:
    if not CORPUS.exists():
        pytest.skip(f"the ObliQA corpus is not at {CORPUS}")
    rows = read_jsonl(CORPUS)
    rule = [r for r in rows if _ref(r) == COMPLAINTS]
    assert rule, "the complaints rule is in the corpus"
    return rows[:NEIGHBOURS] + rule


def _ref(row: dict[str, object]) -> tuple[str, str]:
    meta = row["metadata"]
    assert isinstance(meta, dict)
    return str(meta["document_short"]), str(meta["passage_id"])


@pytest.fixture(scope="module")
def rows() -> list[dict[str, object]]:
    return corpus_rows()


@pytest.fixture(scope="module")
def rule_id(rows: list[dict[str, object]]) -> str:
    return next(str(r["id"]) for r in rows if _ref(r) == COMPLAINTS)


def finding_report(finding: str, rule_id: str, outcome: str, penalty: str) -> search_pb2.Document:
    """An audit report shaped as `arbiter findings reports` writes one: the facts first
    (outcome, penalty), then the rule's words far enough below to fall in another chunk."""
    filler = " ".join(["The firm's complaint log showed the case handled late."] * 40)
    text = (
        f"# Audit finding {finding}: Example Payments Ltd\n\n**Sample data.** Invented.\n\n"
        f"- Finding: {finding}, severity high\n- Rule cited: COBS 19.22.1.(2), passage {rule_id}\n"
        f"- Outcome: {outcome}, decided 2024-03-01\n- Penalty: {penalty}\n\n"
        f"**Issue found.** {filler}\n\n**Criteria.** COBS 19.22.1.(2) says:\n\n"
        "> All complaints must be recorded, investigated and resolved within an adequate "
        "timeframe and at the latest fifteen days after the day on which the Payment Service "
        "Provider received the complaint."
    )
    return search_pb2.Document(
        id=finding,
        title=f"Audit finding {finding}",
        text=text,
        metadata={"document_id": finding, "doc_type": "finding", "document_short": "COBS"},
    )


PRECEDENTS = (
    ("FD09001", "financial penalty", "USD 40,000.00"),
    ("FD09002", "financial penalty", "USD 60,000.00"),
    ("FD09003", "warning", "none"),
)


@pytest.fixture(scope="module")
async def search_target(
    rows: list[dict[str, object]], rule_id: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    reports = [finding_report(f, rule_id, o, p) for f, o, p in PRECEDENTS]
    async with running_search(tmp_path_factory.mktemp("audit-search")) as search:
        await ingest(search.stub, [*(as_document(r) for r in rows), *reports])
        yield search.target


@asynccontextmanager
async def audit(
    target: str | None,
    *,
    config: AuditConfig = AuditConfig.default,
    breaker: BreakerConfig | None = None,
) -> AsyncIterator[audit_pb2_grpc.AuditServiceStub]:
    search = None
    if target is not None:
        downstream = DownstreamConfig(name="search", target=target)
        if breaker is not None:
            downstream = DownstreamConfig(name="search", target=target, breaker=breaker)
        search = RuleSearch(downstream)
    try:
        async with channel_to(build_server(LOCAL, search=search, audit=config)) as channel:
            yield audit_pb2_grpc.AuditServiceStub(channel)
    finally:
        if search is not None:
            await search.close()


async def judge(
    stub: audit_pb2_grpc.AuditServiceStub,
    situation: str,
    *,
    passages: Sequence[common_pb2.Passage] = (),
    trial: int = audit_pb2.TRIAL_MODE_UNSPECIFIED,
    seconds: float = 20,
) -> tuple[list[str], common_pb2.Verdict]:
    """The stages streamed, in order, and the verdict of the one result at the end."""
    request = audit_pb2.JudgeRequest(situation=situation, passages=passages, trial=trial)  # type: ignore[arg-type]
    responses = [r async for r in stub.Judge(request, timeout=seconds)]
    kinds = [r.WhichOneof("kind") for r in responses]
    assert kinds.count("result") == 1 and kinds[-1] == "result"
    return [r.progress.stage for r in responses[:-1]], responses[-1].result.verdict


async def test_a_late_final_response_is_a_breach_judged_stage_by_stage(
    search_target: str, rule_id: str
) -> None:
    async with audit(search_target) as stub:
        stages, verdict = await judge(stub, LATE)
    assert stages == SOP + TRIAL
    assert verdict.disposition == common_pb2.DISPOSITION_BREACH
    assert verdict.sop_disposition == common_pb2.DISPOSITION_BREACH
    # The rule it rests on is cited first, as [1], and the summary cites it.
    assert verdict.citations[0].source_id == rule_id and verdict.citations[0].index == 1
    assert [c.index for c in verdict.citations] == list(range(1, len(verdict.citations) + 1))
    assert "[1]" in verdict.summary
    # Facts carry the span they were read from; the check names the facts that decided it.
    assert [f.id for f in verdict.facts] == [f"f{i}" for i in range(1, len(verdict.facts) + 1)]
    for fact in verdict.facts:
        assert LATE[fact.span.start : fact.span.end].strip()
    deciding = verdict.assessments[0]
    assert deciding.rule.source_id == rule_id
    assert deciding.applicability == common_pb2.APPLICABILITY_APPLIES
    assert deciding.compliance == common_pb2.COMPLIANCE_NOT_MET
    assert set(deciding.fact_ids) <= {f.id for f in verdict.facts} and deciding.fact_ids
    roles = [t.role for t in verdict.trial]
    assert roles == [
        common_pb2.TRIAL_ROLE_DEFENSE,
        common_pb2.TRIAL_ROLE_PROSECUTION,
        common_pb2.TRIAL_ROLE_JUDGE,
    ]
    assert verdict.trial[-1].upheld
    # The outcome rests on the findings under the rule: most ended in penalties.
    assert {p.finding_id: p.outcome for p in verdict.precedents} == {f: o for f, o, _ in PRECEDENTS}
    # Each names the rule it was found under, not its own reference.
    assert all(list(p.rule_refs) == ["COBS 19.22.1.(2)"] for p in verdict.precedents)
    outcome = verdict.recommended_outcome
    assert outcome.kind == common_pb2.OUTCOME_KIND_FINANCIAL_PENALTY
    assert (outcome.penalty_low, outcome.penalty_high, outcome.currency) == (40_000, 60_000, "USD")
    assert set(outcome.precedent_ids) == {"FD09001", "FD09002"}
    cited = {c.index for c in verdict.citations}
    assert all(p.citation_index in cited for p in verdict.precedents)


async def test_a_response_in_time_is_compliant_and_holds_no_trial(
    search_target: str, rule_id: str
) -> None:
    async with audit(search_target) as stub:
        stages, verdict = await judge(stub, IN_TIME)
    assert stages == SOP
    assert verdict.disposition == common_pb2.DISPOSITION_COMPLIANT
    assert verdict.citations[0].source_id == rule_id
    assert not verdict.trial and not verdict.HasField("recommended_outcome")


async def test_without_the_dates_it_is_insufficient_information_naming_what_is_missing(
    search_target: str,
) -> None:
    async with audit(search_target) as stub:
        _, verdict = await judge(stub, UNDATED)
    assert verdict.disposition == common_pb2.DISPOSITION_INSUFFICIENT_INFORMATION
    assert verdict.missing_facts


async def test_the_trial_mode_of_a_request_wins(search_target: str) -> None:
    async with audit(search_target) as stub:
        never, breach = await judge(stub, LATE, trial=audit_pb2.TRIAL_MODE_NEVER)
        always, compliant = await judge(stub, IN_TIME, trial=audit_pb2.TRIAL_MODE_ALWAYS)
    assert never == SOP and breach.disposition == common_pb2.DISPOSITION_BREACH
    assert not breach.trial
    assert always == SOP + TRIAL and len(compliant.trial) == 3


async def test_the_passages_a_request_brings_are_judged_without_a_search(
    rows: list[dict[str, object]], rule_id: str
) -> None:
    row = next(r for r in rows if r["id"] == rule_id)
    meta = row["metadata"]
    assert isinstance(meta, dict)
    passage = common_pb2.Passage(
        id=rule_id,
        source_id=rule_id,
        rulebook=str(meta["document_short"]),
        passage_ref=str(meta["passage_id"]),
        text=str(row["text"]),
        doc_type="rule",
    )
    async with audit(None) as stub:
        _, verdict = await judge(stub, LATE, passages=[passage])
    assert verdict.disposition == common_pb2.DISPOSITION_BREACH
    assert verdict.citations[0].source_id == rule_id


async def test_search_down_ends_in_insufficient_information_that_says_why() -> None:
    async with audit(NOWHERE) as stub:
        stages, verdict = await judge(stub, LATE)
    assert stages == SOP
    assert verdict.disposition == common_pb2.DISPOSITION_INSUFFICIENT_INFORMATION
    assert "search is unavailable" in verdict.summary
    assert "127.0.0.1" not in verdict.summary


async def test_an_open_breaker_is_said_and_calls_no_more() -> None:
    breaker = BreakerConfig(window_size=2, minimum_calls=1, open_seconds=60, half_open_calls=1)
    async with audit(NOWHERE, breaker=breaker) as stub:
        await judge(stub, LATE)
        _, verdict = await judge(stub, LATE)
    assert verdict.disposition == common_pb2.DISPOSITION_INSUFFICIENT_INFORMATION
    assert "CIRCUIT_OPEN" in verdict.summary


async def test_a_search_out_of_time_is_said_and_the_verdict_still_comes(search_target: str) -> None:
    # The searches may use a sliver of the budget: they run out of time, the SOP goes on.
    config = AuditConfig(search_share=0.00001)
    async with audit(search_target, config=config) as stub:
        _, verdict = await judge(stub, LATE, seconds=5)
    assert verdict.disposition == common_pb2.DISPOSITION_INSUFFICIENT_INFORMATION
    assert "did not answer in time" in verdict.summary


@pytest.mark.parametrize(
    ("situation", "passages", "field"),
    [
        ("", 0, "situation"),
        ("  \n ", 0, "situation"),
        ("x" * 8001, 0, "situation"),
        ("A firm filed late.\x00", 0, "situation"),
        ("A firm \x1b[31mfiled late.", 0, "situation"),
        ("A firm filed late.", 51, "passages"),
    ],
    ids=["empty", "blank", "too-long", "nul", "escape", "too-many-passages"],
)
async def test_bad_input_is_invalid_argument_naming_the_field(
    situation: str, passages: int, field: str
) -> None:
    async with audit(None) as stub:
        many = [common_pb2.Passage(text="x")] * passages
        error = await assert_invalid_argument(judge(stub, situation, passages=many), field)
    assert "xxx" not in (error.details() or "")  # the caller's text is never echoed

"""`arbiter eval-judge` over real RPCs: the CLI's parsing, exit codes and reports, direct
(Research then Judge) and through the real gateway and planner.

The audit and search services here are STAND-INS, started in this process on
127.0.0.1:0: scripted verdicts and passages per situation. They exist because the real
audit service is being built alongside this tool (its Judge answered UNIMPLEMENTED when
this was written); what these tests check is the tool's side of the contract (which
requests it makes, how it reads and scores what comes back), not judgement quality."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
from arbiter.audit.v1 import audit_pb2, audit_pb2_grpc
from arbiter.common.v1 import common_pb2
from arbiter.search.v1 import search_pb2, search_pb2_grpc
from arbiter_cli.eval_judge import JUDGEMENT_QUESTION
from arbiter_cli.main import main
from arbiter_gateway.__main__ import gateway_server
from arbiter_gateway.config import GatewayConfig
from arbiter_kit.client import DownstreamConfig
from arbiter_llm import OfflineLLM
from arbiter_planner.__main__ import build_server as planner_server

from tests.support.servers import LOCAL

RULE = "aaaaaaaa-0000-4000-8000-000000000001"
DEFINITION = "aaaaaaaa-0000-4000-8000-000000000002"
OTHER = "aaaaaaaa-0000-4000-8000-000000000003"
NOWHERE = "127.0.0.1:1"
"""A loopback address where nothing listens."""

LATE = (
    "An ADGM payment service provider received a complaint on 1 June 2023 and sent its "
    "final resolution on 29 June 2023."
)
PROMPT = "A Recognised Body submitted its auditor's report three months after its year end."
UNSAID = "A bank onboarded a trust customer whose risk rating the file does not give."
BROKEN = "A fund manager raised its fee without asking the unitholders."
CASES = [
    ("C1", LATE, "BREACH", [RULE], ["COBS 19.22.1.(2)"]),
    ("C2", PROMPT, "COMPLIANT", [RULE, DEFINITION], ["GEN 6.6.2"]),
    ("C3", UNSAID, "INSUFFICIENT_INFORMATION", [RULE], ["AML 8.1.1.(3)"]),
    ("C4", BROKEN, "BREACH", [RULE], ["FUNDS PART 5.12.13.3"]),
]


def passage(source_id: str) -> common_pb2.Passage:
    return common_pb2.Passage(
        id=f"{source_id}#0", source_id=source_id, rulebook="COBS", text="A rule.", score=1.0
    )


def verdict(
    disposition: common_pb2.Disposition, *cited: str, trial: bool = False
) -> common_pb2.Verdict:
    citations = [common_pb2.Citation(index=i, source_id=s) for i, s in enumerate(cited, 1)]
    turns = [
        common_pb2.TrialTurn(role=role, text="...")
        for role in (
            common_pb2.TRIAL_ROLE_DEFENSE,
            common_pb2.TRIAL_ROLE_PROSECUTION,
            common_pb2.TRIAL_ROLE_JUDGE,
        )
    ]
    return common_pb2.Verdict(
        disposition=disposition,
        sop_disposition=disposition,
        citations=citations,
        assessments=[common_pb2.RuleAssessment(rule=c) for c in citations],
        trial=turns if trial else [],
        missing_facts=["how the customer was rated"]
        if disposition == common_pb2.DISPOSITION_INSUFFICIENT_INFORMATION
        else [],
    )


VERDICTS = {
    # Right, cites the rule, a trial.
    LATE: verdict(common_pb2.DISPOSITION_BREACH, RULE, trial=True),
    # Wrong (a false accusation), cites the definition only, a trial.
    PROMPT: verdict(common_pb2.DISPOSITION_BREACH, DEFINITION, trial=True),
    # Right, cites nothing governing.
    UNSAID: verdict(common_pb2.DISPOSITION_INSUFFICIENT_INFORMATION, OTHER),
    # BROKEN: no script, the stand-in fails the call.
}
FOUND = {LATE: [RULE, OTHER], PROMPT: [OTHER], UNSAID: [RULE], BROKEN: [RULE]}


def scripted(table: Mapping[str, object], text: str) -> object | None:
    return next((v for k, v in table.items() if k in text), None)


@dataclass
class StandInSearch(search_pb2_grpc.SearchServiceServicer):  # type: ignore[misc]
    """Research for these tests: the passages FOUND scripts for the situation asked."""

    queries: list[search_pb2.ResearchRequest] = field(default_factory=list)

    async def Research(
        self, request: search_pb2.ResearchRequest, context: grpc.aio.ServicerContext[object, object]
    ) -> AsyncIterator[search_pb2.ResearchResponse]:
        self.queries.append(request)
        yield search_pb2.ResearchResponse(progress=common_pb2.Progress(stage="retrieve"))
        ids = scripted(FOUND, request.query) or []
        assert isinstance(ids, list)
        result = search_pb2.ResearchResult(passages=[passage(i) for i in ids])
        yield search_pb2.ResearchResponse(result=result)


@dataclass
class StandInAudit(audit_pb2_grpc.AuditServiceServicer):  # type: ignore[misc]
    """STAND-IN for the audit service being built: the verdict VERDICTS scripts for the
    situation, INTERNAL for one it does not script."""

    requests: list[audit_pb2.JudgeRequest] = field(default_factory=list)

    async def Judge(
        self, request: audit_pb2.JudgeRequest, context: grpc.aio.ServicerContext[object, object]
    ) -> AsyncIterator[audit_pb2.JudgeResponse]:
        self.requests.append(request)
        yield audit_pb2.JudgeResponse(progress=common_pb2.Progress(stage="facts"))
        found = scripted(VERDICTS, request.situation)
        if not isinstance(found, common_pb2.Verdict):
            await context.abort(grpc.StatusCode.INTERNAL, "no verdict scripted")
            return
        yield audit_pb2.JudgeResponse(result=audit_pb2.JudgeResult(verdict=found))


@dataclass
class StandIns:
    search: StandInSearch
    audit: StandInAudit
    search_target: str
    audit_target: str


@pytest.fixture
async def stand_ins() -> AsyncIterator[StandIns]:
    server = grpc.aio.server()
    search, audit = StandInSearch(), StandInAudit()
    search_pb2_grpc.add_SearchServiceServicer_to_server(search, server)
    audit_pb2_grpc.add_AuditServiceServicer_to_server(audit, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    target = f"127.0.0.1:{port}"
    try:
        yield StandIns(search, audit, target, target)
    finally:
        await server.stop(0)


@pytest.fixture
def cases_file(tmp_path: Path) -> Path:
    path = tmp_path / "cases.jsonl"
    rows = [
        {"id": i, "situation": s, "expected": e, "governing": g, "rule_refs": r}
        for i, s, e, g, r in CASES
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


async def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = await asyncio.to_thread(main, ["eval-judge", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def direct(s: StandIns, cases: Path, *flags: str) -> list[str]:
    return ["--cases", str(cases), "--direct", "--search", s.search_target, "--audit",
            s.audit_target, *flags]  # fmt: skip


def share(node: object) -> tuple[int, int]:
    assert isinstance(node, dict)
    return node["hits"], node["total"]


async def test_direct_scores_every_case_and_lists_the_failed_one(
    stand_ins: StandIns, cases_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = await run(capsys, *direct(stand_ins, cases_file, "--json"))
    assert code == 1, err  # a call failed
    assert "1 calls failed: C4: Judge INTERNAL: no verdict scripted" in err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["cases"] == 4
    assert summary["mode"] == "direct"
    assert share(summary["accuracy"]) == (2, 4)
    assert summary["failed"] == 1
    assert summary["failed_ids"] == ["C4"]
    assert summary["wrong_ids"] == ["C2", "C4"]
    breach = summary["per_label"]["BREACH"]
    assert (breach["true_positives"], breach["predicted"], breach["support"]) == (1, 2, 2)
    assert summary["per_label"]["COMPLIANT"]["f1"] == 0.0
    assert summary["per_label"]["INSUFFICIENT_INFORMATION"]["f1"] == 1.0
    assert summary["macro_f1"] == pytest.approx((0.5 + 0.0 + 1.0) / 3, abs=1e-4)
    assert share(summary["citation_recall"]) == (2, 4)  # C1 cites the rule, C2 the definition
    assert share(summary["citation_recall_correct"]) == (1, 2)
    assert share(summary["research_recall"]) == (3, 4)  # C2's research found neither; C4's is kept
    assert summary["research_recall_from"] == "the research step's passages"
    assert share(summary["trial_rate"]) == (2, 3)
    assert summary["judge_p50_ms"] is not None
    assert summary["p99_ms"] >= summary["p50_ms"] > 0
    assert set(summary["per_rulebook"]) == {"COBS", "GEN", "AML", "FUNDS"}
    assert share(summary["per_rulebook"]["GEN"]["citation_recall"]) == (1, 1)
    per_case = {c["id"]: c for c in summary["per_case"]}
    assert per_case["C3"]["missing_facts"] == ["how the customer was rated"]
    assert (per_case["C4"]["got"], per_case["C4"]["cited_governing"]) == ("ERROR", False)


async def test_direct_judges_what_research_found_for_the_situation(
    stand_ins: StandIns, cases_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = await run(capsys, *direct(stand_ins, cases_file, "--limit", "1"))
    assert code == 0, err
    # One untimed warm-up call, then the case: the same requests both times.
    assert [q.query for q in stand_ins.search.queries] == [LATE, LATE]
    assert all(not q.filters for q in stand_ins.search.queries)
    judged = stand_ins.audit.requests[-1]
    assert judged.situation == LATE
    assert [p.source_id for p in judged.passages] == [RULE, OTHER]


async def test_the_human_report_names_each_case(
    stand_ins: StandIns, cases_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = await run(capsys, *direct(stand_ins, cases_file))
    assert code == 1
    assert "4 cases; direct via search" in out
    assert "disposition accuracy" in out and "0.500 (2/4)" in out
    assert "macro-F1" in out and "trial rate" in out and "p50 / p99 Judge alone" in out
    lines = out.splitlines()
    assert any("WRONG C2" in line and "COMPLIANT" in line and "BREACH" in line for line in lines)
    assert any("ok    C1" in line and " cited" in line for line in lines)
    assert any("WRONG C4" in line and "ERROR" in line for line in lines)
    assert "failed 1: C4: Judge INTERNAL" in out
    assert "FUNDS" in out and "0/1" in out


async def test_an_unreachable_service_exits_3(
    stand_ins: StandIns, cases_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--cases", str(cases_file), "--direct", "--search", stand_ins.search_target]
    code, out, err = await run(capsys, *argv, "--audit", NOWHERE)
    assert (code, out) == (3, "")
    assert f"audit is not reachable at {NOWHERE}" in err
    code, _, err = await run(capsys, "--cases", str(cases_file), "--gateway", NOWHERE)
    assert code == 3
    assert f"gateway is not reachable at {NOWHERE}" in err
    assert stand_ins.audit.requests == []


async def test_a_bad_case_file_exits_2_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"id": "X", "situation": "s", "expected": "GUILTY"}) + "\n")
    code, out, err = await run(capsys, "--cases", str(path), "--direct")
    assert (code, out) == (2, "")
    assert f"{path}:1: not a JSON object with" in err


async def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        await run(capsys, "--cases", "x.jsonl", "--concurrency", "0")
    assert exited.value.code == 2


# --- through the gateway ---


@pytest.fixture
async def gateway(stand_ins: StandIns) -> AsyncIterator[str]:
    """The real gateway and offline planner on 127.0.0.1:0, calling the stand-ins;
    analysis nowhere, so each answer lacks its synthesis but keeps its verdict."""
    planner = planner_server(LOCAL, OfflineLLM())
    planner_target = f"127.0.0.1:{await planner.start()}"
    targets = {
        "planner": planner_target,
        "search": stand_ins.search_target,
        "audit": stand_ins.audit_target,
        "analysis": NOWHERE,
    }
    downstreams = {name: DownstreamConfig(name=name, target=t) for name, t in targets.items()}
    config = dataclasses.replace(GatewayConfig(), **downstreams)  # type: ignore[arg-type]
    try:
        async with gateway_server(config, LOCAL) as server:
            port = await server.start()
            try:
                yield f"127.0.0.1:{port}"
            finally:
                await server.stop(0)
    finally:
        await planner.stop(0)


async def test_through_the_gateway_the_final_verdict_is_scored(
    stand_ins: StandIns, gateway: str, cases_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--cases", str(cases_file), "--gateway", gateway, "--json", "--timeout", "60"]
    code, out, err = await run(capsys, *argv)
    summary = json.loads(out.strip().splitlines()[-1])
    # C4's judge step fails inside the gateway: no verdict, not a failed call.
    assert code == 0, err
    assert summary["mode"] == "gateway"
    assert summary["failed"] == 0
    assert summary["no_verdict_ids"] == ["C4"]
    per_case = {c["id"]: c for c in summary["per_case"]}
    assert per_case["C4"]["got"] == "NONE"
    assert "no verdict: planned as JUDGEMENT" in per_case["C4"]["note"]
    assert [per_case[i]["got"] for i in ("C1", "C2", "C3")] == [
        "BREACH",
        "BREACH",
        "INSUFFICIENT_INFORMATION",
    ]
    assert share(summary["accuracy"]) == (2, 4)
    assert share(summary["citation_recall"]) == (2, 4)
    # Research recall from the rules the verdict assesses: C1's rule, C2's definition.
    assert share(summary["research_recall"]) == (2, 4)
    assert "assesses" in summary["research_recall_from"]
    assert summary["judge_p50_ms"] is None
    # The situation was asked as a question, and judged with what research found.
    judged = next(r for r in stand_ins.audit.requests if LATE in r.situation)
    assert judged.situation.endswith(JUDGEMENT_QUESTION)
    assert RULE in {p.source_id for p in judged.passages}

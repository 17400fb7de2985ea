"""`arbiter eval-judge`: how well the judgement path decides labelled situations, each
asked through the gateway's Ask (the verdict of its final response) or, with `--direct`,
researched by search and judged by the audit service as the gateway's judgement plan
would, scored by the rules of `judge_scoring` and reported by `eval_judge_report`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import grpc
from arbiter.audit.v1 import audit_pb2, audit_pb2_grpc
from arbiter.common.v1 import common_pb2
from arbiter.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from arbiter.search.v1 import search_pb2, search_pb2_grpc
from arbiter_kit.addresses import local_target

from arbiter_cli.eval import bounded, duration
from arbiter_cli.eval_inputs import InputError
from arbiter_cli.eval_judge_report import JudgeSummary
from arbiter_cli.findings import Refused
from arbiter_cli.judge_scoring import FAILED, LABELS, NO_VERDICT, Case, Judged, Scored, read_cases

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
MAX_CONCURRENCY = 16
CONNECT_TIMEOUT_SECONDS = 10.0
JUDGEMENT_QUESTION = "Is this a breach of the rules?"
"""Asked after a situation that asks nothing itself, as a user would: a description alone
reads to the planner as research, not as something to judge."""

Judge = Callable[[Case], Awaitable[Judged]]
"""One case through the judgement path: what it got."""


def as_question(situation: str) -> str:
    """The situation as a user asks it: with JUDGEMENT_QUESTION unless it asks already."""
    text = situation.strip()
    return text if text.endswith("?") else f"{text} {JUDGEMENT_QUESTION}"


def _disposition(value: int) -> str:
    name = common_pb2.Disposition.Name(value).removeprefix("DISPOSITION_")
    return name if name in LABELS else NO_VERDICT


def read_verdict(verdict: common_pb2.Verdict, judged: Judged) -> None:
    """What the scoring reads of a verdict: disposition, cited sources, the trial."""
    judged.got = _disposition(verdict.disposition)
    judged.cited = frozenset(c.source_id for c in verdict.citations if c.source_id)
    judged.trial_turns = len(verdict.trial)
    judged.overturned = bool(verdict.trial) and verdict.sop_disposition not in (
        common_pb2.DISPOSITION_UNSPECIFIED,
        verdict.disposition,
    )
    judged.missing_facts = tuple(verdict.missing_facts)
    if judged.got == NO_VERDICT:
        judged.note = "the verdict has no disposition"


# --- the two paths ---


async def judge_direct(
    search: search_pb2_grpc.SearchServiceStub,
    audit: audit_pb2_grpc.AuditServiceStub,
    case: Case,
    seconds: float,
) -> Judged:
    """Research on the situation (the request the gateway's judgement plan makes), then
    Judge with what it found; both within `seconds`. A failed Judge keeps what research
    found (its recall is research's own measure); the error names the failed call."""
    judged = Judged()
    started = time.perf_counter()
    passages: list[common_pb2.Passage] = []
    request = search_pb2.ResearchRequest(query=case.situation)
    try:
        async for response in search.Research(request, timeout=seconds):
            if response.HasField("result"):
                passages = list(response.result.passages)
    except grpc.aio.AioRpcError as exc:
        return Judged(got=FAILED, note=f"Research {exc.code().name}: {exc.details()}")
    judged.researched = frozenset(p.source_id for p in passages if p.source_id)
    left = max(seconds - (time.perf_counter() - started), 0.001)
    judging = time.perf_counter()
    judge = audit_pb2.JudgeRequest(situation=case.situation, passages=passages)
    try:
        async for answer in audit.Judge(judge, timeout=left):
            if answer.HasField("result"):
                read_verdict(answer.result.verdict, judged)
                judged.judge_seconds = time.perf_counter() - judging
    except grpc.aio.AioRpcError as exc:
        judged.got, judged.note = FAILED, f"Judge {exc.code().name}: {exc.details()}"
    judged.seconds = time.perf_counter() - started
    if judged.judge_seconds is None and not judged.failed:
        judged.note = "Judge ended without a result"
    return judged


async def judge_via_gateway(
    gateway: gateway_pb2_grpc.GatewayServiceStub, case: Case, seconds: float
) -> Judged:
    """Ask the situation as a question; the verdict of the final response. The rules its
    assessments list stand for what research found (the stream does not carry them)."""
    judged = Judged()
    started = time.perf_counter()
    request = gateway_pb2.AskRequest(question=as_question(case.situation))
    judged.note = "the stream ended without a final response"
    async for response in gateway.Ask(request, timeout=seconds):
        event = response.event
        kind = event.WhichOneof("payload")
        if kind in ("error", "final_response"):
            judged.note = ""
        if kind == "error":
            judged.got = FAILED
            judged.note = f"{event.error.code} {event.error.reason}: {event.error.message}"
        elif kind == "final_response":
            final = event.final_response
            if final.HasField("verdict"):
                read_verdict(final.verdict, judged)
                judged.researched = frozenset(
                    a.rule.source_id for a in final.verdict.assessments if a.rule.source_id
                )
            else:
                intent = common_pb2.Intent.Name(final.intent).removeprefix("INTENT_")
                judged.note = f"no verdict: planned as {intent}"
            if final.missing:
                judged.note = "; ".join(filter(None, [judged.note, *final.missing]))
    judged.seconds = time.perf_counter() - started
    return judged


@dataclass(frozen=True)
class Targets:
    """Where the path under test is: the gateway, or (`direct`) search and audit."""

    direct: bool
    gateway: str
    search: str
    audit: str

    @property
    def where(self) -> str:
        if self.direct:
            return f"search {self.search} then audit {self.audit}"
        return f"gateway {self.gateway}"


async def _reachable(channel: grpc.aio.Channel, name: str, target: str) -> None:
    """Connect now: a refused connection is known at once, a silent one after
    CONNECT_TIMEOUT_SECONDS; either is Refused with EXIT_UNREACHABLE."""

    async def connected() -> bool:
        state = channel.get_state(try_to_connect=True)
        while state != grpc.ChannelConnectivity.READY:
            if state == grpc.ChannelConnectivity.TRANSIENT_FAILURE:
                return False
            await channel.wait_for_state_change(state)
            state = channel.get_state(try_to_connect=True)
        return True

    try:
        ready = await asyncio.wait_for(connected(), CONNECT_TIMEOUT_SECONDS)
    except TimeoutError:
        ready = False
    if not ready:
        raise Refused(f"{name} is not reachable at {target}", EXIT_UNREACHABLE)


@contextlib.asynccontextmanager
async def judge_path(targets: Targets, seconds: float) -> AsyncIterator[Judge]:
    """The judgement path `targets` name, its services checked reachable (Refused with
    EXIT_UNREACHABLE if not), as a function of a case."""
    names = ("search", "audit") if targets.direct else ("gateway",)
    async with contextlib.AsyncExitStack() as stack:
        channels = {}
        for name in names:
            target = getattr(targets, name)
            channel = await stack.enter_async_context(grpc.aio.insecure_channel(target))
            await _reachable(channel, name, target)
            channels[name] = channel
        if targets.direct:
            search = search_pb2_grpc.SearchServiceStub(channels["search"])
            audit = audit_pb2_grpc.AuditServiceStub(channels["audit"])
            yield lambda case: judge_direct(search, audit, case, seconds)
        else:
            gateway = gateway_pb2_grpc.GatewayServiceStub(channels["gateway"])
            yield lambda case: judge_via_gateway(gateway, case, seconds)


async def judge_all(
    cases: Sequence[Case],
    judge: Judge,
    *,
    concurrency: int,
    on_done: Callable[[int], None] = lambda n: None,
) -> list[Judged]:
    """Every case through `judge`, at most `concurrency` in flight, after one untimed
    warm-up call; a failed call becomes a Judged that says so (never dropped)."""
    if cases:
        with contextlib.suppress(grpc.aio.AioRpcError):
            await judge(cases[0])
    gate = asyncio.Semaphore(concurrency)
    done = 0

    async def one(case: Case) -> Judged:
        nonlocal done
        async with gate:
            try:
                judged = await judge(case)
            except grpc.aio.AioRpcError as exc:
                judged = Judged(got=FAILED, note=f"{exc.code().name}: {exc.details()}")
        done += 1
        on_done(done)
        return judged

    return list(await asyncio.gather(*(one(c) for c in cases)))


# --- the command ---


async def evaluate(cases: Sequence[Case], targets: Targets, args: argparse.Namespace) -> int:
    """Judge every case, score, print; the exit code."""
    live = sys.stderr.isatty()

    def progress(done: int) -> None:
        if live:
            print(f"\r{done}/{len(cases)} cases", end="", file=sys.stderr, flush=True)

    started = time.perf_counter()
    async with judge_path(targets, args.timeout) as judge:
        judged = await judge_all(cases, judge, concurrency=args.concurrency, on_done=progress)
    if live:
        print(file=sys.stderr)
    scored = [Scored(c, j) for c, j in zip(cases, judged, strict=True)]
    mode = "direct" if targets.direct else "gateway"
    summary = JudgeSummary(scored, mode, targets.where, time.perf_counter() - started)
    print(json.dumps(summary.to_json()) if args.json else summary.table(), flush=True)
    if summary.errors:
        print(
            f"arbiter eval-judge: {len(summary.errors)} calls failed: {summary.errors[0]}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK


def command(args: argparse.Namespace) -> int:
    """`arbiter eval-judge`: exit 0 done, 1 some calls failed, 2 bad arguments or case
    file, 3 a service unreachable."""
    try:
        cases = read_cases(Path(args.cases))
    except InputError as exc:
        print(f"arbiter eval-judge: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.limit:
        cases = cases[: args.limit]
    targets = Targets(args.direct, args.gateway, args.search, args.audit)
    try:
        return asyncio.run(evaluate(cases, targets, args))
    except Refused as refused:
        print(f"arbiter eval-judge: {refused}", file=sys.stderr)
        return refused.exit_code


def add_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `arbiter eval-judge` on the CLI's subcommands."""
    e = sub.add_parser(
        "eval-judge",
        help="measure the judgement path's dispositions and citations on labelled situations",
        description="Judge each labelled situation through the gateway (or, with --direct, "
        "search's Research then audit's Judge) and report disposition accuracy, per-label "
        "precision / recall / F1, macro-F1, citation and research recall of the governing "
        "passages, trial rate, latency p50/p99, per rulebook and per case.",
    )
    e.add_argument(
        "--cases",
        required=True,
        help="JSONL: {id, situation, expected, governing, rule_refs} a line "
        "(../shared/data/judgement/scenarios_dev.jsonl)",
    )
    e.add_argument("--json", action="store_true", help="one JSON object on the last line")
    e.add_argument("--limit", type=bounded(0, 10**9), default=0, help="first N cases (0: all)")
    e.add_argument("--direct", action="store_true", help="Research then Judge, without the gateway")
    e.add_argument("--concurrency", type=bounded(1, MAX_CONCURRENCY), default=1)
    e.add_argument("--timeout", type=duration, default=120.0, help="seconds per case (default 120)")
    env = os.environ.get
    e.add_argument("--gateway", default=env("ARBITER_GATEWAY") or local_target("gateway"))
    e.add_argument("--search", default=env("ARBITER_SEARCH") or local_target("search"))
    e.add_argument("--audit", default=env("ARBITER_AUDIT") or local_target("audit"))
    e.set_defaults(func=command)

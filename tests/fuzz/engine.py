"""The fuzz run: every RPC of the chosen services gets a warm-up batch, then its full
count of hostile calls, a bounded number in flight; health is checked as it goes and
each service's memory after the run is held against its warm level. Used by
tests/fuzz/test_fuzz.py (a bounded count) and scripts/fuzz.py (`make fuzz`)."""

from __future__ import annotations

import asyncio
import functools
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass

from google.protobuf.message import Message

from tests.fuzz import vitals
from tests.fuzz.calls import Connection, send, shrink
from tests.fuzz.checks import caller_text, problems
from tests.fuzz.report import Failure, Report, RpcReport, ServiceReport
from tests.fuzz.requests import Request, RequestMaker
from tests.fuzz.rpcs import Rpc, all_rpcs
from tests.fuzz.seeds import open_session, seed_requests
from tests.fuzz.values import Values

MiB = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    """How hard and how long to fuzz."""

    calls_per_rpc: int = 10_000
    """Calls per RPC after the warm-up."""
    warmup_per_rpc: int = 1_000
    """Calls per RPC before each service's warm memory level is read."""
    seed: int = 0
    """Every request follows from (seed, RPC, phase, index): a run is reproducible."""
    concurrency: int = 8
    """Calls in flight at once."""
    deadline: float = 10.0
    """Seconds one call may take."""
    max_string_chars: int = 4 * MiB
    """Longest string drawn: the message limit's order of magnitude (16 MiB), bounded."""
    health_every: int = 50
    """Calls between two health checks of every service."""
    memory_tolerance: float = 0.10
    """Growth over the warm level a service may keep (issue 7, item 6)."""
    memory_allowance: int = 16 * MiB
    """Absolute growth allowed on top, for levels that are set by the largest message
    seen rather than by the number of calls: pymalloc arenas kept by one live object,
    gRPC's and the event loop's buffers, per-thread caches. A short warm-up may not have
    reached them; 10% of a 45 MiB service would not cover them."""
    settle_seconds: float = 15.0
    """How long memory may take to come back after the last call."""
    shrink_tries: int = 40
    """Calls spent shrinking the first request of each kind of failure."""
    services: frozenset[str] | None = None
    """The services to fuzz (None: all)."""


@dataclass(frozen=True)
class Target:
    """A running service process: where it listens, which pid to measure."""

    address: str
    pid: int


class Fuzzer:
    """One run over a set of running services."""

    def __init__(self, targets: Mapping[str, Target], settings: Settings) -> None:
        self.targets = dict(targets)
        self.settings = settings
        chosen = settings.services
        self.rpcs = [
            r for r in all_rpcs() if r.service in targets and (not chosen or r.service in chosen)
        ]
        self.channels: dict[str, Connection] = {}
        self.seeds: dict[str, list[list[Message]]] = {}
        self.report = Report(
            rpcs={r.name: RpcReport(r.name, r.service) for r in self.rpcs},
            services={s: ServiceReport(s) for s in sorted({r.service for r in self.rpcs})},
        )
        self.completed = 0

    async def run(self) -> Report:
        self.channels = {name: Connection(t.address) for name, t in self.targets.items()}
        try:
            live: dict[str, str] = {"session_id": "", "resume_token": ""}
            if "gateway" in self.channels:
                live = await open_session(
                    self.channels["gateway"].aio, deadline=self.settings.deadline * 3
                )
            self.seeds = {r.name: seed_requests(r, live) for r in self.rpcs}
            for rpc in self.rpcs:
                await self._batch(rpc, "warm", self.settings.warmup_per_rpc)
            await self._check_health("after the warm-up")
            for name, service in self.report.services.items():
                service.rss_warm = vitals.rss_bytes(self.targets[name].pid)
            for rpc in self.rpcs:
                await self._batch(rpc, "main", self.settings.calls_per_rpc)
            await self._check_health("after the last call")
            await self._settle_memory()
        finally:
            for channel in self.channels.values():
                await channel.close()
        return self.report

    async def _batch(self, rpc: Rpc, phase: str, calls: int) -> None:
        indices = iter(range(calls))

        async def worker() -> None:
            for index in indices:
                await self._one(rpc, phase, index)

        await asyncio.gather(*(worker() for _ in range(self.settings.concurrency)))

    def request(self, rpc: Rpc, phase: str, index: int) -> Request:
        """The request of call `index` of `phase` for `rpc`: the same for the same seed."""
        rng = random.Random(f"{self.settings.seed}/{rpc.name}/{phase}/{index}")
        values = Values(rng, max_string_chars=self.settings.max_string_chars)
        return RequestMaker(rpc, self.seeds[rpc.name], values).make()

    async def _one(self, rpc: Rpc, phase: str, index: int) -> None:
        request = self.request(rpc, phase, index)
        found = await self._problems(rpc, request)
        stats = self.report.rpcs[rpc.name]
        stats.calls += 1
        stats.warmup_calls += phase == "warm"
        stats.codes[found.code] += 1
        for what, evidence in found.problems:
            await self._record(rpc, request, what, evidence, f"{phase} call {index}")
        self.completed += 1
        if self.completed % self.settings.health_every == 0:
            await self._check_health(f"while fuzzing {rpc.name} ({phase} call {index})")

    async def _problems(self, rpc: Rpc, request: Request) -> _Found:
        answer = await send(
            self.channels[rpc.service], rpc, request, deadline=self.settings.deadline
        )
        sent = functools.cache(lambda: caller_text(request.messages, request.payloads))
        return _Found(answer.code, problems(answer, sent))

    async def _record(
        self, rpc: Rpc, request: Request, what: str, evidence: str, call: str
    ) -> None:
        failures = self.report.rpcs[rpc.name].failures
        key = f"{what}: {_shape(evidence)}"
        if key in failures:
            failures[key].count += 1
            return
        failure = Failure(what=what, evidence=evidence[:300], call=f"{call}, {request.kind}")
        failures[key] = failure

        async def still_fails(candidate: Request) -> bool:
            found = await self._problems(rpc, candidate)
            return any(w == what for w, _ in found.problems)

        smallest = await shrink(request, still_fails, budget=self.settings.shrink_tries)
        failure.reproducer = smallest.describe()

    async def _check_health(self, when: str) -> None:
        checks = {name: vitals.healthy(ch.aio) for name, ch in self.channels.items()}
        for name, why in zip(checks, await asyncio.gather(*checks.values()), strict=True):
            if why is not None and name in self.report.services:
                self.report.services[name].health_failures.append(f"{when}: {why}")

    async def _settle_memory(self) -> None:
        """Read each service's memory until it is within bounds or settle time is up."""
        s = self.settings
        loop = asyncio.get_running_loop()
        give_up = loop.time() + s.settle_seconds
        while True:
            for name, service in self.report.services.items():
                service.rss_after = vitals.rss_bytes(self.targets[name].pid)
                service.rss_limit = (
                    int(service.rss_warm * (1 + s.memory_tolerance)) + s.memory_allowance
                )
            settled = all(v.rss_after <= v.rss_limit for v in self.report.services.values())
            if settled or loop.time() >= give_up:
                return
            await asyncio.sleep(0.5)


@dataclass(frozen=True)
class _Found:
    code: str
    problems: list[tuple[str, str]]


def _shape(evidence: str) -> str:
    """The evidence with quoted values and numbers blanked: one line per kind of failure."""
    return re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "…", evidence)[:120]


async def fuzz(targets: Mapping[str, Target], settings: Settings) -> Report:
    return await Fuzzer(targets, settings).run()

"""What a fuzz run saw: per RPC the calls, the status codes and each kind of failure
with a small request that reproduces it; per service its health and memory."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

MiB = 1024 * 1024


@dataclass
class Failure:
    """One kind of failure of one RPC: the first call that showed it, shrunk."""

    what: str
    """INTERNAL, UNKNOWN, `leak of ...`, ..."""
    evidence: str
    """The status message or text that showed it."""
    call: str
    """Which call first showed it (phase, index, kind of request)."""
    reproducer: str = ""
    count: int = 1


@dataclass
class RpcReport:
    name: str
    service: str
    calls: int = 0
    """Every call made, the warm-up's included."""
    warmup_calls: int = 0
    codes: Counter[str] = field(default_factory=Counter)
    failures: dict[str, Failure] = field(default_factory=dict)


@dataclass
class ServiceReport:
    name: str
    rss_warm: int = 0
    rss_after: int = 0
    rss_limit: int = 0
    health_failures: list[str] = field(default_factory=list)

    @property
    def grew(self) -> bool:
        return self.rss_after > self.rss_limit


@dataclass
class Report:
    rpcs: dict[str, RpcReport]
    services: dict[str, ServiceReport]

    def failures(self) -> list[str]:
        """One line per failure found; empty when the run is clean."""
        lines = []
        for rpc in self.rpcs.values():
            for f in rpc.failures.values():
                lines.append(
                    f"{rpc.name}: {f.what} x{f.count}: {f.evidence[:160]!r}; "
                    f"reproducer {f.reproducer[:400]} ({f.call})"
                )
        for s in self.services.values():
            lines += [f"{s.name}: health check failed {h}" for h in s.health_failures[:5]]
            if s.grew:
                lines.append(
                    f"{s.name}: memory grew from {s.rss_warm / MiB:.1f} MiB (warm) to "
                    f"{s.rss_after / MiB:.1f} MiB, over the limit of {s.rss_limit / MiB:.1f} MiB"
                )
        return lines

    @property
    def ok(self) -> bool:
        return not self.failures()

    def summary(self) -> str:
        out = [f"{'rpc':30} {'calls':>6}  codes"]
        for rpc in self.rpcs.values():
            codes = ", ".join(f"{c} {n}" for c, n in rpc.codes.most_common())
            out.append(f"{rpc.name:30} {rpc.calls:>6}  {codes}")
            for f in rpc.failures.values():
                out.append(f"  FAIL {f.what} x{f.count}: {f.evidence[:200]!r}")
                out.append(f"       first: {f.call}; reproducer: {f.reproducer[:600]}")
        out.append("")
        out.append(f"{'service':9} {'rss warm':>9} {'rss after':>10} {'limit':>9}  health")
        for s in self.services.values():
            health = "ok" if not s.health_failures else f"{len(s.health_failures)} failed checks"
            out.append(
                f"{s.name:9} {s.rss_warm / MiB:8.1f}M {s.rss_after / MiB:9.1f}M "
                f"{s.rss_limit / MiB:8.1f}M  {health}{'  GREW' if s.grew else ''}"
            )
            out += [f"  {h}" for h in s.health_failures[:5]]
        out.append("")
        out.append("PASS: no failures" if self.ok else f"FAIL: {len(self.failures())} failures")
        return "\n".join(out)

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "rpcs": [
                {
                    "rpc": r.name,
                    "service": r.service,
                    "calls": r.calls,
                    "warmup_calls": r.warmup_calls,
                    "codes": dict(r.codes),
                    "failures": [vars(f) for f in r.failures.values()],
                }
                for r in self.rpcs.values()
            ],
            "services": [{**vars(s), "grew": s.grew} for s in self.services.values()],
        }

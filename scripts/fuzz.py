"""make fuzz: every RPC of every service, 10,000 hostile calls each (by default), against
the suite started as processes on ephemeral ports (analysis on a throwaway findings
database holding the sample); prints what each RPC answered and
every failure with a small reproducing request, and exits 1 on any failure."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the engine lives with its test, in tests/fuzz

from arbiter_cli.findings import throwaway_sample  # noqa: E402

from tests.fuzz.engine import MiB, Settings, fuzz  # noqa: E402
from tests.fuzz.rpcs import all_rpcs  # noqa: E402
from tests.fuzz.suite import running_suite  # noqa: E402


def settings_from(argv: list[str] | None) -> tuple[Settings, argparse.Namespace]:
    services = sorted({r.service for r in all_rpcs()})
    p = argparse.ArgumentParser(prog="scripts/fuzz.py", description=__doc__)
    p.add_argument("--calls-per-rpc", type=int, default=10_000)
    p.add_argument("--warmup-per-rpc", type=int, help="default: a tenth of the calls, 10..1000")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--services", default=",".join(services), help="comma-separated")
    p.add_argument("--concurrency", type=int, default=8, help="calls in flight")
    p.add_argument("--deadline", type=float, default=10.0, help="seconds per call")
    p.add_argument("--max-string-mib", type=float, default=4.0, help="longest string drawn")
    p.add_argument(
        "--embedder", default=None, help="SEARCH_EMBEDDER for the run (default: the service's)"
    )
    p.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an extra setting for the five services (repeatable)",
    )
    p.add_argument("--workdir", help="where the store and logs go (default: a temporary folder)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    args = p.parse_args(argv)
    chosen = frozenset(s for s in args.services.split(",") if s)
    if unknown := chosen - set(services):
        p.error(f"unknown services {sorted(unknown)}; choose from {services}")
    if bad := [e for e in args.env if "=" not in e]:
        p.error(f"--env wants NAME=VALUE, got {bad}")
    warmup = args.warmup_per_rpc
    if warmup is None:
        warmup = min(1_000, max(10, args.calls_per_rpc // 10))
    settings = Settings(
        calls_per_rpc=args.calls_per_rpc,
        warmup_per_rpc=warmup,
        seed=args.seed,
        concurrency=args.concurrency,
        deadline=args.deadline,
        max_string_chars=int(args.max_string_mib * MiB),
        services=chosen,
    )
    return settings, args


def main(argv: list[str] | None = None) -> int:
    settings, args = settings_from(argv)
    with tempfile.TemporaryDirectory(prefix="arbiter-fuzz-") as scratch:
        workdir = Path(args.workdir) if args.workdir else Path(scratch)
        extra_env = dict(e.split("=", 1) for e in args.env)
        with (
            throwaway_sample() as database,
            running_suite(
                workdir, embedder=args.embedder, database=database, extra_env=extra_env
            ) as targets,
        ):
            report = asyncio.run(fuzz(targets, settings))
    if args.json:
        print(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    else:
        print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Every RPC of every service, fuzzed with a bounded count and a fixed seed (`make fuzz`
runs 10,000 per RPC): no INTERNAL or UNKNOWN, no leaked internals, health answered
throughout, memory back within 10% of its warm level."""

from __future__ import annotations

import pytest

from tests.fuzz.engine import Settings, Target, fuzz
from tests.fuzz.rpcs import all_rpcs

pytestmark = pytest.mark.e2e

SETTINGS = Settings(
    calls_per_rpc=50,
    warmup_per_rpc=15,
    seed=7,
    concurrency=8,
    deadline=10.0,
    max_string_chars=256 * 1024,
    health_every=25,
)
"""About a minute on 2 cores; strings up to 256 KiB keep each call cheap."""


async def test_no_hostile_request_gets_an_internal_error_leak_stall_or_growth(
    fuzz_targets: dict[str, Target],
) -> None:
    report = await fuzz(fuzz_targets, SETTINGS)
    print(report.summary())
    assert set(report.rpcs) == {r.name for r in all_rpcs()}
    for rpc in report.rpcs.values():
        assert rpc.calls == SETTINGS.calls_per_rpc + SETTINGS.warmup_per_rpc, rpc.name
    assert report.ok, "\n".join(report.failures())

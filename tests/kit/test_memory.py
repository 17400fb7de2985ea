"""The allocator setting every server makes at start: large freed request buffers go back
to the operating system instead of staying resident (issue 7, item 6)."""

from __future__ import annotations

import logging
import platform
import subprocess
import sys

import pytest
from arbiter_kit import memory
from arbiter_kit.memory import ARENAS, LARGE_BLOCK_BYTES, tune_malloc

from tests.kit.conftest import StartServer
from tests.support.waiting import eventually

glibc_only = pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="the setting is glibc's; elsewhere it does nothing"
)

BURST = """
import sys
from pathlib import Path

from arbiter_kit.memory import tune_malloc

MiB = 1024 * 1024
BLOCKS = 100


def rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise LookupError("no VmRSS")


if sys.argv[1] == "tuned":
    tune_malloc()
# One large request once: by default glibc raises its mmap threshold past this size.
large = b"x" * (8 * MiB)
del large
before = rss()
# A burst of 1 MiB request buffers, with something smaller kept after each of them, as
# a service keeps a session or a log line while a request is decoded.
kept, buffers = [], []
for _ in range(BLOCKS):
    buffers.append(b"x" * MiB)
    kept.append(b"y" * 200_000)
del buffers
print((rss() - before) / MiB - sum(map(len, kept)) / MiB)
"""
"""Prints the MiB still resident after 100 MiB of buffers were freed, beyond what is
still live."""
SETTINGS = {
    "M_TRIM_THRESHOLD": LARGE_BLOCK_BYTES,
    "M_MMAP_THRESHOLD": LARGE_BLOCK_BYTES,
    "M_ARENA_MAX": ARENAS,
}
"""What a service sets when its environment sets none of them."""


def resident_after_burst(mode: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", BURST, mode], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return float(done.stdout)


@glibc_only
def test_freed_large_buffers_are_returned_to_the_system_once_tuned() -> None:
    # By default glibc keeps nearly all of the 100 MiB freed (the check can fail)...
    assert resident_after_burst("default") > 75
    # ...tuned, it hands them back.
    assert resident_after_burst("tuned") < 10


@glibc_only
def test_both_thresholds_and_the_arena_cap_are_set() -> None:
    assert tune_malloc(env={}) == SETTINGS


@glibc_only
def test_an_operators_own_malloc_settings_are_kept() -> None:
    own_threshold = {"MALLOC_MMAP_THRESHOLD_": "65536"}
    assert set(tune_malloc(env=own_threshold)) == {"M_TRIM_THRESHOLD", "M_ARENA_MAX"}
    tunables = {"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=262144:glibc.malloc.arena_max=4"}
    assert set(tune_malloc(env=tunables)) == {"M_MMAP_THRESHOLD"}


@glibc_only
async def test_a_server_sets_them_when_it_starts(
    start_server: StartServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="arbiter_kit.server"):
        await start_server()
    serving = [r for r in caplog.records if r.getMessage() == "serving"]
    assert serving
    assert getattr(serving[-1], "malloc") == SETTINGS  # noqa: B009 (an extra of the log call)


FRAGMENTS = """
import sys
from pathlib import Path

from arbiter_kit.memory import trim, tune_malloc


def rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise LookupError("no VmRSS")


tune_malloc()
# 200 MiB of small request pieces, one in fifty still live: the free memory lies between
# live blocks, where no threshold reaches it.
blocks = [bytes(2000) + bytes([n % 256]) for n in range(100_000)]
kept = blocks[::50]
del blocks
before = rss()
released = trim() if sys.argv[1] == "trim" else False
print(released, (before - rss()) / 2**20)
"""
"""Prints whether `trim()` released anything and the MiB it gave back."""


def given_back(mode: str) -> tuple[bool, float]:
    done = subprocess.run(
        [sys.executable, "-c", FRAGMENTS, mode], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    released, mib = done.stdout.split()
    return released == "True", float(mib)


@glibc_only
def test_a_trim_gives_back_the_free_memory_between_live_blocks() -> None:
    # Untrimmed, nearly all of it stays resident (the check can fail)...
    assert given_back("none")[1] < 20
    # ...one trim hands most of the 196 MiB of free memory back.
    released, mib = given_back("trim")
    assert released
    assert mib > 100


async def test_a_server_trims_its_heaps_while_it_runs(
    start_server: StartServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    trims = []
    monkeypatch.setattr(memory, "trim", lambda: trims.append(True) or True)
    await start_server(trim_every_seconds=0.01)
    await eventually(lambda: len(trims) >= 2, within=5, what="two trims by the server")

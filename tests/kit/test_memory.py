"""The allocator setting every server makes at start: large freed request buffers go back
to the operating system instead of staying resident (issue 7, item 6)."""

from __future__ import annotations

import logging
import platform
import subprocess
import sys

import pytest
from arbiter_kit.memory import LARGE_BLOCK_BYTES, return_large_blocks

from tests.kit.conftest import StartServer

glibc_only = pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="the setting is glibc's; elsewhere it does nothing"
)

BURST = """
import sys
from pathlib import Path

from arbiter_kit.memory import return_large_blocks

MiB = 1024 * 1024
BLOCKS = 100


def rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise LookupError("no VmRSS")


if sys.argv[1] == "tuned":
    return_large_blocks()
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
def test_both_thresholds_are_set_to_the_large_block_size() -> None:
    made = return_large_blocks(env={})
    assert made == {"M_MMAP_THRESHOLD": LARGE_BLOCK_BYTES, "M_TRIM_THRESHOLD": LARGE_BLOCK_BYTES}


@glibc_only
def test_an_operators_own_malloc_settings_are_kept() -> None:
    assert set(return_large_blocks(env={"MALLOC_MMAP_THRESHOLD_": "65536"})) == {"M_TRIM_THRESHOLD"}
    tunables = {"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=262144"}
    assert set(return_large_blocks(env=tunables)) == {"M_MMAP_THRESHOLD"}


@glibc_only
async def test_a_server_sets_them_when_it_starts(
    start_server: StartServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="arbiter_kit.server"):
        await start_server()
    serving = [r for r in caplog.records if r.getMessage() == "serving"]
    assert serving
    assert getattr(serving[-1], "malloc") == {  # noqa: B009 (an extra of the log call)
        "M_TRIM_THRESHOLD": LARGE_BLOCK_BYTES,
        "M_MMAP_THRESHOLD": LARGE_BLOCK_BYTES,
    }

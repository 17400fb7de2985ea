"""glibc's malloc told to give freed memory back to the operating system, so a service's
memory returns to its level after a burst of large or hostile requests (issue 7, item 6).

Two of glibc's habits keep freed memory resident; measured with the fuzz suite
(docs/fuzz.md), neither is memory a service still uses:

- Large blocks. glibc serves a block of 128 KiB or more with its own `mmap` (returned
  to the system on `free`), but each time such a block is freed it raises that
  threshold to the block's size, up to 32 MiB, and the trim threshold to twice that:
  after one 4 MiB request, later request buffers come from the heap, and a heap only
  shrinks from its top, so they stay resident when freed (audit 45 → 89 MiB, gateway
  56 → 107 MiB after 300 hostile calls per RPC). Pinning both thresholds at 128 KiB
  keeps large buffers out of the heap and trims its free top; it costs an
  `mmap`/`munmap` pair per large buffer, small beside decoding a message that size.
- Arenas. Each thread that allocates while another holds the lock gets an arena of its
  own, up to eight per core; the offline model, chunking and embedding run in worker
  threads, so a service can have a dozen heaps, each fragmented and trimmed alone.
  Two arenas are plenty for an event loop and a few workers on a shared machine. The
  fuzz runs do not single it out (the planner after 1,000 calls per RPC: 95 → 103 MiB
  and 93 → 132 MiB with two arenas, 108 → 141 and 94 → 143 MiB with sixteen): it
  bounds how many heaps can fragment rather than fixing a measured growth.

Small objects, the bulk of a service's allocations, are unaffected. An operator's own
setting in the environment (`MALLOC_*` or `GLIBC_TUNABLES`) is kept. On any other C
library (musl, macOS) this does nothing, and it never fails a start-up: a service that
cannot tune its allocator still serves.
"""

from __future__ import annotations

import asyncio
import ctypes
import functools
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

log = logging.getLogger(__name__)

LARGE_BLOCK_BYTES = 128 * 1024
"""glibc's own default mmap threshold, pinned there instead of rising with the largest
block freed so far."""
ARENAS = 2
"""Malloc arenas a process may have (glibc's default: eight per core)."""


@dataclass(frozen=True)
class MallocSetting:
    """One `mallopt` parameter and where an operator may already have set it."""

    name: str
    """The parameter's name in <malloc.h>, as reported."""
    number: int
    """Its number for `mallopt`."""
    value: int
    """What a service sets it to."""
    variable: str
    """The environment variable glibc reads it from."""
    tunable: str
    """Its name in `GLIBC_TUNABLES`."""


SETTINGS = (
    MallocSetting(
        "M_TRIM_THRESHOLD",
        -1,
        LARGE_BLOCK_BYTES,
        "MALLOC_TRIM_THRESHOLD_",
        "glibc.malloc.trim_threshold",
    ),
    MallocSetting(
        "M_MMAP_THRESHOLD",
        -3,
        LARGE_BLOCK_BYTES,
        "MALLOC_MMAP_THRESHOLD_",
        "glibc.malloc.mmap_threshold",
    ),
    MallocSetting("M_ARENA_MAX", -8, ARENAS, "MALLOC_ARENA_MAX", "glibc.malloc.arena_max"),
)


def tune_malloc(env: Mapping[str, str] | None = None) -> dict[str, int]:
    """Make the `SETTINGS` the environment does not make itself; returns those made, by
    name (empty when the C library is not glibc). Process-wide and idempotent."""
    e = os.environ if env is None else env
    libc = _glibc()
    if libc is None:
        return {}
    made: dict[str, int] = {}
    tunables = e.get("GLIBC_TUNABLES", "")
    for setting in SETTINGS:
        if setting.variable in e or setting.tunable in tunables:
            continue
        # mallopt returns 1 on success, 0 on error; it does not set errno.
        if libc.mallopt(setting.number, setting.value) == 1:
            made[setting.name] = setting.value
        else:
            log.warning("malloc setting refused", extra={"setting": setting.name})
    return made


def trim() -> bool:
    """Give the free memory inside every heap back to the system (glibc's `malloc_trim`,
    which also releases free pages in the middle of a heap, where the trim threshold only
    ever trims a heap's top); True when something was released."""
    libc = _glibc()
    return libc is not None and bool(libc.malloc_trim(0))


async def trim_periodically(every: float) -> None:
    """`trim()` every `every` seconds until cancelled, off the event loop.

    A burst of hostile requests leaves free memory between live blocks that no
    threshold returns (the planner after 2,000 fuzz calls per RPC: 131 MiB, 106 after one
    trim, docs/fuzz.md); a walk of the heaps every few seconds costs far less than
    keeping it.
    """
    while True:
        await asyncio.sleep(every)
        await asyncio.to_thread(trim)


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    """The running process's C library when it is glibc, with mallopt and malloc_trim
    declared; looked up once (the periodic trim asks for it every few seconds)."""
    try:
        libc = ctypes.CDLL(None)
        # Only glibc has this function; musl and macOS have a mallopt of their own
        # (or none) with other parameter numbers, so they are left alone.
        libc.gnu_get_libc_version  # noqa: B018
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return None
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    libc.malloc_trim.argtypes = [ctypes.c_size_t]
    libc.malloc_trim.restype = ctypes.c_int
    return libc

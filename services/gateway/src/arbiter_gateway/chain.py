"""The tamper-evident chain of a session's events: each stored event's hash covers the one
before it, so changing, removing or reordering any stored byte breaks every hash after it.

The encoding, exactly (the PostgreSQL log computes the same in `gateway.append_events`):
* payload(event) = the event's deterministic protobuf serialization with `seq` = 0 (the seq
  is assigned by the log, after the event is made);
* hash(0) = 32 zero bytes; hash(n) = SHA-256(hash(n-1) || seq n as 8 bytes big-endian ||
  payload(event n)).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from arbiter.gateway.v1 import gateway_pb2

GENESIS = bytes(32)
"""The hash before the first event."""


def payload(event: gateway_pb2.SessionEvent) -> bytes:
    """What is stored and hashed for `event`: its serialization without its seq."""
    if event.seq == 0:  # as appended: no copy needed
        return event.SerializeToString(deterministic=True)
    unsequenced = gateway_pb2.SessionEvent()
    unsequenced.CopyFrom(event)
    unsequenced.seq = 0
    return unsequenced.SerializeToString(deterministic=True)


def link(previous: bytes, seq: int, stored: bytes) -> bytes:
    """The hash of the event stored as `stored` at `seq`, after the one hashed `previous`."""
    return hashlib.sha256(previous + seq.to_bytes(8, "big") + stored).digest()


@dataclass(frozen=True)
class Link:
    """One stored event as the chain sees it."""

    seq: int
    payload: bytes
    hash: bytes


def first_break(links: Iterable[Link], *, head: bytes | None = None) -> int | None:
    """The seq of the first stored event whose hash (or place) does not follow from the ones
    before it; with `head`, the session's recorded head hash must be the last hash (a
    removed tail is a break at the seq after the last event). None: the chain holds."""
    previous, expected = GENESIS, 1
    for item in links:
        if item.seq != expected or link(previous, item.seq, item.payload) != item.hash:
            return expected
        previous, expected = item.hash, expected + 1
    if head is not None and head != previous:
        return expected
    return None


def event_of(seq: int, stored: bytes) -> gateway_pb2.SessionEvent:
    """The event stored as `stored` at `seq`, as it is delivered."""
    event = gateway_pb2.SessionEvent.FromString(stored)
    event.seq = seq
    return event

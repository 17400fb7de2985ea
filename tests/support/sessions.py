"""A gateway session's events as the tests read them: the kind of each event, each
step's status changes, the steps that failed."""

from __future__ import annotations

from arbiter.common.v1 import common_pb2
from arbiter.gateway.v1 import gateway_pb2


def kinds(events: list[gateway_pb2.SessionEvent]) -> list[str]:
    """The payload kind of each event, in order (`session_started`, ..., `final_response`)."""
    return [str(e.WhichOneof("payload")) for e in events]


def step_events(events: list[gateway_pb2.SessionEvent]) -> list[tuple[str, int]]:
    """Every step status change, in order, as (step id, status)."""
    return [
        (e.step_updated.step.id, e.step_updated.step.status)
        for e in events
        if e.HasField("step_updated")
    ]


def failed_steps(events: list[gateway_pb2.SessionEvent]) -> list[common_pb2.Step]:
    """The steps as each was reported when it failed."""
    return [
        e.step_updated.step
        for e in events
        if e.HasField("step_updated")
        and e.step_updated.step.status == common_pb2.STEP_STATUS_FAILED
    ]

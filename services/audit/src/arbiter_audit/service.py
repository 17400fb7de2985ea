"""The AuditService: Judge validates its input and streams the audit SOP's stages and
the trial's turns (`sop.AuditSOP`), then one result."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from arbiter.audit.v1 import audit_pb2, audit_pb2_grpc
from arbiter_kit.deadline import Deadline
from arbiter_kit.limits import MAX_PASSAGES, MAX_SITUATION_CHARS
from arbiter_kit.validation import max_items, no_control_characters, required_text

from arbiter_audit.sop import AuditSOP

SERVICE_NAME = audit_pb2.DESCRIPTOR.services_by_name["AuditService"].full_name
DEFAULT_BUDGET_SECONDS = 30.0
"""A Judge call's budget when its caller set no deadline."""


def validate(request: audit_pb2.JudgeRequest) -> None:
    required_text("situation", request.situation, max_chars=MAX_SITUATION_CHARS)
    no_control_characters("situation", request.situation)
    max_items("passages", request.passages, limit=MAX_PASSAGES)


class AuditServicer(audit_pb2_grpc.AuditServiceServicer):  # type: ignore[misc]
    """`arbiter.audit.v1.AuditService`."""

    def __init__(self, sop: AuditSOP) -> None:
        self.sop = sop

    async def Judge(
        self, request: audit_pb2.JudgeRequest, context: Any
    ) -> AsyncIterator[audit_pb2.JudgeResponse]:
        validate(request)
        deadline = Deadline.of_call(context, default=DEFAULT_BUDGET_SECONDS)
        events = self.sop.run(
            request.situation, request.passages, trial_mode=request.trial, deadline=deadline
        )
        async for event in events:
            if isinstance(event, audit_pb2.JudgeResult):
                yield audit_pb2.JudgeResponse(result=event)
            else:
                yield audit_pb2.JudgeResponse(progress=event)

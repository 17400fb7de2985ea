"""The AuditService. Judge validates its input and then answers UNIMPLEMENTED with a
clear message: no verdict is better than a fake one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from arbiter.audit.v1 import audit_pb2, audit_pb2_grpc
from arbiter_kit.errors import Unimplemented
from arbiter_kit.limits import MAX_PASSAGES, MAX_SITUATION_CHARS
from arbiter_kit.validation import max_items, required_text

SERVICE_NAME = audit_pb2.DESCRIPTOR.services_by_name["AuditService"].full_name
JUDGEMENT_LATER = (
    "compliance judgement (the audit SOP and the adversarial trial) arrives with the audit "
    "issue; no verdict was given"
)


def validate(request: audit_pb2.JudgeRequest) -> None:
    required_text("situation", request.situation, max_chars=MAX_SITUATION_CHARS)
    max_items("passages", request.passages, limit=MAX_PASSAGES)


class AuditServicer(audit_pb2_grpc.AuditServiceServicer):  # type: ignore[misc]
    """`arbiter.audit.v1.AuditService`."""

    async def Judge(
        self, request: audit_pb2.JudgeRequest, context: Any
    ) -> AsyncIterator[audit_pb2.JudgeResponse]:
        validate(request)
        raise Unimplemented(JUDGEMENT_LATER, reason="NOT_YET_IMPLEMENTED")
        yield  # an async generator, like every server-streaming handler

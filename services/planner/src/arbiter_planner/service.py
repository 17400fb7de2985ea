"""The PlannerService: validates the request, plans within the caller's deadline."""

from __future__ import annotations

from typing import Any

from arbiter.planner.v1 import planner_pb2, planner_pb2_grpc
from arbiter_kit.deadline import Deadline
from arbiter_kit.filter_fields import validate_filters
from arbiter_kit.limits import MAX_QUESTION_CHARS
from arbiter_kit.validation import required_text

from arbiter_planner.planner import Planner

SERVICE_NAME = planner_pb2.DESCRIPTOR.services_by_name["PlannerService"].full_name
DEFAULT_BUDGET_SECONDS = 15.0
"""Time allowed when the caller sets no deadline."""


def validate(request: planner_pb2.PlanRequest) -> str:
    """The question, stripped; raises InvalidArgument naming the bad field."""
    question = required_text("question", request.question, max_chars=MAX_QUESTION_CHARS)
    validate_filters(request.filters)
    return question


class PlannerServicer(planner_pb2_grpc.PlannerServiceServicer):  # type: ignore[misc]
    """`arbiter.planner.v1.PlannerService`."""

    def __init__(self, planner: Planner) -> None:
        self.planner = planner

    async def Plan(
        self, request: planner_pb2.PlanRequest, context: Any
    ) -> planner_pb2.PlanResponse:
        question = validate(request)
        deadline = Deadline.of_call(context, default=DEFAULT_BUDGET_SECONDS)
        outcome = await self.planner.plan(question, filters=request.filters, deadline=deadline)
        return planner_pb2.PlanResponse(plan=outcome.plan, usage=outcome.usage.message())

"""The PlannerService: validates the request, plans within the caller's deadline."""

from __future__ import annotations

import re
from typing import Any

from arbiter.planner.v1 import planner_pb2, planner_pb2_grpc
from arbiter_kit.deadline import Deadline
from arbiter_kit.validation import metadata_filters, required_text

from arbiter_planner.planner import Planner

SERVICE_NAME = planner_pb2.DESCRIPTOR.services_by_name["PlannerService"].full_name
MAX_QUESTION_CHARS = 4000
MAX_FILTERS = 16
MAX_FILTER_VALUES = 100
MAX_VALUE_CHARS = 256
DEFAULT_BUDGET_SECONDS = 15.0
"""Time allowed when the caller sets no deadline."""
_FIELD_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")


def _field_name(name: str) -> str | None:
    return None if _FIELD_NAME.match(name) else f"bad field name {name[:64]!r}"


def validate(request: planner_pb2.PlanRequest) -> str:
    """The question, stripped; raises InvalidArgument naming the bad field."""
    question = required_text("question", request.question, max_chars=MAX_QUESTION_CHARS)
    metadata_filters(
        "filters",
        request.filters,
        max_filters=MAX_FILTERS,
        max_values=MAX_FILTER_VALUES,
        max_value_chars=MAX_VALUE_CHARS,
        check_field=_field_name,
    )
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

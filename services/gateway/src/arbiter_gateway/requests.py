"""The gateway's checks on its callers' requests, made before any session work starts:
each raises InvalidArgument naming the exact field at fault."""

from __future__ import annotations

from arbiter.gateway.v1 import gateway_pb2
from arbiter_kit.filter_fields import validate_filters
from arbiter_kit.validation import required_text

from arbiter_gateway.config import GatewayConfig


def validate_ask(request: gateway_pb2.AskRequest, config: GatewayConfig) -> str:
    """The question, stripped; raises InvalidArgument naming the bad field."""
    question = required_text("question", request.question, max_chars=config.max_question_chars)
    # Search's own schema: a filter it would refuse fails here, before the stream starts.
    validate_filters(request.filters)
    return question

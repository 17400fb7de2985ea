"""The gateway's checks on its callers' requests, made before any session work starts:
each raises InvalidArgument naming the exact field at fault."""

from __future__ import annotations

from arbiter.gateway.v1 import gateway_pb2
from arbiter_kit.errors import InvalidArgument, Unimplemented, shown
from arbiter_kit.filter_fields import validate_filters
from arbiter_kit.validation import required_text
from google.protobuf.message import Message

from arbiter_gateway.config import GatewayConfig


def known_enums(message: Message, *, prefix: str = "") -> None:
    """Every enum value anywhere in `message` is one its enum defines.

    proto3 keeps a number it does not know (a newer client's, or a hostile one) as is,
    so a value must be checked before anything names or compares it. The error names
    the place, e.g. `decision` or `steps[2].kind`.
    """
    for field, value in message.ListFields():
        at = f"{prefix}{field.name}"
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            # Map keys are never enums; only the values can be (or hold) one.
            field = field.message_type.fields_by_name["value"]
            items = [(f"{at}[{shown(str(key))}]", value[key]) for key in value]
        elif field.is_repeated:
            items = [(f"{at}[{i}]", item) for i, item in enumerate(value)]
        else:
            items = [(at, value)]
        for where, item in items:
            if field.enum_type is not None and item not in field.enum_type.values_by_number:
                raise InvalidArgument(where, f"unknown {field.enum_type.name} value {item}")
            if field.message_type is not None:
                known_enums(item, prefix=f"{where}.")


def validate_ask(request: gateway_pb2.AskRequest, config: GatewayConfig) -> str:
    """The question, stripped; raises InvalidArgument naming the bad field."""
    question = required_text("question", request.question, max_chars=config.max_question_chars)
    # Search's own schema: a filter it would refuse fails here, before the stream starts.
    validate_filters(request.filters)
    known_enums(request)
    if request.require_approval:
        raise Unimplemented(
            "plan approval is not available yet; ask without require_approval",
            reason="APPROVAL_UNAVAILABLE",
        )
    return question

"""Arbiter's shared wording: the small-talk patterns and replies that the planner and
the gateway both answer with."""

from arbiter_text.small_talk import (
    CAPABILITIES,
    GOODBYE_REPLY,
    GREETING_REPLY,
    THANKS_REPLY,
    SmallTalk,
    plain,
    small_talk,
)

__all__ = [
    "CAPABILITIES",
    "GOODBYE_REPLY",
    "GREETING_REPLY",
    "THANKS_REPLY",
    "SmallTalk",
    "plain",
    "small_talk",
]

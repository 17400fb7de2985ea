"""Small talk (greetings, thanks, goodbyes) recognised by pattern, and Arbiter's reply
to each. The planner's fast path answers with these, and so does the gateway when the
planner cannot be reached, so both give the same reply to the same words."""

from __future__ import annotations

import re
from dataclasses import dataclass

CAPABILITIES = (
    "I'm Arbiter, an assistant for the financial regulation of Abu Dhabi Global Market "
    "(ADGM). Ask me what the rules require (for example, what a firm must do when it "
    "suspects money laundering), whether a situation you describe complies with them, or "
    "about the findings data, and I will answer with citations to the rules."
)
"""What Arbiter is for, in the words its replies use."""

GREETING_REPLY = f"Hello! {CAPABILITIES}"
THANKS_REPLY = "You're welcome. Ask me another question about ADGM regulation whenever you like."
GOODBYE_REPLY = "Goodbye. Come back any time you have a question about ADGM regulation."

_GREETING = re.compile(
    r"^(?:(?:hi|hello|hey|hiya|howdy|greetings|yo|salaam|salam|marhaba|ahlan|"
    r"good (?:morning|afternoon|evening|day))(?: (?:there|all|everyone|arbiter|team|folks))?"
    r"(?: how are you(?: doing)?(?: today)?)?|how are you(?: doing)?(?: today)?|"
    r"what'?s up|who are you|what can you do|what do you do|are you there)$"
)
_THANKS = re.compile(
    r"^(?:(?:ok|okay|great|perfect|awesome|brilliant|nice|excellent) )?"
    r"(?:thanks|thank you|thank u|thx|ty|cheers|many thanks|much appreciated|thanks a lot|"
    r"thank you very much|thanks so much|thank you so much)"
    r"(?: (?:again|arbiter|a lot|for (?:the|your) help|very much))?$"
)
_GOODBYE = re.compile(
    r"^(?:(?:ok|okay|thanks|thank you) )?(?:bye|goodbye|good bye|bye bye|see you|see ya|"
    r"farewell|good night|later|that'?s all|that is all|have a nice day)"
    r"(?: (?:now|then|arbiter|for now|later|soon))?$"
)
_NOT_PLAIN = re.compile(r"[^a-z0-9' ]+")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class SmallTalk:
    """A recognised piece of small talk and the reply it gets."""

    kind: str
    """`greeting`, `thanks` or `goodbye`."""
    reply: str
    confidence: float
    """How sure the pattern is (0..1): a goodbye's words are more often part of a question."""


_KINDS: tuple[tuple[re.Pattern[str], SmallTalk], ...] = (
    (_GREETING, SmallTalk("greeting", GREETING_REPLY, 0.97)),
    (_THANKS, SmallTalk("thanks", THANKS_REPLY, 0.97)),
    (_GOODBYE, SmallTalk("goodbye", GOODBYE_REPLY, 0.95)),
)


def plain(text: str) -> str:
    """Lower-case words only, single-spaced: `Hello, Arbiter!` -> `hello arbiter`."""
    lowered = text.lower().replace("\u2019", "'")
    return _SPACES.sub(" ", _NOT_PLAIN.sub(" ", lowered)).strip()


def small_talk(question: str) -> SmallTalk | None:
    """The small talk `question` is, or None when it is anything else."""
    words = plain(question)
    for pattern, talk in _KINDS:
        if pattern.match(words):
            return talk
    return None

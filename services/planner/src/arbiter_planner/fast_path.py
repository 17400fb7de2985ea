"""The fast path: small talk (the patterns the gateway shares, from `arbiter_text`),
obvious out-of-scope requests and questions too vague to act on are answered by
pattern, with no model call at all. Which rulebook a question names is search's
decision (its field selector), not the fast path's: here an acronym only keeps a
question in the domain."""

from __future__ import annotations

import re
from dataclasses import dataclass

from arbiter.common.v1 import common_pb2
from arbiter_text import CAPABILITIES, GREETING_REPLY, keywords, plain, small_talk, words

_OUT_OF_SCOPE = re.compile(
    r"\b(?:weather|forecast|raining|sunny|joke|jokes|funny|riddle|recipe|recipes|cook|cooking|"
    r"bake|baking|ingredients|football|soccer|cricket|basketball|tennis|golf|formula 1|"
    r"world cup|nba|nfl|sports?|match score|movie|movies|film|song|songs|lyrics|music|"
    r"celebrity|horoscope|astrology|zodiac|poem|poetry|video game|holiday plans|"
    r"restaurant|dating)\b"
)
# Any of these ties a question to the domain, so it is not dismissed as out of scope.
_DOMAIN = re.compile(
    r"\b(?:regulat\w*|rule\w*|complian\w*|comply|firm\w*|licen[cs]\w*|fsra|adgm|aml|fund\w*|"
    r"client\w*|customer\w*|authori[sz]\w*|breach\w*|sanction\w*|launder\w*|disclos\w*|"
    r"prudential|capital|insur\w*|market\w*|bank\w*|financ\w*|invest\w*|securit\w*|audit\w*|"
    r"report\w*|finding\w*|risk\w*|conduct|due diligence|kyc|sponsor\w*|betting|gambling|"
    r"advertis\w*|promotion\w*)\b"
)
# Written in capitals, a short word is a rulebook (AML, COBS) or a term of the trade
# (KYC, PEP) far more often than small talk: it keeps a question in the domain.
_ACRONYM = re.compile(r"(?<![\w-])([A-Z]{2,6})s?(?![\w-])")
_QUESTION_FORM = re.compile(
    r"^(?:what|which|who|whom|whose|when|where|why|how|is|are|was|were|do|does|did|can|"
    r"could|should|must|may|might|will|would|shall|define|explain|describe|list|summari[sz]e)\b"
)
_VAGUE_WORDS = frozenset(
    {
        "rules",
        "rule",
        "regulation",
        "regulations",
        "help",
        "question",
        "questions",
        "info",
        "information",
        "something",
        "stuff",
        "thing",
        "things",
        "anything",
        "everything",
        "more",
        "details",
        "detail",
        "about",
        "know",
        "need",
        "want",
    }
)


@dataclass(frozen=True)
class FastAnswer:
    """A reply the planner gives itself, with no steps."""

    intent: common_pb2.Intent
    confidence: float
    answer: str
    rationale: str


IRRELEVANT_REPLY = "Sorry, that is outside what I can help with. " + CAPABILITIES
UNCLEAR_REPLY = (
    "Could you tell me a little more about what you would like to know{about}? For "
    "example, name the obligation, the kind of firm or the situation you have in mind, such "
    "as: what must a firm do when it suspects money laundering?"
)


def canned_reply(intent: common_pb2.Intent) -> str:
    """The reply for a question the model (not a pattern) found needs no worker."""
    if intent == common_pb2.INTENT_IRRELEVANT:
        return IRRELEVANT_REPLY
    if intent == common_pb2.INTENT_UNCLEAR:
        return UNCLEAR_REPLY.format(about="")
    return GREETING_REPLY


class FastPath:
    """Recognises the questions that need no worker and no model."""

    def answer(self, question: str) -> FastAnswer | None:
        talk = small_talk(question)
        if talk is not None:
            return FastAnswer(
                common_pb2.INTENT_CHITCHAT, talk.confidence, talk.reply, f"pattern: {talk.kind}"
            )
        words_only = plain(question)
        topic = _OUT_OF_SCOPE.search(words_only)
        named = _acronyms(question, besides=topic.group() if topic else "")
        if topic and not named and not _DOMAIN.search(words_only):
            return FastAnswer(
                common_pb2.INTENT_IRRELEVANT,
                0.9,
                f"Sorry, that is outside what I can help with: questions about "
                f"{topic.group()} are not in my remit. {CAPABILITIES}",
                f"pattern: out of scope ({topic.group()})",
            )
        if _vague(words_only):
            about = f" about {', '.join(named)}" if named else ""
            return FastAnswer(
                common_pb2.INTENT_UNCLEAR,
                0.8,
                UNCLEAR_REPLY.format(about=about),
                "pattern: too short or vague to plan",
            )
        return None


def _acronyms(question: str, *, besides: str) -> list[str]:
    """The acronyms `question` writes, each once, in order; `besides` (an out-of-scope
    topic such as `nba`) is not one that ties the question to the domain."""
    found = dict.fromkeys(_ACRONYM.findall(question))
    return [a for a in found if a.lower() != besides]


def _vague(text: str) -> bool:
    """`text` (plain words) has too little content to plan for."""
    content = [w for w in keywords(text, ignore=_VAGUE_WORDS) if not w.isdigit()]
    if not content:
        return True
    # One content word is a topic, not a question, unless it is asked as one.
    return len(content) == 1 and len(words(text)) <= 3 and not _QUESTION_FORM.match(text)

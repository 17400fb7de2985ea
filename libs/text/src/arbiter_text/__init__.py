"""Arbiter's text tools, used without any model: words (stop words, stemming,
keywords), sentences (and the citation markers in them), and the small-talk patterns and
replies that the planner and the gateway both answer with."""

from arbiter_text.sentences import (
    MARKER,
    complete_sentences,
    iter_sentence_spans,
    segments,
    sentence_spans,
    sentences,
)
from arbiter_text.small_talk import (
    CAPABILITIES,
    GOODBYE_REPLY,
    GREETING_REPLY,
    THANKS_REPLY,
    SmallTalk,
    plain,
    small_talk,
)
from arbiter_text.words import STOPWORDS, keywords, stem, stems, words

__all__ = [
    "CAPABILITIES",
    "GOODBYE_REPLY",
    "GREETING_REPLY",
    "MARKER",
    "STOPWORDS",
    "THANKS_REPLY",
    "SmallTalk",
    "complete_sentences",
    "iter_sentence_spans",
    "keywords",
    "plain",
    "segments",
    "sentence_spans",
    "sentences",
    "small_talk",
    "stem",
    "stems",
    "words",
]

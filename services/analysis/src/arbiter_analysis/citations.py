"""Citation markers: `[n]` (or `[n, m]`) in an answer refers to passage n of the request,
counted from 1 in passage order. Each cited passage becomes one `Citation` whose quote is
the passage sentence, verbatim, that best matches the answer sentences citing it."""

from __future__ import annotations

import re
from collections.abc import Sequence

from arbiter.common.v1 import common_pb2
from arbiter_llm.text import sentence_spans, sentences, stems

MARKER = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")


def markers(text: str) -> list[int]:
    """Every index cited in `text`, in order of appearance (repeats kept)."""
    return [int(n) for group in MARKER.findall(text) for n in group.split(",")]


def strip_markers(text: str) -> str:
    return MARKER.sub("", text)


def out_of_range(text: str, count: int) -> list[int]:
    """Cited indexes that name no passage (there are `count`)."""
    return sorted({n for n in markers(text) if not 1 <= n <= count})


class CitationBuilder:
    """Turns the markers of an answer into numbered citations with verbatim quotes."""

    def build(
        self, answer: str, passages: Sequence[common_pb2.Passage]
    ) -> list[common_pb2.Citation]:
        citing: dict[int, list[str]] = {}
        for sentence in sentences(answer):
            for n in markers(sentence):
                if 1 <= n <= len(passages):
                    citing.setdefault(n, []).append(strip_markers(sentence))
        citations = []
        for n in sorted(citing):
            passage = passages[n - 1]
            citations.append(
                common_pb2.Citation(
                    index=n,
                    source_id=passage.source_id or passage.id,
                    passage_ref=passage.passage_ref,
                    rulebook=passage.rulebook,
                    title=passage.title,
                    quote=best_quote(passage.text, citing[n]),
                )
            )
        return citations


def best_quote(text: str, citing: Sequence[str]) -> str:
    """The sentence of `text` sharing the most words with the citing sentences."""
    spans = sentence_spans(text)
    if not spans:
        return text.strip()
    wanted = [stems(s) for s in citing]

    def overlap(span: tuple[int, int]) -> tuple[int, int]:
        have = stems(text[span[0] : span[1]])
        return max(len(have & w) for w in wanted), -span[0]

    a, b = max(spans, key=overlap)
    return text[a:b]

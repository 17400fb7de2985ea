"""Citations: the answer's `[k]` (numbered by first use, see
`arbiter_llm.citations.CitationNumbering`) becomes one `Citation` of the passage it stands
for, whose quote is the passage sentence, verbatim, that best matches the answer sentences
citing it; or of the data analysis, the findings database with its SQL as the reference.
A finding (a sample audit report searched as a precedent) is cited as a finding, never as
the rule it quotes."""

from __future__ import annotations

from collections.abc import Sequence

from arbiter.common.v1 import common_pb2
from arbiter_llm.citations import markers, strip_markers
from arbiter_text import sentence_spans, sentences, stems

from arbiter_analysis.data_evidence import DataEvidence

FINDING = "finding"
"""`Passage.doc_type` of an audit report (a precedent), as opposed to a rule."""


def reference_of(passage: common_pb2.Passage) -> str:
    """How an answer names a passage: a rule by its rulebook and number, a finding as the
    sample finding it is (its report quotes a rule, which must not pass for the rule)."""
    if passage.doc_type == FINDING:
        return f"Sample finding {passage.document_id or passage.source_id} (sample data)"
    return f"{passage.rulebook} {passage.passage_ref}".strip()


class CitationBuilder:
    """Turns the markers of an answer into numbered citations with verbatim quotes."""

    def build(
        self, answer: str, cited: Sequence[common_pb2.Passage | DataEvidence]
    ) -> list[common_pb2.Citation]:
        """`cited[k - 1]` is the passage (or the data) the answer's `[k]` stands for."""
        citing: dict[int, list[str]] = {}
        for sentence in sentences(answer):
            for k in markers(sentence):
                if 1 <= k <= len(cited):
                    citing.setdefault(k, []).append(strip_markers(sentence))
        citations = []
        for k, passage in enumerate(cited, start=1):
            if isinstance(passage, DataEvidence):
                citations.append(passage.citation(k))
                continue
            # Every [k] is in the answer; a sentence cut too long to hold its marker whole
            # still gets its citation, quoted against the whole answer.
            citing.setdefault(k, [strip_markers(answer)])
            finding = passage.doc_type == FINDING
            citations.append(
                common_pb2.Citation(
                    index=k,
                    source_id=passage.source_id or passage.id,
                    passage_ref="" if finding else passage.passage_ref,
                    rulebook="" if finding else passage.rulebook,
                    title=reference_of(passage) if finding else passage.title,
                    quote=best_quote(passage.text, citing[k]),
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

"""The `analysis.synthesize` step. Offline, the AnswerComposer writes an extractive
answer: what a data analysis found (its summary's figures, cited), the passage sentences
that best match the question's keywords, each cited, then what could not be covered; it
says plainly when no passage supports an answer. With a model, the streamed text must
cite only documents it was given and, beside a data analysis, state no number the
documents do not."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from arbiter.analysis.v1 import analysis_pb2
from arbiter.common.v1 import common_pb2
from arbiter_llm import JSON, Document, Task, TaskInput
from arbiter_llm.citations import markers, out_of_range, strip_markers
from arbiter_text import iter_sentence_spans, stems, words

from arbiter_analysis.citations import reference_of
from arbiter_analysis.data_evidence import DataEvidence, unsupported_numbers

MAX_SENTENCES = 5
"""Sentences an extractive answer quotes (one per passage at most)."""
MIN_SENTENCE_WORDS = 5
"""Shorter passage sentences are headings ("Jurisdiction"), not answers."""
RELATIVE_FLOOR = 0.5
"""A sentence scoring under this share of the best one is left out."""
RANK_BONUS = 0.3
"""Passages come best first from retrieval: the first gets this much extra weight,
tapering to none for the last."""
SCORING_BUDGET = 4000
"""Candidate sentences scored per answer, shared out over the passages (earliest first in
each): it bounds the work on huge passages, at the price of not quoting deep inside them."""
NO_VERDICT = "(none)"
NO_MISSING = "(nothing)"
NO_DATA = "(none)"

# Words that say what kind of question it is rather than what it is about.
QUESTION_WORDS = frozenset(
    {
        "must",
        "shall",
        "should",
        "required",
        "require",
        "requires",
        "requirement",
        "requirements",
        "rule",
        "rules",
        "regulation",
        "regulations",
        "explain",
        "describe",
        "list",
        "according",
        "apply",
        "applies",
        "under",
        "adgm",
        "need",
        "needs",
        "provide",
        "detail",
        "details",
        "detailed",
        "specific",
        "regarding",
        "concerning",
        "example",
        "examples",
        "mean",
        "means",
        "kind",
        "kinds",
        "type",
        "types",
    }
)
DATA_QUESTION_WORDS = QUESTION_WORDS | frozenset(
    {"many", "much", "per", "number", "count", "total", "trend", "often", "most", "each"}
)
"""Words that say a question wants figures: beside a data analysis, which answers them
with numbers, they say nothing of what a passage should be about."""
NO_PASSAGES = "No passages were found for this question, so I cannot answer it from the rules."
NO_SUPPORT = (
    "None of the passages I was given answers this question, so I cannot answer it from the rules."
)
# What a list item trails off with: "...; or", "...; and", a full stop.
_TRAILING = re.compile(r"(?:[\s.;:,]+(?:or|and))?[\s.;:,]*$")
# "<what> failed: <why>": matched only where a run of spaces starts, so a long run costs
# linear time, never quadratic backtracking.
_MISSING_VERB = re.compile(r"(?<!\s)\s+(?P<verb>failed|was skipped)(?=:|$)")


@dataclass(frozen=True)
class _Candidate:
    document: Document
    sentence: str
    score: float


def missing_sentence(item: str) -> str:
    """`the compliance judgement (s2: ...) failed: UNAVAILABLE` ->
    `I could not include the compliance judgement (s2: ...), because it failed: ...`."""
    item = strip_markers(item).strip().rstrip(".")  # a caller's "[2]" is no citation
    match = _MISSING_VERB.search(item, 1)
    if match is None:
        return f"I could not include {item}."
    why = item[match.end() :].removeprefix(":").strip()
    because = f"because it {match.group('verb')}" + (f": {why}" if why else "")
    return f"I could not include {item[: match.start()]}, {because}."


def verdict_sentence(verdict: str) -> str:
    verdict = strip_markers(verdict)  # the verdict's own citations are not our passages
    return f"The compliance judgement found: {verdict.strip().rstrip('.')}."


class AnswerComposer:
    """The offline rules of `analysis.synthesize`: an extractive, cited answer."""

    def __call__(self, data: TaskInput) -> JSON:
        lines: list[str] = []
        verdict = data.values.get("verdict", NO_VERDICT).strip()
        if verdict and verdict != NO_VERDICT:
            lines.append(verdict_sentence(verdict))
        explained = [s for s in data.values.get("data_sentences", "").splitlines() if s]
        lines += explained
        passages = passage_documents(data)
        ignore = DATA_QUESTION_WORDS if data_index(data) is not None else QUESTION_WORDS
        chosen = self.choose(data.values["question"], passages, ignore=ignore)
        if not chosen and explained:
            chosen = leading_sentences(passages)
        for c in chosen:
            sentence = _TRAILING.sub("", strip_markers(c.sentence))
            label = f"{c.document.reference}: " if c.document.reference else ""
            lines.append(f"{label}{sentence} [{c.document.index}].")
        if not chosen and (passages or not explained):
            lines.append(NO_SUPPORT if passages else NO_PASSAGES)
        lines += [missing_sentence(m) for m in missing_items(data)]
        answer = "\n".join(lines)
        return {"answer": answer, "cited": sorted(set(markers(answer)))}

    def choose(
        self,
        question: str,
        documents: Sequence[Document],
        *,
        ignore: frozenset[str] = QUESTION_WORDS,
    ) -> list[_Candidate]:
        """The best sentence of each passage, best passages first, at most MAX_SENTENCES,
        returned in passage order (retrieval's order, best first)."""
        wanted = stems(question, ignore=ignore)
        if not wanted:
            return []
        pool: list[tuple[Document, str, set[str]]] = []
        sentences_seen = 0
        per_document = max(1, SCORING_BUDGET // max(1, len(documents)))
        for doc in documents:
            lowered = doc.text.lower()
            if not any(w in lowered for w in wanted):
                sentences_seen += 1
                continue
            scored = 0
            for a, b in iter_sentence_spans(doc.text):
                sentences_seen += 1
                # Stems are word prefixes: a sentence without any as a substring cannot
                # match, and skipping it keeps long passages (up to 200k characters) cheap.
                if not any(w in lowered[a:b] for w in wanted):
                    continue
                sentence = doc.text[a:b]
                if len(words(sentence)) >= MIN_SENTENCE_WORDS:
                    pool.append((doc, sentence, stems(sentence)))
                    scored += 1
                    if scored >= per_document:
                        break
        if not pool:
            return []
        weight = {
            s: 1.0 + math.log((sentences_seen + 1) / (1 + sum(s in have for _, _, have in pool)))
            for s in wanted
        }
        best_per_doc: dict[int, _Candidate] = {}
        for doc, sentence, have in pool:
            matched = wanted & have
            if not matched:
                continue
            rank = 1.0 + RANK_BONUS * (len(documents) - doc.index) / len(documents)
            score = rank * sum(weight[s] for s in matched)
            known = best_per_doc.get(doc.index)
            if known is None or score > known.score:
                best_per_doc[doc.index] = _Candidate(doc, sentence, score)
        if not best_per_doc:
            return []
        top = max(c.score for c in best_per_doc.values())
        # One matched word out of many is chance, not support.
        needed = min(2, len(wanted))
        ranked = [
            c
            for c in sorted(best_per_doc.values(), key=lambda c: (-c.score, c.document.index))
            if c.score >= RELATIVE_FLOOR * top and len(wanted & stems(c.sentence)) >= needed
        ][:MAX_SENTENCES]
        return sorted(ranked, key=lambda c: c.document.index)


def leading_sentences(documents: Sequence[Document]) -> list[_Candidate]:
    """The first full sentence of each of the best passages. Beside a data answer the
    passages were fetched for the rules the data names ("which rules are most often
    breached, and what do they require?"), so they share no words with the question,
    and each rule's own opening sentence is what it requires."""
    chosen: list[_Candidate] = []
    for doc in documents:
        for a, b in iter_sentence_spans(doc.text):
            sentence = doc.text[a:b]
            if len(words(sentence)) >= MIN_SENTENCE_WORDS:
                chosen.append(_Candidate(doc, sentence, 0.0))
                break
        if len(chosen) >= MAX_SENTENCES:
            break
    return chosen


def data_index(data: TaskInput) -> int | None:
    """The document number of the data analysis, if one was given."""
    raw = data.values.get("data", NO_DATA).strip()
    return int(raw) if raw.isdigit() else None


def passage_documents(data: TaskInput) -> list[Document]:
    """The documents that are passages (every one but the data analysis's)."""
    index = data_index(data)
    return [d for d in data.documents if d.index != index]


def missing_items(data: TaskInput) -> list[str]:
    raw = data.values.get("missing", NO_MISSING)
    if raw.strip() == NO_MISSING:
        return []
    return [line[2:].strip() for line in raw.splitlines() if line.startswith("- ")]


def parse_answer(text: str, data: TaskInput) -> JSON:
    """What a model's streamed text stands for: the text and the passages it cites."""
    del data
    return {"answer": text, "cited": sorted(set(markers(text)))}


def check_answer(output: JSON, data: TaskInput) -> list[str]:
    """Every [n] must name a document that was given; beside a data analysis, every
    number must be one the question or the documents state."""
    answer = str(output["answer"])
    problems = []
    bad = out_of_range(answer, len(data.documents))
    if bad:
        given = f"1..{len(data.documents)}" if data.documents else "none"
        problems.append(f"cites {', '.join(f'[{n}]' for n in bad)} but the documents are {given}")
    if data_index(data) is not None:
        sources = [data.values["question"], *(d.text for d in data.documents)]
        invented = unsupported_numbers(answer, sources)
        if invented:
            problems.append(f"states numbers the data does not: {', '.join(invented[:5])}")
    return problems


def synthesis_input(
    question: str,
    passages: Sequence[common_pb2.Passage],
    missing: Sequence[str],
    verdict: common_pb2.Verdict | None,
    data: analysis_pb2.AnalyzeDataResult | None = None,
) -> tuple[TaskInput, DataEvidence | None]:
    """The task input for one Synthesize call: passages become numbered documents, then
    the data analysis, if any, one more (returned too, for its citation)."""
    documents = tuple(
        Document(
            index=n,
            text=p.text,
            title=p.title,
            reference=reference_of(p),
        )
        for n, p in enumerate(passages, start=1)
    )
    evidence = None if data is None else DataEvidence(data, len(documents) + 1)
    if evidence is not None and evidence.answered:
        documents += (evidence.document(),)
    verdict_text = NO_VERDICT
    if verdict is not None and verdict.disposition != common_pb2.DISPOSITION_UNSPECIFIED:
        name = common_pb2.Disposition.Name(verdict.disposition).removeprefix("DISPOSITION_")
        verdict_text = name.replace("_", " ").lower()
        if verdict.summary:
            verdict_text += f" - {verdict.summary}"
    values = {
        "question": question,
        "missing": "\n".join(f"- {m}" for m in missing) if missing else NO_MISSING,
        "verdict": verdict_text,
        "data": NO_DATA,
        "data_unanswered": NO_DATA,
    }
    if evidence is not None:
        values["data_sentences"] = "\n".join(evidence.sentences())
        if evidence.answered:
            values["data"] = str(evidence.index)
        else:
            values["data_unanswered"] = evidence.summary()
    return TaskInput(values=values, documents=documents), evidence


def synthesis_task() -> Task:
    return Task.load(
        "analysis.synthesize",
        package=__package__,
        stem="synthesize",
        offline=AnswerComposer(),
        check=check_answer,
        parse_text=parse_answer,
        text_field="answer",
        max_tokens=900,
    )

"""The reflection step: checks a written answer (does every claim cite a passage, does
it cover the question, does it mention what could not be covered) and revises it by
appending what a reader must know, since streamed text cannot be taken back."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from arbiter.common.v1 import common_pb2
from arbiter_llm.citations import markers
from arbiter_text import keywords, sentences, stem, stems

from arbiter_analysis.composer import DATA_QUESTION_WORDS, QUESTION_WORDS, missing_sentence
from arbiter_analysis.data_evidence import CAN_ANSWER_LEAD

COVERAGE_FLOOR = 0.5
"""Below this share of the question's keywords, the answer says what it leaves out."""
# Sentences that state what the answer cannot do need no citation.
_DISCLOSURE = re.compile(
    r"^(?:I could not|I cannot|I can't|I do not|I don't|I can answer questions|None of the|"
    r"No passages?|"
    r"The (?:passages|documents|sources) (?:do not|don't|provided do not)|Note:|"
    r"The compliance judgement)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ReflectionOutcome:
    """What reflection found, and the text to append when it revises the answer."""

    reflection: common_pb2.Reflection
    addendum: str


class AnswerReflector:
    """Checks an answer against its question, its passages and what is missing."""

    def reflect(
        self,
        *,
        question: str,
        answer: str,
        passages: int,
        missing: Sequence[str],
        data: str = "",
    ) -> ReflectionOutcome:
        """`data` is the text of the data analysis the answer explains, if any: the
        question's words it covers (a column, a year in its SQL) count as covered."""
        notes: list[str] = []
        additions: list[str] = []
        # The list of what the data analysis can answer quotes example questions: a line
        # of disclosure, whatever its sentences look like.
        stated = "\n".join(
            line for line in answer.splitlines() if not line.strip().startswith(CAN_ANSWER_LEAD)
        )
        claims = [s for s in sentences(stated) if not _DISCLOSURE.match(s.strip())]
        uncited = [s for s in claims if not markers(s)]
        cited_any = bool(markers(answer))
        if uncited:
            notes.append(f"{len(uncited)} of {len(claims)} claim sentence(s) cite no passage")
            additions.append(
                f"Note: {len(uncited)} sentence(s) above cite no passage; treat them as "
                "unsupported by the rules."
            )
        elif claims:
            notes.append(f"all {len(claims)} claim sentence(s) cite a passage")
        if not cited_any:
            notes.append(
                "no passage cited: the answer says it cannot answer from the rules"
                if passages
                else "no passages were given"
            )
        wanted = keywords(question, ignore=DATA_QUESTION_WORDS if data else QUESTION_WORDS)
        have = stems(answer) | stems(data)
        uncovered = [w for w in wanted if stem(w) not in have]
        if wanted:
            covered = len(wanted) - len(uncovered)
            notes.append(f"covers {covered}/{len(wanted)} question keywords")
            if cited_any and covered / len(wanted) < COVERAGE_FLOOR:
                additions.append(
                    "Note: the cited passages do not address: " + ", ".join(uncovered) + "."
                )
        unmentioned = [m for m in missing if not _mentions(answer, m)]
        if unmentioned:
            notes.append(f"{len(unmentioned)} missing item(s) were not mentioned")
            additions += [missing_sentence(m) for m in unmentioned]
        elif missing:
            notes.append(f"mentions all {len(missing)} missing item(s)")
        revised = common_pb2.REFLECTION_OUTCOME_REVISED
        outcome = revised if additions else common_pb2.REFLECTION_OUTCOME_ACCEPTED
        if additions:
            notes.append(f"revised: appended {len(additions)} sentence(s) for the reader")
        return ReflectionOutcome(
            reflection=common_pb2.Reflection(outcome=outcome, rounds=1, notes="; ".join(notes)),
            addendum="\n".join(additions),
        )


def _mentions(answer: str, item: str) -> bool:
    """Whether the answer speaks of a missing item: most of its words appear."""
    words = stems(item.split(":")[0])
    return bool(words) and len(words & stems(answer)) >= 0.6 * len(words)

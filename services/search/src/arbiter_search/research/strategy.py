"""The strategy decider (the `search.rewrite` step): after a round whose passages did not
suffice, what to try next: widen the search (drop hard filters that held it back), rewrite
the query (focus on what is missing, spelled the ways the rulebooks spell it), or stop.

Offline rules: widen first when hard filters were on, since a wrong filter is the one
mistake no rewrite can repair; otherwise rewrite towards the missing terms, expanded from
the glossary (`glossary.json`: abbreviations and the terms the rulebooks use instead) and
with words the best passages so far share (pseudo-relevance feedback); stop when nothing
new is left to try.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources

from arbiter_kit.deadline import Deadline
from arbiter_llm import JSON, LLM, Task, TaskInput, Usage
from arbiter_text import STOPWORDS, stem, stems, words

from arbiter_search.research.field_selector import FieldSelection, describe
from arbiter_search.research.prompting import conditions_json, evidence, reason_of
from arbiter_search.research.terms import GENERIC, question_terms
from arbiter_search.research.validator import Verdict
from arbiter_search.store.base import Hit

MAX_QUERY_WORDS = 48
FEEDBACK_PASSAGES = 3
"""Best passages a rewrite reads for words the question does not use."""
FEEDBACK_WORDS = 6


def _glossary() -> dict[str, list[str]]:
    raw = (resources.files(__package__) / "glossary.json").read_text(encoding="utf-8")
    table: dict[str, list[str]] = json.loads(raw)
    return {stem(k): v for k, v in table.items()}


GLOSSARY = _glossary()
"""Stem of a word or abbreviation -> other ways the corpus says it."""


@dataclass(frozen=True)
class Move:
    """What the next round does, and why."""

    action: str
    """`rewrite`, `widen` or `stop`."""
    query: str
    selection: FieldSelection
    reason: str
    usage: Usage = field(default_factory=Usage)


def expansions(text: str) -> list[str]:
    """Glossary alternatives for the words of `text`, each once."""
    found: dict[str, None] = {}
    for word in words(text):
        for alternative in GLOSSARY.get(stem(word), ()):
            found.setdefault(alternative, None)
    return list(found)


def feedback_words(
    question: str, passages: Sequence[str], *, limit: int = FEEDBACK_WORDS
) -> list[str]:
    """Words the best passages share that the question does not use (pseudo-relevance
    feedback): held by at least two of them, most frequent first, as written."""
    asked = set(question_terms(question).key) | {stem(w) for w in words(question)}
    held: Counter[str] = Counter()
    count: Counter[str] = Counter()
    spelled: dict[str, Counter[str]] = {}
    for text in passages:
        seen = set()
        for word in words(text):
            s = stem(word)
            if (
                len(word) < 4
                or word in STOPWORDS
                or s in GENERIC
                or s in asked
                or word[0].isdigit()
            ):
                continue
            count[s] += 1
            spelled.setdefault(s, Counter())[word] += 1
            seen.add(s)
        held.update(seen)
    shared = [s for s in count if held[s] >= min(2, len(passages))]
    shared.sort(key=lambda s: (-held[s], -count[s], s))
    return [spelled[s].most_common(1)[0][0] for s in shared[:limit]]


def focused_query(question: str, missing: Sequence[str], feedback: Sequence[str] = ()) -> str:
    """The question's content words with the missing ones first, the glossary's
    alternatives for them (or for every key word, when nothing is named), and `feedback`
    words from the best passages so far."""
    terms = question_terms(question)
    content = [w for w in words(question) if len(w) > 1 and w not in STOPWORDS]
    missing_words = [w for m in missing for w in words(m) if w not in STOPWORDS]
    focus = missing_words or [terms.words[t] for t in terms.key]
    rest = [w for w in content if stem(w) not in GENERIC and w not in focus]
    extra = expansions(" ".join(focus))
    chosen = dict.fromkeys([*focus, *extra, *feedback, *rest])
    return " ".join(list(chosen)[:MAX_QUERY_WORDS])


class OfflineStrategyRules:
    """The step's explicit rules (see the module docstring)."""

    def __call__(self, data: TaskInput) -> JSON:
        question = data.values["question"]
        filters = json.loads(data.values["filters"])
        missing = json.loads(data.values["missing"])
        tried = {frozenset(stems(t)) for t in json.loads(data.values["tried"])}
        found = int(data.values["found"])
        if filters:
            why = "found nothing" if not found else "did not suffice"
            return {
                "action": "widen",
                "query": data.values["query"],
                "reason": f"offline rules: the passages under hard filters {why}",
            }
        feedback = feedback_words(question, [d.text for d in data.documents])
        query = focused_query(question, missing, feedback)
        if frozenset(stems(query)) in tried:
            query = focused_query(question, [], feedback)
        if not query or frozenset(stems(query)) in tried:
            return {"action": "stop", "query": "", "reason": "offline rules: nothing new to try"}
        focus = f"missing {', '.join(missing[:6])}" if missing else "the question's key terms"
        return {
            "action": "rewrite",
            "query": query,
            "reason": (
                f"offline rules: search again for {focus}, with glossary terms"
                + (f" and {', '.join(feedback)} from the best passages" if feedback else "")
            ),
        }


def _check(output: JSON, data: TaskInput) -> list[str]:
    if output["action"] == "rewrite" and not output["query"].strip():
        return ["a rewrite needs a query"]
    if output["action"] == "widen" and not json.loads(data.values["filters"]):
        return ["nothing to widen: the round had no hard filters"]
    return []


class StrategyDecider:
    """Runs the `search.rewrite` step through the configured LLM provider."""

    def __init__(self, llm: LLM) -> None:
        self._llm = llm
        self._task = Task.load(
            "search.rewrite",
            package=__package__,
            stem="rewrite",
            offline=OfflineStrategyRules(),
            check=_check,
            max_tokens=300,
        )

    async def decide(
        self,
        question: str,
        *,
        query: str,
        selection: FieldSelection,
        verdict: Verdict,
        found: int,
        tried: Sequence[str],
        best: Sequence[Hit] = (),
        deadline: Deadline,
    ) -> Move:
        """The next round's query and conditions, after a round that did not suffice;
        `best` are the passages ranked highest so far."""
        values = {
            "question": question,
            "query": query,
            "filters": conditions_json(selection.filters),
            "missing": json.dumps(list(verdict.missing)),
            "tried": json.dumps(list(tried)),
            "found": str(found),
        }
        data = TaskInput(values=values, documents=evidence(best[:FEEDBACK_PASSAGES]))
        result = await self._llm.run(self._task, data, deadline=deadline)
        out = result.output
        reason = reason_of(result)
        action = str(out["action"])
        if action == "widen":
            reason = f"{reason}: dropped {describe(selection.filters)}, kept as preferences"
            return Move(action, query, selection.widened(), reason, result.usage)
        return Move(action, str(out["query"]).strip(), selection, reason, result.usage)

"""The field selector (the `search.select_fields` step): which metadata conditions a
question is searched with.

A caller's explicit filters are hard, always: the store returns nothing else, in every
round, whatever a model or a widened round says. Only what is read from the question is
the step's to choose, as a hard filter (the question insists: "only in COBS") or a
preference (the reranker favours passages that meet it). A wrong hard filter loses the
answer outright, so the offline rules keep what the question names as preferences: on
ObliQA dev only 100 of the 247 questions that name a rulebook have a gold passage in it
(the rest are answered by guidance that discusses that rulebook). Cited rule numbers
(`8.3.1`) become preferences for passages under that reference.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from arbiter.common.v1 import common_pb2
from arbiter_kit.deadline import Deadline
from arbiter_kit.errors import InvalidArgument
from arbiter_kit.filter_fields import MAX_VALUES
from arbiter_llm import JSON, LLM, Task, TaskInput, Usage

from arbiter_search.research.prompting import conditions_json, reason_of
from arbiter_search.research.terms import question_terms
from arbiter_search.store.filters import Condition, FilterCompiler

NOT_RULEBOOKS = frozenset(
    """ADGM FSRA UAE USD AED FIU SAR STR CDD EDD KYC PEP FATF OECD IOSCO EU UK US DNFBP
    MLRO CEO CFO COO IT AI NAV IPO ESG OTC API APIS PFP MTF RIE RCH DLT ICO VC ETF REIT
    CSP SPV KPI SME NFT CSD CCP""".split()  # noqa: SIM905 - a word list reads better as prose
)
"""Upper-case words in questions that name no rulebook."""


@dataclass(frozen=True)
class FieldSelection:
    """Where to search: the caller's filters, the step's own hard filters, preferences,
    and why."""

    required: tuple[Condition, ...] = ()
    """The caller's filters: hard in every round, never widened."""
    filters: tuple[Condition, ...] = ()
    """Hard filters read from the question; a widened round drops them."""
    preferences: tuple[Condition, ...] = ()
    """Soft: passages that meet one rank higher; nothing is excluded."""
    reason: str = ""
    usage: Usage = field(default_factory=Usage)

    @property
    def hard(self) -> tuple[Condition, ...]:
        """Every condition the store must apply: the caller's, then the step's."""
        return (*self.required, *self.filters)

    def widened(self) -> FieldSelection:
        """The same conditions with the step's hard filters turned into preferences; the
        caller's stay hard."""
        return FieldSelection(
            required=self.required,
            preferences=(*self.filters, *self.preferences),
            reason=f"dropped filters {describe(self.filters)}; kept as preferences",
        )

    def describe(self) -> str:
        hard = f"filters {describe(self.hard)}" if self.hard else "no filters"
        soft = f"; prefer {describe(self.preferences)}" if self.preferences else ""
        return hard + soft


def describe(conditions: Sequence[Condition]) -> str:
    """`rulebook in [AML, COBS]; passage_ref in [8.3.1]`, values cut at five."""
    parts = [
        f"{c.field} in [{', '.join(c.values[:5])}{', ...' if len(c.values) > 5 else ''}]"
        for c in conditions
    ]
    return "; ".join(parts) or "none"


class OfflineFieldRules:
    """The step's explicit rules (see the module docstring)."""

    def __call__(self, data: TaskInput) -> JSON:
        question = data.values["question"]
        required: list[JSON] = json.loads(data.values["hints"])
        chosen: list[JSON] = []
        reasons: list[str] = []
        restricted = {v for h in required if h["field"] == "rulebook" for v in h["any_of"]}
        terms = question_terms(question)
        named = [a for a in terms.abbreviations if a not in NOT_RULEBOOKS and a not in restricted]
        if named:
            chosen.append({"field": "rulebook", "any_of": named, "hard": False})
            reasons.append(f"question names {', '.join(named)}: preferred, not required")
        if terms.rule_numbers:
            chosen.append(
                {"field": "passage_ref", "any_of": list(terms.rule_numbers), "hard": False}
            )
            reasons.append(f"question cites {', '.join(terms.rule_numbers)}")
        reason = "; ".join(reasons) or "the question names no rulebook or rule"
        return {"filters": chosen, "reason": f"offline rules: {reason}"}


class FieldSelector:
    """Runs the `search.select_fields` step and validates what it chose."""

    def __init__(self, llm: LLM, compiler: FilterCompiler) -> None:
        self._llm = llm
        self._compiler = compiler
        self._task = Task.load(
            "search.select_fields",
            package=__package__,
            stem="select_fields",
            offline=OfflineFieldRules(),
            check=self._check,
            max_tokens=400,
        )

    async def select(
        self, question: str, required: Sequence[Condition], *, deadline: Deadline
    ) -> FieldSelection:
        """The conditions for `question`, given the caller's validated filters, which
        stay hard whatever the step chooses."""
        data = TaskInput(
            values={
                "question": question,
                "hints": conditions_json(required),
                "fields": ", ".join(self._compiler.fields),
            }
        )
        result = await self._llm.run(self._task, data, deadline=deadline)
        out = result.output
        chosen = [(f, self._condition(f)) for f in out["filters"]]
        return FieldSelection(
            required=tuple(required),
            filters=tuple(c for f, c in chosen if f["hard"] and c not in required),
            preferences=_united(c for f, c in chosen if not f["hard"]),
            reason=reason_of(result),
            usage=result.usage,
        )

    def _condition(self, chosen: JSON) -> Condition:
        spec = _spec(chosen)
        [condition] = self._compiler.validate([spec])
        return condition

    def _check(self, output: JSON, data: TaskInput) -> list[str]:
        """A model's filters must name filterable fields."""
        problems = []
        for i, chosen in enumerate(output["filters"]):
            spec = _spec(chosen)
            try:
                self._compiler.validate([spec], path=f"filters[{i}]")
            except InvalidArgument as exc:
                problems.append(exc.message)
        return problems


def _spec(chosen: JSON) -> common_pb2.MetadataFilter:
    return common_pb2.MetadataFilter(
        field=str(chosen["field"]), any_of=[str(v) for v in chosen["any_of"]]
    )


def _united(conditions: Iterable[Condition]) -> tuple[Condition, ...]:
    """One preference per field, its values united in order."""
    values: dict[str, dict[str, None]] = {}
    for c in conditions:
        values.setdefault(c.field, {}).update(dict.fromkeys(c.values))
    return tuple(Condition(f, tuple(list(v)[:MAX_VALUES])) for f, v in values.items())

"""The SOP's stages and the trial's turns with a model: one Task per stage (a prompt file and
the JSON schema of its answer beside this module), the answer checked for what the schema
cannot see and read back into the SOP's own values. The offline rules stand behind every
stage: with the offline provider they answer at once; with a model they answer whenever
its answer is refused, its call fails or too little time is left for it."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from arbiter_kit.deadline import Deadline
from arbiter_kit.errors import DeadlineExceeded
from arbiter_llm import JSON, LLM, Task, TaskInput, Usage

from arbiter_audit.assessment import Assessment
from arbiter_audit.matching import Candidate
from arbiter_audit.model import Applies, Fact
from arbiter_audit.stages_common import Exchange
from arbiter_audit.stages_facts import facts_exchange
from arbiter_audit.stages_rules import check_exchange, match_exchange
from arbiter_audit.stages_trial import judge_exchange, record_of, turn_exchange
from arbiter_audit.trial import Case, Judgement, Role, Turn

T = TypeVar("T")

MODEL_MIN_SECONDS = 1.0
"""Least time worth giving a model call; with less left, the offline rules answer."""
OFFLINE_RESERVE_SECONDS = 0.2
"""Kept back from the model's time so the offline rules can still answer in time after
a call that failed or was refused."""
STAGES = ("facts", "match", "check", "defense", "prosecution", "judge")
MAX_TOKENS = {"facts": 3000, "match": 1500, "check": 2500}
"""Replies that list many items need room; a trial turn fits the default."""


@dataclass(frozen=True)
class StageResult(Generic[T]):
    """What one stage concluded, and who concluded it."""

    value: T
    by_model: bool
    """Whether the model's answer was used (False: the offline rules answered)."""
    usage: Usage
    note: str = ""
    """Why the offline rules answered when a model was asked."""


@functools.cache
def stage_tasks() -> dict[str, Task]:
    """Each stage's Task, read once from its files; the offline rules and the checks
    belong to one call each and are set per call."""
    return {
        stage: Task.load(
            f"audit.{stage}",
            package="arbiter_audit",
            stem=f"audit_{stage}",
            offline=_per_call,
            max_tokens=MAX_TOKENS.get(stage, 1024),
        )
        for stage in STAGES
    }


def _per_call(data: TaskInput) -> JSON:
    del data
    raise RuntimeError("a stage's offline rules are set for each call")


class ModelStages:
    """The SOP's stages and the trial's turns, by the configured provider."""

    def __init__(self, llm: LLM) -> None:
        self.llm = llm
        self.tasks = stage_tasks()

    async def facts(
        self, situation: str, *, offline: Callable[[], list[Fact]], deadline: Deadline
    ) -> StageResult[list[Fact]]:
        """The situation's atomic facts, each with the span it was read from."""
        return await self._ask("facts", lambda: facts_exchange(situation), offline, deadline)

    async def match(
        self,
        situation: str,
        facts: Sequence[Fact],
        candidates: Sequence[Candidate],
        *,
        offline: Callable[[], list[tuple[Candidate, Applies]]],
        deadline: Deadline,
    ) -> StageResult[list[tuple[Candidate, Applies]]]:
        """Which candidates govern, best first, with their applicability and why."""
        return await self._ask(
            "match", lambda: match_exchange(situation, facts, candidates), offline, deadline
        )

    async def check(
        self,
        situation: str,
        facts: Sequence[Fact],
        rules: Sequence[tuple[Candidate, Applies]],
        *,
        offline: Callable[[], list[Assessment]],
        deadline: Deadline,
    ) -> StageResult[list[Assessment]]:
        """Per rule, in the order given: the condition it turns on and how the facts meet it."""
        return await self._ask(
            "check", lambda: check_exchange(situation, facts, rules), offline, deadline
        )

    async def defend(
        self, case: Case, *, offline: Callable[[], Turn], deadline: Deadline
    ) -> StageResult[Turn]:
        return await self._ask(
            "defense", lambda: turn_exchange(record_of(case), Role.DEFENSE), offline, deadline
        )

    async def prosecute(
        self, case: Case, defense: Turn, *, offline: Callable[[], Turn], deadline: Deadline
    ) -> StageResult[Turn]:
        return await self._ask(
            "prosecution",
            lambda: turn_exchange(record_of(case), Role.PROSECUTION, defense=defense.text),
            offline,
            deadline,
        )

    async def judge(
        self,
        case: Case,
        defense: Turn,
        prosecution: Turn,
        *,
        offline: Callable[[], Judgement],
        deadline: Deadline,
    ) -> StageResult[Judgement]:
        return await self._ask(
            "judge",
            lambda: judge_exchange(case, record_of(case), defense, prosecution),
            offline,
            deadline,
        )

    async def _ask(
        self,
        stage: str,
        exchange_of: Callable[[], Exchange[T]],
        offline: Callable[[], T],
        deadline: Deadline,
    ) -> StageResult[T]:
        """The model's answer when it passes the schema and the stage's checks; otherwise
        the offline value itself, with a note saying why. `exchange_of` is only called
        when a model is asked: the offline provider needs no prompt."""
        if self.llm.name == "offline":
            return StageResult(offline(), by_model=False, usage=Usage())
        rules = functools.cache(offline)  # run at most once, whoever asks first
        model_deadline = Deadline(deadline.at - OFFLINE_RESERVE_SECONDS)
        if model_deadline.remaining() < MODEL_MIN_SECONDS:
            return _offline(rules(), Usage(), _too_late(deadline))
        exchange = exchange_of()
        task = dataclasses.replace(
            self.tasks[stage],
            offline=lambda _: exchange.to_json(rules()),
            check=lambda output, _: exchange.problems(output),
        )
        try:
            result = await self.llm.run(task, exchange.data, deadline=model_deadline)
        except DeadlineExceeded:
            return _offline(rules(), Usage(), _too_late(deadline))
        if not result.from_model:
            return _offline(rules(), result.usage, _refused(result.problems))
        try:
            value = exchange.read(result.output)
        except (ValueError, KeyError, IndexError) as exc:
            # The checks are meant to make this unreachable; if they missed something,
            # the offline rules still answer rather than the stage failing.
            return _offline(rules(), result.usage, _refused([f"unreadable: {exc}"]))
        return StageResult(value, by_model=True, usage=result.usage)


def _offline(value: T, usage: Usage, note: str) -> StageResult[T]:
    return StageResult(value, by_model=False, usage=usage, note=note)


def _too_late(deadline: Deadline) -> str:
    return (
        f"{deadline.remaining():.2f} s were left, too little for the model; "
        "the offline rules answered"
    )


def _refused(problems: Sequence[str]) -> str:
    shown = "; ".join(problems[:3]) or "no reason given"
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    return f"the model's answer was not used ({shown}{more}); the offline rules answered"

"""The Judge flow: the audit SOP (fact extraction, regulation matching, compliance check,
disposition), then the adversarial trial when it is wanted, each stage and turn streamed
as progress, ending in exactly one JudgeResult. Each stage is the configured provider's
(`model_stages`), with the offline rules behind it; the disposition is always the explicit
rule of `assessment.decide` over the rules assessed."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import AsyncIterator, Sequence

from arbiter.audit.v1 import audit_pb2
from arbiter.common.v1 import common_pb2
from arbiter_kit.deadline import Deadline
from arbiter_llm import LLM, OfflineLLM, Usage

from arbiter_audit import trial
from arbiter_audit.assessment import Assessment, Decision, assess, decide, spoken_of
from arbiter_audit.config import AuditConfig, TrialSetting
from arbiter_audit.matching import (
    MAX_QUERY_CHARS,
    Candidate,
    governing,
    is_precedent,
    rank,
    search_queries,
)
from arbiter_audit.model import Applicability, Applies, Fact
from arbiter_audit.model_stages import ModelStages
from arbiter_audit.precedents import Precedent, merged, read_precedent, under
from arbiter_audit.reading import extract_facts
from arbiter_audit.record import verdict
from arbiter_audit.rule_search import FINDINGS, RuleSearch, Searched

JudgeEvent = common_pb2.Progress | audit_pb2.JudgeResult
TRIAL_MODES: dict[int, TrialSetting] = {
    audit_pb2.TRIAL_MODE_ON_BREACH: "on_breach",
    audit_pb2.TRIAL_MODE_ALWAYS: "always",
    audit_pb2.TRIAL_MODE_NEVER: "never",
}
SHOWN_FACTS = 6
"""Facts a progress message lists before "and N more"."""
MATCH_CANDIDATES = 8
"""Candidates a model is shown to choose the governing rules from."""


def progress(stage: str, message: str) -> common_pb2.Progress:
    return common_pb2.Progress(stage=stage, message=message)


class AuditSOP:
    """Judges a described situation against the rules."""

    def __init__(
        self,
        search: RuleSearch | None,
        config: AuditConfig = AuditConfig.default,
        llm: LLM | None = None,
    ) -> None:
        self.search = search
        self.config = config
        self.stages = ModelStages(llm or OfflineLLM())

    async def run(
        self,
        situation: str,
        passages: Sequence[common_pb2.Passage],
        *,
        trial_mode: int,
        deadline: Deadline,
    ) -> AsyncIterator[JudgeEvent]:
        usage = Usage()
        read = functools.cache(lambda: extract_facts(situation))
        found = await self.stages.facts(situation, offline=read, deadline=deadline)
        usage += found.usage
        facts = found.value
        yield progress("facts", _facts_note(facts) + _aside(found.note))

        queries = search_queries(situation, facts, limit=self._queries())
        searched = await self._search(situation, queries, deadline)
        candidates = rank(situation, passages, searched.passages)

        # Matching assesses its pool to rank it; the check reuses those assessments for
        # the rules it is given with the same applicability (a model may choose others).
        assessed: dict[int, Assessment] = {}

        def offline_match() -> list[tuple[Candidate, Applies]]:
            pool = governing(candidates, limit=self.config.match_pool)
            chosen = spoken_of(pool, read(), among=candidates)[: self.config.rules_assessed]
            assessed.update((id(a.rule), a) for a in chosen)
            return [(a.rule, a.applies) for a in chosen]

        def offline_check() -> list[Assessment]:
            known = [assessed.get(id(c)) for c, _ in rules]
            return [
                k if k is not None and k.applies == a else assess(c, a, read())
                for k, (c, a) in zip(known, rules, strict=True)
            ]

        matched = await self.stages.match(
            situation,
            facts,
            candidates[:MATCH_CANDIDATES],
            offline=offline_match,
            deadline=deadline,
        )
        usage += matched.usage
        rules = matched.value[: self.config.rules_assessed]
        yield progress(
            "match", _match_note(candidates, rules, searched, len(passages)) + _aside(matched.note)
        )

        checked = await self.stages.check(
            situation,
            facts,
            rules,
            offline=offline_check,
            deadline=deadline,
        )
        usage += checked.usage
        assessments = checked.value
        if found.by_model and not checked.by_model:
            facts = read()  # the offline check read its own facts: the record shows those
        yield progress("check", _check_note(assessments) + _aside(checked.note))

        decision = decide(assessments, facts)
        if decision.deciding is None and searched.failures:
            # Nothing to check because the search for rules failed: the verdict says so.
            why = "; ".join(searched.failures)
            decision = dataclasses.replace(decision, reason=f"{decision.reason} ({why})")
        yield progress(
            "disposition",
            f"{decision.disposition.replace('_', ' ').lower()} (confidence "
            f"{decision.confidence:.2f}): {decision.reason}",
        )

        precedents = await self._precedents(passages, decision, deadline)
        turns: list[trial.Turn] = []
        judgement: trial.Judgement | None = None
        setting = TRIAL_MODES.get(int(trial_mode), self.config.trial)
        if trial.wanted(setting, decision.disposition):
            case = trial.Case(
                situation, tuple(facts), decision, tuple(assessments), tuple(precedents)
            )
            defense = await self.stages.defend(
                case, offline=lambda: trial.defend(case), deadline=deadline
            )
            yield progress("defense", defense.value.text + _aside(defense.note))
            prosecution = await self.stages.prosecute(
                case,
                defense.value,
                offline=lambda: trial.prosecute(case, defense.value),
                deadline=deadline,
            )
            yield progress("prosecution", prosecution.value.text + _aside(prosecution.note))
            ruled = await self.stages.judge(
                case,
                defense.value,
                prosecution.value,
                offline=lambda: trial.judge(case, defense.value, prosecution.value),
                deadline=deadline,
            )
            yield progress("judge", ruled.value.turn.text + _aside(ruled.note))
            usage += defense.usage + prosecution.usage + ruled.usage
            judgement = ruled.value
            turns = [defense.value, prosecution.value, judgement.turn]

        by_source = {p.source_id: p for p in [*passages, *(c.passage for c in candidates)]}
        by_source.update({p.passage.source_id: p.passage for p in precedents})
        result = verdict(
            facts=facts,
            decision=decision,
            assessments=assessments,
            precedents=precedents,
            turns=turns,
            judgement=judgement,
            passages_by_source=by_source,
        )
        yield audit_pb2.JudgeResult(verdict=result, usage=usage.message())

    def _queries(self) -> int:
        return self.config.search_queries if self.search is not None else 0

    async def _search(self, situation: str, queries: list[str], deadline: Deadline) -> Searched:
        """The whole situation, deeper (a governing rule a paraphrase reaches only past
        the first ten), and each sentence with facts, at once."""
        if self.search is None:
            return Searched(passages=())
        share = Deadline.after(deadline.remaining() * self.config.search_share)
        config = self.config
        whole, parts = await asyncio.gather(
            self.search.retrieve(
                [situation[:MAX_QUERY_CHARS]], top_k=config.situation_top_k, deadline=share
            ),
            self.search.retrieve(queries, top_k=config.search_top_k, deadline=share),
        )
        return Searched(
            passages=whole.passages + parts.passages,
            failures=tuple(dict.fromkeys(whole.failures + parts.failures)),
        )

    async def _precedents(
        self, passages: Sequence[common_pb2.Passage], decision: Decision, deadline: Deadline
    ) -> list[Precedent]:
        """Findings under the deciding rule: those the research step brought, and those a
        search for the rule's words finds among documents of type `finding`; then the
        chunks of theirs that hold how each ended, when the ones found do not say."""
        if decision.deciding is None:
            return []
        rule = decision.deciding.rule.passage
        found = under(rule, [read_precedent(p) for p in passages if is_precedent(p)])
        if self.search is None:
            return found
        share = Deadline.after(deadline.remaining() * self.config.search_share)
        top_k = self.config.search_top_k * 2
        searched = await self.search.retrieve(
            [f"{rule.rulebook} {rule.passage_ref} {rule.text}"[:MAX_QUERY_CHARS]],
            top_k=top_k,
            deadline=share,
            doc_types=[FINDINGS],
        )
        found = under(rule, [*found, *(read_precedent(p) for p in _passages(searched))])
        untold = [f.finding_id for f in found if not f.outcome][:top_k]
        if untold:
            share = Deadline.after(deadline.remaining() * self.config.search_share)
            rest = await self.search.retrieve(
                ["Outcome Penalty decided"],
                top_k=2 * len(untold),
                deadline=share,
                doc_types=[FINDINGS],
                document_ids=untold,
            )
            found = merged([*found, *(read_precedent(p) for p in _passages(rest))])
        return found


def _passages(searched: Searched) -> list[common_pb2.Passage]:
    return [p for hits in searched.passages for p in hits]


def _aside(note: str) -> str:
    """A stage's note (why the offline rules answered for a model), as a progress aside."""
    return f" ({note})" if note else ""


def _facts_note(facts: Sequence[Fact]) -> str:
    if not facts:
        return "no facts the offline patterns can read"
    shown = "; ".join(f"{f.id} {f.text}" for f in facts[:SHOWN_FACTS])
    more = f"; and {len(facts) - SHOWN_FACTS} more" if len(facts) > SHOWN_FACTS else ""
    return f"{len(facts)} facts: {shown}{more}"


def _match_note(
    candidates: Sequence[Candidate],
    rules: Sequence[tuple[Candidate, Applies]],
    searched: Searched,
    given: int,
) -> str:
    lists = f"{given} passages from research, {len(searched.passages)} searches of its own"
    failed = f" ({'; '.join(searched.failures)})" if searched.failures else ""
    if not rules:
        return f"{lists}{failed}: {len(candidates)} candidates, none with a condition to check"
    named = ", ".join(c.reference for c, _ in rules)
    return f"{lists}{failed}: {len(candidates)} candidates; rules to check: {named}"


def _check_note(assessments: Sequence[Assessment]) -> str:
    if not assessments:
        return "no rule to check"
    parts = []
    for a in assessments:
        if a.applies.applicability is Applicability.DOES_NOT_APPLY:
            parts.append(f"{a.rule.reference}: does not apply ({a.applies.reason})")
        else:
            parts.append(f"{a.rule.reference}: {a.compliance.value}")
    return "; ".join(parts)

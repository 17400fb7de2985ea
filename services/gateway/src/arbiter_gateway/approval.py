"""A human in the loop: which plans need a decision before they run (the caller's
`require_approval`, or the policy for the tenant and the plan's intent), and what makes a plan
runnable — the one set of rules for the planner's plans and for a caller's modified steps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from arbiter.common.v1 import common_pb2
from arbiter_kit.errors import InvalidArgument
from arbiter_kit.validation import required_id, required_text

MAX_STEPS = 12
"""Most steps a plan may have."""
MAX_TASK_CHARS = 4000


@dataclass(frozen=True)
class ApprovalPolicy:
    """Plans of these intents need a decision, per tenant: `(tenant, intent)` pairs, `*` for
    any tenant, read from GATEWAY_APPROVAL_POLICY as `tenant:intent,...`
    (e.g. `*:judgement,acme:data_analysis`)."""

    rules: frozenset[tuple[str, str]] = frozenset()

    @classmethod
    def parse(cls, text: str) -> ApprovalPolicy:
        rules = set()
        names = common_pb2.Intent.DESCRIPTOR.values_by_name
        known = {name.removeprefix("INTENT_").lower() for name in names}
        for n, entry in enumerate(p.strip() for p in text.split(",") if p.strip()):
            tenant, _, intent = entry.partition(":")
            if not tenant or intent not in known:
                raise InvalidArgument(
                    "GATEWAY_APPROVAL_POLICY",
                    f"entry {n + 1} must be tenant:intent with an intent among "
                    f"{', '.join(sorted(known))}",
                )
            rules.add((tenant, intent))
        return cls(frozenset(rules))

    def requires(self, tenant: str, intent: int) -> bool:
        name = common_pb2.Intent.Name(intent).removeprefix("INTENT_").lower()
        return (tenant, name) in self.rules or ("*", name) in self.rules


def plan_problem(
    steps: Sequence[common_pb2.Step], *, kinds: frozenset[int]
) -> tuple[str, str] | None:
    """The first reason `steps` cannot run, as (field, why), or None: ids present and unique,
    kinds the gateway runs, dependencies on steps of the plan, no cycle, at most MAX_STEPS."""
    if len(steps) > MAX_STEPS:
        return "steps", f"at most {MAX_STEPS} steps"
    seen: set[str] = set()
    for n, step in enumerate(steps):
        if not step.id:
            return f"steps[{n}].id", "must not be empty"
        if step.id in seen:
            return f"steps[{n}].id", "repeats an earlier step's id"
        seen.add(step.id)
        if step.kind not in kinds:
            return f"steps[{n}].kind", "is not a kind of step the gateway runs"
    for n, step in enumerate(steps):
        for m, dependency in enumerate(step.depends_on):
            if dependency not in seen or dependency == step.id:
                return f"steps[{n}].depends_on[{m}]", "must name another step of the plan"
    # Kahn's algorithm: a cycle would leave steps that can never start.
    waiting = {step.id: len(step.depends_on) for step in steps}
    ready = [sid for sid, count in waiting.items() if count == 0]
    done = 0
    while ready:
        current = ready.pop()
        done += 1
        for step in steps:
            if current in step.depends_on:
                waiting[step.id] -= 1
                if waiting[step.id] == 0:
                    ready.append(step.id)
    if done != len(steps):
        return "steps", "the dependencies form a cycle"
    return None


def modified_steps(
    steps: Sequence[common_pb2.Step], *, kinds: frozenset[int]
) -> list[common_pb2.Step]:
    """A caller's steps to run instead of the plan's, checked: InvalidArgument names the
    field at fault. Each comes back PENDING, with only what a caller may set."""
    if not steps:
        raise InvalidArgument("steps", "a modified plan needs at least one step")
    for n, step in enumerate(steps):
        required_id(f"steps[{n}].id", step.id, max_chars=32)
        required_text(f"steps[{n}].task", step.task, max_chars=MAX_TASK_CHARS)
    problem = plan_problem(steps, kinds=kinds)
    if problem is not None:
        raise InvalidArgument(*problem)
    return [
        common_pb2.Step(
            id=s.id,
            kind=s.kind,
            task=s.task.strip(),
            description=s.description[:MAX_TASK_CHARS],
            depends_on=list(s.depends_on),
            status=common_pb2.STEP_STATUS_PENDING,
        )
        for s in steps
    ]

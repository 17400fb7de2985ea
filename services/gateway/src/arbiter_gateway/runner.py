"""Runs one session: plan, then the plan's steps in dependency order (independent
steps concurrently), each on its own task and its dependencies' outputs, then the final
response. A failed step never ends the session: its absence is reported in `missing`.
Answers are written by the synthesis step only: when it fails, the final response says
so in a fixed sentence and writes nothing of its own."""

from __future__ import annotations

import asyncio
import logging

from arbiter.common.v1 import common_pb2
from arbiter.gateway.v1 import gateway_pb2
from arbiter.planner.v1 import planner_pb2, planner_pb2_grpc
from arbiter_kit.breaker import is_failure
from arbiter_kit.deadline import Deadline
from arbiter_kit.errors import ArbiterError, FailedPrecondition, NotFound, shown

from arbiter_gateway.approval import plan_problem
from arbiter_gateway.config import GatewayConfig
from arbiter_gateway.fallback import degraded_note, fallback_plan
from arbiter_gateway.results import SessionResults
from arbiter_gateway.sessions import Session, State
from arbiter_gateway.steps import STEPS, Workers

log = logging.getLogger(__name__)
Status = common_pb2.StepStatus
FINISHED = frozenset(
    {Status.STEP_STATUS_COMPLETED, Status.STEP_STATUS_FAILED, Status.STEP_STATUS_SKIPPED}
)

KIND_NAMES = {
    common_pb2.STEP_KIND_RESEARCH: "the regulatory research",
    common_pb2.STEP_KIND_JUDGE: "the compliance judgement",
    common_pb2.STEP_KIND_ANALYZE_DATA: "the data analysis",
    common_pb2.STEP_KIND_SYNTHESIZE: "the written answer",
}
NO_ANSWER = "I could not write an answer: the step that writes it did not complete."
"""The whole answer when synthesis did not happen; `missing` says what failed."""
NO_SYNTHESIS_STEP = "the written answer: no step of the plan produced it"


class PlanRefused(Exception):
    """The plan will not run: rejected, or no decision in time."""

    def __init__(
        self, code: str, reason: str, message: str, state: gateway_pb2.SessionState
    ) -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.state = code, reason, message, state


class SessionRun:
    """The work behind one session, from planning to the final response."""

    def __init__(
        self,
        *,
        session: Session,
        request: gateway_pb2.AskRequest,
        workers: Workers,
        config: GatewayConfig,
        deadline: Deadline,
    ) -> None:
        self.session = session
        self.request = request
        self.workers = workers
        self.config = config
        self.deadline = deadline
        # Search gets the caller's filters only, and holds them hard. A rulebook the
        # question names search reads itself, as a preference: the answer is often
        # elsewhere (docs/research.md).
        self.filters = list(request.filters)
        self.results = SessionResults()
        self.steps: dict[str, common_pb2.Step] = {}
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.skipped: set[str] = set()
        self.decision: asyncio.Future[tuple[int, list[common_pb2.Step]]] | None = None

    async def run(self) -> None:
        """Never raises: every ending is an event (final_response or error)."""
        s = self.session
        try:
            await s.emit(
                session_started=gateway_pb2.SessionStarted(
                    session_id=s.id, resume_token=s.resume_token
                )
            )
            plan = await self._plan()
            if not plan.steps:
                await self._finish(answer=plan.direct_answer)
                return
            why = self._approval_reason(plan)
            if why:
                plan = await self._approved(plan, why)
            await s.emit(execution_started=gateway_pb2.ExecutionStarted(strategy=plan.strategy))
            await self._execute()
            await self._finish(answer="")
        except asyncio.CancelledError:
            s.state = State.SESSION_STATE_CANCELLED
            await self._fail("CANCELLED", "SESSION_CANCELLED", "the session was cancelled")
        except PlanRefused as refused:
            s.state = refused.state
            await self._fail(refused.code, refused.reason, refused.message)
        except ArbiterError as exc:
            await self._fail(exc.code.name, exc.reason, exc.public_message())
        except Exception:
            log.exception("session failed")
            await self._fail("INTERNAL", "INTERNAL", "internal error; see the gateway logs")

    async def _plan(self) -> common_pb2.Plan:
        s = self.session
        await s.emit(
            planning_started=gateway_pb2.PlanningStarted(message="classifying the question")
        )
        try:
            plan = await self._ask_planner()
        except ArbiterError as exc:
            if not is_failure(exc.code):
                raise  # the planner answered: the request itself was refused
            plan = self._plan_without_planner(exc)
        self._validate(plan)
        for step in plan.steps:
            step.status = Status.STEP_STATUS_PENDING
            self.steps[step.id] = step
        s.plan = plan
        await s.emit(plan_ready=gateway_pb2.PlanReady(plan=plan))
        return plan

    def _approval_reason(self, plan: common_pb2.Plan) -> str:
        if self.request.require_approval:
            return "the caller asked to approve the plan"
        if self.config.approval.requires(self.session.tenant, plan.intent):
            return "the tenant's policy needs a decision on plans of this kind"
        return ""

    async def _approved(self, plan: common_pb2.Plan, why: str) -> common_pb2.Plan:
        """Wait for DecidePlan (or the time allowed): the plan to run, as decided. A
        rejection or no decision in time ends the session (PlanRefused)."""
        s = self.session
        s.state = State.SESSION_STATE_AWAITING_APPROVAL
        self.decision = asyncio.get_running_loop().create_future()
        await s.emit(awaiting_approval=gateway_pb2.AwaitingApproval(plan=plan, reason=why))
        wait = self.config.approval_timeout_seconds
        try:
            decision, steps = await asyncio.wait_for(asyncio.shield(self.decision), wait)
        except TimeoutError:
            raise PlanRefused(
                "DEADLINE_EXCEEDED",
                "APPROVAL_EXPIRED",
                f"no decision on the plan within {wait:g} s",
                State.SESSION_STATE_FAILED,
            ) from None
        if decision == gateway_pb2.PLAN_DECISION_REJECT:
            raise PlanRefused(
                "CANCELLED", "PLAN_REJECTED", "the plan was rejected", State.SESSION_STATE_CANCELLED
            )
        s.state = State.SESSION_STATE_RUNNING
        # The session's budget starts once it may run: a person's time to decide is not
        # the steps' time.
        self.deadline = Deadline.after(self.config.request_budget_seconds)
        if decision == gateway_pb2.PLAN_DECISION_MODIFY:
            del plan.steps[:]
            plan.steps.extend(steps)
            self.steps = {step.id: step for step in plan.steps}
            s.plan = plan
            await s.emit(plan_ready=gateway_pb2.PlanReady(plan=plan))
        return plan

    def decide(
        self, decision: gateway_pb2.PlanDecision, steps: list[common_pb2.Step]
    ) -> common_pb2.Plan:
        """DecidePlan on this session: the plan as it will run (MODIFY: with `steps`)."""
        if self.decision is None or self.decision.done():
            raise FailedPrecondition(
                "the session is not awaiting a decision on its plan", reason="NOT_AWAITING_APPROVAL"
            )
        self.decision.set_result((decision, steps))
        plan = common_pb2.Plan()
        plan.CopyFrom(self.session.plan)
        if decision == gateway_pb2.PLAN_DECISION_MODIFY:
            del plan.steps[:]
            plan.steps.extend(steps)
        return plan

    async def _ask_planner(self) -> common_pb2.Plan:
        stub = planner_pb2_grpc.PlannerServiceStub(self.workers.planner.channel)
        response = await self.workers.planner.unary(
            stub.Plan,
            planner_pb2.PlanRequest(question=self.session.question, filters=self.request.filters),
            deadline=self.deadline.shorter(self.config.planning_timeout_seconds),
        )
        self.results.add_usage(response.usage)
        plan: common_pb2.Plan = response.plan
        return plan

    def _plan_without_planner(self, failure: ArbiterError) -> common_pb2.Plan:
        """A down planner must not take greetings, or every answer, down with it."""
        why = failure.public_message()
        log.warning("planning without the planner: %s", why, extra={"reason": failure.reason})
        plan = fallback_plan(self.session.question, self.request.filters, why=why)
        if plan.steps:
            self.results.note_missing(degraded_note(why))
        return plan

    def _validate(self, plan: common_pb2.Plan) -> None:
        problem = plan_problem(plan.steps, kinds=frozenset(STEPS))
        if problem is not None:
            field, why = problem
            raise FailedPrecondition(
                f"the planner returned a plan that cannot run ({field} {why})", reason="BAD_PLAN"
            )

    async def _execute(self) -> None:
        while True:
            for step in self.steps.values():
                if step.id in self.tasks or step.status in FINISHED:
                    continue
                if all(self.steps[d].status in FINISHED for d in step.depends_on):
                    self.tasks[step.id] = asyncio.create_task(self._run_step(step))
            running = [t for t in self.tasks.values() if not t.done()]
            if not running:
                return
            await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)

    async def _run_step(self, step: common_pb2.Step) -> None:
        if step.id in self.skipped:
            await self._finish_step(step, Status.STEP_STATUS_SKIPPED, "skipped by the caller")
            return
        step.started_at.GetCurrentTime()
        await self._update(step, Status.STEP_STATUS_IN_PROGRESS)
        deadline = self.deadline.shorter(self.config.step_timeout_seconds)
        given = self.results.input_for(
            step, self.session.plan, question=self.session.question, filters=self.filters
        )
        try:
            output = await STEPS[step.kind](self.workers, self.session, step.id, given, deadline)
        except asyncio.CancelledError:
            if step.id not in self.skipped:
                raise
            await self._finish_step(step, Status.STEP_STATUS_SKIPPED, "skipped by the caller")
        except ArbiterError as exc:
            await self._finish_step(step, Status.STEP_STATUS_FAILED, exc.public_message())
        except Exception:
            log.exception("step failed", extra={"step": step.id})
            await self._finish_step(step, Status.STEP_STATUS_FAILED, "internal error")
        else:
            self.results.record(step.id, output)
            await self._finish_step(step, Status.STEP_STATUS_COMPLETED, "")

    async def _finish_step(
        self, step: common_pb2.Step, status: common_pb2.StepStatus, error: str
    ) -> None:
        step.finished_at.GetCurrentTime()
        if status != Status.STEP_STATUS_COMPLETED:
            what = KIND_NAMES.get(step.kind, "a step")
            verb = "was skipped" if status == Status.STEP_STATUS_SKIPPED else "failed"
            note = f"{what} ({step.id}: {step.task}) {verb}: {error}"
            self.results.note_missing(note, step_id=step.id)
        await self._update(step, status, error=error)

    async def _update(
        self, step: common_pb2.Step, status: common_pb2.StepStatus, *, error: str = ""
    ) -> None:
        step.status = status
        step.error = error
        await self.session.emit(step_updated=gateway_pb2.StepUpdated(step=step))

    async def skip(self, step_id: str) -> common_pb2.Step:
        step = self.steps.get(step_id)
        if step is None:
            raise NotFound(f"no step {shown(step_id)} in this session", reason="STEP_NOT_FOUND")
        if step.status in FINISHED:
            raise FailedPrecondition(
                f"step {shown(step_id)} has already finished", reason="STEP_FINISHED"
            )
        self.skipped.add(step_id)
        task = self.tasks.get(step_id)
        if task is not None:
            task.cancel()
        return step

    async def _finish(self, *, answer: str) -> None:
        """The final response; `answer` is the planner's own reply to a plan of no steps."""
        plan = self.session.plan
        shown = self.results.final(plan)
        if plan.steps and shown.synthesis is None and not self._synthesis_reported():
            self.results.note_missing(NO_SYNTHESIS_STEP)
        final = gateway_pb2.FinalResponse(
            intent=plan.intent, usage=self.results.usage, missing=self.results.missing
        )
        if shown.synthesis is not None:
            final.answer = shown.synthesis.answer
            final.citations.extend(shown.synthesis.citations)
            final.reflection.CopyFrom(shown.synthesis.reflection)
        else:
            final.answer = answer or NO_ANSWER
        if shown.verdict is not None:
            final.verdict.CopyFrom(shown.verdict)
        if shown.data is not None:
            final.table.CopyFrom(shown.data.table)
            final.chart.CopyFrom(shown.data.chart)
            final.sql = shown.data.sql
        self.session.final = final
        self.session.state = State.SESSION_STATE_COMPLETED
        await self.session.emit(final_response=final)

    def _synthesis_reported(self) -> bool:
        """A synthesis step failed or was skipped, so `missing` already says so."""
        return any(
            s.kind == common_pb2.STEP_KIND_SYNTHESIZE and s.status != Status.STEP_STATUS_COMPLETED
            for s in self.steps.values()
        )

    async def _fail(self, code: str, reason: str, message: str) -> None:
        s = self.session
        if s.state == State.SESSION_STATE_RUNNING:
            s.state = State.SESSION_STATE_FAILED
        for task in self.tasks.values():
            task.cancel()
        if not s.ended:
            await s.emit(error=gateway_pb2.Error(code=code, reason=reason, message=message))

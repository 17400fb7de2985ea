"""The GatewayService: validates requests, opens sessions, streams their events (from the
session store: docs/sessions.md)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
from arbiter.common.v1 import common_pb2
from arbiter.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from arbiter_kit import logs
from arbiter_kit.deadline import Deadline
from arbiter_kit.errors import FailedPrecondition, InvalidArgument
from arbiter_kit.validation import required_id

from arbiter_gateway.approval import modified_steps
from arbiter_gateway.config import GatewayConfig
from arbiter_gateway.requests import validate_ask
from arbiter_gateway.runner import SessionRun
from arbiter_gateway.sessions import SessionStore, State
from arbiter_gateway.steps import STEPS, Workers


class GatewayServicer(gateway_pb2_grpc.GatewayServiceServicer):  # type: ignore[misc]
    """Ask, Resume, CancelSession, SkipStep and GetSession over the session store."""

    def __init__(self, *, config: GatewayConfig, workers: Workers, sessions: SessionStore) -> None:
        self.config = config
        self.workers = workers
        self.sessions = sessions
        self.runs: dict[str, SessionRun] = {}

    async def Ask(
        self, request: gateway_pb2.AskRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[gateway_pb2.AskResponse]:
        question = validate_ask(request, self.config)
        deadline = Deadline.of_call(context, default=self.config.request_budget_seconds)
        deadline = deadline.shorter(self.config.request_budget_seconds)
        session = await self.sessions.open(question)
        logs.session_id.set(session.id)
        run = SessionRun(
            session=session,
            request=request,
            workers=self.workers,
            config=self.config,
            deadline=deadline,
        )
        self.runs[session.id] = run
        # The run is a task of its own: a caller that drops the stream can Resume.
        session.task = asyncio.create_task(run.run())

        def ran(_: asyncio.Task[None]) -> None:
            self.runs.pop(session.id, None)
            self.sessions.ran(session)

        session.task.add_done_callback(ran)
        async for event in session.follow():
            yield gateway_pb2.AskResponse(event=event)

    async def Resume(
        self, request: gateway_pb2.ResumeRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[gateway_pb2.ResumeResponse]:
        session_id = required_id("session_id", request.session_id)
        stored = await self.sessions.authorise(session_id, request.resume_token)
        async for event in self.sessions.follow(stored, request.after_seq):
            yield gateway_pb2.ResumeResponse(event=event)

    async def CancelSession(
        self, request: gateway_pb2.CancelSessionRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> gateway_pb2.CancelSessionResponse:
        session_id = required_id("session_id", request.session_id)
        stored = await self.sessions.find(session_id)
        session = self.sessions.running(session_id)
        if session is None:
            return gateway_pb2.CancelSessionResponse(state=stored.state)  # type: ignore[arg-type]
        if session.task is not None and not session.task.done():
            session.task.cancel()
            await asyncio.wait([session.task], timeout=5.0)
        return gateway_pb2.CancelSessionResponse(state=session.state)

    async def SkipStep(
        self, request: gateway_pb2.SkipStepRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> gateway_pb2.SkipStepResponse:
        session_id = required_id("session_id", request.session_id)
        step_id = required_id("step_id", request.step_id)
        await self.sessions.find(session_id)
        session = self.sessions.running(session_id)
        run = self.runs.get(session_id)
        if session is None or run is None or session.state != State.SESSION_STATE_RUNNING:
            raise FailedPrecondition("the session is not running", reason="SESSION_NOT_RUNNING")
        step = await run.skip(step_id)
        return gateway_pb2.SkipStepResponse(step=step)

    async def GetSession(
        self, request: gateway_pb2.GetSessionRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> gateway_pb2.GetSessionResponse:
        session_id = required_id("session_id", request.session_id)
        return gateway_pb2.GetSessionResponse(session=await self.sessions.snapshot(session_id))

    async def DecidePlan(
        self, request: gateway_pb2.DecidePlanRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> gateway_pb2.DecidePlanResponse:
        session_id = required_id("session_id", request.session_id)
        decision = request.decision
        if decision == gateway_pb2.PLAN_DECISION_UNSPECIFIED:
            raise InvalidArgument("decision", "must be APPROVE, MODIFY or REJECT")
        steps: list[common_pb2.Step] = []
        if decision == gateway_pb2.PLAN_DECISION_MODIFY:
            steps = modified_steps(request.steps, kinds=frozenset(STEPS))
        elif request.steps:
            raise InvalidArgument("steps", "only a MODIFY decision carries steps")
        stored = await self.sessions.find(session_id)
        run = self.runs.get(session_id)
        if run is None:
            if stored.state == State.SESSION_STATE_AWAITING_APPROVAL:
                raise FailedPrecondition(
                    "the session runs on another gateway replica; decide there",
                    reason="SESSION_ON_ANOTHER_REPLICA",
                )
            raise FailedPrecondition(
                "the session is not awaiting a decision on its plan", reason="NOT_AWAITING_APPROVAL"
            )
        return gateway_pb2.DecidePlanResponse(plan=run.decide(decision, steps))

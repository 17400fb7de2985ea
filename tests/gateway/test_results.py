"""What a step works from: its own task and its dependencies' outputs, never the
session's pool; what the final response shows of the steps' outputs."""

from __future__ import annotations

from arbiter.analysis.v1 import analysis_pb2
from arbiter.common.v1 import common_pb2 as K
from arbiter_gateway.results import MAX_STEP_PASSAGES, SessionResults, StepOutput

QUESTION = "Two situations: is either a breach?"
CALLERS = [K.MetadataFilter(field="rulebook", any_of=["AML"])]


def passage(pid: str, score: float) -> K.Passage:
    return K.Passage(id=pid, score=score, text=f"text of {pid}")


def two_judgements() -> K.Plan:
    """Two research steps, each feeding its own judge; synthesis depends on all four."""
    plan = K.Plan()
    plan.steps.add(id="s1", kind=K.STEP_KIND_RESEARCH, task="first situation")
    plan.steps.add(id="s2", kind=K.STEP_KIND_JUDGE, task="first situation", depends_on=["s1"])
    plan.steps.add(id="s3", kind=K.STEP_KIND_RESEARCH, task="second situation")
    plan.steps.add(id="s4", kind=K.STEP_KIND_JUDGE, task="second situation", depends_on=["s3"])
    plan.steps.add(id="s5", kind=K.STEP_KIND_SYNTHESIZE, depends_on=["s1", "s2", "s3", "s4"])
    return plan


def test_each_step_sees_only_what_its_own_dependencies_produced() -> None:
    plan = two_judgements()
    results = SessionResults()
    results.record("s1", StepOutput(passages=(passage("a", 0.9), passage("b", 0.5))))
    results.record("s3", StepOutput(passages=(passage("c", 0.8), passage("b", 0.7))))
    s1, s2, s3, s4, s5 = plan.steps

    first = results.input_for(s2, plan, question=QUESTION, filters=CALLERS)
    second = results.input_for(s4, plan, question=QUESTION, filters=CALLERS)
    assert (first.task, [p.id for p in first.passages()]) == ("first situation", ["a", "b"])
    assert (second.task, [p.id for p in second.passages()]) == ("second situation", ["c", "b"])
    assert list(first.filters) == CALLERS

    verdict = K.Verdict(summary="first: a breach")
    results.record("s2", StepOutput(verdict=verdict))
    results.record("s4", StepOutput())
    synthesis = results.input_for(s5, plan, question=QUESTION, filters=CALLERS)
    # A step without a task of its own works on the question; a passage found twice
    # comes once, at its best score.
    assert synthesis.task == QUESTION
    assert [(p.id, round(p.score, 2)) for p in synthesis.passages()] == [
        ("a", 0.9),
        ("c", 0.8),
        ("b", 0.7),
    ]
    assert synthesis.verdict() == verdict and first.verdict() is None
    assert results.input_for(s1, plan, question=QUESTION, filters=CALLERS).dependencies == ()
    assert results.input_for(s3, plan, question=QUESTION, filters=CALLERS).passages() == []


def test_a_step_is_given_its_dependencies_best_passages_only() -> None:
    plan = two_judgements()
    results = SessionResults()
    many = tuple(passage(f"p{n}", n / 100) for n in range(30))
    results.record("s1", StepOutput(passages=many))
    given = results.input_for(plan.steps[1], plan, question=QUESTION, filters=[])
    best_first = [f"p{n}" for n in range(29, -1, -1)]
    assert [p.id for p in given.passages()] == best_first[:MAX_STEP_PASSAGES]


def test_a_step_hears_of_failures_upstream_of_it_and_of_the_planning() -> None:
    plan = two_judgements()
    results = SessionResults()
    results.note_missing("the planning: degraded")
    results.note_missing("the regulatory research (s1) failed", step_id="s1")
    results.note_missing("the regulatory research (s3) failed", step_id="s3")
    s2, s4, s5 = plan.steps[1], plan.steps[3], plan.steps[4]
    assert results.input_for(s2, plan, question=QUESTION, filters=[]).missing == (
        "the planning: degraded",
        "the regulatory research (s1) failed",
    )
    assert results.input_for(s4, plan, question=QUESTION, filters=[]).missing == (
        "the planning: degraded",
        "the regulatory research (s3) failed",
    )
    assert results.input_for(s5, plan, question=QUESTION, filters=[]).missing == tuple(
        results.missing
    )


def test_through_a_chain_a_step_hears_of_failures_further_up() -> None:
    plan = K.Plan()
    plan.steps.add(id="s1", kind=K.STEP_KIND_RESEARCH, task="q")
    plan.steps.add(id="s2", kind=K.STEP_KIND_JUDGE, task="q", depends_on=["s1"])
    plan.steps.add(id="s3", kind=K.STEP_KIND_SYNTHESIZE, task="q", depends_on=["s2"])
    results = SessionResults()
    results.note_missing("the regulatory research (s1) failed", step_id="s1")
    given = results.input_for(plan.steps[2], plan, question=QUESTION, filters=[])
    assert given.missing == ("the regulatory research (s1) failed",)


def test_the_final_response_shows_the_last_outputs_in_plan_order_and_all_usage() -> None:
    plan = two_judgements()
    results = SessionResults()
    results.add_usage(K.Usage(llm_calls=1, prompt_tokens=10))  # the planner's
    second = K.Verdict(summary="second")
    answer = analysis_pb2.SynthesisResult(answer="the answer")
    results.record("s5", StepOutput(synthesis=answer, usage=K.Usage(llm_calls=1)))
    results.record("s4", StepOutput(verdict=second, usage=K.Usage(completion_tokens=5)))
    results.record("s2", StepOutput(verdict=K.Verdict(summary="first")))
    shown = results.final(plan)
    assert shown.verdict == second and shown.synthesis == answer and shown.data is None
    assert results.usage == K.Usage(llm_calls=2, prompt_tokens=10, completion_tokens=5)

"""The PlannerService over gRPC: the fast path without any model call, plans with the
right steps and dependencies, the caller's filters passed on as they came (which
rulebooks a question names is search's decision), input validation and health."""

from __future__ import annotations

import grpc
import pytest
from arbiter.common.v1 import common_pb2
from arbiter.planner.v1 import planner_pb2, planner_pb2_grpc

from tests.support.openai_server import OpenAIServer, Reply
from tests.support.servers import assert_invalid_argument, health

Stub = planner_pb2_grpc.PlannerServiceStub
K = common_pb2

RESEARCH_Q = "What must a firm do when it suspects money laundering?"
JUDGEMENT_Q = (
    "A firm onboarded a high-risk customer without enhanced due diligence and filed the "
    "suspicious activity report 40 days later - is that a breach?"
)
DATA_Q = "How many findings per rulebook in 2024, and what is the trend?"


async def plan(stub: Stub, question: str, **kwargs: object) -> planner_pb2.PlanResponse:
    request = planner_pb2.PlanRequest(question=question, **kwargs)  # type: ignore[arg-type]
    response: planner_pb2.PlanResponse = await stub.Plan(request, timeout=5)
    return response


def shape(p: common_pb2.Plan) -> list[tuple[str, str, list[str]]]:
    return [
        (s.id, common_pb2.StepKind.Name(s.kind).removeprefix("STEP_KIND_"), list(s.depends_on))
        for s in p.steps
    ]


FAST = [
    ("Hello!", K.INTENT_CHITCHAT, "greeting"),
    ("hi there, how are you?", K.INTENT_CHITCHAT, "greeting"),
    ("Thanks a lot!", K.INTENT_CHITCHAT, "thanks"),
    ("Thank you", K.INTENT_CHITCHAT, "thanks"),
    ("ok bye", K.INTENT_CHITCHAT, "goodbye"),
    ("What's the weather in Abu Dhabi tomorrow?", K.INTENT_IRRELEVANT, "out of scope"),
    ("Tell me a joke", K.INTENT_IRRELEVANT, "out of scope"),
    ("Give me a recipe for hummus", K.INTENT_IRRELEVANT, "out of scope"),
    ("Who won the football match last night?", K.INTENT_IRRELEVANT, "out of scope"),
    ("help", K.INTENT_UNCLEAR, "vague"),
    ("AML", K.INTENT_UNCLEAR, "vague"),
    ("?", K.INTENT_UNCLEAR, "vague"),
]


@pytest.mark.parametrize(("question", "intent", "why"), FAST, ids=[q for q, _, _ in FAST])
async def test_fast_path_needs_no_model(
    model_planner: Stub, model: OpenAIServer, question: str, intent: int, why: str
) -> None:
    response = await plan(model_planner, question)
    p = response.plan
    assert p.intent == intent
    assert p.strategy == K.EXECUTION_STRATEGY_FAST_PATH
    assert not p.steps and p.direct_answer
    assert why in p.rationale or (why == "vague" and "vague" in p.rationale)
    assert p.confidence >= 0.8
    assert response.usage.llm_calls == 0
    assert model.requests == []  # the planner runs the openai provider, yet never called it


async def test_fast_path_answers_say_what_arbiter_does(planner: Stub) -> None:
    greeting = (await plan(planner, "Good morning")).plan
    assert "ADGM" in greeting.direct_answer
    vague = (await plan(planner, "AML")).plan
    assert "about AML" in vague.direct_answer and "?" in vague.direct_answer
    weather = (await plan(planner, "Will it rain this weekend? What's the forecast")).plan
    assert weather.intent == K.INTENT_IRRELEVANT and "outside" in weather.direct_answer


async def test_domain_words_keep_a_question_off_the_fast_path(planner: Stub) -> None:
    p = (await plan(planner, "What are the rules on sports sponsorship by fund managers?")).plan
    assert p.intent == K.INTENT_RESEARCH and p.steps


async def test_research_plan(planner: Stub) -> None:
    response = await plan(planner, RESEARCH_Q)
    p = response.plan
    assert p.intent == K.INTENT_RESEARCH
    assert p.strategy == K.EXECUTION_STRATEGY_DAG
    assert shape(p) == [("s1", "RESEARCH", []), ("s2", "SYNTHESIZE", ["s1"])]
    assert p.steps[0].task == RESEARCH_Q and p.steps[1].task == RESEARCH_Q
    assert all(s.description and s.status == K.STEP_STATUS_PENDING for s in p.steps)
    assert list(p.sub_queries) == [RESEARCH_Q]
    assert 0.5 <= p.confidence <= 1 and p.estimated_seconds > 0
    assert "offline rules" in p.rationale and not p.direct_answer
    assert response.usage.llm_calls == 0


async def test_judgement_plan(planner: Stub) -> None:
    p = (await plan(planner, JUDGEMENT_Q)).plan
    assert p.intent == K.INTENT_JUDGEMENT and p.confidence >= 0.8
    assert shape(p) == [
        ("s1", "RESEARCH", []),
        ("s2", "JUDGE", ["s1"]),
        ("s3", "SYNTHESIZE", ["s1", "s2"]),
    ]
    assert "breach" in p.rationale
    assert p.estimated_seconds > (await plan(planner, RESEARCH_Q)).plan.estimated_seconds


@pytest.mark.parametrize(
    "question",
    [
        DATA_Q,
        "Show a chart of the number of findings per year since 2019",
        "What is the average number of AML findings per firm in 2023?",
    ],
)
async def test_data_analysis_plan(planner: Stub, question: str) -> None:
    p = (await plan(planner, question)).plan
    assert p.intent == K.INTENT_DATA_ANALYSIS
    assert shape(p) == [("s1", "ANALYZE_DATA", []), ("s2", "SYNTHESIZE", ["s1"])]
    assert p.steps[0].task == question


async def test_how_many_about_a_rule_is_research(planner: Stub) -> None:
    question = "How many days does a firm have to file a suspicious activity report?"
    assert (await plan(planner, question)).plan.intent == K.INTENT_RESEARCH


async def test_compound_question_is_decomposed(planner: Stub) -> None:
    question = (
        "What customer due diligence does AML require for politically exposed persons? "
        "What are the record-keeping obligations for client money under COBS?"
    )
    p = (await plan(planner, question)).plan
    assert p.intent == K.INTENT_COMPOUND
    assert list(p.sub_queries) == [
        "What customer due diligence does AML require for politically exposed persons?",
        "What are the record-keeping obligations for client money under COBS?",
    ]
    assert shape(p) == [
        ("s1", "RESEARCH", []),
        ("s2", "RESEARCH", []),
        ("s3", "SYNTHESIZE", ["s1", "s2"]),
    ]
    assert [s.task for s in p.steps[:2]] == list(p.sub_queries)
    assert p.steps[2].task == question


async def test_compound_question_mixing_kinds(planner: Stub) -> None:
    question = (
        "What are the capital requirements for category 1 firms under PRU, and how many "
        "findings about capital adequacy were recorded in 2023?"
    )
    p = (await plan(planner, question)).plan
    assert p.intent == K.INTENT_COMPOUND and len(p.sub_queries) == 2
    assert shape(p) == [
        ("s1", "RESEARCH", []),
        ("s2", "ANALYZE_DATA", []),
        ("s3", "SYNTHESIZE", ["s1", "s2"]),
    ]
    # independent chains run concurrently: the estimate is the longest chain, not the sum
    assert p.estimated_seconds < 2.5 + 4.0 + 3.0


@pytest.mark.parametrize(
    "question",
    [
        "Which rules are most often breached, and what do they require?",
        "Which rules are most frequently violated and what do those rules require?",
    ],
)
async def test_rules_a_data_question_finds_are_researched_after_it(
    planner: Stub, question: str
) -> None:
    p = (await plan(planner, question)).plan
    assert p.intent == K.INTENT_COMPOUND
    # The research is about the rules the data names, so it waits for the data step.
    assert shape(p) == [
        ("s1", "ANALYZE_DATA", []),
        ("s2", "RESEARCH", ["s1"]),
        ("s3", "SYNTHESIZE", ["s1", "s2"]),
    ]
    # The data step counts; the research step reads the whole question for its context.
    assert "require" not in p.steps[0].task
    assert p.steps[1].task == question
    assert "the data names" in p.steps[1].description
    # One chain now: its estimate is the data step, then the research, then synthesis.
    assert p.estimated_seconds == pytest.approx(4.0 + 2.5 + 3.0)


async def test_a_models_research_part_about_the_rules_found_waits_for_the_data(
    model_planner: Stub, model: OpenAIServer
) -> None:
    # The model lists the research part first; it still runs after the data part.
    model.script(
        Reply.json(
            {
                "intent": "COMPOUND",
                "confidence": 0.8,
                "sub_queries": [
                    {"query": "What do these rules require of firms?", "intent": "RESEARCH"},
                    {"query": "Which rules are breached most often?", "intent": "DATA_ANALYSIS"},
                ],
                "reason": "a count and a question about what it finds",
            }
        )
    )
    p = (await plan(model_planner, "Which rules are breached most, and what do they say?")).plan
    assert shape(p) == [
        ("s1", "ANALYZE_DATA", []),
        ("s2", "RESEARCH", ["s1"]),
        ("s3", "SYNTHESIZE", ["s1", "s2"]),
    ]
    assert p.steps[1].task == "What do these rules require of firms?"


async def test_a_research_part_naming_its_own_rules_stays_beside_the_data(
    model_planner: Stub, model: OpenAIServer
) -> None:
    model.script(
        Reply.json(
            {
                "intent": "COMPOUND",
                "confidence": 0.8,
                "sub_queries": [
                    {"query": "How many findings were there in 2024?", "intent": "DATA_ANALYSIS"},
                    {"query": "What does AML require for PEPs?", "intent": "RESEARCH"},
                ],
                "reason": "two independent parts",
            }
        )
    )
    p = (await plan(model_planner, "Findings in 2024? And what does AML require for PEPs?")).plan
    assert shape(p) == [
        ("s1", "ANALYZE_DATA", []),
        ("s2", "RESEARCH", []),
        ("s3", "SYNTHESIZE", ["s1", "s2"]),
    ]


async def test_which_rulebooks_have_the_most_findings_is_data(planner: Stub) -> None:
    question = "Which rulebooks have the most findings in 2024?"
    assert (await plan(planner, question)).plan.intent == K.INTENT_DATA_ANALYSIS


@pytest.mark.parametrize(
    "question",
    [
        "What does COBS say about client classification?",
        "Compare the AML and GEN rules on senior management responsibility",
        "What does the Conduct of Business Rulebook require for suitability?",
        "What is a prospectus under the FSMR?",
        "What fees may a fund manager charge to funds it manages?",
    ],
)
async def test_rulebooks_named_are_left_to_search(planner: Stub, question: str) -> None:
    # Search's field selector reads the rulebooks from the research step's task (and
    # reports what it chose as step progress); the planner adds no filter of its own.
    p = (await plan(planner, question)).plan
    assert list(p.filters) == []
    assert p.steps[0].kind == K.STEP_KIND_RESEARCH and p.steps[0].task == question
    assert "rulebook" not in p.rationale


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("What does COBS say about football?", K.INTENT_RESEARCH),
        ("What do the AML rules say about a football club as a customer?", K.INTENT_RESEARCH),
        ("Who won the NBA final last night?", K.INTENT_IRRELEVANT),
        ("Tell me a JOKE", K.INTENT_IRRELEVANT),
    ],
)
async def test_an_acronym_keeps_a_question_in_the_domain(
    planner: Stub, question: str, intent: int
) -> None:
    # ...unless the acronym is the out-of-scope topic itself.
    assert (await plan(planner, question)).plan.intent == intent


async def test_caller_filters_are_passed_on_as_they_came(planner: Stub) -> None:
    theirs = common_pb2.MetadataFilter(field="document_id", any_of=["1"])
    p = (await plan(planner, "What does AML say about sanctions?", filters=[theirs])).plan
    assert list(p.filters) == [theirs]
    own = common_pb2.MetadataFilter(field="rulebook", any_of=["GEN"])
    p = (await plan(planner, "What does AML say about sanctions?", filters=[own])).plan
    assert list(p.filters) == [own]
    greeting = (await plan(planner, "hello", filters=[own])).plan
    assert list(greeting.filters) == [own]


@pytest.mark.parametrize("question", ["", "   \n\t ", "x" * 4001])
async def test_bad_question_is_invalid_argument(planner: Stub, question: str) -> None:
    error = await assert_invalid_argument(plan(planner, question), "question")
    assert "question" in (error.details() or "")


async def test_longest_question_is_accepted(planner: Stub) -> None:
    question = "  " + ("What must a firm report? " * 200)[:3999] + "?  "
    assert len(question.strip()) == 4000
    assert (await plan(planner, question)).plan.steps


@pytest.mark.parametrize(
    "field", ["rulebook; drop", "rulebook or 1==1", "tenant", "no_such_field", "x" * 20_000]
)
async def test_bad_filter_field_is_invalid_argument(planner: Stub, field: str) -> None:
    # The planner checks filters with the schema search uses (arbiter_kit.filter_fields).
    bad = common_pb2.MetadataFilter(field=field, any_of=["AML"])
    error = await assert_invalid_argument(
        plan(planner, RESEARCH_Q, filters=[bad]), "filters[0].field"
    )
    assert len(error.details() or "") < 300


async def test_health_is_serving(offline_channel: grpc.aio.Channel) -> None:
    services = ("", "arbiter.planner.v1.PlannerService")
    assert await health(offline_channel, *services) == ["SERVING", "SERVING"]


async def test_model_classification_is_used(model_planner: Stub, model: OpenAIServer) -> None:
    model.script(
        Reply.json(
            {
                "intent": "JUDGEMENT",
                "confidence": 0.73,
                "sub_queries": [{"query": RESEARCH_Q, "intent": "JUDGEMENT"}],
                "reason": "asks about a situation",
            }
        )
    )
    response = await plan(model_planner, RESEARCH_Q)
    p = response.plan
    assert p.intent == K.INTENT_JUDGEMENT and p.confidence == pytest.approx(0.73)
    assert [k for _, k, _ in shape(p)] == ["RESEARCH", "JUDGE", "SYNTHESIZE"]
    assert p.rationale.startswith("model: asks about a situation")
    assert response.usage.llm_calls == 1 and response.usage.prompt_tokens > 0
    (request,) = model.chat_requests()
    assert f"<question>\n{RESEARCH_Q}\n</question>" in request.messages[1]["content"]


async def test_invalid_model_classification_falls_back(
    model_planner: Stub, model: OpenAIServer
) -> None:
    model.script(
        Reply.json({"intent": "COMPOUND", "confidence": 0.9, "sub_queries": [], "reason": ""})
    )
    response = await plan(model_planner, JUDGEMENT_Q)
    p = response.plan
    assert p.intent == K.INTENT_JUDGEMENT  # the offline rules' verdict
    assert "model answer rejected" in p.rationale
    assert response.usage.llm_calls == 1


async def test_model_may_send_a_question_to_the_fast_path(
    model_planner: Stub, model: OpenAIServer
) -> None:
    model.script(
        Reply.json({"intent": "IRRELEVANT", "confidence": 0.8, "sub_queries": [], "reason": "x"})
    )
    p = (await plan(model_planner, "Which stocks will go up next year in the world?")).plan
    assert p.intent == K.INTENT_IRRELEVANT and not p.steps and p.direct_answer
    assert p.strategy == K.EXECUTION_STRATEGY_FAST_PATH


async def test_slow_model_leaves_time_for_the_rules(
    model_planner: Stub, model: OpenAIServer
) -> None:
    model.script(Reply(content="{}", delay=3.0))
    request = planner_pb2.PlanRequest(question=RESEARCH_Q)
    # The call's own deadline is the bound: a planner that waited for the model would
    # fail it with DEADLINE_EXCEEDED instead of answering.
    response = await model_planner.Plan(request, timeout=1.0)
    assert response.plan.intent == K.INTENT_RESEARCH
    assert "timeout" in response.plan.rationale
    assert len(model.chat_requests()) == 1

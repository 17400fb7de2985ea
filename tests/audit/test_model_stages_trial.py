"""The trial's turns with a model, against the local OpenAI-compatible test server: good
defence, prosecution and judge answers become Turns and a Judgement with its Outcome; a
malformed one (bad JSON, a schema violation, a citation of no given document, an unknown
precedent, a judgement at odds with itself) leaves the offline turn itself, with a note."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from arbiter_audit.assessment import Disposition
from arbiter_audit.model_stages import ModelStages, StageResult
from arbiter_audit.trial import Judgement, Outcome, Role, Turn
from arbiter_kit.deadline import Deadline
from arbiter_llm import OfflineLLM, OpenAICompatibleLLM

from tests.audit.test_model_stages_cases import (
    AUDITOR_REPORTS,
    SITUATION,
    Offline,
    breach_case,
    openai_llm,
)
from tests.support.openai_server import OpenAIServer, Reply, model, model_server

__all__ = ["model", "model_server", "openai_llm"]  # fixtures used below

DEFENSE = Turn(Role.DEFENSE, ("The rule admits an extension.",), (AUDITOR_REPORTS,))
PROSECUTION = Turn(Role.PROSECUTION, ("Sent six weeks late (f3).",), (AUDITOR_REPORTS,))
OFFLINE_JUDGEMENT = Judgement(
    Turn(Role.JUDGE, ("Upheld.",), (AUDITOR_REPORTS,), upheld=True),
    Disposition.BREACH,
    Outcome("remediation order", "no precedent"),
)
# The case's documents, as the model sees them numbered: its rules, then its precedents.
REPORTS_RULE, RECORDS_RULE, PENALTY_FINDING, WARNING_FINDING = 1, 2, 3, 4


async def _judge(
    llm: OpenAICompatibleLLM, offline: Callable[[], Judgement]
) -> StageResult[Judgement]:
    return await ModelStages(llm).judge(
        breach_case(), DEFENSE, PROSECUTION, offline=offline, deadline=Deadline.after(10)
    )


def _judged(**changes: Any) -> dict[str, Any]:
    answer = {
        "upheld": True,
        "disposition": "BREACH",
        "arguments": ["The reports were due by 30 April 2023 and sent on 14 June (f2, f3)."],
        "citations": [REPORTS_RULE, PENALTY_FINDING],
        "outcome": {
            "kind": "financial penalty",
            "reason": "FD0101 under the same rule ended in a penalty",
            "penalty_low": 30000,
            "penalty_high": 40000,
            "currency": "USD",
            "precedent_ids": ["FD0101"],
        },
    }
    return {**answer, **changes}


async def test_a_good_defense_becomes_a_turn_citing_rules_and_precedents(
    model: OpenAIServer, openai_llm: OpenAICompatibleLLM
) -> None:
    model.script(
        Reply.json(
            {
                "arguments": ["An extension may have been granted.", "FD0102 ended in a warning."],
                "citations": [REPORTS_RULE, WARNING_FINDING],
            }
        )
    )
    offline = Offline(DEFENSE)

    result = await ModelStages(openai_llm).defend(
        breach_case(), offline=offline, deadline=Deadline.after(10)
    )

    assert result.by_model and offline.calls == 0
    turn = result.value
    assert turn.role is Role.DEFENSE
    assert turn.arguments == ("An extension may have been granted.", "FD0102 ended in a warning.")
    assert turn.citations == (AUDITOR_REPORTS, "FD0102")
    user = model.chat_requests()[0].messages[1]["content"]
    assert SITUATION in user and "BREACH (confidence 0.80)" in user
    assert "[3] FD0101: financial penalty, penalty USD 40,000" in user
    assert '<document index="4" reference="finding FD0102"' in user
    assert "[1] GEN 6.6.2: applies" in user and "not met" in user


async def test_a_good_prosecution_answers_the_defense(
    model: OpenAIServer, openai_llm: OpenAICompatibleLLM
) -> None:
    model.script(Reply.json({"arguments": ["No extension is stated."], "citations": [1, 3]}))
    result = await ModelStages(openai_llm).prosecute(
        breach_case(), DEFENSE, offline=lambda: PROSECUTION, deadline=Deadline.after(10)
    )
    assert result.by_model
    assert result.value.role is Role.PROSECUTION
    assert result.value.citations == (AUDITOR_REPORTS, "FD0101")
    user = model.chat_requests()[0].messages[1]["content"]
    assert f"<data>\n{DEFENSE.text}\n</data>" in user


async def test_a_good_judgement_upholds_and_recommends_an_outcome_from_precedents(
    model: OpenAIServer, openai_llm: OpenAICompatibleLLM
) -> None:
    model.script(Reply.json(_judged()))
    result = await _judge(openai_llm, lambda: OFFLINE_JUDGEMENT)
    assert result.by_model
    judgement = result.value
    assert judgement.disposition == Disposition.BREACH and judgement.turn.upheld
    assert judgement.turn.role is Role.JUDGE
    assert judgement.turn.citations == (AUDITOR_REPORTS, "FD0101")
    assert judgement.outcome == Outcome(
        "financial penalty",
        "FD0101 under the same rule ended in a penalty",
        penalty_low=30000.0,
        penalty_high=40000.0,
        currency="USD",
        precedent_ids=("FD0101",),
    )
    assert judgement.missing == ()
    user = model.chat_requests()[0].messages[1]["content"]
    assert DEFENSE.text in user and PROSECUTION.text in user


async def test_a_judgement_overturned_for_want_of_a_fact_names_it(
    model: OpenAIServer, openai_llm: OpenAICompatibleLLM
) -> None:
    model.script(
        Reply.json(
            _judged(
                upheld=False,
                disposition="INSUFFICIENT_INFORMATION",
                outcome=None,
                missing=["whether the FSRA granted an extension"],
            )
        )
    )
    result = await _judge(openai_llm, lambda: OFFLINE_JUDGEMENT)
    assert result.by_model
    judgement = result.value
    assert judgement.disposition == Disposition.INSUFFICIENT_INFORMATION
    assert not judgement.turn.upheld and judgement.outcome is None
    assert judgement.missing == ("whether the FSRA granted an extension",)


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        (Reply.text("I argue the firm acted in good faith."), "not JSON"),
        (Reply.json({"arguments": [], "citations": []}), "should be non-empty"),
        (Reply.json({"arguments": ["a"], "citations": [5]}), "5 names no given document"),
        (Reply.json({"arguments": ["a"], "citations": [1], "verdict": "x"}), "verdict"),
    ],
)
async def test_a_malformed_turn_leaves_the_offline_turn(
    model: OpenAIServer, openai_llm: OpenAICompatibleLLM, reply: Reply, why: str
) -> None:
    stages = ModelStages(openai_llm)
    model.script(reply, reply)
    defense = Offline(DEFENSE)
    prosecution = Offline(PROSECUTION)

    defended = await stages.defend(breach_case(), offline=defense, deadline=Deadline.after(10))
    prosecuted = await stages.prosecute(
        breach_case(), DEFENSE, offline=prosecution, deadline=Deadline.after(10)
    )

    for result, offline in ((defended, defense), (prosecuted, prosecution)):
        assert not result.by_model and result.value is offline.value and offline.calls == 1
        assert why in result.note


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (_judged(outcome={**_judged()["outcome"], "precedent_ids": ["FD9999"]}), "'FD9999'"),
        (_judged(disposition="COMPLIANT", outcome=None), "the SOP found BREACH"),
        (_judged(outcome=None), "recommended for a breach, and only for a breach"),
        (
            _judged(upheld=False, disposition="INSUFFICIENT_INFORMATION", outcome=None),
            "overturned for want of a fact",
        ),
        (
            _judged(outcome={**_judged()["outcome"], "penalty_low": 50000}),
            "penalty_low is above penalty_high",
        ),
        (
            _judged(outcome={**_judged()["outcome"], "kind": "warning"}),
            "only a financial penalty has a penalty range",
        ),
        (_judged(outcome={**_judged()["outcome"], "kind": "a fine"}), "a fine"),
        (_judged(citations=[0]), "minimum"),
    ],
)
async def test_a_malformed_judgement_leaves_the_offline_judgement(
    model: OpenAIServer, openai_llm: OpenAICompatibleLLM, answer: dict[str, Any], why: str
) -> None:
    model.script(Reply.json(answer))
    offline = Offline(OFFLINE_JUDGEMENT)
    result = await _judge(openai_llm, offline)
    assert not result.by_model and result.value is offline.value and offline.calls == 1
    assert why in result.note


async def test_the_offline_provider_holds_the_trial_without_the_server(
    model: OpenAIServer,
) -> None:
    stages = ModelStages(OfflineLLM())
    case, deadline = breach_case(), Deadline.after(10)
    defense = await stages.defend(case, offline=lambda: DEFENSE, deadline=deadline)
    prosecution = await stages.prosecute(
        case, defense.value, offline=lambda: PROSECUTION, deadline=deadline
    )
    judgement = await stages.judge(
        case, defense.value, prosecution.value, offline=lambda: OFFLINE_JUDGEMENT, deadline=deadline
    )
    assert (defense.value, prosecution.value, judgement.value) == (
        DEFENSE,
        PROSECUTION,
        OFFLINE_JUDGEMENT,
    )
    assert not any(r.by_model for r in (defense, prosecution, judgement))
    assert model.chat_requests() == []

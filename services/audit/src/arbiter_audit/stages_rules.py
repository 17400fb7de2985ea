"""The regulation-matching and compliance-check stages with a model (`audit_match.*`,
`audit_check.*`): the candidate passages go in as numbered documents, the facts as a
value; an answer names documents by index and facts by id, and both must exist."""

from __future__ import annotations

from collections.abc import Sequence

from arbiter_llm import JSON, TaskInput

from arbiter_audit.assessment import Assessment, ConditionCheck
from arbiter_audit.matching import Candidate
from arbiter_audit.model import (
    Applicability,
    Applies,
    Check,
    Compliance,
    Condition,
    Fact,
    Span,
    Template,
)
from arbiter_audit.stages_common import (
    Exchange,
    document_of,
    id_problems,
    index_problems,
    locate,
    render_facts,
    unnamed_missing,
)


def match_exchange(
    situation: str, facts: Sequence[Fact], candidates: Sequence[Candidate]
) -> Exchange[list[tuple[Candidate, Applies]]]:
    known = frozenset(f.id for f in facts)
    data = TaskInput(
        values={"situation": situation, "facts": render_facts(facts)},
        documents=tuple(
            document_of(n, c.passage, c.reference) for n, c in enumerate(candidates, 1)
        ),
    )

    def to_json(rules: list[tuple[Candidate, Applies]]) -> JSON:
        found = [(_position(candidates, c), a) for c, a in rules]
        return {"rules": [_applies_json(n, a) for n, a in found if n is not None]}

    def problems(output: JSON) -> list[str]:
        found: list[str] = []
        for n, item in enumerate(output["rules"]):
            path = f"rules/{n}"
            found += index_problems(f"{path}/index", [item["index"]], len(candidates))
            found += id_problems(f"{path}/fact_ids", item.get("fact_ids", []), known, "fact id")
            found += unnamed_missing(
                path,
                undecided=item["applicability"] == Applicability.CANNOT_TELL,
                missing=item.get("missing", ""),
            )
        found += _repeated([item["index"] for item in output["rules"]])
        return found

    def read(output: JSON) -> list[tuple[Candidate, Applies]]:
        return [(candidates[item["index"] - 1], _applies(item)) for item in output["rules"]]

    return Exchange(data=data, to_json=to_json, problems=problems, read=read)


def check_exchange(
    situation: str, facts: Sequence[Fact], rules: Sequence[tuple[Candidate, Applies]]
) -> Exchange[list[Assessment]]:
    known = frozenset(f.id for f in facts)
    candidates = [c for c, _ in rules]
    scope = "\n".join(
        f"[{n}] {c.reference}: {a.applicability.value} ({a.reason})"
        for n, (c, a) in enumerate(rules, 1)
    )
    data = TaskInput(
        values={"situation": situation, "facts": render_facts(facts), "applicability": scope},
        documents=tuple(
            document_of(n, c.passage, c.reference) for n, c in enumerate(candidates, 1)
        ),
    )

    def to_json(assessments: list[Assessment]) -> JSON:
        items = []
        for a in assessments:
            n, deciding = _position(candidates, a.rule), a.deciding
            if n is not None and deciding is not None:
                items.append(_assessment_json(n, deciding))
        return {"assessments": items}

    def problems(output: JSON) -> list[str]:
        found: list[str] = []
        items = output["assessments"]
        for n, item in enumerate(items):
            path = f"assessments/{n}"
            index = item["index"]
            found += index_problems(f"{path}/index", [index], len(rules))
            found += id_problems(f"{path}/fact_ids", item["fact_ids"], known, "fact id")
            if 1 <= index <= len(rules):
                text = candidates[index - 1].passage.text
                if locate(item["quote"], text) is None:
                    found.append(f"{path}/quote: not found verbatim in document [{index}]")
            decided = item["compliance"] != Compliance.CANNOT_TELL
            if decided and not item["fact_ids"]:
                found.append(f"{path}/fact_ids: '{item['compliance']}' must name the deciding fact")
            found += unnamed_missing(path, undecided=not decided, missing=item.get("missing", ""))
        indexes = [item["index"] for item in items]
        found += _repeated(indexes)
        unassessed = sorted(set(range(1, len(rules) + 1)) - set(indexes))
        if unassessed:
            found.append(f"assessments: documents {unassessed} are not assessed")
        return found

    def read(output: JSON) -> list[Assessment]:
        by_index = {item["index"]: item for item in output["assessments"]}
        return [
            Assessment(
                rule=candidate,
                applies=applies,
                checks=(_condition_check(by_index[n], candidate.passage.text),),
            )
            for n, (candidate, applies) in enumerate(rules, 1)
        ]

    return Exchange(data=data, to_json=to_json, problems=problems, read=read)


def _position(candidates: Sequence[Candidate], wanted: Candidate) -> int | None:
    """The 1-based index of `wanted` among the documents given (by source passage when
    the offline rules hand back an equal candidate that is not the same object)."""
    key = wanted.passage.source_id or wanted.passage.id
    for n, candidate in enumerate(candidates, 1):
        if candidate is wanted or (candidate.passage.source_id or candidate.passage.id) == key:
            return n
    return None


def _repeated(indexes: Sequence[int]) -> list[str]:
    twice = sorted({i for i in indexes if indexes.count(i) > 1})
    return [f"document [{i}] is named more than once" for i in twice]


def _applies_json(index: int, applies: Applies) -> JSON:
    return {
        "index": index,
        "applicability": applies.applicability.value,
        "reason": applies.reason,
        "fact_ids": list(applies.fact_ids),
        "missing": applies.missing,
    }


def _applies(item: JSON) -> Applies:
    return Applies(
        applicability=Applicability(item["applicability"]),
        reason=item["reason"],
        fact_ids=tuple(item.get("fact_ids", [])),
        missing=item.get("missing", ""),
    )


def _assessment_json(index: int, deciding: ConditionCheck) -> JSON:
    condition, check = deciding.condition, deciding.check
    return {
        "index": index,
        "template": condition.template.value,
        "condition": condition.describe(),
        "quote": condition.text,
        "exceptions": list(condition.exceptions),
        "compliance": check.compliance.value,
        "reason": check.reason,
        "fact_ids": list(check.fact_ids),
        "missing": check.missing,
    }


def _condition_check(item: JSON, rule_text: str) -> ConditionCheck:
    span = locate(item["quote"], rule_text) or Span(0, len(rule_text))
    # The condition in the model's words is what must (or must not) be done, so it is
    # what `Condition.describe` shows; the rule's own words are those it quoted.
    condition = Condition(
        template=Template(item["template"]),
        text=rule_text[span.start : span.end],
        span=span,
        action=item["condition"],
        exceptions=tuple(item.get("exceptions", [])),
    )
    check = Check(
        compliance=Compliance(item["compliance"]),
        reason=item["reason"],
        fact_ids=tuple(item["fact_ids"]),
        missing=item.get("missing", ""),
    )
    return ConditionCheck(condition, check)

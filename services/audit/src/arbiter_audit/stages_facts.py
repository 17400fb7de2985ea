"""The fact-extraction stage with a model (`audit_facts.prompt.md`): the situation as atomic
facts, each quoting the words it was read from; a quote must stand verbatim in the
situation, and where it stands is the fact's span."""

from __future__ import annotations

import dataclasses
import datetime as dt

from arbiter_llm import JSON, TaskInput

from arbiter_audit.model import PARTY_ATTRIBUTES, Fact, FactKind, Span
from arbiter_audit.stages_common import Exchange, locate

DURATION_UNITS = frozenset({"day", "business day", "week", "month", "year"})
PROPORTION_UNITS = frozenset({"%", "ratio"})
MEASURED = frozenset({FactKind.DURATION, FactKind.AMOUNT, FactKind.PROPORTION})


def facts_exchange(situation: str) -> Exchange[list[Fact]]:
    return Exchange(
        data=TaskInput(values={"situation": situation}),
        to_json=lambda facts: {"facts": [_fact_json(f, situation) for f in facts]},
        problems=lambda output: _problems(output, situation),
        read=lambda output: read_facts(output, situation),
    )


def _fact_json(fact: Fact, situation: str) -> JSON:
    return {
        "kind": fact.kind.value,
        "quote": situation[fact.span.start : fact.span.end],
        "text": fact.text,
        "value": fact.value,
        "negated": fact.negated,
        "topic": fact.topic,
        "attribute": fact.attribute,
        "when": fact.when.isoformat() if fact.when else None,
        "until": fact.until.isoformat() if fact.until else None,
        "quantity": fact.quantity,
        "unit": fact.unit,
        "before": fact.before,
    }


def _problems(output: JSON, situation: str) -> list[str]:
    found: list[str] = []
    for n, item in enumerate(output["facts"]):
        path = f"facts/{n}"
        if locate(item["quote"], situation) is None:
            found.append(f"{path}/quote: not found verbatim in the situation: {item['quote']!r}")
        found += _kind_problems(path, item)
    return found


def _kind_problems(path: str, item: JSON) -> list[str]:
    """What a fact of its kind must carry (see model.FactKind)."""
    kind = FactKind(item["kind"])
    found: list[str] = []
    when, until = _date(item.get("when")), _date(item.get("until"))
    for key in ("when", "until"):
        if item.get(key) and _date(item.get(key)) is None:
            found.append(f"{path}/{key}: {item[key]!r} is not a calendar date")
    if kind is FactKind.EVENT and when is None:
        found.append(f"{path}: an event needs the day it happened ('when')")
    if when is not None and until is not None and until < when:
        found.append(f"{path}: 'until' is before 'when'")
    unit = item.get("unit", "")
    if kind in MEASURED and item.get("quantity") is None:
        found.append(f"{path}: a {kind.value} needs its 'quantity'")
    if kind is FactKind.DURATION and unit not in DURATION_UNITS:
        found.append(f"{path}/unit: a duration is in one of {sorted(DURATION_UNITS)}")
    if kind is FactKind.PROPORTION and unit not in PROPORTION_UNITS:
        found.append(f"{path}/unit: a proportion is in '%' or 'ratio'")
    if kind is FactKind.AMOUNT and not (len(unit) == 3 and unit.isalpha() and unit.isupper()):
        found.append(f"{path}/unit: an amount's unit is an ISO currency code")
    attribute = item.get("attribute", "")
    if kind is FactKind.PARTY and attribute not in PARTY_ATTRIBUTES:
        found.append(f"{path}/attribute: a party fact names one of {list(PARTY_ATTRIBUTES)}")
    if kind is not FactKind.PARTY and attribute:
        found.append(f"{path}/attribute: only a party fact has an attribute")
    if kind is FactKind.UNKNOWN and not item.get("topic", "").strip():
        found.append(f"{path}/topic: an unknown names what is not known")
    return found


def _date(value: object) -> dt.date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def read_facts(output: JSON, situation: str) -> list[Fact]:
    """The answer's facts in order of appearance, numbered f1, f2, ... as the offline
    rules number theirs. A quote the situation holds more than once is placed at its
    next occurrence for each fact that repeats it."""
    facts: list[Fact] = []
    after: dict[str, int] = {}
    for item in output["facts"]:
        quote = " ".join(item["quote"].split())
        span = locate(quote, situation, start=after.get(quote, 0)) or locate(quote, situation)
        if span is None:
            raise ValueError(f"quote not in the situation: {quote!r}")
        after[quote] = span.end
        facts.append(_fact(item, span))
    facts.sort(key=lambda f: (f.span.start, f.span.end))
    return [_numbered(f, n) for n, f in enumerate(facts, 1)]


def _fact(item: JSON, span: Span) -> Fact:
    when = _date(item.get("when"))
    return Fact(
        kind=FactKind(item["kind"]),
        text=item["text"],
        span=span,
        value=item.get("value", ""),
        negated=bool(item.get("negated", False)),
        topic=item.get("topic", ""),
        attribute=item.get("attribute", ""),
        when=when,
        until=_date(item.get("until")) or when,
        quantity=_number(item.get("quantity")),
        unit=item.get("unit", ""),
        before=_number(item.get("before")),
    )


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _numbered(fact: Fact, n: int) -> Fact:
    return dataclasses.replace(fact, id=f"f{n}")

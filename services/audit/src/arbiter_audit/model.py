"""The audit SOP's vocabulary: facts read from a situation, conditions read from a rule's
text, and how the situation stands against each. Fact extraction, the templates, the
checks and the trial all speak it; `record.py` renders it as the contract's messages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Span:
    """Character offsets into a text, `start` inclusive, `end` exclusive."""

    start: int
    end: int


class FactKind(StrEnum):
    EVENT = "event"
    """Something happened at a time: `when` and `until` bound the day."""
    DURATION = "duration"
    """A stated length of time: `quantity` in `unit`s."""
    AMOUNT = "amount"
    """A sum of money: `quantity` in `unit` (an ISO currency code)."""
    PROPORTION = "proportion"
    """A percentage (`unit` "%") or a ratio such as leverage 50:1 (`unit` "ratio", 50)."""
    ACTION = "action"
    """Something was (or, `negated`, was not) done."""
    PARTY = "party"
    """Who the firm or a person is: `attribute` names what (see PARTY_ATTRIBUTES)."""
    UNKNOWN = "unknown"
    """Something the description says it does not know: `topic` says what."""


PARTY_ATTRIBUTES = (
    "firm_type",  # bank, broker, insurer, fund manager, DNFBP, recognised body, PSP, ...
    "category",  # prudential category: "1", "2", "3A", "3B", "3C", "4", "5"
    "fund_type",  # public fund, qualified investor fund, exempt fund, property fund, ...
    "captive_class",  # captive insurer class: "1", "2", "3"
    "status",  # run-off, listed, reporting entity, islamic financial business, ...
    "role",  # senior executive officer, compliance officer, MLRO, finance officer, director
    "residence",  # where a person lives: "UAE" or another country or city
    "client_type",  # retail client, professional client, market counterparty
    "risk_rating",  # a customer's risk: low, medium, high
    "pep",  # politically exposed person: "yes" / "no"
    "licence",  # what the firm is licensed or permitted for, and by whom
)
"""What a PARTY fact can describe."""


@dataclass(frozen=True)
class Fact:
    """One atomic fact of a situation, with the span of text it was read from."""

    kind: FactKind
    text: str
    """The fact in plain words, e.g. "the complaint was received on 1 June 2023"."""
    span: Span
    value: str
    """Normalised: an ISO date, "P40D", "USD 250000", "94%", "category 4"."""
    negated: bool = False
    """True for what was not done (ACTION) or is not the case (PARTY)."""
    topic: str = ""
    """What it is about, in the situation's words: the event ("complaint received"),
    what an amount or proportion measures ("capital resources", "Tier 1 capital"), the
    action ("notify the FSRA"), the unknown ("the risk rating of the customer")."""
    attribute: str = ""
    """PARTY only: one of PARTY_ATTRIBUTES."""
    when: dt.date | None = None
    """EVENT: the earliest day it can have happened (the day itself when stated)."""
    until: dt.date | None = None
    """EVENT: the latest day it can have happened (equal to `when` when a day is stated;
    the month's last day for "in March 2023")."""
    quantity: float | None = None
    """DURATION, AMOUNT, PROPORTION: the number."""
    unit: str = ""
    """DURATION: "day", "business day", "week", "month" or "year"; AMOUNT: a currency
    code; PROPORTION: "%" or "ratio"."""
    before: float | None = None
    """AMOUNT or PROPORTION stated as a change ("from 3.9% to 4.6%"): the value before."""
    id: str = ""
    """"f1", "f2", ... in order of appearance, set once all facts are read."""


class Template(StrEnum):
    """The kinds of condition the offline rules can read from a rule's text."""

    DEADLINE = "deadline"
    """Do `action` within `limit` of `anchor` (or "promptly", "immediately": no limit)."""
    ADVANCE_NOTICE = "advance notice"
    """Do `action` at least `limit` before `anchor`."""
    RETENTION = "retention"
    """Keep `action`'s records for at least `limit` from `anchor`."""
    PERIODIC = "periodic"
    """Do `action` at least once every `limit` (annually: 1 year)."""
    LIMIT = "limit"
    """`measure` must not exceed `limit` (of `base` when a percentage)."""
    MINIMUM = "minimum"
    """`measure` must be at least `limit` (of `base` when a percentage)."""
    NOTIFICATION = "notification"
    """Notify `party` of `action` (when `trigger` holds, if it has one)."""
    APPROVAL = "approval"
    """Obtain `party`'s approval or consent before `action` (when `trigger` holds)."""
    APPOINTMENT = "appointment"
    """Appoint, or have, a `party` (a role or function)."""
    RESIDENCE = "residence"
    """`party` (a role) must be ordinarily resident in the UAE."""
    PROHIBITION = "prohibition"
    """`action` must not be done (unless an exception in `exceptions` holds)."""


@dataclass(frozen=True)
class Quantity:
    """A rule's number: (4, "month"), (10, "business day"), (25, "%"), (30, "ratio"),
    (100000, "USD")."""

    value: float
    unit: str


@dataclass(frozen=True)
class Condition:
    """One condition a rule's text sets, read by a template."""

    template: Template
    text: str
    """The rule's words it was read from (a sentence or clause)."""
    span: Span
    """Where in the rule's text."""
    action: str = ""
    """What must (or, for a prohibition, must not) be done, in the rule's words."""
    anchor: str = ""
    """What a time counts from or to, e.g. "the end of the financial year"."""
    measure: str = ""
    """LIMIT / MINIMUM: what is measured, e.g. "aggregate borrowings"."""
    limit: Quantity | None = None
    base: str = ""
    """LIMIT / MINIMUM in %: of what, e.g. "Tier 1 capital"."""
    party: str = ""
    """Who approves, is notified or is appointed: "the Regulator", "senior management"."""
    trigger: Condition | None = None
    """NOTIFICATION / APPROVAL set off by a quantity: a LIMIT or MINIMUM condition whose
    breach makes the notification or approval due. "Notify if capital resources fall
    below 120% of the capital requirement" has the trigger MINIMUM(capital resources,
    120% of the capital requirement): met, nothing is due; not met, the firm must notify."""
    exceptions: tuple[str, ...] = ()
    """"unless" / "except" clauses, in the rule's words."""

    def describe(self) -> str:
        """The condition in one line, for the record and the trial."""
        parts = [self.template.value + ":", self.action or self.measure]
        if self.limit is not None:
            amount = f"{self.limit.value:g} {self.limit.unit}".strip()
            parts.append(f"({amount}{' of ' + self.base if self.base else ''})")
        if self.anchor:
            parts.append(f"from {self.anchor}")
        if self.party:
            parts.append(f"[{self.party}]")
        return " ".join(p for p in parts if p)


class Applicability(StrEnum):
    APPLIES = "applies"
    DOES_NOT_APPLY = "does not apply"
    CANNOT_TELL = "cannot tell"


class Compliance(StrEnum):
    MET = "met"
    NOT_MET = "not met"
    CANNOT_TELL = "cannot tell"


@dataclass(frozen=True)
class Applies:
    """Whether a rule governs this firm and situation, and why."""

    applicability: Applicability
    reason: str
    """Firm type, category, fund type, thresholds, exemptions, definitions."""
    fact_ids: tuple[str, ...] = ()
    missing: str = ""
    """CANNOT_TELL: the fact that would decide it, e.g. "whether the fund is a Property
    Fund"."""


@dataclass(frozen=True)
class Check:
    """How the situation stands against one condition."""

    compliance: Compliance
    reason: str
    """The deciding fact against the condition, in words."""
    fact_ids: tuple[str, ...] = ()
    missing: str = ""
    """CANNOT_TELL: the fact that would decide it, e.g. "the financial year-end date"."""

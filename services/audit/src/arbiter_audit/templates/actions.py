"""The duties to act a rule's text sets, as conditions: APPROVAL ("must not purchase its
own Shares without the prior written approval of the Regulator", "obtain the approval of
Senior Management to commence a business relationship", "unless ... the Unitholders
approve ... by Special Resolution"), NOTIFICATION ("must notify the Regulator", "must
report to the Regulator all dividends"), APPOINTMENT ("must appoint", "make the following
appointments: (a) ...", "must have a compliance officer"), RESIDENCE ("must be resident
in the U.A.E.") and PROHIBITION ("must not", "is not permitted to", "No ... may"), each
with its party and its exceptions. A figure or a time limit in the same words is the
quantities' or the time family's condition; a quantity that sets a duty off is composed
by the reading (`trigger` is left None here). `exemptions` reads a passage that lifts
another's duty ("Subsection (1) does not apply if— (a) ...")."""

from __future__ import annotations

import re
from collections.abc import Iterator

from arbiter_audit.model import Condition, Span, Template
from arbiter_audit.templates.actions_words import (
    APPOINT,
    APPROVED_BY,
    DUTY,
    FORBIDDEN,
    NOTICE_WORDS,
    NOTIFY,
    NOTIFY_PARTY,
    OBTAIN_APPROVAL,
    QUANTITATIVE,
    RESIDENCE,
    TO_PARTY,
    WITHOUT_APPROVAL,
    Clause,
    body,
    clauses,
    exceptions_of,
    party_words,
    subject,
)

_EXEMPTION = re.compile(
    r"\b(?:does|do|shall|will)\s+not\s+apply\s+(?:if|where|when|to|in\s+(?:the\s+)?case)",
    re.IGNORECASE,
)
_CUT = re.compile(r"\s*(?:[,;(]|\b(?:unless|except|without|if|where|provided)\b)", re.I)
_ASIDE = re.compile(r"^\s*,[^,;]{1,60},\s*")
"""", in the course of business,": words set off between the modal and the act."""
_CONDITIONAL = re.compile(
    r"\b(?:unless|until|only\s+(?:if|where|when|after)|provided\s+that)\b", re.IGNORECASE
)
"""Words that make "the Unitholders approve" a requirement ("unless ... approve")."""
_APPOINTMENTS = re.compile(
    r"following\s+appointments|\b(?:must|shall)\s+appoint\w*[^.;]{0,40}[:\u2014-]\s*$", re.I
)
_FORBIDDEN_LIST = re.compile(
    r"\b(?:must|shall|may)\s+not\s*[:\u2014-]\s*$|\bprohibited\s+from\s*[:\u2014-]\s*$", re.I
)
"""A header whose items are each a forbidden act ("A firm must not:")."""
_DUTY_JUST_BEFORE = re.compile(
    r"\b(?:must|shall|required\s+to)\b(?:[\s,]+[\w()\u200e.]+){0,4}[\s,]*$", re.IGNORECASE
)
_NOTIFY_VERBS = frozenset({"notify", "inform", "advise"})


def read(rule_text: str) -> list[Condition]:
    """The APPROVAL, NOTIFICATION, APPOINTMENT, RESIDENCE and PROHIBITION conditions of
    `rule_text`, in order, each with its span and slots."""
    found: list[Condition] = []
    for clause in clauses(rule_text):
        found.extend(_conditions(clause))
    return found


def exemptions(rule_text: str) -> tuple[str, ...]:
    """The grounds on which a passage says another rule "does not apply" (its list items,
    or the words after "if"), for the reading to add to that rule's exceptions."""
    grounds: list[str] = []
    listing = False
    for clause in clauses(rule_text):
        m = _EXEMPTION.search(clause.text)
        if m and not clause.item:
            tail = clause.text[m.end() :].strip(" \u2014-:\u2013")
            if tail:
                grounds.append(tail.rstrip(" ;.,"))
            listing = not tail
            continue
        if listing and clause.item:
            grounds.append(re.sub(r"[;.,]?\s*(?:and|or)?\s*$", "", body(clause)).strip())
    return tuple(g for g in grounds if g)


def _conditions(clause: Clause) -> Iterator[Condition]:
    text = body(clause)
    duty = clause.header_duty or DUTY.search(text) or FORBIDDEN.search(text)
    if not duty:
        return
    who = subject(text) or subject(clause.header)
    made = False
    for condition in (_residence(clause, text, who), *_approvals(clause, text)):
        if condition is not None:
            made = True
            yield condition
    notification = _notification(clause, text)
    if notification is not None:
        made = True
        yield notification
    yield from (appointment := list(_appointments(clause, text)))
    made = made or bool(appointment)
    if not made:
        prohibition = _prohibition(clause, text)
        if prohibition is not None:
            yield prohibition


def _condition(
    clause: Clause, template: Template, *, action: str, party: str = "", required: str = ""
) -> Condition:
    """A condition of `clause`; an exception that holds the `required` words is the
    requirement itself ("unless ... the Unitholders approve"), not a way out of it."""
    lead = len(clause.text) - len(clause.text.lstrip())
    words = clause.text.strip()
    exceptions = exceptions_of(clause.text) or exceptions_of(clause.header)
    if required:
        exceptions = tuple(x for x in exceptions if required not in x)
    return Condition(
        template=template,
        text=words,
        span=Span(clause.start + lead, clause.start + lead + len(words)),
        exceptions=exceptions,
        action=action,
        party=party,
    )


def _residence(clause: Clause, text: str, who: str) -> Condition | None:
    m = RESIDENCE.search(text)
    if not m:
        return None
    return _condition(
        clause, Template.RESIDENCE, action="be resident in the U.A.E.", party=party_words(who)
    )


def _approvals(clause: Clause, text: str) -> Iterator[Condition]:
    m = WITHOUT_APPROVAL.search(text)
    if m and FORBIDDEN.search(text[: m.start()] or clause.header):
        party = m["party"] or m["owner"] or ""
        yield _condition(
            clause,
            Template.APPROVAL,
            action=_forbidden_act(text[: m.start()]),
            party=party_words(party),
        )
        return
    m = OBTAIN_APPROVAL.search(text)
    if m and (m["party"] or m["owner"]):
        yield _condition(
            clause,
            Template.APPROVAL,
            action=(m["action"] or "").strip(),
            party=party_words(m["party"] or m["owner"]),
        )
        return
    m = APPROVED_BY.search(text)
    if m and (m["party2"] or _CONDITIONAL.search(text[: m.start()])):
        party = party_words(m["party"] or m["party2"] or "")
        if m["how"]:
            party = f"{party} by {m['how'].strip()}"
        yield _condition(
            clause,
            Template.APPROVAL,
            required=m.group(0).strip(),
            action=_forbidden_act(text[: m.start()]) or (m["what"] or "").strip(),
            party=party,
        )


def _forbidden_act(words: str) -> str:
    """The act a prohibition names: the words after its modal, up to an exception."""
    m = FORBIDDEN.search(words)
    if not m:
        return ""
    act = _ASIDE.sub("", words[m.end() :])
    cut = _CUT.search(act)
    return (act[: cut.start()] if cut else act).strip(" ,;")


def _notification(clause: Clause, text: str) -> Condition | None:
    for m in NOTIFY.finditer(text):
        if not DUTY.search(text[: m.start()]) and not clause.item:
            continue
        verb, rest = m["verb"].lower(), m["rest"]
        if verb in _NOTIFY_VERBS:
            named = NOTIFY_PARTY.match(rest)
            party = named["party"] if named else ""
        else:
            if not (verb in ("disclose", "report") or NOTICE_WORDS.search(rest[:60])):
                continue
            to = TO_PARTY.search(rest)
            party = to["party"] if to else ""
        if FORBIDDEN.search(text[: m.start()]) and not clause.item:
            continue  # "must not disclose": a prohibition
        return _condition(
            clause,
            Template.NOTIFICATION,
            action=f"{verb} {rest}".strip(" ;,."),
            party=party_words(party),
        )
    return None


def _appointments(clause: Clause, text: str) -> Iterator[Condition]:
    if clause.item and _APPOINTMENTS.search(clause.header):
        role = re.sub(r"[;.,]?\s*(?:and|or)?\s*$", "", text).strip()
        if role:
            yield _condition(clause, Template.APPOINTMENT, action=f"appoint {role}", party=role)
        return
    m = APPOINT.search(text)
    before = text[max(0, m.start() - 40) : m.start()] if m else ""
    if not m or not _DUTY_JUST_BEFORE.search(before) or FORBIDDEN.search(before):
        return  # "notify ... each person it proposes to appoint": not a duty to appoint
    role = m["party"] or m["role"]
    if role:
        yield _condition(
            clause,
            Template.APPOINTMENT,
            action=f"appoint {party_words(role)}",
            party=party_words(role),
        )


def _prohibition(clause: Clause, text: str) -> Condition | None:
    m = FORBIDDEN.search(text)
    if not m and clause.item and _FORBIDDEN_LIST.search(clause.header):
        act = text
    elif m:
        act = text[m.end() :]
    else:
        return None
    act = _ASIDE.sub("", act)
    cut = _CUT.search(act)
    act = (act[: cut.start()] if cut else act).strip(" ,;.")
    if not act or QUANTITATIVE.search(act):
        return None
    return _condition(clause, Template.PROHIBITION, action=act)

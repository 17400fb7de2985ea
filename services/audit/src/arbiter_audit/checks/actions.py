"""The checks of duties to act against a situation's ACTION, PARTY and UNKNOWN facts:
whether the rule's party approved or was notified (the situation says so, or says it did
not), whether a required role is held, whether a role's holder lives in the U.A.E., and
whether a forbidden act was done (and no exception holds). NOT_MET only on a stated
fact; a duty the situation does not speak of, or speaks of without deciding, is
CANNOT_TELL naming what would decide it."""

from __future__ import annotations

import re
from collections.abc import Sequence

from arbiter_audit.checks.actions_pairing import (
    actions,
    by_party,
    gap_that_may_exempt,
    holding,
    ids,
    names_party,
    party_core,
    quoted,
    same_act,
    unknown_about,
)
from arbiter_audit.facts.actions import alone, party_of
from arbiter_audit.facts.actions_words import APPROVAL_KINDS, NOTIFICATION_KINDS
from arbiter_audit.facts.parties_words import APPROVED_PERSON_ROLES, ROLE, ROLES, named
from arbiter_audit.model import Check, Compliance, Condition, Fact, FactKind, Template

TEMPLATES = frozenset(
    {
        Template.APPROVAL,
        Template.NOTIFICATION,
        Template.APPOINTMENT,
        Template.RESIDENCE,
        Template.PROHIBITION,
    }
)
_SUCH = re.compile(
    r"\bapprov\w*\s+such\s+(?P<what>(?:[\w-]+\s+){0,3}?[\w-]+?)(?=\s+by\b|\s*[,;.]|$)", re.I
)
_CONDITIONAL = re.compile(r"\b(?:if|where|when|whenever|upon|in\s+the\s+event)\b", re.I)
"""Words after a duty to notify that make it due only on a condition."""
_MET, _NOT_MET, _UNSURE = Compliance.MET, Compliance.NOT_MET, Compliance.CANNOT_TELL


def check(condition: Condition, facts: Sequence[Fact]) -> Check:
    """MET, NOT_MET or CANNOT_TELL for one of TEMPLATES given all the situation's facts."""
    checker = {
        Template.APPROVAL: _approval,
        Template.NOTIFICATION: _notification,
        Template.APPOINTMENT: _appointment,
        Template.RESIDENCE: _residence,
        Template.PROHIBITION: _prohibition,
    }.get(condition.template)
    if checker is None:
        return Check(_UNSURE, f"not a duty to act: {condition.template.value}", missing="")
    verdict = checker(condition, list(facts))
    if verdict.compliance is _NOT_MET:
        return _unless_excepted(condition, verdict, facts)
    return verdict


def _approval(condition: Condition, facts: list[Fact]) -> Check:
    party = condition.party or "the approver"
    such = _SUCH.search(condition.text)
    if such and not same_act(such["what"], facts)[0]:
        # "unless ... the Unitholders approve such new category": the approval is needed
        # for that act of the rule's alternatives only
        return Check(
            _UNSURE,
            f"the approval of {party} is required for {such['what']} only; the situation "
            "does not say the firm did that",
            missing=f"whether the firm made {such['what']}",
        )
    kinds = set(APPROVAL_KINDS)
    if "resolution" not in condition.party.lower():
        kinds.discard("meeting")
    approvals = actions(facts, kinds)
    theirs = by_party(approvals, condition.party) if condition.party else []
    given = [f for f in theirs if not f.negated]
    if given:
        return Check(_MET, f"{party} approved: {quoted(given)}", ids(given))
    refused = [f for f in theirs if f.negated]
    if refused:
        return Check(
            _NOT_MET,
            f"the rule requires the approval of {party}{_for(condition)}; the situation says "
            f"it was not obtained: {quoted(refused)}",
            ids(refused),
        )
    others_only = [f for f in approvals if alone(f) and not f.negated and party_of(f)]
    if others_only and condition.party:
        return Check(
            _NOT_MET,
            f"the rule requires the approval of {party}{_for(condition)}; it was approved "
            f"only by {party_of(others_only[0])}: {quoted(others_only)}",
            ids(others_only),
        )
    return _cannot_tell(
        condition, facts, approvals, f"whether {party} approved{_for(condition) or ' it'}"
    )


def _notification(condition: Condition, facts: list[Fact]) -> Check:
    party = condition.party
    told = actions(facts, NOTIFICATION_KINDS)
    theirs = by_party(told, party) if party else [f for f in told if not f.negated]
    if party:
        theirs += [f for f in told if not f.negated and not party_of(f)]
    given = [f for f in theirs if not f.negated]
    refused = [f for f in theirs if f.negated]
    due_if = _CONDITIONAL.search(condition.action)
    if refused and due_if and condition.trigger is None:
        # "notify ... if its NSFR falls below 100%": not notifying is a breach only once
        # it was due, and no trigger was read to tell
        return Check(
            _UNSURE,
            f"notice was not given ({quoted(refused)}), but the rule requires it only "
            f"{condition.action[due_if.start() :]}",
            ids(refused),
            missing=f"whether {condition.action[due_if.end() :].strip()}",
        )
    if refused:
        return Check(
            _NOT_MET,
            f"the rule requires notice to {party or 'the persons it names'} "
            f"({condition.action}); the situation says it was not given: {quoted(refused)}",
            ids(refused),
        )
    if given:
        return Check(
            _MET, f"notice was given{' to ' + party if party else ''}: {quoted(given)}", ids(given)
        )
    whom = party or "the persons the rule names"
    return _cannot_tell(condition, facts, told, f"whether {whom} was notified ({condition.action})")


def _appointment(condition: Condition, facts: list[Fact]) -> Check:
    role = condition.party
    appointed = [f for f in actions(facts, {"appointment"}) if _same_role(role, party_of(f))]
    held = [
        f
        for f in facts
        if f.kind is FactKind.PARTY and f.attribute == "role" and _same_role(role, f.value)
    ]
    present = [f for f in appointed + held if not f.negated]
    if present:
        return Check(_MET, f"the firm has a {role}: {quoted(present)}", ids(present))
    absent = [f for f in appointed + held if f.negated]
    if absent:
        return Check(
            _NOT_MET,
            f"the rule requires a {role}; the situation says none was appointed: {quoted(absent)}",
            ids(absent),
        )
    return _cannot_tell(condition, facts, [], f"whether the firm has appointed a {role}")


def _residence(condition: Condition, facts: list[Fact]) -> Check:
    roles = _roles(condition.party)
    lives = [
        f
        for f in facts
        if f.kind is FactKind.PARTY
        and f.attribute == "residence"
        and (not roles or f.topic in roles)
    ]
    away = [f for f in lives if f.negated]
    if away:
        waived = [f for f in actions(facts, {"waiver"}) if not f.negated]
        if waived:
            return Check(_MET, f"the requirement was waived: {quoted(waived)}", ids(waived))
        unknown = unknown_about("waiver relief exemption residence requirement", facts)
        if unknown is not None:
            return Check(
                _UNSURE,
                f"{quoted(away)}; the situation does not say whether the Regulator waived "
                f"the residence requirement ({unknown.id})",
                ids([*away, unknown]),
                missing=unknown.topic,
            )
        return Check(
            _NOT_MET,
            f"the {away[0].topic} must be resident in the U.A.E.; {quoted(away)}",
            ids(away),
        )
    if lives:
        return Check(_MET, f"resident in the U.A.E.: {quoted(lives)}", ids(lives))
    who = condition.party or "the role holder"
    return _cannot_tell(condition, facts, [], f"where the {who} lives")


def _prohibition(condition: Condition, facts: list[Fact]) -> Check:
    done, not_done = same_act(condition.action, facts)
    if not done:
        if not_done:
            return Check(_MET, f"it was not done: {quoted(not_done)}", ids(not_done))
        return _cannot_tell(condition, facts, [], f"whether the firm did this: {condition.action}")
    breach = Check(
        _NOT_MET, f"the rule forbids this: {condition.action}; {quoted(done)}", ids(done)
    )
    excepted = _unless_excepted(condition, breach, facts)
    if excepted is not breach:
        return excepted
    gap = gap_that_may_exempt(facts)
    if gap is not None:
        return Check(
            _UNSURE,
            f"the forbidden act was done ({quoted(done)}), but the situation does not say "
            f"{gap.topic} ({gap.id}), which may exempt it",
            ids([*done, gap]),
            missing=gap.topic,
        )
    approved = [f for f in actions(facts, APPROVAL_KINDS) if not f.negated]
    if approved:
        return Check(
            _UNSURE,
            f"the act was done ({quoted(done)}) with an approval ({quoted(approved)}); "
            "whether that approval lifts the prohibition is not in the rule's words",
            ids([*done, *approved]),
            missing="whether the approval given exempts the act from the prohibition",
        )
    return breach


def _unless_excepted(condition: Condition, verdict: Check, facts: Sequence[Fact]) -> Check:
    """A NOT_MET stands only when no exception of the rule holds or may hold."""
    for exception in condition.exceptions:
        held = holding(exception, facts)
        if held is not None:
            return Check(
                _MET, f"the rule's exception holds ({exception}): {quoted([held])}", ids([held])
            )
        unknown = unknown_about(exception, facts)
        if unknown is not None:
            return Check(
                _UNSURE,
                f"{verdict.reason}; but the exception ({exception}) may hold: the situation "
                f"does not say {unknown.topic}",
                verdict.fact_ids + ids([unknown]),
                missing=unknown.topic,
            )
        if exception.lstrip("\u200e ").startswith("("):
            return Check(
                _UNSURE,
                f"{verdict.reason}; but the rule is subject to {exception}, which the offline "
                "rules cannot read from this text",
                verdict.fact_ids,
                missing=f"whether the exception in {exception.strip()} applies",
            )
    return verdict


def _cannot_tell(
    condition: Condition, facts: Sequence[Fact], related: Sequence[Fact], missing: str
) -> Check:
    unknown = unknown_about(f"{party_core(condition.party)} {condition.action}", facts)
    if unknown is not None:
        return Check(
            _UNSURE,
            f"the situation does not say {unknown.topic}",
            ids([unknown]),
            missing=unknown.topic,
        )
    said = f" (it says: {quoted(related)})" if related else ""
    return Check(
        _UNSURE, f"the situation does not say {missing}{said}", ids(related), missing=missing
    )


def _roles(party: str) -> frozenset[str]:
    """The roles a rule's party names, or every Approved Person role for "Approved
    Persons" (the cross-reference to which ones is not in the rule's words)."""
    named_roles = _named_roles(party)
    if named_roles:
        return frozenset(named_roles)
    if "approved person" in party.lower():
        return APPROVED_PERSON_ROLES
    return frozenset()


def _same_role(rule_party: str, words: str) -> bool:
    """Whether `words` name the rule's role ("MLRO" is "Money Laundering Reporting
    Officer"), or name the rule's party in full when it is not a known role."""
    wanted = _named_roles(rule_party)
    if wanted:
        return bool(wanted & _named_roles(words))
    return names_party(rule_party, words)


def _named_roles(words: str) -> set[str]:
    return {named(m, ROLES) for m in ROLE.finditer(words)}


def _for(condition: Condition) -> str:
    return f" to {condition.action}" if condition.action else ""

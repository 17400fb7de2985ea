"""An application rule that limits a chapter for some firms or funds: "Only this Rule and
Rules 12.2, 12.3.1, ... and 12.10.1 in this Chapter apply to, or in relation to, a
Qualified Investor Fund." For another passage of that chapter it says whether the passage
is one of those listed; when it is not, the passage does not apply where the application
rule's scope holds (a Qualified Investor Fund), and cannot be told where that scope
cannot. The SOP composes it: the application rule sets no condition of its own."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from arbiter_audit.applicability import applicability
from arbiter_audit.model import Applicability, Applies, Fact

_ONLY = re.compile(
    r"\bOnly\s+(?P<listed>this\s+Rule(?:[^.]|\.(?=\d)){0,600}?)\s+(?:in\s+this\s+(?:Chapter|Part|Section)\s+)?"
    r"appl(?:y|ies)\s+to\b(?P<scope>(?:[^.]|\.(?=\d)){2,200})",
    re.IGNORECASE,
)
_ALSO = re.compile(r"^[\s,]*or\s+in\s+relation\s+to[\s,]*", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:\.\d+)+")


@dataclass(frozen=True)
class OnlyRule:
    """The rules an application rule lists, and the words of whom it is for."""

    listed: tuple[str, ...]
    scope: str

    def lists(self, passage_ref: str) -> bool:
        """Whether a passage ("FUNDS PART 5.12.13.3", "12.3.7.(b)") is one of the rules
        listed, or a part of one."""
        numbers = _NUMBER.findall(passage_ref)
        if not numbers:
            return True  # no number to tell by: never ruled out
        own = f".{numbers[-1]}."
        # "12.3.7" lists "FUNDS PART 5.12.3.7" and its parts; a number that merely ends
        # like another chapter's ("5.12.13.3" and "13.3") counts as listed: never ruled out
        return any(f".{n}." in own for n in self.listed)


def only_rule(rule_text: str) -> OnlyRule | None:
    """The application rule `rule_text` states, or None when it states none."""
    m = _ONLY.search(rule_text)
    if not m:
        return None
    scope = _ALSO.sub("", m["scope"]).strip(" ,")
    return OnlyRule(tuple(_NUMBER.findall(m["listed"])), scope)


def limited(application_text: str, passage_ref: str, facts: Sequence[Fact]) -> Applies | None:
    """DOES_NOT_APPLY (or CANNOT_TELL) for a passage an application rule leaves out, when
    its scope holds (or cannot be told) for the situation; None when it does not limit
    the passage."""
    rule = only_rule(application_text)
    if rule is None or rule.lists(passage_ref):
        return None
    scope = applicability(f"This Rule applies to {rule.scope}.", facts)
    if scope.applicability is Applicability.DOES_NOT_APPLY:
        return None
    if scope.applicability is Applicability.CANNOT_TELL:
        return Applies(
            Applicability.CANNOT_TELL,
            f"only some rules of the chapter apply to {rule.scope}, not this one; {scope.reason}",
            scope.fact_ids,
            missing=scope.missing,
        )
    return Applies(
        Applicability.DOES_NOT_APPLY,
        f"only the rules {', '.join(rule.listed)} of the chapter apply to {rule.scope}, not "
        f"this one; {scope.reason}",
        scope.fact_ids,
    )

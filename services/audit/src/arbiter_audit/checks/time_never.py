"""A deadline whose duty the situation says was never done ("... raised its stake to
8.6% in May 2024 and made no further disclosure"): NOT_MET once the anchor event is dated
and the deadline has passed by the latest date the situation tells of, or the telling
comes after the anchor with no later date (the story is told afterwards). A duty merely
not mentioned is never taken as not done."""

from __future__ import annotations

import re
from collections.abc import Sequence

from arbiter_audit.checks.calendar import add, describe_day, quantity_words
from arbiter_audit.checks.time_pairing import anchor_score, dated_events
from arbiter_audit.model import Check, Compliance, Condition, Fact, FactKind
from arbiter_audit.topics import overlap

MIN_NAMED = 0.5
"""The share of a not-done statement's words the duty must name for it to be this duty."""
_FILLER = re.compile(r"\b(?i:further|any|other|more|new|additional|subsequent|yet|no|not|never)\b")


def never_done(condition: Condition, facts: Sequence[Fact]) -> Check | None:
    """NOT_MET when a negated ACTION (any family's) or a dated "still not done" EVENT
    names the duty and follows its anchor event past the deadline; None when the situation
    does not say the duty was left undone."""
    if condition.limit is None:
        return None
    undone = [
        f
        for f in facts
        if f.negated
        and f.kind in (FactKind.ACTION, FactKind.EVENT)
        and overlap(_FILLER.sub(" ", f.topic), condition.action) >= MIN_NAMED
    ]
    events = dated_events(facts)
    anchors = [e for e in events if anchor_score(condition, e) > 0]
    if not anchors and len(events) == 1:
        anchors = events  # a generic anchor ("the occurrence of any of the events")
    for statement in undone:
        before = [a for a in anchors if a.span.end <= statement.span.start]
        if len(before) != 1:
            continue
        anchor = before[0]
        assert anchor.until and anchor.when
        due = add(anchor.until, condition.limit)
        told = [e.until for e in events if e.until] + [statement.until or anchor.until]
        latest = statement.when or max(told)
        if latest > anchor.until and latest <= due:
            return None  # the story ends before the deadline: not yet late
        return Check(
            Compliance.NOT_MET,
            f"the situation says it was not done ({statement.text}) after {anchor.topic} "
            f"({describe_day(anchor.when, anchor.until)}); the rule requires it within "
            f"{quantity_words(condition.limit)}",
            (anchor.id, statement.id),
        )
    return None

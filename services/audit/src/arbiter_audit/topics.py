"""How well two phrases name the same thing ("the complaint was received" and "the day on
which the Payment Service Provider received the complaint"): the one measure every check
uses to pair a rule's words with a situation's facts."""

from __future__ import annotations

from arbiter_text.words import stems

SAME_THING: tuple[frozenset[str], ...] = (
    frozenset({"regulator", "fsra", "authority", "supervisor"}),
    frozenset(
        {"notify", "notif", "notice", "inform", "tell", "report", "disclos", "disclose"}
        | {"disclo", "disclosur", "disclosure", "notific", "wrote", "write", "written"}
    ),
    frozenset({"approv", "approve", "consent", "permission", "sign-off", "authoris"}),
    frozenset(
        {"submit", "send", "sent", "file", "filed", "provide", "deliver", "lodg", "lodge"}
        | {"submitt", "submission", "deliv", "filing", "communicate", "email", "emailing"}
    ),
    frozenset({"invest", "subscribe", "subscrib"}),
    frozenset({"record", "evidence", "document", "file"}),
    frozenset({"unitholder", "investor", "shareholder", "holder"}),
    frozenset({"customer", "client"}),
    frozenset({"employee", "staff", "personnel"}),
    frozenset({"receiv", "receive", "receipt"}),
    frozenset({"complain", "complaint"}),
    frozenset({"resolv", "resolve", "resolution", "response"}),
    frozenset({"retain", "keep", "kept", "maintain", "preserv", "preserve", "store"}),
    frozenset({"exposure", "exposur", "loan", "lend", "position"}),
    frozenset({"stake", "stak", "holding", "hold", "shareholding", "share", "shar"}),
)
"""Stems the rules and the situations use for one idea."""

_CANON: dict[str, str] = {word: min(group) for group in SAME_THING for word in group}


def topic_stems(text: str) -> set[str]:
    """The content stems of `text`, each synonym folded to one spelling."""
    return {_CANON.get(s, s) for s in stems(text)}


def overlap(a: str, b: str) -> float:
    """The share of `a`'s content stems that `b` names too (0..1; 0 when `a` has none)."""
    mine = topic_stems(a)
    if not mine:
        return 0.0
    return len(mine & topic_stems(b)) / len(mine)

"""Where the holders of a firm's roles live: "The Compliance Officer ... lives in Manama,
Bahrain", "moved his family and his home to Riyadh", "holds a UAE residence visa and lives
with her family in Al Ain", "all living in Abu Dhabi". Each is a PARTY fact of attribute
"residence" whose topic is the role (or roles) it is said of, and whose value is "UAE" or
the place outside it. Travel ("flying to Abu Dhabi", "trips to clients in Europe") is not
residence."""

from __future__ import annotations

import re
from collections.abc import Iterator

from arbiter_audit.facts.parties_words import ROLE, ROLES, UAE_PLACES, named
from arbiter_audit.model import Fact, FactKind, Span

_PLACE = (
    r"(?P<place>(?:the\s+)?(?:U\.A\.E\.?|[A-Z][\w'-]*(?:(?:\s+|,\s*)(?:Al\s+)?[A-Z][\w'-]*)"
    r"{0,3}))"
)
_RESIDENCE = re.compile(
    r"\b(?:lives?|living|resides?|residing|resident|based|settled|domiciled)\s+"
    r"(?:(?:with|and)\s+(?:his|her|their)\s+[\w\s]{1,20}?\s+)?(?:permanently\s+)?(?:in|at)\s+"
    + _PLACE
    + r"|\b(?:moved|relocated|emigrated)\s+(?:(?:his|her|their)\s+[\w\s]{1,40}?\s+)?to\s+"
    + _PLACE.replace("?P<place>", "?P<moved>")
    + r"|\b(?P<visa>holds?|has|had|with)\s+an?\s+(?P<visa_place>U\.?A\.?E\.?|Emirati)\s+"
    r"(?:residence|residency)\s+(?:visa|permit)",
)
_OTHERS = re.compile(
    r"\b(?:investors|clients|customers|residents|people|users|members|staff|employees|"
    r"individuals|persons)\s+$",
    re.IGNORECASE,
)
"""Words before "living in" that say it is not a role holder who lives there."""
_PRONOUN_GROUP = re.compile(r"\ball\b|\beach\b|\bboth\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.;]\s")


def residences(text: str) -> Iterator[Fact]:
    """The residence facts of `text`, each said of the roles it was last speaking of."""
    roles = [(m.start(), named(m, ROLES)) for m in ROLE.finditer(text)]
    for m in _RESIDENCE.finditer(text):
        if m["visa"]:
            place = "UAE"
        else:
            place = (m["place"] or m["moved"]).strip(" ,")
            if place.lower().startswith("the "):
                place = place[4:]
        if _OTHERS.search(text[max(0, m.start() - 20) : m.start()]):
            continue
        holders = _holders(text, roles, m.start())
        if not holders:
            continue
        in_uae = bool(UAE_PLACES.search(place)) or place == "UAE"
        value = "UAE" if in_uae else place
        where = "in the U.A.E." if in_uae else f"outside the U.A.E. ({place})"
        for role in holders:
            yield Fact(
                kind=FactKind.PARTY,
                text=f"the {role} lives {where}",
                span=Span(m.start(), m.end()),
                value=value,
                negated=not in_uae,
                topic=role,
                attribute="residence",
            )


def _holders(text: str, roles: list[tuple[int, str]], at: int) -> list[str]:
    """The roles a residence statement at `at` is said of: those named earlier in its
    sentence ("all living in Abu Dhabi": every one of them), else the last one named
    before it in the situation (a pronoun's)."""
    sentence_start = 0
    for end in _SENTENCE_END.finditer(text, 0, at):
        sentence_start = end.end()
    same = [role for start, role in roles if sentence_start <= start < at]
    if same:
        clause = text[sentence_start:at]
        return list(dict.fromkeys(same)) if _PRONOUN_GROUP.search(clause) else [same[0]]
    earlier = [role for start, role in roles if start < at]
    return earlier[-1:]

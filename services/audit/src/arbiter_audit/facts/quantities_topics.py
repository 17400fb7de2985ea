"""What a figure in a situation measures, read from the words around it: "Tier 1 capital
of USD 60 million", "its capital resources dropped to USD 200,000", "USD 3,000 of cash
margin", "borrowings stood at 27% of the gross asset value of the Fund Property". No
grammar, only the shapes case descriptions use: a noun phrase before a linking verb or
"of", and an "of" phrase after."""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"[A-Za-z0-9](?:[\w'\u2019/&-]|\.(?=\w))*|[,;:()\[\]]")

LINKS = frozenset(
    """
    of at to from is are was were be been being stood stands stand reached reaches reach
    fell falls fall dropped drops declined declines rose rises risen grew grows increased
    increases decreased decreases equal equals equalling equaling equivalent totalling
    totaling totalled totaled total worth amounting amounted amounts came comes about
    approximately around roughly nearly almost some just only over under below above more
    less than exceeding up down by both each then now still remained remains valued
    representing represented back
    """.split()  # noqa: SIM905 - a word list reads better as prose
)
"""Words between a figure and what it measures ("stood at about", "equal to")."""

BOUNDARIES = frozenset(
    """
    has have had holds hold held made makes make sold sells sell bought buys buy reported
    reports report posted posting posts raised raises raise took takes opened opens open
    keeps kept maintains maintained maintain shows showed show recorded records record lent
    lends extended extends granted grants paid pays with and or after before when while
    that which who whom where to for by against at from into than if but so as was were is
    are saw sees let lets advertising advertised offering offered carrying carried must
    received receives receive collected collects accepted accepts sent sends
    shall should may will would can could it they them not
    """.split()  # noqa: SIM905
)
"""Words that end a noun phrase read backwards or forwards."""

DONE_AS_THING = {
    "lent": "loan",
    "lends": "loan",
    "loaned": "loan",
    "borrowed": "borrowing",
    "borrows": "borrowing",
    "invested": "investment",
    "invests": "investment",
    "deposited": "deposit",
    "deposits": "deposit",
    "paid": "payment",
    "pays": "payment",
    "transferred": "transfer",
    "received": "receipt",
    "receives": "receipt",
    "collected": "receipt",
    "accepted": "receipt",
    "sent": "payment",
    "sends": "payment",
}
"""A verb with no object before the figure: the figure is the thing done ("lent USD 26
million" is a loan of USD 26 million)."""

DETERMINERS = frozenset(
    ["a", "an", "the", "its", "their", "his", "her", "our", "this", "that", "these", "those", "one"]
)
_INNER = frozenset({"of", "all"})
_QUANTIFIERS = frozenset({"any", "a", "an", "one", "each", "every"})
"""Words after which a determiner is inside the phrase ("sum of all its exposures")."""
_MAX_WORDS = 9
_WINDOW = 400
"""Characters around a figure its phrase is looked for in: a long text costs no more."""
_LOOSE_ENDS = LINKS | DETERMINERS | {"as", "and", "or"}
_YEAR_OR_MONTH = re.compile(
    r"^(?:\d{4}|january|february|march|april|may|june|july|august|september|october|"
    r"november|december|q[1-4]|quarter-end)$",
    re.IGNORECASE,
)
_WEEKDAY = re.compile(r"^(?:mon|tues|wednes|thurs|fri|satur|sun)day$", re.IGNORECASE)


@dataclass(frozen=True)
class Phrase:
    """Words of a sentence with where they start and end in it."""

    text: str
    start: int
    end: int


def _tokens(text: str) -> list[re.Match[str]]:
    return list(_TOKEN.finditer(text))


def before(sentence: str, at: int) -> Phrase | None:
    """The noun phrase a figure at `at` is said of: "Tier 1 capital" in "Tier 1 capital
    of USD 60 million", "borrowings" in "A Fund's borrowings, including those of its
    SPVs, reached 40%" (a parenthetical between commas is stepped over)."""
    window = max(0, at - _WINDOW)
    tokens = _tokens(sentence[window:at])
    i = len(tokens) - 1
    while i >= 0 and tokens[i].group().lower() in LINKS:
        i -= 1
    phrase = _collect_back(tokens, i)
    if phrase is None and i >= 0 and tokens[i].group().lower() in DONE_AS_THING:
        # "it lent USD 26 million": what was lent is a loan.
        word = tokens[i]
        thing = DONE_AS_THING[word.group().lower()]
        return Phrase(thing, window + word.start(), window + word.end())
    if phrase is None and i >= 0 and tokens[i].group() == ",":
        # "X, including Y, reached 40%": the phrase is X, before the parenthetical.
        j = i - 1
        while j >= 0 and tokens[j].group() != ",":
            j -= 1
        phrase = _collect_back(tokens, j - 1) if j > 0 else None
    if phrase is None:
        return None
    first, last = phrase
    return _phrase(sentence, window + tokens[first].start(), window + tokens[last].end())


def _collect_back(tokens: list[re.Match[str]], last: int) -> tuple[int, int] | None:
    first = last + 1
    i = last
    while i >= 0 and last - i < _MAX_WORDS:
        word = tokens[i].group()
        lower = word.lower()
        if lower == "to" and i < last and tokens[i + 1].group().lower() in _QUANTIFIERS:
            first, i = i, i - 1  # "exposure to any single issuer": one phrase
            continue
        if not word[0].isalnum() or lower in BOUNDARIES:
            break
        if lower in DETERMINERS and not (i > 0 and tokens[i - 1].group().lower() in _INNER):
            break
        if lower.endswith(("'s", "\u2019s")) and i < last:
            # "the bank's net stable funding ratio": the owner is not what is measured.
            break
        first = i
        i -= 1
    if first > last:
        return None
    return first, last


def after(sentence: str, at: int, *, bare: bool = False) -> Phrase | None:
    """The noun phrase after a figure that ends at `at`: "of" and what follows ("of the
    gross asset value of its Fund Property"), "in cash" and what follows, or (when `bare`)
    a phrase with no preposition ("USD 100,000 long position on a gold CFD")."""
    tokens = _tokens(sentence[at : at + _WINDOW])
    if not tokens:
        return None
    lead = tokens[0].group().lower()
    if lead == "of" or (lead == "in" and len(tokens) > 1 and tokens[1].group() == "cash"):
        i = 1
    elif bare and tokens[0].group()[0].isalpha() and lead not in BOUNDARIES | LINKS:
        i = 0
    else:
        return None
    while i < len(tokens) and tokens[i].group().lower() in DETERMINERS:
        i += 1
    first = i
    while i < len(tokens) and i - first < _MAX_WORDS:
        word = tokens[i].group()
        lower = word.lower()
        if not word[0].isalnum() or lower in BOUNDARIES or lower in ("in", "on", "during"):
            if lower in ("on", "as") and i - first > 0 and not _dated(tokens, i + 1):
                i += 1  # "position on a gold CFD", "cash as margin": inside the phrase
                continue
            break
        if _YEAR_OR_MONTH.match(word):
            break
        i += 1
    if i <= first:
        return None
    return _phrase(sentence, at + tokens[first].start(), at + tokens[i - 1].end())


def _dated(tokens: list[re.Match[str]], i: int) -> bool:
    """Whether the word at `i` starts a date ("on 3 May", "on Monday"), not a thing."""
    return i < len(tokens) and bool(
        re.match(r"\d", tokens[i].group())
        or _YEAR_OR_MONTH.match(tokens[i].group())
        or _WEEKDAY.match(tokens[i].group())
    )


def _phrase(sentence: str, start: int, end: int) -> Phrase:
    words = sentence[start:end].split()
    while len(words) > 1 and words[-1].lower() in _LOOSE_ENDS:
        words.pop()  # "the net asset value of the": the phrase ran into a cut-off
    text = " ".join(words)
    end = start + sentence[start:end].rfind(words[-1]) + len(words[-1]) if words else end
    return Phrase(text, start, end)


def preceding_word(sentence: str, at: int) -> str:
    """The word just before `at`, lower-cased ("" at the start)."""
    tokens = _tokens(sentence[max(0, at - 40) : at])
    return tokens[-1].group().lower() if tokens else ""

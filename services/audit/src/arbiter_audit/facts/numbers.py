"""Numbers as situations and rules write them: "250,000", "1.2 million", "two million",
"USD15,000", "$150,000", "25%", "50:1". The quantity family reads every figure with these
patterns, so a situation's "USD 2.64 million" and a rule's "$250,000" parse alike."""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_WORD_VALUE: dict[str, int] = {w: i for i, w in enumerate(_UNITS)}
_WORD_VALUE.update({w: 10 * (i + 2) for i, w in enumerate(_TENS)})
_SCALE_VALUE: dict[str, float] = {
    "hundred": 100,
    "thousand": 1_000,
    "k": 1_000,
    "million": 1_000_000,
    "mn": 1_000_000,
    "m": 1_000_000,
    "billion": 1_000_000_000,
    "bn": 1_000_000_000,
}

_WORD = "|".join(sorted(_WORD_VALUE, key=len, reverse=True))
WORD_NUMBER = rf"(?:(?:{_WORD})(?:[\s-]+(?:{_WORD}|hundred|thousand|and))*)"
"""A number in words: "fifteen", "twenty-five", "one hundred and fifty thousand"."""
DIGITS = r"(?=\d)(?<![\d.,])(?:\d{1,3}(?:,\d{3})+|\d{1,3}(?:[ \u00a0]\d{3})+(?!\d)|\d+)(?:\.\d+)?"
"""A number in digits, thousands separated by commas or spaces or not: "250,000", "1.2".
(The look-ahead first lets the scan skip all that is not a digit quickly.)"""
NUMBER = rf"(?:{DIGITS}|\b{WORD_NUMBER}\b)"
SCALE = r"(?:[Mm]illion|[Bb]illion|[Tt]housand|mn|bn|m|k)\b"

CURRENCY_CODES: dict[str, str] = {
    "usd": "USD",
    "us$": "USD",
    "$": "USD",
    "dollar": "USD",
    "dollars": "USD",
    "aed": "AED",
    "dirham": "AED",
    "dirhams": "AED",
    "eur": "EUR",
    "€": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "gbp": "GBP",
    "£": "GBP",
    "sterling": "GBP",
    "sar": "SAR",
    "riyal": "SAR",
    "riyals": "SAR",
    "chf": "CHF",
    "jpy": "JPY",
}
"""Currency words and signs, to ISO 4217 codes."""
CURRENCY_BEFORE = r"(?:US\$|USD|AED|EUR|GBP|SAR|CHF|JPY|\$|€|£)"
CURRENCY_AFTER = (
    r"(?:USD|AED|EUR|GBP|SAR|CHF|JPY|US [Dd]ollars?|[Dd]ollars?|[Dd]irhams?|[Ee]uros?|"
    r"[Rr]iyals?|[Ss]terling)\b"
)
_PER_CENT = r"(?:%|[Pp]er\s?[Cc]ent\b|[Pp]ercent\b)"


def _money(number: str) -> re.Pattern[str]:
    return re.compile(
        rf"(?P<cur>{CURRENCY_BEFORE})\s?(?P<num>{number})(?:\s?(?P<scale>{SCALE}))?"
        rf"|(?P<num2>{number})(?:\s?(?P<scale2>{SCALE}))?\s(?P<cur2>{CURRENCY_AFTER})"
    )


MONEY = _money(DIGITS)
"""A sum of money, the currency before ("USD 1.2 million", "$150,000") or after the number
("250,000 dirhams")."""
MONEY_IN_WORDS = _money(NUMBER)
"""The same, the number in digits or in words ("five million dirhams"): slower, so only
for a text with number words in it."""
PERCENT = re.compile(rf"(?P<num>{DIGITS})\s?{_PER_CENT}")
PERCENT_IN_WORDS = re.compile(rf"(?P<num>{NUMBER})\s?{_PER_CENT}")
RATIO = re.compile(r"(?=\d)(?<![\d.,])(?P<num>\d+(?:\.\d+)?)\s?(?::\s?1|\s+to\s+1)\b")
"""A ratio to one: "50:1", "30 to 1" (leverage)."""
COUNTED = frozenset(
    [
        "shares",
        "units",
        "securities",
        "contracts",
        "lots",
        "bonds",
        "sukuk",
        "customers",
        "clients",
        "investors",
        "unitholders",
        "transactions",
        "accounts",
        "employees",
        "policies",
        "policyholders",
    ]
)
"""The things a count of which is an AMOUNT with the thing as its unit."""
_COUNTED = rf"(?i:{'|'.join(sorted(COUNTED))})\b"


def _count(number: str) -> re.Pattern[str]:
    return re.compile(rf"(?P<num>{number})(?:\s?(?P<scale>{SCALE}))?\s(?P<noun>{_COUNTED})")


COUNT = _count(DIGITS)
"""A count of things ("15,000 shares"): an AMOUNT whose unit is the noun, never money."""
COUNT_IN_WORDS = _count(NUMBER)
_NUMBER_WORDS = frozenset(_WORD_VALUE)
_LOWER_WORD = re.compile(r"[a-z]+")


def _in_words(text: str) -> bool:
    """Whether `text` has a number written in words (then the slower patterns run)."""
    return not _NUMBER_WORDS.isdisjoint(_LOWER_WORD.findall(text.lower()))


@dataclass(frozen=True)
class Figure:
    """One figure found in a text: its value, its unit and where it was written."""

    value: float
    unit: str
    """An ISO currency code, "%" or "ratio"."""
    start: int
    end: int


def parse_number(text: str) -> float | None:
    """The value of a number written in digits or in words, or None."""
    cleaned = re.sub(r"(?<=\d)[,\s\u00a0](?=\d{3})", "", text.strip().lower())
    try:
        return float(cleaned)
    except ValueError:
        pass
    total, current, seen = 0.0, 0.0, False
    for word in re.split(r"[\s-]+", cleaned):
        if word in _WORD_VALUE:
            current += _WORD_VALUE[word]
            seen = True
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word in ("thousand", "million", "billion"):
            total += max(current, 1) * _SCALE_VALUE[word]
            current = 0
        elif word != "and":
            return None
    return total + current if seen else None


def scaled(number: str, scale: str | None) -> float | None:
    """The value of `number` times its `scale` word ("million"), or None."""
    value = parse_number(number)
    if value is None:
        return None
    return value * _SCALE_VALUE[scale.lower()] if scale else value


def money(text: str) -> list[Figure]:
    """Every sum of money in `text`."""
    found: list[Figure] = []
    for m in (MONEY_IN_WORDS if _in_words(text) else MONEY).finditer(text):
        number, scale = m.group("num") or m.group("num2"), m.group("scale") or m.group("scale2")
        value = scaled(number, scale)
        code = currency_code(m.group("cur") or m.group("cur2"))
        if value is not None and code:
            found.append(Figure(value, code, m.start(), m.end()))
    return found


def percentages(text: str) -> list[Figure]:
    """Every percentage in `text`."""
    found: list[Figure] = []
    for m in (PERCENT_IN_WORDS if _in_words(text) else PERCENT).finditer(text):
        value = parse_number(m.group("num"))
        if value is not None:
            found.append(Figure(value, "%", m.start(), m.end()))
    return found


def ratios(text: str) -> list[Figure]:
    """Every ratio to one in `text` ("50:1")."""
    return [
        Figure(float(m.group("num")), "ratio", m.start(), m.end()) for m in RATIO.finditer(text)
    ]


def counts(text: str) -> list[Figure]:
    """Every count of things in `text` ("15,000 shares", "two hundred customers")."""
    found: list[Figure] = []
    for m in (COUNT_IN_WORDS if _in_words(text) else COUNT).finditer(text):
        value = scaled(m.group("num"), m.group("scale"))
        if value is not None:
            found.append(Figure(value, m.group("noun").lower(), m.start(), m.end()))
    return found


def figures(text: str) -> list[Figure]:
    """Every figure in `text` (money, percentages, ratios), in order of appearance."""
    found = money(text) + percentages(text) + ratios(text)
    return sorted(found, key=lambda f: f.start)


def currency_code(word: str | None) -> str:
    """The ISO code of a currency word or sign ("US dollars" -> "USD"), or ""."""
    if not word:
        return ""
    key = word.lower().replace("us dollar", "dollar")
    return CURRENCY_CODES.get(key, "")


def amount_words(value: float, unit: str) -> str:
    """A figure as a reader writes it: "USD 250,000", "25%", "50:1"."""
    number = f"{value:,.2f}".rstrip("0").rstrip(".")
    if unit == "%":
        return f"{number}%"
    if unit == "ratio":
        return f"{number}:1"
    return f"{unit} {number}".strip()


def normalised(value: float, unit: str) -> str:
    """A figure as a fact's `value`: "USD 250000", "94%", "50:1"."""
    number = f"{value:.6f}".rstrip("0").rstrip(".")
    if unit == "%":
        return f"{number}%"
    if unit == "ratio":
        return f"{number}:1"
    return f"{unit} {number}"

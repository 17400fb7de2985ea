"""Cross-references in rule text: "Rule 8.3.1", "Rules 3.2.1 and 3.2.2", "section 58 of
FSMR", "COBS Rule 9.4.1(2)", "GEN 2.2.3", "paragraph (3)", "under 14.3.1".

Extraction only reads text; which passage a mention names is decided by `resolution`.
"""

from __future__ import annotations

import bisect
import re
import sys
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """What a mention calls its target; decides how the target address is read."""

    RULE = "rule"
    SECTION = "section"
    CHAPTER = "chapter"
    PART = "part"
    PARAGRAPH = "paragraph"
    BARE = "bare"
    """A dotted number with no keyword ("under 14.3.1"), or after a rulebook ("GEN 2.2.3")."""


@dataclass(frozen=True)
class Mention:
    """One target named in a passage's text."""

    kind: Kind
    target: str
    """Canonical address: dots between numbers, sub-paragraphs in brackets ("9.4.1(2)");
    a relative one ("(3)") is only brackets."""
    rulebook: str = ""
    """The document named with it ("COBS", "Financial Services and Markets Regulations"),
    or empty for the citing passage's own document."""
    surface: str = ""
    """The text as written, for the edge."""

    @property
    def relative(self) -> bool:
        """True for "paragraph (3)": a sibling sub-paragraph of the citing rule."""
        return self.target.startswith("(")

    def encode(self) -> str:
        """One line that `decode` reads back (mentions are stored on their passage)."""
        return "\t".join((self.kind.value, self.target, self.rulebook, self.surface))

    @classmethod
    def decode(cls, line: str) -> Mention:
        kind, target, rulebook, surface = line.split("\t")
        return cls(Kind(kind), target, rulebook, surface)


MAX_MENTIONS = 64
"""Per passage; a glossary or a table of contents names far more than it refers to."""
MAX_RANGE = 30
"""Longest range ("Rules 9.3.14 to 9.3.20") expanded into its members."""

_INVISIBLE = re.compile("[\u200e\u200f\u200b\u2060\ufeff]")
_NUMBER = r"A?\d{1,4}[A-Z]?(?:\.\d{1,4}[A-Z]?)*(?:\.?\([0-9a-zA-Z]{1,4}\))*"
_SUBPARAGRAPH = r"\([0-9a-zA-Z]{1,4}\)(?:\([0-9a-zA-Z]{1,4}\))*"
# The first letter is matched as a character set so that the regex engine can skip ahead
# to candidates; spellings that are no keyword ("Rections") map to no Kind and are dropped.
_KEYWORD = (
    r"[RrSsCcPp](?:ub-?[RrSsPp])?"
    r"(?:ules?|ULES?|ections?|ECTIONS?|hapters?|HAPTERS?|aragraphs?|ARAGRAPHS?|arts?|ARTS?)"
)
_BOOK = r"[A-Z][A-Z]{1,5}"
_DASHES = "-\u2013\u2014"
"""Hyphen, en dash, em dash: all write ranges in the corpus."""
_JOIN = r"\s*(?:,\s*(?:and|or)?|and|or|to|&|[" + _DASHES + r"])\s*"
_SCOPE = (
    r"\s+(?:of|in|under)\s+(?:the\s+)?"
    r"(?P<scope>(?P<scope_book>" + _BOOK + r")(?:\s+Rulebook|\s+Rules)?\b(?!\s*\d)"
    r"|(?P<scope_name>(?:[A-Z][\w\u2019'&-]*\s+(?:(?:of|and|for|in|&)\s+)?){1,8}?"
    r"(?:Regulations|Rulebook|Rules)(?:\s+\d{4})?))"
)
_CITED = re.compile(
    r"(?P<keyword>" + _KEYWORD + r")\s+"
    r"(?P<items>(?:" + _NUMBER + r"|" + _SUBPARAGRAPH + r")"
    r"(?:" + _JOIN + r"(?:" + _KEYWORD + r"\s+)?(?:" + _NUMBER + r"|" + _SUBPARAGRAPH + r"))*)"
    r"(?:" + _SCOPE + r")?"
)
_DOTTED_NUMBER = re.compile(r"\d{1,4}(?:\.\d{1,4})+(?:\([0-9a-zA-Z]{1,4}\))*(?!\w)")
_BOOK_BEFORE = re.compile(r"(?<![\w-])(" + _BOOK + r")\s+$")
_BOOK_WINDOW = 10
_ITEM = re.compile(r"(" + _NUMBER + r"|" + _SUBPARAGRAPH + r")|(to|[" + _DASHES + r"])")
_NOT_BOOKS = frozenset(
    {"RULE", "RULES", "PART", "PARTS", "SECTION", "CHAPTER", "APP", "THE", "AND", "OF", "IN"}
)
_KINDS = {
    "rule": Kind.RULE,
    "section": Kind.SECTION,
    "chapter": Kind.CHAPTER,
    "part": Kind.PART,
    "paragraph": Kind.PARAGRAPH,
}


def canonical(number: str) -> str:
    """ "9.4.1.(2)" and "9.4.1(2)" both read "9.4.1(2)"; a trailing dot goes."""
    return number.replace(".(", "(").rstrip(".")


def extract(text: str) -> list[Mention]:
    """The distinct mentions in `text`, in order of first appearance."""
    if not text.isascii():
        text = _INVISIBLE.sub("", text)
    found: list[Mention] = []
    taken: list[tuple[int, int]] = []
    for match in _CITED.finditer(text):
        kind = _kind(match["keyword"])
        if kind is None or _in_word(text, match.start()):
            continue
        book, start = _book_before(text, match.start())
        scope = match["scope_book"] or match["scope_name"] or ""
        if scope.upper() in _NOT_BOOKS or scope.lower().startswith(("these ", "this ")):
            scope = ""
        surface = " ".join(text[start : match.end()].split())
        for target in _items(match["items"]):
            found.append(Mention(kind, target, book or " ".join(scope.split()), surface))
        taken.append(match.span())
    for match in _DOTTED_NUMBER.finditer(text):
        start = match.start()
        if start and text[start - 1] == "A" and not _in_word(text, start - 1):
            start -= 1  # an appendix rule, "A4.10.2"
        elif _in_word(text, start) or (start and text[start - 1] in ".("):
            continue
        if _inside((start, match.end()), taken):
            continue
        number = text[start : match.end()]
        book, book_start = _book_before(text, start)
        if book:
            surface = " ".join(text[book_start : match.end()].split())
            found.append(Mention(Kind.BARE, canonical(number), book, surface))
        elif number.count(".") >= 2:
            found.append(Mention(Kind.BARE, canonical(number), "", number))
    unique: dict[tuple[Kind, str, str], Mention] = {}
    for mention in found:
        unique.setdefault((mention.kind, mention.target, mention.rulebook), mention)
    return list(unique.values())[:MAX_MENTIONS]


def _kind(keyword: str) -> Kind | None:
    word = keyword.lower().removeprefix("sub").lstrip("-").rstrip("s")
    return _KINDS.get(word)


def _in_word(text: str, start: int) -> bool:
    """True when `start` continues a word ("subsection" is read whole, "Carts" is none)."""
    return start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_-")


def _book_before(text: str, start: int) -> tuple[str, int]:
    """A rulebook code written just before `start` ("COBS Rule ...", "GEN 2.2.3"), and
    where the mention then starts."""
    match = _BOOK_BEFORE.search(text, max(0, start - _BOOK_WINDOW), start)
    if not match or match[1].upper() in _NOT_BOOKS:
        return "", start
    return match[1], match.start()


def _inside(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    """True when `span` lies within one of `taken`: spans of one `finditer`, so in order
    and apart, and only the last one starting at or before `span` can hold it (a
    bisection, not a scan: a text with many mentions stays linear)."""
    at = bisect.bisect_right(taken, (span[0], sys.maxsize)) - 1
    return at >= 0 and span[1] <= taken[at][1]


def _items(items: str) -> list[str]:
    """The targets of "3.2.1 and 3.2.2", "9.3.14 to 9.3.20", "98 - 100" (ranges expanded
    when both ends share all but a last numeric part)."""
    targets: list[str] = []
    ranging = False
    for match in _ITEM.finditer(items):
        number, dash = match.groups()
        if dash:
            ranging = bool(targets)
            continue
        target = canonical(number)
        if ranging:
            targets.extend(_range(targets[-1], target))
            ranging = False
        else:
            targets.append(target)
    return targets


def _range(first: str, last: str) -> list[str]:
    head, _, start = first.rpartition(".")
    last_head, _, end = last.rpartition(".")
    if head != last_head or not (start.isdigit() and end.isdigit()):
        return [last]
    low, high = int(start), int(end)
    if not 0 < high - low <= MAX_RANGE:
        return [last]
    prefix = f"{head}." if head else ""
    return [f"{prefix}{n}" for n in range(low + 1, high + 1)]

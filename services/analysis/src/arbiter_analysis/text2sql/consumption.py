"""The consumption check: every content word of a question must be accounted for by what
its meaning used, or the question is refused. The parser blanks out what it read; the
schema nouns left over count when the query uses their column or table; the rest must be
an ignorable word (function words, politeness, verbs that carry no filter). A word such as
"London", "auditor" or "bonus", or a number the query does not use, means the parser
would answer a different question than was asked, so it answers none."""

from __future__ import annotations

import re

from arbiter_analysis.findings.schema import SCHEMA
from arbiter_analysis.text2sql.dates import DATE_CUES
from arbiter_analysis.text2sql.vocabulary import ENTITY_NOUNS, OUTPUT_NOUNS

_IN_THE_QUERY: tuple[tuple[str, str], ...] = (
    *((rf"\b(?:{pattern})\b", expr.sql) for pattern, expr in OUTPUT_NOUNS),
    *((cue, f"{SCHEMA}.{table} ") for cue, table, _ in DATE_CUES),
    *((pattern, f"{SCHEMA}.{entity.table} ") for pattern, entity in ENTITY_NOUNS),
    (r"\brules?\b", "f.rule_ref"),
    (r"\b(?:breached|violated|contravened|infringed)\b", f"{SCHEMA}.findings "),
    (r"\b(?:date|dates|when|day|days)\b", "_on"),
    (r"\b(?:how long|took|take|takes|taken|time)\b", "f.remediated_on - f.identified_on"),
    (r"\b(?:usd|dollars?|money|value|worth|amounts?|sizes?)\b|\$", "penalty_usd"),
    (r"\bremediated\b|\bremediation\b", "f.remediated_on"),
    (r"\b(?:met|meet|meets|meeting|within|on time|targets?)\b", "<= CASE"),
    (r"\(?\b1 ?- ?(?:4|12)\b\)?", "extract("),  # "month number (1-12)"
    (r"\b(?:ties?|tied)\b", "ORDER BY"),
    (r"\bsoonest|earliest|latest|most recent\b", "ORDER BY"),
    (r"\b(?:year|quarter|month)s?\b", "extract("),
)
"""Words that name a column, a table or an order, each with what the query must contain
for the word to count as used (`f.rulebook`, `findings.audits `, `ORDER BY`)."""

IGNORABLE = frozenset({
    "a", "an", "the", "this", "that", "these", "those", "there", "here", "it", "its", "it's",
    "they", "their", "them", "we", "our", "us", "you",
    "your", "i", "me", "my", "who", "whom", "whose", "which", "what", "what's", "where", "how",
    "why", "whether",
    "of", "in", "on", "at", "to", "for", "from", "by", "with", "into", "onto", "across",
    "among", "out", "up", "about",
    "as", "per", "then", "so", "also", "too", "only", "just", "even", "both", "either", "all",
    "any", "each", "every", "some", "own",
    "and", "or", "but", "if",
    "is", "are", "was", "were", "be", "been", "being", "am", "has", "have", "had", "having",
    "do", "does", "did", "doing", "done",
    "can", "could", "would", "should", "will", "shall", "may", "might", "must", "let",
    "i'd", "i'm", "we'd", "we've", "we're", "you're", "let's", "there's", "that's",
    "roughly", "approximately", "approx", "right",
    "chart", "graph", "plot", "table", "visualise", "visualize", "display",
    "please", "thanks", "thank", "kindly", "hi", "hello", "ok", "okay",
    "show", "list", "give", "tell", "get", "got", "getting", "see", "find", "know", "want",
    "need", "like", "name", "names",
    "currently", "current", "now", "still", "yet", "ever", "far", "already", "overall",
    "altogether", "whole", "entire",
    "receive", "received", "receiving", "issue", "issued", "issuing", "hand", "handed", "given",
    "impose", "imposed", "imposing", "levy", "levied", "levying",
    "end", "ended", "ending", "result", "resulted", "resulting", "lead", "led", "come", "came",
    "turn", "turned",
    "produce", "produced", "producing", "happen", "happened", "occur", "occurred", "saw",
    "cite", "cited", "citing", "against", "based", "under", "over", "involving", "involve",
    "involved", "related", "relating",
    "regarding", "concerning", "associated", "attached", "linked", "made", "make", "makes",
    "exist", "exists", "existing", "registered", "recorded", "record", "records",
    "many", "much", "often", "frequently", "number", "numbers", "figure", "figures",
    "rack", "racked", "run", "ran",
    "broken", "down", "split", "grouped", "group", "break", "breakdown", "along", "separately",
    "respectively",
    "including", "included",
    "one", "ones",
})  # fmt: skip
"""Words that carry no filter, measure or grouping of their own in a question about the
findings database. Kept small and explicit: a word missing here is refused, which is the
safe side; negations ("not", "except", "excluding") are never ignorable."""

_WHERE_THE_DATA_IS = (
    r"\b(?:on|in) (?:our|the) (?:books|records?|database|data|system|register)\b"
    r"|\bon (?:file|record)\b"
)
"""Where the rows live, said in passing ("How many banks are on our books?")."""
_WORD = re.compile(r"\$?\d[\d,.]*%?|[^\W\d_]+(?:'[^\W\d_]+)?")
"""A number, or a word in any script (a word in Cyrillic or in full-width letters is a
word the parser did not read, not punctuation)."""


def unaccounted(rest: str, sql: str | None) -> tuple[str, ...]:
    """The content words of `rest` (the question with what the parser read blanked out)
    that neither the query `sql` uses nor `IGNORABLE` excuses, in question order. Without
    a query, every word the schema knows is excused: what is left is unknown outright."""
    rest = re.sub(_WHERE_THE_DATA_IS, " ", re.sub(r"'s\b", "", rest))
    for pattern, needed in _IN_THE_QUERY:
        if sql is None or needed in sql:
            rest = re.sub(pattern, " ", rest)
    words = (w.rstrip(".,") for w in _WORD.findall(rest))
    return tuple(dict.fromkeys(w for w in words if w and w not in IGNORABLE))


def named_as_asked(words: tuple[str, ...], question: str) -> str:
    """The words as the question spells them, quoted, at most 64 characters."""
    shown = []
    for word in words:
        said = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", question, re.IGNORECASE)
        shown.append(f"'{said.group(0) if said else word}'")
    text = ", ".join(shown)
    return text if len(text) <= 64 else text[:61] + "..."

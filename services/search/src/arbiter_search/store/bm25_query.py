"""The text a BM25 search is run with: the query less its stop words.

Milvus scores BM25 by walking one posting list per query term, so a long question costs
time in proportion to how common its words are; stop words have the longest lists and
add almost nothing to the ranking. Milvus Lite ignores the analyzer's stop-word filter,
so they are dropped here, on the query side, the same way on Lite and on a server.
"""

from __future__ import annotations

from arbiter_text import STOPWORDS

_EDGES = "\"'()[]{}<>,.;:!?*`\u2018\u2019\u201c\u201d"


def bm25_query(text: str) -> str:
    """`text` without its stop words, split and rejoined on whitespace; every other word
    is kept as written, so the analyzer still sees e.g. `8.3.1` as one term. `text`
    itself when every word is a stop word (such a query still deserves an answer)."""
    kept = [w for w in text.split() if w.strip(_EDGES).lower() not in STOPWORDS]
    return " ".join(kept) or text

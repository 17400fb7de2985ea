"""The contract's limits on request sizes, one copy every service checks against, so a
caller one service accepts is never refused by the next for being too long.

The filter limits (how many filters, values and characters) live beside the filter
schema in `arbiter_kit.filter_fields`.
"""

from __future__ import annotations

MAX_QUESTION_CHARS = 4000
"""Longest question (Ask, Plan, Synthesize, AnalyzeData) and search query (Search,
Research). The gateway's `GATEWAY_MAX_QUESTION_CHARS` defaults to it; set higher, the
workers still refuse what is longer than this."""
MAX_SITUATION_CHARS = 8000
"""Longest situation a Judge call describes."""
MAX_PASSAGES = 50
"""Most passages one request carries (Synthesize, Judge) and most results one search
returns."""
MAX_PASSAGE_CHARS = 200_000
"""Longest passage text a Synthesize call carries."""
MAX_MISSING = 20
"""Most `missing` notes a Synthesize call carries."""
MAX_MISSING_CHARS = 2000
"""Longest `missing` note."""
MAX_VERDICT_CHARS = 8000
"""Longest verdict summary a Synthesize call carries."""

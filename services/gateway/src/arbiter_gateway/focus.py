"""What a research step that depends on a data analysis researches: the rules the
analysis's table names. This module is the one home of that mapping, from a table's
`passage_id`, `rulebook` and `rule_ref` columns to a search query, hard filters and the
test a returned passage must pass. The values come from our own findings database, so
holding them as hard filters cannot hide an answer the caller wanted."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from arbiter.analysis.v1 import analysis_pb2
from arbiter.common.v1 import common_pb2
from arbiter_kit.filter_fields import MAX_VALUE_CHARS

MAX_FOCUS_RULES = 10
"""Rules researched from one table, its first rows (a ranked table lists the most
important first); a search request returns 10 passages by default."""
RULEBOOK, RULE_REF, PASSAGE_ID = "rulebook", "rule_ref", "passage_id"
"""The findings columns that name a rule (schema.py's names for them)."""
PASSAGE_FILTER_FIELD = "source_id"
"""Search's name for a finding's `passage_id`: the corpus passage's own id."""


@dataclass(frozen=True)
class Rule:
    """A rule a table names: a rulebook and a reference inside it ("" for the whole
    rulebook), and the corpus passage the finding cites when the table gives it."""

    rulebook: str
    rule_ref: str = ""
    passage_id: str = ""

    def __str__(self) -> str:
        return f"{self.rulebook} {self.rule_ref}".strip() or self.passage_id


@dataclass(frozen=True)
class ResearchFocus:
    """The rules one data analysis found, as research about them."""

    rules: tuple[Rule, ...]

    def query(self) -> str:
        """The research query: the rules by name, and what is asked of them."""
        return f"{', '.join(str(r) for r in self.rules)}: what do these rules require?"

    def filters(self) -> list[common_pb2.MetadataFilter]:
        """Hard filters that admit the rules' passages: exactly those passages when the
        table gives their ids, else the rulebooks and references found (whose
        combinations `holds` narrows to the pairs found)."""
        ids = _values(r.passage_id for r in self.rules)
        if ids:
            return [common_pb2.MetadataFilter(field=PASSAGE_FILTER_FIELD, any_of=ids)]
        books = _values(r.rulebook for r in self.rules)
        found = [common_pb2.MetadataFilter(field=RULEBOOK, any_of=books)]
        refs = _values(r.rule_ref for r in self.rules)
        if refs:
            found.append(common_pb2.MetadataFilter(field="passage_ref", any_of=refs))
        return found

    def holds(self, passage: common_pb2.Passage) -> bool:
        """Whether `passage` is one of the rules (the filters admit a rulebook's
        passage under another rulebook's reference too)."""
        return any(_is(rule, passage) for rule in self.rules)

    def kept(self, passages: Iterable[common_pb2.Passage]) -> tuple[common_pb2.Passage, ...]:
        """The passages that are one of the rules, in their order."""
        return tuple(p for p in passages if self.holds(p))


def research_focus(data: analysis_pb2.AnalyzeDataResult | None) -> ResearchFocus | None:
    """The rules `data`'s table names, its first MAX_FOCUS_RULES distinct ones, or None
    when there is no table or it names no rule (no rulebook or passage id column, or
    only empty cells): research then works from its own task."""
    if data is None:
        return None
    columns = list(data.table.columns)
    at = {name: columns.index(name) for name in (RULEBOOK, RULE_REF, PASSAGE_ID) if name in columns}
    if RULEBOOK not in at and PASSAGE_ID not in at:
        return None
    rules: dict[Rule, None] = {}
    for row in data.table.rows:
        cells = list(row.cells)
        rule = Rule(*(_cell(cells, at.get(name)) for name in (RULEBOOK, RULE_REF, PASSAGE_ID)))
        if (rule.rulebook or rule.passage_id) and _fits(rule):
            rules.setdefault(rule, None)
        if len(rules) == MAX_FOCUS_RULES:
            break
    return ResearchFocus(tuple(rules)) if rules else None


def _cell(cells: Sequence[str], index: int | None) -> str:
    return cells[index].strip() if index is not None and index < len(cells) else ""


def _fits(rule: Rule) -> bool:
    """A value search would refuse as a filter is no rule of ours."""
    return all(len(v) <= MAX_VALUE_CHARS for v in (rule.rulebook, rule.rule_ref, rule.passage_id))


def _values(values: Iterable[str]) -> list[str]:
    """The non-empty values, each once, in order."""
    return [v for v in dict.fromkeys(values) if v]


def _is(rule: Rule, passage: common_pb2.Passage) -> bool:
    if rule.passage_id:
        return passage.source_id == rule.passage_id
    if passage.rulebook != rule.rulebook:
        return False
    return not rule.rule_ref or passage.passage_ref == rule.rule_ref

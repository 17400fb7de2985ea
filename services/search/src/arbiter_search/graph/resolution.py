"""Resolution: which passages a mention names. A mention without a rulebook looks in the
citing passage's own document; one that names a rulebook ("COBS Rule 9.4.1(2)", "section
58 of the FSMR", "of the Market Infrastructure Rulebook") looks in that document.

An address resolves to the passage that has it; failing that, to the same address with
trailing sub-paragraphs dropped ("7.2.2(1)(d)" -> "7.2.2(1)" -> "7.2.2"); failing that, to
its direct children when there are few ("Rule 9.2.4" whose text lives in 9.2.4(1) and
9.2.4(2)). Anything else stays unresolved, and is retried when new passages arrive.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from arbiter_search.graph.addresses import natural_key, without_subparagraphs
from arbiter_search.graph.model import PassageNode
from arbiter_search.graph.references import Kind, Mention

MAX_CHILDREN = 8
"""A citation of an address without a passage of its own links to its children when it
has at most this many; a whole section of rules is too broad to be a reference."""
MAX_TARGETS = 32
"""Outgoing references kept per passage."""


def alias(name: str) -> str:
    """How a rulebook name is compared: "the Market Infrastructure Rulebook (MIR)" and
    "Market Infrastructure Rulebook" agree, as do "FSMR" and "fsmr"."""
    name = re.sub(r"\([^)]*\)|\b(19|20)\d{2}\b|^\s*the\s+", " ", name.lower())
    return " ".join(name.split())


def aliases_of(rulebook: str, title: str) -> set[str]:
    """Names a document may be cited by: its rulebook, its title, and a code in brackets."""
    names = {alias(rulebook), alias(title)}
    names.update(alias(code) for code in re.findall(r"\(([A-Z]{2,6})\)", title))
    return {n for n in names if n}


@dataclass(frozen=True)
class Resolved:
    """The targets of a passage's mentions: target source id -> the mention's text."""

    targets: Mapping[str, str]
    mentions: int
    unresolved: int
    settled: bool
    """Every mention named an address that exists: passages added later cannot change
    this result (unlike a fallback to a parent or to children, or no match)."""


class AddressBook:
    """A tenant's passages by document and address, and its documents by name."""

    def __init__(self) -> None:
        self._nodes: dict[str, PassageNode] = {}
        self._at: dict[tuple[str, str], set[str]] = defaultdict(set)
        self._children: dict[tuple[str, str], set[str]] = defaultdict(set)
        self._named: dict[str, set[str]] = defaultdict(set)

    def __len__(self) -> int:
        return len(self._nodes)

    def get(self, source_id: str) -> PassageNode | None:
        return self._nodes.get(source_id)

    def nodes(self) -> Iterable[PassageNode]:
        return self._nodes.values()

    def name_document(self, document_id: str, *, rulebook: str, title: str) -> None:
        for name in aliases_of(rulebook, title):
            self._named[name].add(document_id)

    def put(self, node: PassageNode) -> None:
        """Add or replace a passage."""
        self.remove(node.source_id)
        self._nodes[node.source_id] = node
        if node.address:
            self._at[(node.document_id, node.address)].add(node.source_id)
        if node.parent:
            self._children[(node.document_id, node.parent)].add(node.source_id)

    def remove(self, source_id: str) -> None:
        old = self._nodes.pop(source_id, None)
        if old is None:
            return
        if old.address:
            self._at[(old.document_id, old.address)].discard(source_id)
        if old.parent:
            self._children[(old.document_id, old.parent)].discard(source_id)

    def documents_named(self, name: str) -> set[str]:
        return set(self._named.get(alias(name), ()))

    def resolve(self, node: PassageNode) -> Resolved:
        """The passages `node`'s mentions name (never `node` itself)."""
        targets: dict[str, str] = {}
        unresolved = 0
        settled = True
        for line in node.mentions:
            mention = Mention.decode(line)
            found, exact = self.resolve_mention(mention, node)
            found.discard(node.source_id)
            settled = settled and exact
            if not found:
                unresolved += 1
            for target in sorted(found, key=self._order):
                targets.setdefault(target, mention.surface)
        kept = dict(list(targets.items())[:MAX_TARGETS])
        return Resolved(kept, len(node.mentions), unresolved, settled)

    def resolve_mention(self, mention: Mention, citing: PassageNode) -> tuple[set[str], bool]:
        """Source ids of the passages `mention`, read in `citing`, names, and whether
        they have exactly the address it names."""
        scope = self.documents_named(mention.rulebook) if mention.rulebook else {citing.document_id}
        address = _address(mention, citing)
        if not scope or address is None:
            # Nothing to find now, and nothing that arrives later can change that.
            return set(), address is None
        for candidate in without_subparagraphs(address):
            found = set().union(*(self._at.get((d, candidate), set()) for d in scope))
            if found:
                return found, candidate == address
        if mention.kind in (Kind.CHAPTER, Kind.PART):
            return set(), False
        children = set().union(*(self._children.get((d, address), set()) for d in scope))
        return (children if len(children) <= MAX_CHILDREN else set()), False

    def _order(self, source_id: str) -> tuple[tuple[int, str], ...]:
        node = self._nodes[source_id]
        return natural_key(node.address or node.passage_ref)


def _address(mention: Mention, citing: PassageNode) -> str | None:
    """The absolute address a mention names, as passages are addressed."""
    if mention.relative:
        base = citing.address or citing.parent
        if not base:
            return None
        return without_subparagraphs(base)[-1] + mention.target
    if mention.kind is Kind.PART:
        # "Part 8" is a part; "PART 2.3.4" (FUNDS) is rule 3.4 of part 2.
        first, _, rest = mention.target.partition(".")
        return rest if rest else f"P{first}"
    return mention.target

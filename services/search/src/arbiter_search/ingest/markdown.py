"""A markdown document as the sections its headings make: each section knows the trail
of headings above it, and a heading with nothing under it but subsections joins its
first subsection instead of standing alone."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_BLANK_RUN = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_NUMBER = re.compile(r"^(?:[A-Z]{1,5}[ \t]?)?(\d+(?:\.\d+)*)\.?(?=[ \t]|$)")
MAX_HEADING_CHARS = 300
"""Longer heading lines are cut (at a word) in the section path, not in the text."""


@dataclass(frozen=True)
class Section:
    """The text under one heading, that heading's line first (without its `#` marks)."""

    path: tuple[str, ...]
    """Headings from the outermost down to this section's own; empty before the first."""
    text: str

    @property
    def ref(self) -> str:
        """The number that opens the deepest heading (`8.3` for `8.3 Timing`), else ''."""
        if not self.path:
            return ""
        found = _NUMBER.match(self.path[-1])
        return found.group(1) if found else ""


def sections(text: str) -> list[Section]:
    """The sections of a markdown text in order, none empty.

    Only ATX headings (`#` to `######`) open sections; `#` lines inside fenced code do
    not. A heading followed directly by a deeper heading is folded into that first
    subsection, so `# 8. CDD` / `## 8.1 Timing` / text becomes one section whose text
    starts with both headings.
    """
    found: list[tuple[Section, bool]] = []
    trail: list[tuple[int, str]] = []
    lines: list[str] = []
    fence = ""
    for line in text.splitlines():
        if fence:
            if line.strip().startswith(fence):
                fence = ""
            lines.append(line)
            continue
        if opened := _FENCE.match(line):
            fence = opened.group(1)[0] * 3
            lines.append(line)
            continue
        heading = _ATX.match(line)
        if heading is None:
            lines.append(line)
            continue
        _close(found, trail, lines)
        level = len(heading.group(1))
        title = " ".join((heading.group(2) or "").split())
        while trail and trail[-1][0] >= level:
            trail.pop()
        trail.append((level, title))
        lines = [title, ""] if title else []
    _close(found, trail, lines)
    return _fold_bare_headings(found)


def _close(
    found: list[tuple[Section, bool]], trail: list[tuple[int, str]], lines: list[str]
) -> None:
    """Record the section `lines` make, and whether it is its heading alone."""
    body = _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip()
    path = tuple(_short(title) for _, title in trail if title)
    if body:
        bare = bool(trail) and body == trail[-1][1]
        found.append((Section(path, body), bare))


def _fold_bare_headings(found: list[tuple[Section, bool]]) -> list[Section]:
    """Join each run of nested heading-only sections to the section beneath the last."""
    folded: list[Section] = []
    chain: list[Section] = []
    for section, bare in found:
        if chain and not _beneath(section.path, chain[-1].path):
            folded.append(_joined(chain, chain[-1].path))
            chain = []
        chain.append(section)
        if not bare:
            folded.append(_joined(chain, section.path))
            chain = []
    if chain:
        folded.append(_joined(chain, chain[-1].path))
    return folded


def _joined(chain: list[Section], path: tuple[str, ...]) -> Section:
    return Section(path, "\n\n".join(s.text for s in chain))


def _beneath(path: tuple[str, ...], parent: tuple[str, ...]) -> bool:
    return len(path) > len(parent) and path[: len(parent)] == parent


def _short(title: str) -> str:
    if len(title) <= MAX_HEADING_CHARS:
        return title
    cut = title[:MAX_HEADING_CHARS].rsplit(" ", 1)[0]
    return cut + " …"

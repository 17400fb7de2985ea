"""Where a passage sits in its document, read from its `passage_ref`: the address other
rules cite it by ("8.3.1(1)", "258(2)" for FSMR section 258, "A4.10.2" for a PRU appendix
rule, "66" for a guidance paragraph "66)") and the address of its parent.

The corpus writes refs in several house styles ("8.3.1.(1)", "Part 22.258.(1)",
"PART 3.6.6.2.1", "APP4.A4.10.2", "8.3.1.Guidance.2.", "66).a)"); each becomes the form
that the text's citations use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_SCHEDULE = re.compile(r"^Schedule\s+(\d+)\.", re.IGNORECASE)
_PART_PREFIX = re.compile(r"^(?:PART|Part)\s+\d+[A-Z]?\.(?!$)")
_CHAPTER_PREFIX = re.compile(r"^Chapter\s+\d+[A-Z]?\.(?!$)")
_WHOLE_PART = re.compile(r"^(?:PART|Part)\s+(\d+[A-Z]?)\.?$")
_WHOLE_CHAPTER = re.compile(r"^Chapter\s+\d+[A-Z]?\.?$")
_APPENDIX = re.compile(r"^APP\s?(\d+)\.")
_GUIDANCE = re.compile(r"\.?Guidance\b.*$")
_PARENTHESISED = re.compile(r"^(\d+)\)((?:\.?[a-z0-9]{1,4}\))*)\.?$")
_LETTERED = re.compile(r"\.([a-z]{1,4}|[ivx]{1,5})\.?$")
_DOTTED = re.compile(r"^[A-Z]?\d*[A-Z]?(?:\.?[0-9A-Z]{1,4})*(?:\([0-9a-zA-Z]{1,5}\))*$")
_LAST_PART = re.compile(r"(\([0-9a-zA-Z]{1,5}\)|\.[^.()]+)$")


@dataclass(frozen=True)
class Place:
    """A passage's address (None when nothing cites it by number, e.g. a guidance note)
    and its parent's address (None at the top)."""

    address: str | None
    parent: str | None


@lru_cache(maxsize=65_536)
def place_of(passage_ref: str) -> Place:
    """The address and parent address of a passage with this ref."""
    ref = " ".join(passage_ref.split())
    schedule = ""
    if match := _SCHEDULE.match(ref):
        # Schedule paragraphs restart their numbering: keep them apart from sections.
        schedule, ref = f"S{match[1]}:", ref[match.end() :]
    while True:
        stripped = _CHAPTER_PREFIX.sub("", _PART_PREFIX.sub("", ref, count=1), count=1)
        if stripped == ref:
            break
        ref = stripped
    if match := _WHOLE_PART.match(ref):
        return Place(f"{schedule}P{match[1]}", None)
    if _WHOLE_CHAPTER.match(ref):
        return Place(None, None)
    if match := _APPENDIX.match(ref):
        rest = ref[match.end() :]
        ref = rest if rest.startswith("A") else f"APP{match[1]}.{rest}"
    guidance = _GUIDANCE.search(ref)
    if guidance:
        base = _normalise(ref[: guidance.start()])
        return Place(None, f"{schedule}{base}" if base else None)
    address = _normalise(ref)
    if address is None:
        return Place(None, None)
    return Place(f"{schedule}{address}", _with(schedule, parent_of(address)))


def parent_of(address: str) -> str | None:
    """ "8.3.1(1)" -> "8.3.1" -> "8.3" -> "8" -> None."""
    match = _LAST_PART.search(address)
    if not match or match.start() == 0:
        return None
    return address[: match.start()]


def without_subparagraphs(address: str) -> list[str]:
    """The address and its ancestors that differ only by dropped "(x)" parts, nearest first:
    "7.2.2(1)(d)" -> ["7.2.2(1)(d)", "7.2.2(1)", "7.2.2"]."""
    found = [address]
    while found[-1].endswith(")") and "(" in found[-1]:
        found.append(found[-1][: found[-1].rindex("(")])
    return [a for a in found if a]


def natural_key(address: str) -> tuple[tuple[int, str], ...]:
    """Sort key putting "8.3.2" before "8.3.10"."""
    return tuple(
        (int(part), "") if part.isdigit() else (0, part)
        for part in re.split(r"[.()]+", address)
        if part
    )


def _normalise(ref: str) -> str | None:
    ref = ref.strip().rstrip(".")
    if not ref:
        return None
    if match := _PARENTHESISED.match(ref + ("" if ref.endswith(")") else ")")):
        # Guidance documents number paragraphs "66)" and their items "66).a)".
        items = "".join(f"({item.lstrip('.')})" for item in match[2].split(")") if item)
        return f"{match[1]}{items}"
    ref = _LETTERED.sub(r"(\1)", ref)
    ref = ref.replace(".(", "(")
    return ref if _DOTTED.match(ref) else None


def _with(schedule: str, address: str | None) -> str | None:
    return None if address is None else f"{schedule}{address}"

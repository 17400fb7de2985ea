"""Values a careless or hostile caller sends: boundary numbers, out-of-range enums and
strings that are long, quoted, expression-like, control characters or unusual unicode.

None of them contains what the leak checks look for (a path, an address, an exception
name), so a service quoting a caller's value can never be mistaken for a leak."""

from __future__ import annotations

import random
import string

from google.protobuf.descriptor import EnumDescriptor, FieldDescriptor

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
UINT32 = (0, 2**32 - 1)
UINT64 = (0, 2**64 - 1)

_RANGES = {
    FieldDescriptor.TYPE_INT32: INT32,
    FieldDescriptor.TYPE_SINT32: INT32,
    FieldDescriptor.TYPE_SFIXED32: INT32,
    FieldDescriptor.TYPE_INT64: INT64,
    FieldDescriptor.TYPE_SINT64: INT64,
    FieldDescriptor.TYPE_SFIXED64: INT64,
    FieldDescriptor.TYPE_UINT32: UINT32,
    FieldDescriptor.TYPE_FIXED32: UINT32,
    FieldDescriptor.TYPE_UINT64: UINT64,
    FieldDescriptor.TYPE_FIXED64: UINT64,
}
_FLOATS = (0.0, -0.0, 1.0, -1.0, 0.5, 1e-45, 3.4e38, -3.4e38, float("inf"), float("-inf"))

EXPRESSIONS = (
    "x'] or tenant in ['acme'] or id in ['q",
    'x"] or tenant in ["acme"] or id in ["q',
    "p'] or tenant in ['acme'] or source_id in ['q",
    "rulebook or 1==1",
    "rulebook == 'AML' or true",
    "tenant",
    "id",
    "source_id",
    "' or ''='",
    '" or ""="',
    "\\' or 1==1 -- ",
    "a' || 'b",
    "]) or ([",
    "%s%s%s%n",
    "{0}{1}{{}}",
    "${env:HOME}",
    "{{7*7}}",
    "') and exists(",
    "like '%'",
    "*",
    "..",
    "null",
    "NaN",
    "-1",
    "0x7fffffff",
)
UNICODE = (
    "é",
    "e\u0301",
    "\u202eevil",
    "zero\u200bwidth",
    "\ufeffbom",
    "\U0001d518\U0001d52b\U0001d526\U0001d520\U0001d52c\U0001d521\U0001d522",
    "🙂🔥💥",
    "中文规则",
    "ملاحظة",
    "\u0000",
    "\x01\x02\x1b[31m",
    "\x7f\u0085\u2028\u2029",
    "line\r\nbreak",
    "\t \n ",
    "\uffff\ufffe",
    "\U0010fffd",
)
_ALPHABETS = (
    string.ascii_letters + string.digits,
    string.printable,
    "".join(EXPRESSIONS),
    "".join(UNICODE),
    "'\"\\[](){}<>,;=!|&%$",
    "abcdefghijklmnopqrstuvwxyz ",
)
ID_CHARS = 20_000
"""An id far beyond any limit: it must be refused without being echoed whole."""


class Values:
    """Draws hostile values from one seeded random stream."""

    def __init__(self, rng: random.Random, *, max_string_chars: int) -> None:
        self.rng = rng
        self.max_string_chars = max_string_chars
        big = rng.random() < 0.2
        self.budget = 2 * max_string_chars if big else min(max_string_chars, 256 * 1024)
        """Characters left for the request being built: one request in five may reach
        the message limit's order of magnitude, the rest stay small so a run is quick."""

    def length(self) -> int:
        """A string length: mostly short, often on a limit's edge, rarely huge (one in a
        hundred up to `max_string_chars`, so a run's traffic stays modest)."""
        ladder = [0, 1, 2, 63, 64, 65, 127, 128, 129, 4000, 4001, 8000, 8001, ID_CHARS, 65_536]
        roll = self.rng.random()
        if roll < 0.65:
            n = self.rng.randint(0, 40)
        elif roll < 0.95:
            n = self.rng.choice(ladder)
        elif roll < 0.99:
            n = self.rng.randint(0, 65_536)
        else:
            top = self.max_string_chars
            n = self.rng.choice([top // 4, top, self.rng.randint(0, top)])
        n = min(n, self.max_string_chars, max(self.budget, 40))
        self.budget -= n
        return n

    def text(self) -> str:
        """A string of any kind below: expression syntax, unicode, long runs, mixtures."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.2:
            return rng.choice(EXPRESSIONS)
        if roll < 0.3:
            return rng.choice(UNICODE)
        n = self.length()
        if roll < 0.45:
            # One character repeated: an id of 20,000 "a"s, a document with no whitespace.
            return rng.choice("a'\"\\x é🙂\u0000 ") * n
        alphabet = rng.choice(_ALPHABETS)
        if n > 4096:
            # Long strings repeat a random block: random.choices per character is slow.
            block = "".join(rng.choices(alphabet, k=4096))
            return (block * (n // 4096 + 1))[:n]
        return "".join(rng.choices(alphabet, k=n))

    def integer(self, field_type: int) -> int:
        low, high = _RANGES.get(field_type, INT32)
        return self.rng.choice(
            [
                0,
                1,
                -1 if low < 0 else 2,
                low,
                high,
                50,
                51,
                5,
                6,
                10_000,
                self.rng.randint(low, high),
            ]
        )

    def floating(self) -> float:
        if self.rng.random() < 0.7:
            return self.rng.choice(_FLOATS)
        return self.rng.uniform(-1e6, 1e6)

    def enum(self, enum: EnumDescriptor) -> int:
        """A declared value, or (a third of the time) one outside the declared range."""
        if self.rng.random() < 0.67:
            return int(self.rng.choice(enum.values).number)
        top = max(v.number for v in enum.values)
        return int(self.rng.choice([-1, top + 1, 99, INT32[0], INT32[1]]))

    def raw(self, n: int) -> bytes:
        return self.rng.randbytes(n)

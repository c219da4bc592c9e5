"""Stage 1 of the parser: a tolerant reader of Python and JSON literals in an LLM's answer.

Python tuples/lists/dicts and JSON in one grammar; strings end at a quote followed by a delimiter,
so apostrophes survive; either closing bracket closes any open one; an unfinished list at the end
of the output is kept as far as it got.
"""

from __future__ import annotations

import bisect
import re
from typing import Any

QUOTE_MAP = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"'})
NUM = r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?"
NUM_FULL = re.compile(rf"\s*({NUM})\s*(%?)\s*")
CLOSE_QUOTE = {q: re.compile(rf"(?<!\\){q}(?=[ \t]*(?:[,)\]}}:]|$))", re.MULTILINE) for q in "'\""}
BARE = re.compile(r"""(?:[^,()\[\]{}:\n'"]|(?<=\w)['"](?=\w))+""")


class NotALiteral(Exception):
    """Not a literal here; the scanner moves on."""


class Num(float):
    """A number with the text it was written as (so a cited token "1955" keeps its spelling)."""

    text: str
    percent: bool

    def __new__(cls, text: str, percent: bool = False) -> Num:
        obj = super().__new__(cls, float(text))
        obj.text, obj.percent = text, percent
        return obj


class Seq(list):
    """A tuple or list; `bracket` is the opening character."""

    bracket: str = "["
    closed: bool = True  # False when the output ended before its closing bracket


class Map(list):
    """A dict as (key, value) items: keeps order and duplicate keys (models repeat words)."""


class Reader:
    """Reads one literal. Readers of one answer share `failed` (positions where no value starts)
    and `closers` (where a quote can end a string), so a scan that starts a reader at every
    bracket stays near-linear even on garbage such as thousands of "('" in a row.
    """

    MAX_DEPTH = 8  # real answers nest 3 deep; deeper is treated as not a literal

    def __init__(self, s: str, failed: set[int], closers: dict[str, list[int]]) -> None:
        self.s = s
        self.truncated = False
        self.depth = 0
        self.failed = failed
        self.closers = closers

    def _ws(self, i: int) -> int:
        while i < len(self.s) and self.s[i].isspace():
            i += 1
        return i

    def value(self, i: int) -> tuple[Any, int]:
        i = self._ws(i)
        if i >= len(self.s):
            self.truncated = True
            raise NotALiteral
        if i in self.failed:
            raise NotALiteral
        try:
            return self._value(i)
        except NotALiteral:
            if not self.truncated:  # a failure caused by the end of the output is not final
                self.failed.add(i)
            raise

    def _value(self, i: int) -> tuple[Any, int]:
        c = self.s[i]
        if c in "([{":
            if self.depth >= self.MAX_DEPTH:
                raise NotALiteral
            self.depth += 1
            try:
                return self._seq(i) if c != "{" else self._map(i)
            finally:
                self.depth -= 1
        if c in "'\"":
            return self._string(i)
        return self._bare(i)

    def _seq(self, i: int) -> tuple[Seq, int]:
        out = Seq()
        out.bracket = self.s[i]
        i += 1
        while True:
            i = self._ws(i)
            if i >= len(self.s):
                self.truncated = True
                out.closed = False
                return out, i
            c = self.s[i]
            if c in ")]}":
                return out, i + 1
            if c == ",":
                i += 1
                continue
            try:
                v, i = self.value(i)
            except NotALiteral:
                if self.truncated:  # the output stops inside this item: keep the items before it
                    out.closed = False
                    return out, len(self.s)
                raise
            out.append(v)
            j = self._ws(i)
            # a missing comma is tolerated only before something that clearly starts a new item
            if j < len(self.s) and self.s[j] not in ",)]}([{'\"":
                raise NotALiteral

    def _map(self, i: int) -> tuple[Map, int]:
        out = Map()
        i += 1
        while True:
            i = self._ws(i)
            if i >= len(self.s):
                self.truncated = True
                return out, i
            c = self.s[i]
            if c in "}])":
                return out, i + 1
            if c == ",":
                i += 1
                continue
            key, i = self.value(i)
            if isinstance(key, list):
                raise NotALiteral
            i = self._ws(i)
            if i >= len(self.s) or self.s[i] not in ":=":
                raise NotALiteral
            v, i = self.value(i + 1)
            out.append((key.text if isinstance(key, Num) else str(key), v))

    def _string(self, i: int) -> tuple[str, int]:
        """A quoted string on one line; it ends at its quote followed by a delimiter ("don't" survives).

        The search runs in the regex engine: answers with thousands of brackets and quotes on one
        line would make a character loop per opening bracket quadratic in Python.
        """
        s, q = self.s, self.s[i]
        line_end = s.find("\n", i + 1)
        stop = len(s) if line_end < 0 else line_end
        ends = self.closers[q]
        k = bisect.bisect_right(ends, i)
        if k == len(ends) or ends[k] >= stop:
            self.truncated = self.truncated or line_end < 0
            raise NotALiteral
        body = s[i + 1 : ends[k]]
        if "\\" in body:
            body = re.sub(r"\\(.)", lambda e: {"n": "\n", "t": "\t"}.get(e.group(1), e.group(1)), body)
        return body, ends[k] + 1

    def _bare(self, i: int) -> tuple[Any, int]:
        """An unquoted item: a number, or words up to a delimiter (apostrophes inside words kept)."""
        s = self.s
        m = BARE.match(s, i)
        j = m.end() if m else i
        text = s[i:j].strip()
        if not text:
            raise NotALiteral
        num = NUM_FULL.fullmatch(text)
        if num:
            return Num(num.group(1), bool(num.group(2))), j
        return text, j


# --------------------------------------------------------------------------- candidates

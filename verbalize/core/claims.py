"""What both verifiers (image fact sheets, token attributions) need to read claims out of text:
numbers as written, sentences, clauses, and whether a printed number matches a value.

A number matches at its *printed precision*: "76%" stands for anything in [75.5, 76.5], "0.85"
for [0.845, 0.855]. That is the rounding every verbalizer of ours uses, so a faithful text always
matches and a wrong digit never does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NUM = r"[-+−]?(?:\d+\.\d+|\.\d+|\d+)"
"""A decimal as written: signs (including the typographic minus), '.5', '12', '0.125'."""

NUMBER = re.compile(rf"(?<![\w.])({NUM})\s*(%|percent\b|per cent\b)?", re.I)
"""A number, optionally followed by a percent sign or word (group 2)."""

SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'“»(])|\n+")
"""Where one sentence ends and the next begins (after . ! ? before a capital or quote; or a new line)."""


@dataclass(frozen=True)
class Number:
    """A number read from text: its value, its printed decimals, and whether it was a percentage."""

    value: float
    decimals: int
    percent: bool

    @classmethod
    def of(cls, raw: str, unit: str | None = None) -> Number:
        return cls(float(raw.replace("−", "-")), decimals(raw), bool(unit))

    def matches(self, fact: float) -> bool:
        """Whether `fact` (a probability or share in [0, 1] for a percentage) prints as this number."""
        return printed_match(fact * 100 if self.percent else fact, self.value, self.decimals)


def decimals(raw: str) -> int:
    """Digits after the decimal point as written: '0.80' → 2, '76' → 0."""
    return len(raw.split(".")[1]) if "." in raw else 0


def printed_match(value: float, claimed: float, places: int) -> bool:
    """`value` rounds to `claimed` at `places` decimals (half a unit of the last printed digit)."""
    return abs(value - claimed) <= 0.5 * 10 ** (-places) + 1e-9


def split_spans(text: str, pattern: re.Pattern[str], start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """The (start, end) spans of `text[start:end]` between matches of `pattern`, empty ones dropped."""
    end = len(text) if end is None else end
    spans, a = [], start
    for m in pattern.finditer(text, start, end):
        spans.append((a, m.start()))
        a = m.end()
    spans.append((a, end))
    return [(x, y) for x, y in spans if y > x]


def sentence_spans(text: str, pattern: re.Pattern[str] = SENTENCE_END) -> list[tuple[int, int]]:
    """The spans of the sentences of `text`."""
    return split_spans(text, pattern)


def span_at(pos: int, spans: list[tuple[int, int]]) -> tuple[int, int]:
    """The span holding `pos` (the last one when none does)."""
    return next((s for s in spans if s[0] <= pos < s[1]), spans[-1])

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

SENTENCE_END = re.compile(r"(?<=[.!?])(?!(?<=\b[Nn]o\.)\s+\d)(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bvs\.)\s+(?=[A-Z0-9\"'“»(])|\n+")
"""Where one sentence ends and the next begins (after . ! ? before a capital, digit or quote; or a new line), except
after "No." before a number ("the No. 2 word") and after "e.g.", "i.e.", "vs."."""


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


# --- numbers and quantities as people and LLMs write them (issue 10) ------------------------------

_UNITS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split())}
_TENS = {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
_WORD_NUM = (rf"(?:(?:{'|'.join(_TENS)})(?:[-\s](?:{'|'.join(w for w in _UNITS if _UNITS[w] and _UNITS[w] < 10)}))?"
             rf"|{'|'.join(sorted(_UNITS, key=len, reverse=True))}|(?:one|a) hundred)")


def word_number(words: str) -> int:
    """'eighty-five' → 85, 'zero' → 0, 'a hundred' → 100 (what `_WORD_NUM` matches)."""
    w = words.lower().replace("-", " ").split()
    if w[-1] == "hundred":
        return 100
    return sum(_TENS.get(x, _UNITS.get(x, 0)) for x in w)


FRACTIONS: dict[str, tuple[float, float, str]] = {
    # words: (low, high, rule) — the share ranges of bench/verifier/README.md; hedges do not widen them
    "half": (0.45, 0.55, "0.45–0.55"),
    "a third": (0.28, 0.38, "0.28–0.38"),
    "a quarter": (0.20, 0.30, "0.20–0.30"),
    "a fifth": (0.15, 0.25, "0.15–0.25"),
    "a tenth": (0.05, 0.15, "0.05–0.15"),
    "two thirds": (0.62, 0.72, "0.62–0.72"),
    "three quarters": (0.70, 0.80, "0.70–0.80"),
    "four fifths": (0.75, 0.85, "0.75–0.85"),
    "most": (0.5, 1.0, "> 0.5"),
    "nearly all": (0.85, 1.0, "≥ 0.85"),
    "almost none": (0.0, 0.10, "≤ 0.10"),
    "less than half": (0.0, 0.5, "< 0.5"),
    "more than half": (0.5, 1.0, "> 0.5"),
}
_FRACTION_WORDS = {
    "half": "half", "one half": "half", "a half": "half", "a third": "a third", "one third": "a third",
    "a quarter": "a quarter", "one quarter": "a quarter", "a fifth": "a fifth", "one fifth": "a fifth", "a tenth": "a tenth", "one tenth": "a tenth",
    "two thirds": "two thirds", "two-thirds": "two thirds", "three quarters": "three quarters",
    "three-quarters": "three quarters", "four fifths": "four fifths", "four-fifths": "four fifths",
    "most": "most", "the majority": "most", "the bulk": "most", "nearly all": "nearly all",
    "almost all": "nearly all", "virtually all": "nearly all", "nearly the whole": "nearly all",
    "almost the whole": "nearly all", "virtually the whole": "nearly all", "nearly the entire": "nearly all",
    "almost the entire": "nearly all", "almost none": "almost none",
    "hardly any": "almost none", "next to none": "almost none", "less than half": "less than half",
    "under half": "less than half", "less than one half": "less than half", "under one half": "less than half",
    "more than half": "more than half", "over half": "more than half", "more than one half": "more than half",
}
HEDGES: dict[str, tuple[str, str]] = {
    # hedge word: (relation, the tolerance it allows, as written into a claim's reason)
    "about": ("about", "within 5 points"), "around": ("about", "within 5 points"),
    "roughly": ("about", "within 5 points"), "approximately": ("about", "within 5 points"),
    "some": ("about", "within 5 points"), "practically": ("about", "within 5 points"),
    "nearly": ("nearly", "at most 5 points below"), "almost": ("nearly", "at most 5 points below"),
    "just under": ("nearly", "at most 5 points below"),
    "over": ("over", "strictly above"), "more than": ("over", "strictly above"), "above": ("over", "strictly above"),
    "greater than": ("over", "strictly above"),
    "under": ("under", "strictly below"), "less than": ("under", "strictly below"), "below": ("under", "strictly below"),
    ">": ("over", "strictly above"), "<": ("under", "strictly below"),
}
_NOT_SUPERLATIVE = (r"(?!\s+(?:\w+(?:ed|ive|ent|ant|ful|ic|ous|ble)\b|salient|important|likely|probable|relevant|influential|significant|confident|"
                    r"prominent|strongly|heavily|striking|attended|weight))")
"""'most salient' is a superlative, not a share."""
_HEDGE = rf"(?:(?P<hedge>{'|'.join(sorted(map(re.escape, HEDGES), key=len, reverse=True))})(?:\s+|(?<=[<>])\s*))?"
QUANTITY = re.compile(
    rf"(?<![\w.\-]){_HEDGE}(?:"
    rf"(?P<num>{NUM})\s*(?P<unit>%|percent\b|per cent\b)?"
    rf"|(?P<word>{_WORD_NUM})(?:\s*(?P<wunit>percent\b|per cent\b)|(?=\s*\)))"
    rf"|(?P<frac>{'|'.join(sorted(map(re.escape, _FRACTION_WORDS), key=len, reverse=True))})\b{_NOT_SUPERLATIVE}"
    rf"|(?P<zero>zero)\b)", re.I)
"""A number (digits, spelled out with 'percent', 'zero'), a fraction or quantity word, with its hedge."""


@dataclass(frozen=True)
class Quantity:
    """A number or share read from text and how to check a fact against it."""

    text: str
    start: int
    end: int
    value: float  # on the 0–1 scale for percentages and fractions
    decimals: int  # printed decimals on the 0–1 scale (80% → 2, 0.8 → 1)
    relation: str  # exact | about | nearly | over | under | range
    low: float = 0.0
    high: float = 1.0
    rule: str = ""
    percent: bool = False
    fraction: bool = False
    bare: bool = False  # an integer with no unit ("3 regions"): not a share or probability

    def holds(self, x: float) -> bool:
        """Whether the fact `x` satisfies the quantity under the documented tolerance."""
        if self.relation == "range":
            if self.rule.startswith(">"):
                return x > self.low
            if self.rule.startswith("<"):
                return x < self.high
            return self.low <= x <= self.high
        if self.relation == "about":
            return abs(x - self.value) <= 0.05 + 1e-9
        if self.relation == "nearly":
            if self.value == 0:  # "almost zero", "nearly 0%": at most 5 points above nothing
                return 0 <= x <= 0.05 + 1e-9
            return self.value - 0.05 - 1e-9 <= x <= self.value + 1e-9
        if self.relation == "over":
            return x > self.value
        if self.relation == "under":
            return x < self.value
        return abs(x - self.value) <= 0.5 * 10 ** (-self.decimals) + 1e-9

    def tolerance(self) -> str:
        """The rule in words, for a claim's reason."""
        if self.relation == "range":
            return f"'{self.text}' means {self.rule}"
        if self.relation == "exact":
            return f"'{self.text}' holds when the fact rounds to it at {self.decimals} decimals"
        hedge = next(h for h, (rel, _) in HEDGES.items() if rel == self.relation)
        return f"'{self.text}': '{hedge}' allows {HEDGES[hedge][1]}"


def quantities(text: str, start: int = 0, end: int | None = None) -> list[Quantity]:
    """Every number, spelled-out percentage or share word of `text[start:end]`, hedges included."""
    out = []
    for m in QUANTITY.finditer(text, start, len(text) if end is None else end):
        hedge = (m.group("hedge") or "").lower()
        relation = HEDGES[hedge][0] if hedge else "exact"
        shown = m.group(0)
        if m.group("frac"):
            key = _FRACTION_WORDS[m.group("frac").lower()]
            if relation == "nearly" and key == "half":  # "just under one half"
                out.append(Quantity(shown, m.start(), m.end(), 0.5, 2, "nearly", fraction=True))
                continue
            if relation == "under" and key == "half":
                key = "less than half"
            elif relation == "over" and key == "half":
                key = "more than half"
            lo, hi, rule = FRACTIONS[key]
            out.append(Quantity(shown, m.start(), m.end(), (lo + hi) / 2, 2, "range", lo, hi, rule, fraction=True))
            continue
        if m.group("zero"):
            out.append(Quantity(shown, m.start(), m.end(), 0.0, 2, relation if hedge else "exact", percent=True))
            continue
        if m.group("word"):
            if not m.group("wunit"):
                continue
            out.append(Quantity(shown, m.start(), m.end(), word_number(m.group("word")) / 100, 2, relation, percent=True))
            continue
        raw, unit = m.group("num"), m.group("unit")
        places = decimals(raw)
        value = float(raw.replace("−", "-"))
        if unit:
            out.append(Quantity(shown, m.start(), m.end(), value / 100, places + 2, relation, percent=True))
        elif places == 0 or abs(value) > 1:
            out.append(Quantity(shown, m.start(), m.end(), value, places, relation, bare=True))
        else:
            out.append(Quantity(shown, m.start(), m.end(), value, places, relation))
    return out

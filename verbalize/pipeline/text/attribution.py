"""Token attributions and the words a verbalization cites: what both the claim readers of
`verify` (quoted units) and `word_claims` (words quoted or bare) look words up in.

A word is compared with tokens in a *core* form (case-folded, surrounding punctuation removed), so
"Great," in a text and 'great' in a verbalization are the same word. A word that occurs several
times has several scores; a claim about it holds when it holds for one of them, since a text
cannot say which occurrence it meant.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from verbalize.core.claims import NUM

_GAP = re.compile(r"\s*…\s*")  # "..." is left alone: it is a token of many texts

_CITATIONS = [
    re.compile(r"»([^«»\n]{1,200})«"),
    re.compile(r"\*\*([^*\n]{1,200})\*\*"),  # markdown bold, as chat models highlight words
    re.compile(r"`([^`\n]{1,200})`"),  # markdown code, as notebooks and chat models mark tokens
    re.compile(r"“([^”\n]{1,200})”"),
    re.compile(r"\"([^\"\n]{1,200})\""),
    re.compile(r"(?<![\w'])'([^\n]{1,200}?)'(?![\w'])"),
    re.compile(rf"(?<![\w\"'»])([^\s\"'«»()]+)\s\(\s*({NUM})\s*\)"),  # word (0.12), as the prompt writes them
]
MAX_CITED_WORDS = 12
"""A longer quote is not a citation of words (a quoted sentence of the model's own, say)."""
MAX_OCCURRENCES = 64
"""Where a cited unit may be: enough for any real text, bounded against pathological repetition."""

NOT_IDIOM = r"(?!\W+(?:surprisingly|unexpectedly|coincidentally|only|just|least|to mention)\b)"
"""'not' that negates nothing: "Not surprisingly, 'mess' leads", "not only … but also", "not least"."""
NEGATION = re.compile(rf"\b(not{NOT_IDIOM}|no|n't|never|neither|nor|without)\W+(?:\w+\W+)?$", re.I)

STRIP = string.punctuation + "«»…–—“”‘’"


def norm_word(s: str) -> str:
    return unicodedata.normalize("NFKC", s).casefold().replace("’", "'")


def core(s: str) -> str:
    """A word as compared with tokens: case-folded, surrounding punctuation removed ("Great," → "great")."""
    n = norm_word(s)
    stripped = n.strip(STRIP)
    return stripped or n


@dataclass(frozen=True)
class Citation:
    """One cited unit of a verbalization: its text, where it is, and its words (gaps split)."""

    text: str
    start: int
    end: int
    words: tuple[str, ...]
    inline_score: str | None = None  # the number of a `word (0.12)` citation


def extract_citations(text: str) -> list[Citation]:
    """Every cited unit, in text order: ``»…«``, quotes of either kind, and ``word (0.12)``.

    Quotes holding more than `MAX_CITED_WORDS` words are not citations of words.
    """
    taken: list[tuple[int, int]] = []
    out: list[Citation] = []
    for pattern in _CITATIONS:
        for m in pattern.finditer(text):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            inner = m.group(1).strip()
            words = tuple(w for part in _GAP.split(inner) for w in part.split() if w)
            if not words or len(words) > MAX_CITED_WORDS:
                continue
            taken.append((m.start(), m.end()))
            score = m.group(2) if pattern.groups >= 2 else None
            out.append(Citation(inner, m.start(1), m.start(1) + len(m.group(1)), words, score))
    out.sort(key=lambda c: c.start)
    return out


def cited_words(text: str) -> set[str]:
    """The words a verbalization cites (core forms), plus punctuation marks when it mentions
    "punctuation" (as Feldhus et al.'s coverage evaluation did)."""
    words = {core(w) for c in extract_citations(text) for w in c.words}
    if "punctuation" in text.lower():
        words |= set(".,:;-!?")
    return words


Unit = tuple[Citation, list[list[int]]]
"""A cited unit and every set of token positions it may refer to."""


class Attribution:
    """Tokens and scores, with lookups by core form."""

    def __init__(self, tokens: Sequence[str], scores: Sequence[float] | np.ndarray) -> None:
        self.tokens = list(tokens)
        self.scores = np.asarray(scores, dtype=float).reshape(-1)
        if self.scores.size != len(self.tokens):
            raise ValueError(f"{self.scores.size} scores for {len(self.tokens)} tokens")
        self.cores = [core(t) for t in self.tokens]
        self.positive = np.clip(self.scores, 0, None)

    def runs(self, words: Sequence[str]) -> list[list[int]]:
        """Every place the words occur as consecutive tokens."""
        want = [core(w) for w in words]
        n = len(want)
        return [list(range(i, i + n)) for i in range(len(self.cores) - n + 1) if self.cores[i : i + n] == want]

    def occurrences(self, citation: Citation) -> tuple[list[list[int]], list[str]]:
        """Where a cited unit may be in the text, and its words that are nowhere.

        Each part of the unit (parts are split at a gap "…") is a run of consecutive tokens; a unit
        is every in-order combination of its parts' runs. A unit that is not consecutive in the
        text is read word by word. A word that occurs several times (with different scores) gives
        several occurrences: a claim about it holds when it holds for one of them, since the text
        cannot say which one it meant. At most `MAX_OCCURRENCES` are kept.
        """
        parts = [p.split() for p in _GAP.split(citation.text) if p.split()]
        runs = [self.runs(part) for part in parts]
        if any(not r for r in runs):  # not consecutive as cited: word by word
            parts = [[w] for w in citation.words]
            runs = [self.runs(part) for part in parts]
        missing = [w for part, r in zip(parts, runs, strict=True) if not r for w in part]
        if missing:
            return [], missing
        combos: list[list[int]] = [[]]
        for r in runs:
            combos = [c + run for c in combos for run in r if not c or run[0] > c[-1]][:MAX_OCCURRENCES]
        if not combos:  # the parts occur, but not in the cited order
            combos = [sorted({i for r in runs for i in r[0]})]
        return combos, []

    def word_scores(self, words: Sequence[str]) -> list[float]:
        """Every score any occurrence of any of the words has (a repeated word has several)."""
        want = {core(w) for w in words}
        return [float(s) for t, s in zip(self.cores, self.scores, strict=True) if t in want]

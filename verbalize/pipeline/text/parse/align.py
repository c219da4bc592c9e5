"""Stage 3 of the parser: put each cited (word, score) on a token of the text.

Huang et al.: each score goes to the first unused occurrence of its token. Matching runs in passes,
each over all citations before the next starts: exact, then case-/quote-insensitive, then ignoring
surrounding punctuation, then a run of consecutive tokens for a cited phrase or merged tokens. So
an exact citation always beats a lenient one, wherever it stands in the list; tokens never cited
get 0.
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from verbalize.pipeline.text.parse.literals import QUOTE_MAP


def normalize(s: str) -> str:
    return unicodedata.normalize("NFKC", s).translate(QUOTE_MAP).replace("\\", "").casefold()


STRIP = string.punctuation + "«»…–—"


def core_form(s: str) -> str:
    return normalize(s).strip(STRIP)


@dataclass
class Alignment:
    scores: list[float]
    unmatched: list[str]
    matched: int


class Occurrences:
    """Token positions by a key (exact, normalised or core form); hands out the first unused one."""

    def __init__(self, keys: Sequence[str], used: list[bool]) -> None:
        self.used = used
        self.where: dict[str, list[int]] = {}
        for i, k in enumerate(keys):
            self.where.setdefault(k, []).append(i)
        self.next: dict[str, int] = {}

    def first_unused(self, key: str) -> int | None:
        positions = self.where.get(key)
        if not positions:
            return None
        j = self.next.get(key, 0)
        while j < len(positions) and self.used[positions[j]]:  # `used` only grows: amortised O(1)
            j += 1
        self.next[key] = j
        return positions[j] if j < len(positions) else None


def align(tokens: Sequence[str], pairs: Sequence[tuple[str, float]]) -> Alignment:
    """Each cited (word, score) goes to the first unused occurrence of its token; see module doc.

    Exact matches are placed first over all citations, then case-/quote-insensitive ones, then
    punctuation-stripped ones, then runs of tokens; within a pass, citations go in the order given.
    """
    n = len(tokens)
    scores = [0.0] * n
    used = [False] * n
    norm = [normalize(t) for t in tokens]
    levels = [
        (lambda w: w, Occurrences(tokens, used)),  # exact
        (normalize, Occurrences(norm, used)),  # case, quote style, escapes
        (core_form, Occurrences([core_form(t) for t in tokens], used)),  # surrounding punctuation
    ]
    unmatched: list[str] = []
    matched = 0

    def run(word: str) -> list[int]:
        """A cited phrase over consecutive tokens, or one cited word glued from 2-4 tokens."""
        parts = normalize(word).split()
        if len(parts) > 1:
            want = [core_form(p) or p for p in parts]
            for i in range(n - len(parts) + 1):
                if all(
                    not used[i + t] and (norm[i + t] == parts[t] or core_form(norm[i + t]) == want[t])
                    for t in range(len(parts))
                ):
                    return list(range(i, i + len(parts)))
            return []
        glued = normalize(word)
        for length in range(2, min(4, n) + 1):
            for i in range(n - length + 1):
                if not any(used[i : i + length]) and "".join(norm[i : i + length]) == glued:
                    return list(range(i, i + length))
        return []

    # Each pass covers every citation before the next, looser one starts: an exact citation later
    # in the list beats an earlier lenient one ("re" must not take the token "'re" cited after it).
    placed: list[list[int] | None] = [None] * len(pairs)
    words = [word.strip() for word, _ in pairs]
    for key, occurrences in levels:
        for c, w in enumerate(words):
            if placed[c] is None:
                k = key(w)
                i = occurrences.first_unused(k) if k else None
                if i is not None:
                    used[i] = True
                    placed[c] = [i]
    for c, w in enumerate(words):
        if placed[c] is None:
            glued = run(w)
            for i in glued:
                used[i] = True
            placed[c] = glued or None
    for (word, score), where in zip(pairs, placed, strict=True):
        if not where:
            unmatched.append(word)
            continue
        matched += 1
        for i in where:
            scores[i] = score
    return Alignment(scores, unmatched, matched)

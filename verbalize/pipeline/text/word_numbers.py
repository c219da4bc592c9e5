"""Numbers in statements about a text (issue 10): a score stated for a named word ("the attribution of not is
-0.14"), a zero score given to the cited words, and a probability bound to the label named with it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from verbalize.core.claims import quantities, sentence_spans
from verbalize.core.types import Claim
from verbalize.pipeline.text.attribution import NEGATION, Attribution
from verbalize.pipeline.text.word_patterns import PAT_SCORE, PAT_X, VALUE_FRAMES
from verbalize.pipeline.text.word_rules import scores_of

_ZERO = re.compile(
    r"\b(?:(?:each|all|both)\s+)?(?:scoring|scored|scores?|at|with an? (?:score|attribution|weight) of|"
    r"(?:score|attribution|weight|importance)s? (?:of|is|are|at))\s+(?:exactly |essentially |practically |precisely )?zero\b|"
    r"\bwith (?:a )?zero (?:attribution|score|weight|importance)s?\b|"
    r"\b(?:attributions?|scores?|weights?|importance)\b[^.;]{0,20}?,?\s+(?:exactly|essentially|practically) zero\b", re.I)
"""A sentence that gives its cited words a score of zero: "'acting' and 'plot' hardly matter, each scoring zero"."""


def zero_claims(text: str, att: Attribution, cited: Sequence[tuple[int, int]]) -> list[Claim]:
    """Every cited word of a sentence that states a zero score must score |s| < 0.005."""
    claims: list[Claim] = []
    for s0, s1 in sentence_spans(text):
        m = _ZERO.search(text, s0, s1)
        if m is None or NEGATION.search(text[max(s0, m.start() - 30): m.start()]):
            continue
        for a, b in cited:
            xs = scores_of(att, text[a:b]) if s0 <= a < s1 else []
            if not xs:
                continue
            ok = any(abs(v) < 0.005 for v in xs)
            shown = ", ".join(f"{v:.4g}" for v in xs[:4])
            claims.append(Claim(text=text[a:b], kind="word_none", start=a, end=b, status="supported" if ok else "contradicted",
                                reason=f"score({text[a:b]}) = {shown}; zero: |score| < 0.005", subject=text[a:b],
                                fact=f"score({text[a:b]}) = {shown}"))
    return claims


def word_value_claims(text: str, att: Attribution) -> list[Claim]:
    """A score stated for a named word ("the attribution of not is -0.14"), quoted or bare."""
    claims = []
    for q in quantities(text):
        if q.bare or q.fraction or (q.percent and not q.text.lower().endswith("zero")):
            continue
        after = re.match(rf"\s+(?:for|to)\s+{PAT_X}", text[q.end: q.end + 60], re.I)
        if after and re.search(rf"\b{PAT_SCORE}\s+of\s+(?:about |around |roughly )?$", text[max(0, q.start - 40): q.start], re.I):
            xs = scores_of(att, after.group("x"))
            if xs:
                ok = any(q.holds(v) for v in xs)
                shown = ", ".join(f"{v:.4g}" for v in xs[:4])
                claims.append(Claim(text=q.text, kind="number", start=q.start, end=q.end,
                                    status="supported" if ok else "contradicted",
                                    reason=f"score({after.group('x')}) = {shown}; {q.tolerance()}",
                                    subject=after.group("x"), fact=f"score({after.group('x')}) = {shown}"))
                continue
        before = text[max(0, q.start - 80): q.start]
        for pattern in VALUE_FRAMES:
            m = pattern.search(before)
            if m is None:
                continue
            x = m.group("x")
            xs = scores_of(att, x)
            if not xs:
                break
            ok = any(q.holds(v) for v in xs)
            shown = ", ".join(f"{v:.4g}" for v in xs[:4])
            claims.append(Claim(text=q.text, kind="number", start=q.start, end=q.end,
                                status="supported" if ok else "contradicted",
                                reason=f"score({x}) = {shown}; {q.tolerance()}", subject=x, fact=f"score({x}) = {shown}"))
            break
    return claims


def probability_claims(text: str, sentences: list[tuple[int, int]], labels: Sequence[str], predicted: str | None,
                       probability: float | None) -> list[Claim]:
    """A percentage (digits or words) bound to the label named in its sentence: p(predicted) is
    `probability`; with two labels, p(other) = 1 − `probability`."""
    claims = []
    lowered = {lb.casefold(): lb for lb in labels}
    for s0, s1 in sentences:
        sentence = text[s0:s1]
        about_p = bool(re.search(r"\b(probab\w*|confiden\w*|sure|certain|likel\w*|p\()", sentence, re.I)) and not \
            re.search(r"\b(score|attribution|weight|importance)\b", sentence, re.I)
        for q in quantities(text, s0, s1):
            if not q.percent and not (about_p and not q.bare and not q.fraction and q.value >= 0):
                continue
            if q.text.lower().endswith("zero") and not about_p:
                continue  # "scoring zero", "zero attribution": a score (see zero_claims), not a probability
            if probability is None or predicted is None:
                claims.append(Claim(text=q.text, kind="number", start=q.start, end=q.end, status="unverifiable",
                                    reason="a percentage, and no probability was given"))
                continue
            named = [(m.start(), lowered[w.casefold()]) for m in re.finditer(r"[\w-]+", text[s0:s1])
                     if (w := m.group(0)).casefold() in lowered]
            subject = predicted
            if named:
                subject = min(named, key=lambda n: abs(s0 + n[0] - q.start))[1]
            if subject.casefold() == predicted.casefold():
                value = probability
            elif len(labels) == 2:
                value = 1 - probability
            else:
                claims.append(Claim(text=q.text, kind="number", start=q.start, end=q.end, status="unverifiable",
                                    reason=f"p({subject}) is not known", subject=subject))
                continue
            ok = q.holds(value)
            claims.append(Claim(text=q.text, kind="number", start=q.start, end=q.end,
                                status="supported" if ok else "contradicted",
                                reason=f"p({subject}) = {value:.4g}; {q.tolerance()}", subject=subject,
                                fact=f"p({subject}) = {value:.4g}"))
    return claims

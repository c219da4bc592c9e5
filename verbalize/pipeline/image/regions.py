"""Words about several salient objects, and the checker for exactly those words.

When the positive saliency forms separate clusters and each was segmented, the fact sheet's
`regions` lists them (strongest first). The template then says, for example:

    Two regions matter: the one in the centre left (70% of the positive saliency) and the one in
    the centre right (20%). Removing the region in the centre left lowers the probability of
    "tabby" to 31%, and keeping it alone gives 64%.

Regions are named by the 3 x 3 grid cell that holds most of their saliency: the classifier does
not name objects, and a name we made up could not be checked.

`region_claims` checks such sentences (and any text phrased the same way, e.g. an LLM's):

- the count ("two regions matter") against the number of regions;
- "the one / the region in the <cell>" against the regions' cells (a location claim);
- a percentage in the parentheses after a region against that region's saliency share;
- in "removing the region in the <cell> …": lowers / raises against p(label) with the region
  removed vs p(label); the number after "to" against p(label) with it removed, the number in
  the clause with "alone" / "only" / "keeping" against p(label) with only it kept;
- any other number in such a sentence against every region value and the label's probability.

It returns None for a sentence that speaks of no region, so the general verifier handles it.
"""

from __future__ import annotations

import re

from verbalize.core.claims import NUMBER, Number
from verbalize.core.formatting import pct
from verbalize.core.types import Claim
from verbalize.pipeline.image.types import GRID_WORDS, FactSheet, RegionFacts

COUNT_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
_CELLS = sorted((w for row in GRID_WORDS for w in row), key=len, reverse=True)
_CELL = "(" + "|".join(map(re.escape, _CELLS)) + ")"

_REGION_SENTENCE = re.compile(r"\bregions? (?:matter|count)\b|\b(?:the one|the region|region) (?:in|at) the\b", re.I)
_COUNT = re.compile(r"\b(" + "|".join(COUNT_WORDS) + r"|\d+) (?:salient )?regions? (?:matter|count)\b", re.I)
_ENTRY = re.compile(r"\bthe (?:one|region) (?:in|at) the " + _CELL + r"(?: of the image)?\s*(\(([^)]*)\))?", re.I)
_REMOVING = re.compile(r"\b(?:removing|without|hiding|deleting) the region (?:in|at) the " + _CELL, re.I)
_DOWN = re.compile(r"\b(lowers|drops|reduces|decreases|lowering|dropping)\b", re.I)
_UP = re.compile(r"\b(raises|increases|rises|raising|increasing)\b", re.I)
_ONLY = re.compile(r"\b(alone|only|keeping)\b", re.I)
_CLAUSE = re.compile(r"[;,]|\sand\s", re.I)


def region_sentences(f: FactSheet) -> list[str]:
    """The template's sentences about several regions; none when fewer than two were segmented."""
    if len(f.regions) < 2:
        return []
    n = len(f.regions)
    count = COUNT_WORDS[n] if n < len(COUNT_WORDS) else str(n)
    parts = [f"the one in the {r.location} ({pct(r.saliency_share)}" + (" of the positive saliency)" if i == 0 else ")")
             for i, r in enumerate(f.regions)]
    listed = ", ".join(parts[:-1]) + " and " + parts[-1]
    sentences = [f"{count.capitalize()} regions matter: {listed}."]
    for r in f.regions:
        if round(100 * r.p_removed) == round(100 * f.probability):
            effect = f'leaves the probability of "{f.label}" at {pct(r.p_removed)}'
        else:
            verb = "lowers" if r.p_removed < f.probability else "raises"
            effect = f'{verb} the probability of "{f.label}" to {pct(r.p_removed)}'
        sentences.append(f"Removing the region in the {r.location} {effect}, and keeping it alone gives {pct(r.p_only)}.")
    return sentences


def _claim(text: str, start: int, end: int, kind: str, ok: bool, reason: str, subject: str = "the regions") -> Claim:
    """A claim whose `fact` is its reason (the region values it was checked against)."""
    return Claim(text=text[start:end].strip(), kind=kind, start=start, end=end,
                 status="supported" if ok else "contradicted", reason=reason, subject=subject, fact=reason)


def _at(f: FactSheet, cell: str) -> list[RegionFacts]:
    return [r for r in f.regions if r.location == cell.lower()]


def region_claims(text: str, s0: int, sentence: str, f: FactSheet) -> list[Claim] | None:
    """Claims of one sentence about regions (offsets into `text`; the sentence starts at `s0`), or None."""
    if not _REGION_SENTENCE.search(sentence):
        return None
    claims: list[Claim] = []
    done: list[tuple[int, int]] = []  # number spans already checked

    for m in _COUNT.finditer(sentence):
        word = m.group(1).lower()
        n = COUNT_WORDS.index(word) if word in COUNT_WORDS else int(word)
        claims.append(_claim(text, s0 + m.start(), s0 + m.end(), "comparison", n == len(f.regions),
                             f"{len(f.regions)} separate salient regions were segmented", subject="how many regions"))

    for m in _ENTRY.finditer(sentence):
        cell, regions = m.group(1), _at(f, m.group(1))
        claims.append(_claim(text, s0 + m.start(1), s0 + m.end(1), "location", bool(regions),
                             f"regions are in: {', '.join(r.location for r in f.regions) or 'none'}",
                             subject=f"the region in the {cell}"))
        if m.group(2):
            for nm in NUMBER.finditer(m.group(3)):
                a, b = s0 + m.start(3) + nm.start(), s0 + m.start(3) + nm.end()
                number = Number.of(nm.group(1), nm.group(2))
                ok = any(number.matches(r.saliency_share) for r in regions)
                shares = ", ".join(f"{r.saliency_share:.4g}" for r in regions) or "no region there"
                claims.append(_claim(text, a, b, "number", ok, f"saliency share of the region in the {cell}: {shares}", subject=f"the region in the {cell}"))
                done.append((a, b))

    for m in _REMOVING.finditer(sentence):
        cell, regions = m.group(1), _at(f, m.group(1))
        claims.append(_claim(text, s0 + m.start(1), s0 + m.end(1), "location", bool(regions),
                             f"regions are in: {', '.join(r.location for r in f.regions) or 'none'}",
                             subject=f"the region in the {cell}"))
        rest_start = m.end()
        nxt = _REMOVING.search(sentence, rest_start)
        rest_end = nxt.start() if nxt else len(sentence)
        rest = sentence[rest_start:rest_end]
        for pattern, down in ((_DOWN, True), (_UP, False)):
            for d in pattern.finditer(rest):
                ok = bool(regions) and any((r.p_removed < f.probability) if down else (r.p_removed > f.probability)
                                           for r in regions)
                a, b = s0 + rest_start + d.start(), s0 + rest_start + d.end()
                claims.append(_claim(text, a, b, "comparison", ok, f"p with the region in the {cell} removed = "
                                     + (", ".join(f"{r.p_removed:.4g}" for r in regions) or "none")
                                     + f" vs {f.probability:.4g}", subject=f"the region in the {cell}"))
        clause_start = 0
        for c0, c1 in [*((x.start(), x.end()) for x in _CLAUSE.finditer(rest)), (len(rest), len(rest))]:
            clause = rest[clause_start:c0]
            only = bool(_ONLY.search(clause))
            for nm in NUMBER.finditer(clause):
                a, b = s0 + rest_start + clause_start + nm.start(), s0 + rest_start + clause_start + nm.end()
                number = Number.of(nm.group(1), nm.group(2))
                values = [r.p_only if only else r.p_removed for r in regions]
                ok = any(number.matches(v) for v in values)
                what = "kept alone" if only else "removed"
                claims.append(_claim(text, a, b, "number", ok, f"p with the region in the {cell} {what} = "
                                     + (", ".join(f"{v:.4g}" for v in values) or "none"), subject=f"the region in the {cell}"))
                done.append((a, b))
            clause_start = c1

    for nm in NUMBER.finditer(sentence):  # any other number: must be one of the region values
        a, b = s0 + nm.start(), s0 + nm.end()
        if any(x <= a < y for x, y in done):
            continue
        number = Number.of(nm.group(1), nm.group(2))
        if not number.percent and number.decimals == 0:
            continue  # a bare count ("2 regions") is handled by the count check or is not a fact
        pool = [f.probability, *(v for r in f.regions for v in (r.saliency_share, r.area, r.p_only, r.p_removed))]
        claims.append(_claim(text, a, b, "number", any(number.matches(v) for v in pool),
                             "matches " + ("a" if any(number.matches(v) for v in pool) else "no") + " region value"))
    claims.sort(key=lambda c: (c.start, c.end))
    return claims

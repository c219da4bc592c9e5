"""Claim-by-claim verification of a text against a fact sheet: the part no peer has.

A text is split into claims that can be checked mechanically:

- **number**: a percentage ("76%", "76 percent") or a decimal ("0.76"). Its clause's keywords
  choose which fact-sheet values it may refer to (probabilities, saliency shares, the segment's
  area, AUCs); it is *supported* when one of them equals it at the printed precision (76% matches
  0.755..0.765), *contradicted* when none does. Bare integers ("3 regions") are *unverifiable*.
- **label**: the predicted label or a top-5 alternative, or any quoted class name. In a clause
  that states the prediction ("predicts", "classified as", "identified") the label must be the
  predicted one; in a runner-up clause it must be the first alternative; a quoted class name the
  model did not rank in its top 6 is contradicted.
- **location**: grid words ("upper left", "centre", "left side", "bottom") are supported when the
  cells they name hold the saliency region (the 3 x 3 cell with the most positive saliency) or
  at least 40% of the positive saliency.
- **comparison**: "lowers / drops / falls" or "raises / increases" next to a removal ("removing",
  "without") or keep-only ("only", "alone") phrase compare p(label | segment removed / only) with
  p(label); "most of the saliency … object" needs more than half the saliency inside the segment.
- **object**: mentions of "the object" / "the segment" are supported when a non-empty segment
  exists.

What it cannot check: causal language ("because of its whiskers"), visual details (colours,
textures, parts of the object), anything about data the model was trained on, and numbers whose
clause has no keyword are matched against every fact value (more lenient). Those claims are not
extracted, so a fluent but vague text can score 1.0 on few claims: always read `fidelity` next to
the number of claims.
"""

from __future__ import annotations

import re

from verbalize.core.claims import NUMBER, Number, split_spans
from verbalize.core.types import Claim, Verification
from verbalize.pipeline.image.facts import GRID_WORDS
from verbalize.pipeline.image.regions import region_claims
from verbalize.pipeline.image.types import FactSheet

_CLAUSE_SPLIT = re.compile(r"[;,:()]|\s(?:which|where|while|and|but|whereas)\s", re.I)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+")

_CONTEXTS: dict[str, tuple[str, ...]] = {
    "auc": ("auc", "deletion", "insertion", "curve"),
    "area": ("area", "covers", "covering", "occupies", "size", "of the image", "of the picture"),
    "saliency": ("saliency", "salient", "attention", "attribution", "evidence", "focus", "importance", "heat"),
    "probability": ("probab", "confiden", "sure", "certain", "likely", "chance", "runner-up", "predict", "score",
                    "gives", "drops", "falls", "rises", "lowers", "raises"),
}

_PREDICTION_WORDS = re.compile(r"\b(predict\w*|classif\w*|identif\w*|recogni\w*|labels? (?:it|this|the image)|thinks)\b", re.I)
_RUNNER_UP_WORDS = re.compile(r"\b(runner-up|second|next most likely|next best)\b", re.I)
_DOWN = re.compile(r"\b(lower\w*|drop\w*|fall\w*|falls|decreas\w*|reduc\w*|less|declin\w*|collapse\w*)\b", re.I)
_UP = re.compile(r"\b(rais\w*|rise\w*|rises|increas\w*|higher|more likely|grow\w*|boost\w*)\b", re.I)
_REMOVED = re.compile(r"\b(remov\w*|without|delet\w*|hid\w*|mask\w* out|taken away|erase\w*)\b", re.I)
_ONLY = re.compile(r"\b(only|alone|just the|keeping)\b", re.I)
_MOST_IN_OBJECT = re.compile(r"\bmost (?:of )?(?:the )?(?:positive )?(?:saliency|attention|evidence)\b[^.]*\b(object|segment)", re.I)
_OBJECT = re.compile(r"\b(the|that|this) (object|segment|segmented (?:object|region))\b", re.I)

_LOCATIONS: dict[str, set[tuple[int, int]]] = {}
for _r, _row in enumerate(GRID_WORDS):
    for _c, _word in enumerate(_row):
        _LOCATIONS[_word] = {(_r, _c)}
_ROWS = {"upper": 0, "top": 0, "lower": 2, "bottom": 2}
_COLS = {"left": 0, "right": 2}
for _rw, _ri in _ROWS.items():
    for _cw, _ci in _COLS.items():
        _LOCATIONS[f"{_rw} {_cw}"] = {(_ri, _ci)}
        _LOCATIONS[f"{_rw}-{_cw}"] = {(_ri, _ci)}
    _LOCATIONS[f"{_rw} centre"] = _LOCATIONS[f"{_rw} center"] = {(_ri, 1)}
    _LOCATIONS[f"{_rw} half"] = _LOCATIONS[f"{_rw} part"] = _LOCATIONS[_rw] = {(_ri, c) for c in range(3)}
for _cw, _ci in _COLS.items():
    _LOCATIONS[f"centre {_cw}"] = _LOCATIONS[f"center {_cw}"] = _LOCATIONS[f"middle {_cw}"] = {(1, _ci)}
    for _suffix in (" side", " half", " part", " edge"):
        _LOCATIONS[f"{_cw}{_suffix}"] = {(r, _ci) for r in range(3)}
_LOCATIONS["center"] = _LOCATIONS["middle"] = _LOCATIONS["centre"]
_LOCATION_RE = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _LOCATIONS), key=len, reverse=True)) + r")\b", re.I)


def _fact_values(f: FactSheet) -> dict[str, list[float]]:
    grid = [v for row in f.saliency_grid for v in row]
    return {
        "probability": [f.probability, f.p_segment_only, f.p_segment_removed, *(a.probability for a in f.alternatives)],
        "saliency": [f.saliency_in_segment, *grid],
        "area": [f.segment_area],
        "auc": [f.deletion_auc, f.insertion_auc],
    }


def _context(clause: str) -> str | None:
    lowered = clause.lower()
    for name, words in _CONTEXTS.items():
        if any(w in lowered for w in words):
            return name
    return None


def _spans(text: str, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    return split_spans(text, pattern) or [(0, len(text))]


def _number_claims(text: str, s0: int, sentence: str, f: FactSheet) -> list[Claim]:
    values = _fact_values(f)
    claims = []
    for c0, c1 in _spans(sentence, _CLAUSE_SPLIT):
        clause = sentence[c0:c1]
        ctx = _context(clause) or _context(sentence)
        for m in NUMBER.finditer(clause):
            raw, unit = m.group(1), m.group(2)
            start, end = s0 + c0 + m.start(), s0 + c0 + m.end()
            number = Number.of(raw, unit)
            places, claimed, percent = number.decimals, number.value, number.percent
            if not percent and places == 0:
                claims.append(Claim(text=text[start:end].strip(), kind="number", start=start, end=end,
                                    status="unverifiable", reason="a bare count or size: not on the fact sheet"))
                continue
            if not percent and claimed > 1:
                claims.append(Claim(text=text[start:end].strip(), kind="number", start=start, end=end,
                                    status="unverifiable", reason="not a share or probability"))
                continue
            pool = values[ctx] if ctx else [v for vs in values.values() for v in vs]
            ok = any(number.matches(v) for v in pool)
            claims.append(Claim(
                text=text[start:end].strip(), kind="number", start=start, end=end,
                status="supported" if ok else "contradicted",
                reason=f"{'matches' if ok else 'matches no'} {ctx or 'fact-sheet'} value"
                       + ("" if ok else f" ({', '.join(f'{v:.4g}' for v in pool[:6])})"),
            ))
    return claims


def _label_claims(text: str, s0: int, sentence: str, f: FactSheet, class_names: list[str]) -> list[Claim]:
    ranked = {f.label.lower(): 0, **{a.label.lower(): i + 1 for i, a in enumerate(f.alternatives)}}
    quoted = {m.group(1).lower() for m in re.finditer(r"[\"'“‘«]([^\"'”’»]{2,60})[\"'”’»]", sentence)}
    candidates = set(ranked) | {n.lower() for n in class_names if n.lower() in quoted}
    claims = []
    taken: list[tuple[int, int]] = []
    for name in sorted(candidates, key=len, reverse=True):
        for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", sentence, re.I):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            taken.append((m.start(), m.end()))
            clause = next(sentence[a:b] for a, b in _spans(sentence, _CLAUSE_SPLIT) if a <= m.start() < b + 1)
            rank = ranked.get(name)
            if rank is None:
                status, reason = "contradicted", "not among the model's top 6 classes"
            elif _RUNNER_UP_WORDS.search(clause):
                ok = rank == 1
                status, reason = ("supported", "the runner-up") if ok else ("contradicted", f"the runner-up is {f.alternatives[0].label if f.alternatives else 'none'}")
            elif _PREDICTION_WORDS.search(clause):
                ok = rank == 0
                status, reason = ("supported", "the predicted label") if ok else ("contradicted", f"the prediction is {f.label}")
            else:
                status, reason = "supported", "the predicted label" if rank == 0 else f"alternative #{rank}"
            start, end = s0 + m.start(), s0 + m.end()
            claims.append(Claim(text=text[start:end], kind="label", start=start, end=end, status=status, reason=reason))
    return claims


def _location_claims(text: str, s0: int, sentence: str, f: FactSheet) -> list[Claim]:
    claims = []
    region = next((r, c) for r, row in enumerate(GRID_WORDS) for c, w in enumerate(row) if w == f.saliency_region)
    for m in _LOCATION_RE.finditer(sentence):
        cells = _LOCATIONS[m.group(1).lower()]
        share = sum(f.saliency_grid[r][c] for r, c in cells)
        ok = region in cells or share >= 0.4
        start, end = s0 + m.start(), s0 + m.end()
        claims.append(Claim(text=text[start:end], kind="location", start=start, end=end,
                            status="supported" if ok else "contradicted",
                            reason=f"{share:.0%} of the positive saliency there; most is in the {f.saliency_region}"))
    return claims


def _comparison_claims(text: str, s0: int, sentence: str, f: FactSheet) -> list[Claim]:
    claims = []
    for pattern, direction in ((_DOWN, "down"), (_UP, "up")):
        for m in pattern.finditer(sentence):
            before = sentence[: m.start()]
            removed = [x.end() for x in _REMOVED.finditer(before)]
            only = [x.end() for x in _ONLY.finditer(before)]
            if not removed and not only:
                continue
            if removed and (not only or removed[-1] > only[-1]):
                value, what = f.p_segment_removed, "with the object removed"
            else:
                value, what = f.p_segment_only, "with only the object kept"
            ok = value < f.probability if direction == "down" else value > f.probability
            start, end = s0 + m.start(), s0 + m.end()
            claims.append(Claim(text=text[start:end], kind="comparison", start=start, end=end,
                                status="supported" if ok else "contradicted",
                                reason=f"p {what} = {value:.4g} vs {f.probability:.4g}"))
    for m in _MOST_IN_OBJECT.finditer(sentence):
        ok = f.saliency_in_segment > 0.5
        start, end = s0 + m.start(), s0 + m.end()
        claims.append(Claim(text=text[start:end], kind="comparison", start=start, end=end,
                            status="supported" if ok else "contradicted",
                            reason=f"{f.saliency_in_segment:.0%} of the positive saliency is inside the segment"))
    return claims


def _object_claims(text: str, s0: int, sentence: str, f: FactSheet) -> list[Claim]:
    claims = []
    for m in _OBJECT.finditer(sentence):
        start, end = s0 + m.start(), s0 + m.end()
        ok = f.segment_area > 0
        claims.append(Claim(text=text[start:end], kind="object", start=start, end=end,
                            status="supported" if ok else "contradicted",
                            reason=f"a {f.segment_method} segment covering {f.segment_area:.0%} of the image"))
    return claims


def verify_text(text: str, facts: FactSheet, class_names: list[str] | None = None) -> Verification:
    """Extract the checkable claims of `text` and mark each against `facts`."""
    claims: list[Claim] = []
    pos = 0
    for sentence in _SENTENCE_SPLIT.split(text):
        s0 = text.index(sentence, pos) if sentence else pos
        pos = s0 + len(sentence)
        claims += _label_claims(text, s0, sentence, facts, class_names or [])
        if (about_regions := region_claims(text, s0, sentence, facts)) is not None:  # several objects: regions.py
            claims += about_regions
            continue
        label_spans = [(c.start, c.end) for c in claims if c.kind == "label"]
        claims += [c for c in _number_claims(text, s0, sentence, facts)
                   if not any(a <= c.start < b for a, b in label_spans)]
        claims += _location_claims(text, s0, sentence, facts)
        claims += _comparison_claims(text, s0, sentence, facts)
        claims += _object_claims(text, s0, sentence, facts)
    claims.sort(key=lambda c: (c.start, c.end))
    return Verification(claims=claims)

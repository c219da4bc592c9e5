"""Claim-by-claim verification of a text against a fact sheet: the part no peer has.

Each sentence is read into claims bound to their **subject** (the predicted label, a ranked
alternative, any class name of the model, the object/segment, the background, a grid region) and
checked against exactly one **fact** of the sheet. The rules and thresholds are those of
`bench/verifier/README.md` ("Tolerances"); each claim's reason states the rule it was checked by.

- **probability** numbers: bound to the class named in their clause (nearest mention) and to the
  clause's condition: "with the object removed … 80%" is p(label | object removed), "only the
  object … 84%" is p(label | object only), "80% … tiger cat" is p(tiger cat). A class outside the
  model's top 6 has at most the sixth probability. A number bound to no class is p(label).
- **numbers** as written: digits, percentages, decimals, spelled-out percentages ("eighty-five
  percent"), fractions and quantity words ("a third", "most", "nearly all", "less than half") and
  hedges ("about" ±5 points, "nearly" up to 5 points below, "over"/"under" strict); exact numbers
  match at their printed precision.
- **shares**: saliency in the segment, in a named grid cell or band; the segment's area; deletion
  and insertion AUC (and which one is higher).
- **label**: a class named after a prediction phrase ("predicts", "classifies … as", "top guess",
  "best guess", "answer") must be the predicted label; after a runner-up phrase, the runner-up;
  "does not predict X" is true when X is not the label. Class names are read unquoted, case- and
  plural-insensitively (all 1000 ImageNet names for the embedded model).
- **change** of p(label) when the object is removed or kept alone (Δ = p_after − p): "barely /
  hardly / only slightly changes" |Δ| < 0.05; "stays / remains / roughly unchanged / does little"
  |Δ| < 0.10; "lowers / drops / falls / decreases / less sure" Δ < −0.02; "collapses / plummets /
  drops sharply" Δ ≤ −0.30 or p_after < p/2; "raises / increases / boosts" Δ > +0.02. A negated
  verb flips the claim ("does not lower"); "does not change much" means "stays".
- **location**: a cell ("upper left", "centre") or band ("left side", "top", "bottom row") is
  right when it holds the saliency region or ≥ 40% of the positive saliency.
- **object vs background**: "on the object rather than the background" is true when more than
  half of the positive saliency is in the segment; "on the background rather than the object"
  when less than half is.
- **cited facts**: a number followed by a fact id as our LLM/VLM prompts ask (``84% [p_only]``) is
  checked against exactly that fact; a wrong id is reported as a wrong citation.

What it cannot check: causal language ("because of its whiskers"), visual details, the training
data. Such sentences give no claims, so a vague text can score 1.0 on few claims: always read
`fidelity` next to the number of claims.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from verbalize.adapters.imagenet import imagenet_labels
from verbalize.core.claims import Quantity, quantities, sentence_spans, split_spans
from verbalize.core.errors import UserError
from verbalize.core.types import Claim, Verification
from verbalize.pipeline.image.ranking import ranking_claims
from verbalize.pipeline.image.regions import region_claims
from verbalize.pipeline.image.types import GRID_WORDS, Explanation, FactSheet


@lru_cache(maxsize=1)
def imagenet_class_names() -> tuple[str, ...]:
    """The 1000 ImageNet class names of the embedded model, read without importing torch (adapters.imagenet)."""
    return tuple(imagenet_labels())


VARIANTS = {"tabby": ("tabby cat",), "Egyptian cat": ("Egyptian Mau",), "moped": ("motorized bicycle",),
            "motor scooter": ("scooter",), "military uniform": ("army uniform",), "beacon": ("lighthouse",)}
"""Common ways a writer names a class differently from its label."""

GENERIC_NAMES = {"mask", "screen", "monitor", "window screen", "switch", "plate", "web site", "envelope",
                 "shield", "space bar", "book jacket", "comic book", "jigsaw puzzle", "crossword puzzle",
                 "menu", "grid"}
"""Class names that are also words of an explanation ("the object mask"): read only when ranked or quoted."""

_CLAUSE = re.compile(r";|,\s+(?:and|which|while|but|whereas|then|with|followed by|ahead of|behind|after|trailing|yet|so|the rest|"
                     r"the remainder)\s|"
                     r"(?<!everything)(?<!nothing)(?<!anything)(?<!\ball)\sbut\s|\s(?:whereas|while|yet)\s", re.I)
_NEGATION = re.compile(r"\b(?:not|never|no longer|n't)\b|\w+n't\b", re.I)

_FACT_AUC = re.compile(r"\b(deletion|insertion)\b", re.I)
_AUC = re.compile(r"\b(auc|area under|curve)\b", re.I)
_SALIENCY = re.compile(r"\b(saliency|salient (?:cell|part|region|area)|attention|attribution|evidence|heat ?map|heat|activations?|"
                       r"relevance|(?:grad-?cam|eigen-?cam|cam|saliency|attribution|heat|activation) mass|warm colou?rs|hot colou?rs|overlay|"
                       r"(?:red|bright|hot|warm) (?:region|area|spot|zone|part)s?|"
                       r"hot ?spot|highlight\w*|grid)\b", re.I)
_AREA = re.compile(r"\b(covers?|covering|fills?|filling|occup\w+|takes? up|area|size)\b|\bof the (?:image|picture|"
                   r"frame|photo)\b", re.I)
_PROBABILITY = re.compile(r"\b(probab\w*|confiden\w*|sure|certain|likely|chance|predict\w*|gets?|gives?|yields?|"
                          r"receives?|scores?|assigns?|keeps?|leaves?)\b", re.I)
_ONLY = re.compile(r"\b(?:only (?:the|its|this|that|a)\b|isolat\w+ (?:the|its|that|this)\b|(?:segment|object|mask|region)[- ]only\b|"
                   r"isolated\b|keep(?:s|ing)? (?:only |just )?(?:the|its)\b(?=[^.;]{0,40}\b(?:blurr?\w*|mask\w*|remov\w*|hid\w*|grey\w*|"
                   r"gray\w*)\s+(?:the )?(?:rest|background|remainder|everything else))|nothing (?:but|except)\b|crop(?:s|ped|ping)? (?:the image |the picture )?(?:down )?to (?:the|its)\b|just (?:the|its)\b|alone\b|on (?:its|their) own|by itself|"
                   r"in isolation|everything (?:but|except|else)\b|all but\b)", re.I)
_REMOVED = re.compile(r"\b(?:remov\w*|without|tak(?:e|es|ing|en) (?:the |its |this |that )?\w+ away|take away|replac(?:e|es|ed|ing)|blank(?:s|ed|ing)? out|paint(?:s|ed|ing)? (?:\w+ ){0,4}?over|"
                      r"grey(?:s|ed|ing)? out|gray(?:s|ed|ing)? out|(?:mean|grey|gray|black|blur|noise|zero)"
                      r"[- ]fill(?:ed|ing|s)?|fill(?:s|ed|ing)? (?:(?:the|its|this|that) )?(?:\w+ )?(?:in )?with (?:the |a |flat )?(?:mean|grey|gray|black|"
                      r"blur|noise|average)|delet(?!ion\b)\w*|hid(?:e|es|den|ing)|mask(?:ed|ing)?(?! (?:test|experiment|analysis|check|study|procedure|method))(?: out)?|blurr?(?:ed|ing)?"
                      r"(?: out)?|covered|covering|eras\w+|taken away|occlud\w*|cut out)\b", re.I)
_PRED = re.compile(r"\b(decided|outputs?|returns?|(?:is |are )?most (?:confident|sure|certain)(?: that)? (?:it is|it's|this is|the image shows|of)|(?:reads?|takes?|took|treats?|treated|interprets?|interpreted|views?|viewed|pegs?|pegged|picks?|picked)"
                   r"\b(?=[^.;]{0,40}\bas\b)|chooses?|chose|goes with|went with|opts? for|according to the (?:model|classifier|network)|conclud\w+|settles? on|settled on|verdict|(?:most likely|probably) shows|predict(?:s|ed|ion)?|classif(?:ies|ied|y|ication)|top (?:guess|class|prediction|choice|label|"
                   r"answer)|best guess|answer|thinks?|labels?|labelled|decides?|comes? out on top|identif\w+|"
                   r"recogni[sz]\w*|sees?|output)\b", re.I)
_RUNNER = re.compile(r"\b(runner-up|runner up|second(?: choice| most likely| guess| place| best)?|next most likely|"
                     r"next best)\b", re.I)
_POSSIBLE = re.compile(r"\b(?:might|could|may)(?: also)? be\b|\balternatives?\b|\bother candidates?\b|"
                       r"\b(?:also )?consider(?:s|ed)?\b|\bruns? (?:second|third)\b", re.I)
_BACKGROUND = re.compile(r"\b(background|surroundings|backdrop|scenery|sky|surrounding (?!the\b|it\b|them\b)\w+|(?<=\w )(?:around|behind) (?:it|them))\b",
                         re.I)
_OUTSIDE = re.compile(r"\b(background|surroundings|backdrop|outside (?:of )?(?:the|its|this) \w+)\b", re.I)
_OBJECT_DRIVES = re.compile(r"(?:\b(?:driven|dominated|carried) (?:mostly |mainly |largely )?by|\b(?:rel(?:ies|y|ied|ying)|rests?|"
                            r"depends?|focus(?:es|ed)?|concentrates?) (?:mostly |mainly |largely )?on|\bcomes? (?:mostly |mainly )?from)"
                            r"\s+(?:the\s+)?(?:segmented\s+)?(?P<o>object|segment|foreground|mask)\b", re.I)
"""What drives the prediction, when a sentence names only the object: "is not driven by the segmented object"."""
_VERSUS = re.compile(r"\b(rather than|more than|than|instead of|edges? out|outweighs?|beats?|dominates?|wins? over|trumps?)\b"
                     r"(?!\s+(?:half|a third|a quarter|a fifth|a tenth|two-thirds|three quarters|\d|one|two|three|four|five|ten|"
                     r"twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety))|,?\s\bnot\b|\s>\s?", re.I)
_CITATION = re.compile(r"\s*[\[(]\s*([a-z][a-z0-9_]*)\s*[\])]")

_CHANGE = [  # (pattern, rule name, test on (p, p_after), threshold in words)
    (re.compile(r"\b(barely|hardly|only slightly|slightly|essentially unchanged|practically unchanged|"
                r"almost unchanged|(?:almost|practically|virtually|largely) untouched)\b", re.I), "barely", lambda p, a: abs(a - p) < 0.05, "|Δ| < 0.05"),
    (re.compile(r"\b((?<!only the )(?<!just the )stays?|remains?|still (?=(?:\w+ ){0,2}(?:confident|sure|certain|predicts|picks|says|"
                r"calls|sees|believes|recogni[sz]es|identifies|high|around|about|at)\b)|holds? (?:steady|firm|up)|held (?:steady|firm|up)|roughly unchanged|largely unchanged|does little|do little|keeps?\b[^.;]{0,50}?\b(?:about|"
                r"roughly|more or less|much|largely|essentially) the same|(?:more or less|roughly|about) where it was|change\w*(?:\s+[\w']+){0,4}\s+much)\b",
                re.I), "stays", lambda p, a: abs(a - p) < 0.10, "|Δ| < 0.10"),
    (re.compile(r"\b(collaps\w*|plummet\w*|sharply|drastically|dramatically|steeply|crash\w*|wipes? out|wiped out|"
                r"destroys?|destroyed)\b", re.I), "collapses",
     lambda p, a: a - p <= -0.30 or a < 0.5 * p, "Δ ≤ −0.30 or p_after < p/2"),
    (re.compile(r"\b((?:much|far|a lot|considerably|significantly|substantially|markedly) (?:less (?:sure|confident|certain|likely)|"
                r"lower)|(?:drops?|dropped|falls?|fell|declines?|declined) (?:considerably|significantly|substantially|markedly|a lot))\b",
                re.I), "drops a lot", lambda p, a: a - p <= -0.10, "Δ ≤ −0.10"),
    (re.compile(r"\b(lower(?:s|ed|ing)?(?! (?:left|right|centre|center|part|half|row|third))|drops?|dropped|falls?|fell|"
                r"reduc\w*|decreas\w*|less (?:sure|confident|certain|likely)|declin\w*|loses? (?:its |much of its )?confidence|"
                r"(?:drag|pull|knock|bring|push)\w* (?:\w+ ){0,3}?down|tank\w*|sinks?|sank|dips?|dipped|slides?|slid)\b", re.I),
     "lowers",
     lambda p, a: a - p < -0.02, "Δ < −0.02"),
    (re.compile(r"\b(rais\w*|rises?|rose|increas\w*|boost\w*|jumps?|lifts?|lifted|more (?:sure|confident|certain|likely))\b",
                re.I),
     "raises", lambda p, a: a - p > 0.02, "Δ > +0.02"),
]

_CELLS: dict[str, set[tuple[int, int]]] = {}
for _r, _row in enumerate(GRID_WORDS):
    for _c, _word in enumerate(_row):
        _CELLS[_word] = _CELLS[_word.replace("centre", "center")] = {(_r, _c)}
for _rw, _ri in {"upper": 0, "top": 0, "lower": 2, "bottom": 2}.items():
    for _cw, _ci in {"left": 0, "right": 2}.items():
        _CELLS[f"{_rw} {_cw}"] = _CELLS[f"{_rw}-{_cw}"] = {(_ri, _ci)}
    for _mid in ("centre", "center", "middle"):
        _CELLS[f"{_rw} {_mid}"] = _CELLS[f"{_rw}-{_mid}"] = {(_ri, 1)}
    for _suffix in (" half", " part", " third", " row", " band", " edge", " strip", " portion"):
        _CELLS[f"{_rw}{_suffix}"] = {(_ri, c) for c in range(3)}
    if _rw in ("top", "bottom"):
        _CELLS[f"{_rw} of the"] = {(_ri, c) for c in range(3)}
for _cw, _ci in {"left": 0, "right": 2}.items():
    _CELLS[f"middle {_cw}"] = _CELLS[f"middle-{_cw}"] = _CELLS[f"centre-{_cw}"] = _CELLS[f"center-{_cw}"] = {(1, _ci)}
    for _suffix in (" side", " half", " part", " third", " column", " edge", " strip", " portion", "-hand side", " hand side",
                    "-hand column", "-hand third", "-hand edge"):
        _CELLS[f"{_cw}{_suffix}"] = {(r, _ci) for r in range(3)}
_CELLS["middle row"] = _CELLS["middle horizontal band"] = _CELLS["middle band"] = {(1, c) for c in range(3)}
_CELLS["central row"] = _CELLS["central band"] = _CELLS["central horizontal band"] = {(1, c) for c in range(3)}
_CELLS["central column"] = _CELLS["central vertical band"] = _CELLS["central third"] = {(r, 1) for r in range(3)}
_CELLS["central cell"] = {(1, 1)}
_CELLS["centre column"] = _CELLS["middle column"] = _CELLS["center column"] = {(r, 1) for r in range(3)}
_CELLS["middle"] = _CELLS["centre"]
_PEERS = {1: [{(r, c)} for r in range(3) for c in range(3)],
          3: [{(r, c) for c in range(3)} for r in range(3)] + [{(r, c) for r in range(3)} for c in range(3)]}
"""The places a cell or a band is compared with when a sentence calls it the least salient."""
_LEAST_SALIENT = re.compile(r"\b(?:least|lowest|weakest|faintest|smallest|coolest|dimmest)\b[^.;]{0,30}\b(?:attention|saliency|"
                            r"heat|evidence|activation|importance|weight|share)\b|\b(?:least|lowest|weakest|faintest|coolest|"
                            r"dimmest) (?:salient|attended|activated)\b", re.I)
"""A sentence that names the weakest place of the saliency grid, not the strongest."""
_LITTLE_SALIENT = re.compile(r"\b(?:almost|nearly|next to|virtually|practically)? ?(?:no|none of the|nothing)\b[^.;]{0,20}\b(?:saliency|"
                             r"attention|heat|activation|evidence|weight)|\b(?:little|hardly any|barely any|scarcely any|very little)\s+"
                             r"(?:of the )?(?:saliency|attention|heat|activation|evidence|weight)|\b(?:nearly |almost |mostly |largely )?"
                             r"(?:dark|dim|cold|cool|quiet|empty|blank)\b", re.I)
"""A place said to get little saliency ("the right column gets almost no saliency", "the corner is nearly dark")."""
_GETS_NOTHING = re.compile(r"\s+(?:\w+\s+){0,2}?(?:contribut\w+|gets?|getting|receiv\w+|holds?|has|sees?|shows?)\s+(?:almost |nearly |"
                           r"next to |virtually |practically |essentially )?(?:nothing|none|no\b|little|hardly any|barely any)", re.I)
"""A place followed by what it gets: "the top row contributing almost nothing", "the top row gets none"."""


_COMMAS = re.compile(r"[,;]")
_PARTS = re.compile(r"[,;]|\s(?:and|but|while|whereas|not)\s", re.I)


def _part(s: str, a: int, b: int, bounds: re.Pattern[str] = _COMMAS) -> str:
    """The part of a sentence around s[a:b] between two `bounds` (commas and semicolons; with `_PARTS` also 'and / but /
    while / not': "two thirds of the saliency is on the person and a third on the surroundings" has two parts)."""
    left = max([0, *(m.end() for m in bounds.finditer(s[:a]))])
    right = next((b + m.start() for m in bounds.finditer(s[b:])), len(s))
    return s[left:right]


_TOGETHER = re.compile(r"\b(?:together|combined|between them|jointly|in total|taken together)\b", re.I)
"""Places named together hold one share: "the centre and middle-left cells together hold over 60%"."""


def _places(sentence: str, first: re.Match[str]) -> set[tuple[int, int]]:
    """The cells a location names; with "together", the union of every place the sentence names."""
    if not _TOGETHER.search(sentence):
        return _CELLS[first.group(1).lower()]
    return {cell for m in _LOCATION.finditer(sentence) for cell in _CELLS[m.group(1).lower()]}


_LOCATION = re.compile(r"(?<![\w-])(" + "|".join(sorted(map(re.escape, _CELLS), key=len, reverse=True)) + r")(?![\w-])",
                       re.I)


def fact_ids(f: FactSheet) -> dict[str, tuple[str, float]]:
    """Each number of the sheet under a short id (the ids our LLM/VLM prompts cite): id → (what, value)."""
    ids = {"p_label": (f"p({f.label})", f.probability)}
    for i, a in enumerate(f.alternatives, 1):
        ids[f"p_alt{i}"] = (f"p({a.label})", a.probability)
    ids |= {
        "p_only": (f"p({f.label} | object only)", f.p_segment_only),
        "p_removed": (f"p({f.label} | object removed)", f.p_segment_removed),
        "saliency_in_segment": ("saliency share in the segment", f.saliency_in_segment),
        "segment_area": ("segment area", f.segment_area),
        "deletion_auc": ("deletion AUC", f.deletion_auc),
        "insertion_auc": ("insertion AUC", f.insertion_auc),
    }
    return ids


@dataclass(frozen=True)
class _Mention:
    name: str  # the class label as the model spells it
    start: int
    end: int


@lru_cache(maxsize=8)
def _class_pattern(names: tuple[str, ...]) -> tuple[re.Pattern[str], dict[str, str]]:
    """One regex over every spelling of `names` (compiling ~1000 labels takes ~50 ms: once per label set)."""
    forms: dict[str, str] = {}
    for n in names:
        for v in (n, *VARIANTS.get(n, ())):
            low = v.casefold()
            forms.setdefault(low, n)
    alt = "|".join(re.escape(x) for x in sorted(forms, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])({alt})(?:e?s)?(?![\w-])", re.I), forms


_AFTER_SALIENCY = re.compile(r"\s*%?\s*(?:of\s+)?(?:the\s+|its\s+|all\s+)?(?:positive\s+)?(?:saliency|attention|heat|attribution|"
                             r"evidence|activation|relevance|highlight\w*|overlay|warm colou?rs)\b", re.I)
_AFTER_AREA = re.compile(r"\s*%?\s*of\s+(?:the\s+)?(?:image|picture|frame|photo|pixels)\b", re.I)
_AFTER_PROBABILITY = re.compile(r"\s*%?\s*(?:confidence|probability|certainty|chance|likelihood|sure|certain|confident)\b", re.I)
_REMOVED_SALIENT = re.compile(r"\b(?:remov\w*|mask\w*|grey(?:ing|ed)? out|gray(?:ing|ed)? out|blurr?\w*(?: out)?|paint\w*(?: over)?|"
                              r"hid\w*|occlud\w*|delet\w*|cover\w*|blank\w*(?: out)?|isolat\w*|keep\w*|kept)\s+(?:the |that |this )?"
                              r"(?:most )?(?:highlighted|salient|hot|red|warm|bright)\s+(?:region|patch|area|part|pixels|spot|zone)s?", re.I)


def _what_number(s: str, q: Quantity, c0: int) -> str | None:
    """The words that say what a number measures, when they stand right next to it: after it ("two-thirds of the
    saliency", "84% confidence"), else right before it ("its area share (47%)", "the score dropped to 1%")."""
    after = s[q.end: q.end + 40]
    if _AFTER_SALIENCY.match(after):
        return "saliency"
    if _AFTER_AREA.match(after):
        return "area of the image"
    if _AFTER_PROBABILITY.match(after):
        return "probability"
    local = s[max(c0, q.start - 25): q.start]
    found = [w for w, p in (("saliency", _SALIENCY), ("area of the image", _AREA), ("probability", _PROBABILITY)) if p.search(local)]
    return found[0] if len(found) == 1 else None


_BRACKET = r"\s*\(\s*(?:p\s*=\s*)?"
"""What stands between a class and the number in brackets after it: "espresso (0.86)", "cat (p = 0.80)"."""


def _is_object(sentence: str, m: _Mention) -> bool:
    """Whether a class mention names the kept or removed object ("when only the cup is kept"), not a prediction."""
    return bool(re.search(r"(?:only|just|without|remov\w+|mask\w*(?: out)?|blurr\w*(?: out)?|hid\w+|delet\w+|cover\w*|isolat\w+|"
                          r"keep\w*|kept|crop\w*(?: to)?|blank\w*(?: out)?)\s+(?:the|its|this|that)\s*(?:\w+\s+)?$",
                          sentence[max(0, m.start - 30): m.start], re.I)
                or re.match(r"\s+(?:alone|on its own|by itself|is (?:masked|removed|blurred|hidden|covered|kept|isolated))",
                            sentence[m.end:], re.I))


def _mentions(sentence: str, f: FactSheet, names: Sequence[str]) -> list[_Mention]:
    ranked = {f.label, *(a.label for a in f.alternatives)}
    # The pattern is keyed on the label set alone (not on this sheet's ranking), so it compiles once per
    # model; a spelling two labels share names the ranked one, as when the ranked labels came first.
    known = tuple(names)
    pattern, shared = _class_pattern((*known, *sorted(ranked.difference(known))))
    forms = dict(shared)
    for n in ranked:
        for v in (n, *VARIANTS.get(n, ())):
            forms[v.casefold()] = n
    out = []
    for m in pattern.finditer(sentence):
        name = forms[m.group(1).casefold()]
        quoted = m.start() > 0 and sentence[m.start() - 1] in "\"'“‘«"
        if name in GENERIC_NAMES and name not in ranked and not quoted:
            continue
        if not quoted and re.match(r"\s+(?:up|out|off|over|into|away|apart)\b", sentence[m.end():], re.I):
            continue  # "picks up 17%": a verb with its particle, not the class 'pick'
        out.append(_Mention(name, m.start(), m.end()))
    return out


class _Checker:
    """Reads one text against one fact sheet; `claims` collects the result."""

    def __init__(self, text: str, f: FactSheet, names: Sequence[str]) -> None:
        self.text, self.f, self.names = text, f, names
        self.ranking = f.ranking()  # the prediction first, also when the sheet explains a chosen class
        self.rank = {name: i for i, name in enumerate(self.ranking)}
        self.alt_id = {a.label: i for i, a in enumerate(f.alternatives, 1)}  # p_alt<i>, the fact ids
        self.prob = {f.label: f.probability, **{a.label: a.probability for a in f.alternatives}}
        self.claims: list[Claim] = []
        self.ids = fact_ids(f)

    def add(self, start: int, end: int, kind: str, ok: bool | None, reason: str, subject: str | None = None,
            fact: str | None = None) -> None:
        status = "unverifiable" if ok is None else "supported" if ok else "contradicted"
        self.claims.append(Claim(text=self.text[start:end].strip(), kind=kind, start=start, end=end, status=status,
                                 reason=reason, subject=subject, fact=fact))

    # -- one sentence ------------------------------------------------------------------------------

    def sentence(self, s0: int, s1: int) -> None:
        s = self.text[s0:s1]
        mentions = _mentions(s, self.f, self.names)
        clauses = split_spans(s, _CLAUSE) or [(0, len(s))]
        background = _BACKGROUND.search(s)
        ranked = ranking_claims(self.text, s0, s, self.f)  # --method best: methods and their AUCs
        self.claims += ranked
        if (about_regions := region_claims(self.text, s0, s, self.f)) is not None:  # several objects: regions.py
            self.claims += about_regions
            self.labels(s0, s, mentions)
            return
        taken = [(c.start - s0, c.end - s0) for c in ranked]
        qs = [q for q in quantities(s)
              if not self._inside_citation_id(s, q) and not any(a <= q.start < b for a, b in taken)]
        for q in qs:
            c0, c1 = next(((a, b) for a, b in clauses if a <= q.start < b), clauses[-1])
            self.quantity(s0, s, q, (c0, c1), mentions, skip_shares=bool(background and _VERSUS.search(s)))
        self.labels(s0, s, mentions)
        if background:
            self.object_vs_background(s0, s, background)
        elif (drives := _OBJECT_DRIVES.search(s)) is not None:  # "the prediction is (not) driven by the segmented object"
            neg = self._negated(s, 0, drives.start())
            share = self.f.saliency_in_segment
            self.add(s0 + drives.start("o"), s0 + drives.end("o"), "object_vs_background", (share > 0.5) != neg,
                     f"{share:.0%} of the positive saliency is in the segment; driven by the object means > 50%"
                     + ("; negated" if neg else ""), subject="the object", fact=f"saliency_in_segment = {share:.4g}")
        for c0, c1 in clauses:
            self.change(s0, s, c0, c1, has_number=any(c0 <= q.start < c1 for q in qs))
        self.locations(s0, s, qs)
        self.auc_order(s0, s)

    @staticmethod
    def _inside_citation_id(s: str, q: Quantity) -> bool:
        return s[max(0, q.start - 1): q.start] == "[" or s[max(0, q.start - 2): q.start].endswith("_")

    def _condition(self, s: str, c0: int, c1: int) -> str | None:
        for text in (s[c0:c1], s):
            only, removed = _ONLY.search(text), _REMOVED.search(text)
            if only and (not removed or re.search(r"everything|all but", only.group(0), re.I)
                         or only.start() < removed.start()):
                return "only"
            if removed:
                if re.match(r"\s*(?:the|its|all the)?\s*(?:background|surroundings|backdrop|context|rest|remainder|everything else)\b",
                            text[removed.end():], re.I) or re.search(r"\b(?:background|surroundings|backdrop|rest|everything (?:around|"
                                                                     r"else|outside)(?: it| them| the \w+)?)\s+(?:is\s+|being\s+)?$",
                                                                     text[:removed.start()], re.I):
                    return "only"  # "without the background", "with the background removed": only the object is left
                return "removed"
        return None

    def _negated(self, s: str, c0: int, c1: int) -> bool:
        return bool(_NEGATION.search(s, c0, c1))

    def _cited(self, s: str, q: Quantity) -> str | None:
        m = _CITATION.match(s, q.end)
        return m.group(1) if m and (m.group(1) in self.ids or "_" in m.group(1) or m.group(1).startswith("p")) else None

    def quantity(self, s0: int, s: str, q: Quantity, span: tuple[int, int], mentions: list[_Mention],
                 skip_shares: bool) -> None:
        c0, c1 = span
        start, end = s0 + q.start, s0 + q.end
        cited = self._cited(s, q)
        if cited is not None:
            if cited not in self.ids:
                self.add(start, end, "citation", False, f"cites [{cited}], which is not on the fact sheet",
                         fact=cited)
                return
            what, value = self.ids[cited]
            self.add(start, end, "citation", q.holds(value),
                     f"cites [{cited}] = {value:.4g}; {q.tolerance()}", subject=what, fact=f"{cited} = {value:.4g}")
            return
        if q.bare:
            self.add(start, end, "number", None, "a bare count or size: not on the fact sheet")
            return
        clause, sentence = s[c0:c1], s
        # a negation negates a number in its own comma-free stretch ("not more than 10%", "most … does not fall")
        a = max([c0, *(c0 + m.end() for m in re.finditer(r"[,:]", s[c0:q.start]))])
        b = next((q.end + m.start() for m in re.finditer(r"[,:]", s[q.end:c1])), c1)
        negated = self._negated(s, a, b)
        # AUC
        if _AUC.search(sentence) and _FACT_AUC.search(sentence):
            names = [m for m in _FACT_AUC.finditer(sentence) if m.start() < q.start] or list(_FACT_AUC.finditer(sentence))
            which = names[-1].group(1).lower() if names[-1].start() < q.start else names[0].group(1).lower()
            self._check(start, end, "auc", q, f"{which}_auc", f"{which} AUC", negated)
            return
        if q.fraction and skip_shares:
            return
        # saliency share: in a named cell/band, else in the segment
        ctx = _what_number(s, q, c0) or next((c for c in (clause, sentence) if _SALIENCY.search(c) or _AREA.search(c)
                                                or _PROBABILITY.search(c)), sentence)
        ctx = _REMOVED_SALIENT.sub(" ", ctx)  # "greying out the highlighted region": the object removed, not a share
        if _SALIENCY.search(ctx) and not re.search(r"\bprobab", ctx, re.I):
            places = [m for m in _LOCATION.finditer(sentence) if not self._non_location(sentence, m)]
            before = [m for m in places if c0 <= m.start() < q.start]  # the place named in the number's own clause, before it
            loc = before[-1] if before else (places[0] if places else None)
            if loc is not None:
                cells = _places(sentence, loc)
                share = sum(self.f.saliency_grid[r][c] for r, c in cells)
                ok = q.holds(share)
                if q.fraction and re.search(r"most|majority|bulk", q.text, re.I):
                    # "most of the evidence is in the centre" names the location (region or ≥ 40%)
                    ok = ok or self._region_cell() in cells or share >= 0.4
                ok = ok != negated
                self.add(start, end, "saliency_share", ok, f"the {loc.group(1)} holds {share:.4g} of the positive "
                         f"saliency; {q.tolerance()}" + ("; negated" if negated else ""),
                         subject=loc.group(1), fact=f"saliency share in the {loc.group(1)} = {share:.4g}")
                return
            if _OUTSIDE.search(_part(s, q.start, q.end, _PARTS)):
                self._complement(start, end, "saliency_share", q, "saliency_in_segment", "the background", negated)
            else:
                self._check(start, end, "saliency_share", q, "saliency_in_segment", "the object", negated)
            return
        if _AREA.search(ctx) and not re.search(r"\bprobab|confiden|sure\b", ctx, re.I):
            if _OUTSIDE.search(_part(s, q.start, q.end, _PARTS)):
                self._complement(start, end, "area", q, "segment_area", "the background", negated)
            else:
                self._check(start, end, "area", q, "segment_area", "the object", negated)
            return
        if q.fraction and not re.search(r"\bprobab|confiden|sure\b", sentence, re.I):
            return  # "most", "half" without saying of what
        condition = self._condition(s, c0, c1)
        subject = self._subject(s, q, mentions, (c0, c1))
        later = next((x for x in quantities(s, q.end, c1) if re.search(r"\bto\s+(?:about |around |roughly |just |only )?$",
                                                                            s[max(q.end, x.start - 20): x.start], re.I)), None)
        if condition is not None and later is not None and any(p.search(s, q.end, later.start) for p, *_ in _CHANGE):
            condition = None  # "the 86% confidence collapses to under 1% when …": the value before the change
        if condition is not None and re.search(r"\b(?:from|original|originally|initial|initially|before|otherwise)\s+"
                                               r"(?:about |around |roughly |some )?$", s[max(0, q.start - 30): q.start], re.I):
            condition = None  # "falls from 80% to 0% when …": the value before the change
        if condition is not None:
            if subject is not None and subject != self.f.label:
                self.add(start, end, "probability", None, f"p({subject}) with the object {condition}: not on the sheet",
                         subject=subject)
                return
            self._check(start, end, "probability", q, "p_only" if condition == "only" else "p_removed",
                        self.f.label, negated)
            return
        subject = subject or self.f.label
        if subject in self.prob:
            fid = "p_label" if subject == self.f.label else f"p_alt{self.alt_id[subject]}"
            self._check(start, end, "probability", q, fid, subject, negated)
            return
        low = self.f.alternatives[-1].probability if self.f.alternatives else self.f.probability
        ok = (q.holds(0.0) or q.holds(low) or q.relation in ("under", "nearly") and q.value <= low
              or q.relation == "exact" and q.value <= low) and not (q.relation == "over" and q.value >= low)
        self.add(start, end, "probability", ok != negated,
                 f"{subject} is not in the model's top {len(self.prob)}, so p({subject}) < {low:.4g}; {q.tolerance()}",
                 subject=subject, fact=f"p({subject}) < {low:.4g}")

    def _subject(self, s: str, q: Quantity, mentions: list[_Mention], clause: tuple[int, int]) -> str | None:
        if not mentions:
            return None
        # the class named as the kept or removed object ("only the cup", "without the cup", "the cup alone",
        # "the cup is masked") is the object, not the subject of the number
        objects = {m.start for m in mentions if _is_object(s, m)}
        # a number in brackets right after a class is that class's ("trails espresso (0.86)"); other numbers are not
        bracketed = {m.start: m for m in mentions if re.match(_BRACKET + r"[-+]?\d", s[m.end:])}
        for m in bracketed.values():
            if re.fullmatch(_BRACKET, s[m.end: q.start]):
                return m.name
        candidates = [m for m in mentions if m.start not in objects and m.start not in bracketed]
        if not candidates:
            return None
        in_clause = [m for m in candidates if clause[0] <= m.start < clause[1]] or candidates
        qs = [x for x in quantities(s) if not x.bare and not x.fraction]
        if len(in_clause) >= 2 and len(qs) == len(in_clause) and q in qs and all(
                m.end <= qs[0].start for m in in_clause):  # "bow tie and suit follow with 17% and 13%"
            return in_clause[qs.index(q)].name
        return min(in_clause, key=lambda m: m.start - q.end if m.start >= q.end else q.start - m.end).name

    def _complement(self, start: int, end: int, kind: str, q: Quantity, fid: str, subject: str, negated: bool) -> None:
        """A share of the background (outside the segment): 1 − the segment's share."""
        what, value = self.ids[fid]
        ok = q.holds(1 - value) != negated
        self.add(start, end, kind, ok, f"outside the segment: 1 − {what} = {1 - value:.4g}; {q.tolerance()}"
                 + ("; negated" if negated else ""), subject=subject, fact=f"1 − {fid} = {1 - value:.4g}")

    def _check(self, start: int, end: int, kind: str, q: Quantity, fid: str, subject: str, negated: bool) -> None:
        what, value = self.ids[fid]
        ok = q.holds(value) != negated
        self.add(start, end, kind, ok, f"{what} = {value:.4g}; {q.tolerance()}" + ("; negated" if negated else ""),
                 subject=subject, fact=f"{fid} = {value:.4g}")

    # -- labels ------------------------------------------------------------------------------------

    def labels(self, s0: int, s: str, mentions: list[_Mention]) -> None:
        if not mentions:
            return
        f = self.f
        chosen: dict[int, tuple[str, int, int]] = {}  # id(mention) → ("runner" | "pred", clause): a frame's class
        for c0, c1 in split_spans(s, _CLAUSE) or [(0, len(s))]:
            runner, pred = _RUNNER.search(s, c0, c1), _PRED.search(s, c0, c1)
            frame = runner or pred
            if frame is None:
                continue
            after = [m for m in mentions if frame.end() <= m.start < c1 and not _is_object(s, m) and not re.search(
                r"(?:rather than|instead of|not|over|than)\s+(?:the\s+|a\s+|an\s+)?$", s[max(0, m.start - 15): m.start], re.I)]
            before = [m for m in mentions if c0 <= m.start and m.end <= frame.start() and re.fullmatch(
                r"[\"'”’»]?\s*(?:,\s*)?(?:is|was|are|gets|got|comes|came|remains|stays)?\s*(?:not\s+)?(?:the\s+)?"
                r"(?:model's\s+|network's\s+|classifier's\s+)?(?:\w+\s+)?(?:(?:that\s+)?(?:the\s+)?(?:model|network|classifier|AI|"
                r"system)\s+)?", s[m.end: frame.start()], re.I)]
            pick = after[0] if after else (before[-1] if before else None)
            if pick is not None:
                chosen[id(pick)] = ("runner" if runner else "pred", c0, c1)
        for m in mentions:
            start, end = s0 + m.start, s0 + m.end
            named_by, c0, c1 = chosen.get(id(m), ("", 0, len(s)))
            if named_by == "runner":
                want = self.ranking[1] if len(self.ranking) > 1 else None
                neg = self._negated(s, c0, c1)
                self.add(start, end, "label", (m.name == want) != neg, f"the runner-up is {want}",
                         subject=m.name, fact=f"runner-up = {want}")
            elif named_by == "pred":
                neg = self._negated(s, c0, c1)
                top = self.ranking[0]  # "the model predicts X" is about the prediction, not a chosen target
                self.add(start, end, "label", (m.name == top) != neg,
                         f"the prediction is {top}" + ("; negated" if neg else ""),
                         subject=m.name, fact=f"label = {top}" if f.predicted else f"prediction = {top}")
            elif m.name in self.rank:
                r = self.rank[m.name]
                self.add(start, end, "label", True, "the predicted label" if r == 0 else f"ranked #{r + 1} by the model",
                         subject=m.name, fact=f"rank of {m.name} = {r}")
            elif _POSSIBLE.search(s) or s[max(0, m.start - 1): m.start] in "\"'“‘«" and m.start > 0:
                # named as a candidate ("might also be", or quoted as a class): must be ranked
                self.add(start, end, "label", self._negated(s, 0, len(s)),
                         f"not among the model's top {len(self.rank)} classes", subject=m.name,
                         fact="top classes: " + ", ".join(self.rank))

    # -- qualitative change ------------------------------------------------------------------------

    def change(self, s0: int, s: str, c0: int, c1: int, has_number: bool) -> None:
        condition = self._condition(s, c0, c1)
        if condition is None or _BACKGROUND.search(s) or _AUC.search(s):
            return  # "the insertion AUC is only slightly above the deletion AUC" compares curves, not a removal
        p = self.f.probability
        after = self.f.p_segment_only if condition == "only" else self.f.p_segment_removed
        fid = "p_only" if condition == "only" else "p_removed"
        negated = self._negated(s, c0, c1)
        found: list[tuple[str, re.Match[str], Any, str]] = []
        for pattern, rule, test, words in _CHANGE:
            m = pattern.search(s, c0, c1)
            if m is None or (rule == "stays" and has_number and not negated):
                continue
            if rule in ("lowers",) and any(r == "collapses" for r, *_ in found):
                continue
            found.append((rule, m, test, words))
        for rule, m, test, words in found:
            neg = negated and not (rule == "stays" and "much" in m.group(0).lower())
            if negated and rule == "stays" and "much" in m.group(0).lower():
                ok = test(p, after)
            else:
                ok = test(p, after) != neg
            self.add(s0 + m.start(), s0 + m.end(), "change", ok,
                     f"p({self.f.label}) {p:.4g} → {after:.4g} with the object {condition}; '{rule}' means {words}"
                     + ("; negated" if neg else ""), subject=self.f.label, fact=f"{fid} = {after:.4g} vs p_label = {p:.4g}")

    # -- locations, object vs background, AUC order -------------------------------------------------

    @staticmethod
    def _non_location(s: str, m: re.Match[str]) -> bool:
        word = m.group(1).lower()
        rest = s[m.end(): m.end() + 25].lower()
        if word in ("top of the", "bottom of the"):
            return False
        return bool(re.match(r"\s*(class|prediction|guess|choice|label|answer|\d)", rest)) or bool(
            re.search(r"on\s+$", s[: m.start()].lower()) and word == "top")

    def _region_cell(self) -> tuple[int, int]:
        return next((r, c) for r, row in enumerate(GRID_WORDS) for c, w in enumerate(row) if w == self.f.saliency_region)

    def locations(self, s0: int, s: str, qs: list[Quantity]) -> None:
        region = self._region_cell()
        found = [m for m in _LOCATION.finditer(s) if not self._non_location(s, m)]
        for m in found[:1] if _TOGETHER.search(s) else found:
            cells = _places(s, m)
            share = sum(self.f.saliency_grid[r][c] for r, c in cells)
            neg = self._negated(s, 0, m.start())
            stretch = _part(s, m.start(), m.end())  # the words of this place's own clause
            if (_LITTLE_SALIENT.search(stretch) or _GETS_NOTHING.match(s, m.end())) and not _LEAST_SALIENT.search(s):
                even = len(cells) / 9
                self.add(s0 + m.start(), s0 + m.end(), "location", (share < even / 2) != neg,
                         f"{share:.0%} of the positive saliency there; little means below half an even share ({even / 2:.1%})"
                         + ("; negated" if neg else ""), subject=m.group(1), fact=f"share there = {share:.4g}")
                continue
            if _LEAST_SALIENT.search(s):  # "the lower-right cell gets the least attention": the weakest place
                peers = [sum(self.f.saliency_grid[r][c] for r, c in group) for group in _PEERS[len(cells)]]
                self.add(s0 + m.start(), s0 + m.end(), "location", (share <= min(peers) + 1e-9) != neg,
                         f"{share:.0%} of the positive saliency there; the least of any such place is {min(peers):.0%} "
                         "(right when it holds the least)" + ("; negated" if neg else ""),
                         subject=m.group(1), fact=f"share there = {share:.4g}; least = {min(peers):.4g}")
                continue
            ok = region in cells or share >= 0.4
            self.add(s0 + m.start(), s0 + m.end(), "location", ok != neg,
                     f"{share:.0%} of the positive saliency there; most is in the {self.f.saliency_region} "
                     "(right when it holds the region or ≥ 40%)" + ("; negated" if neg else ""),
                     subject=m.group(1), fact=f"saliency_region = {self.f.saliency_region}; share there = {share:.4g}")

    def object_vs_background(self, s0: int, s: str, bg: re.Match[str]) -> None:
        versus = _VERSUS.search(s)
        if versus is None:
            return
        on_background = bg.start() < versus.start()
        share = self.f.saliency_in_segment
        ok = share < 0.5 if on_background else share > 0.5
        self.add(s0 + bg.start(), s0 + bg.end(), "object_vs_background", ok,
                 f"{share:.0%} of the positive saliency is in the segment; "
                 + ("'the background rather than the object' means < 50%" if on_background
                    else "'the object rather than the background' means > 50%"),
                 subject="the background" if on_background else "the object",
                 fact=f"saliency_in_segment = {share:.4g}")

    def auc_order(self, s0: int, s: str) -> None:
        m = re.search(r"\b(deletion|insertion)\b.*?\b(higher|greater|larger|lower|smaller|above|below|beneath|under|over|"
                      r"exceeds?|exceeding|tops?|trails?|beats?|outperforms?)\b(?: than)?\b.*?\b(deletion|insertion)\b", s, re.I)
        if m is None or m.group(1).lower() == m.group(3).lower():
            return
        a = self.f.deletion_auc if m.group(1).lower() == "deletion" else self.f.insertion_auc
        b = self.f.insertion_auc if m.group(1).lower() == "deletion" else self.f.deletion_auc
        ok = a > b if m.group(2).lower() in ("higher", "greater", "larger", "above", "over", "exceed", "exceeds", "exceeding",
                                               "top", "tops", "beat", "beats", "outperform", "outperforms") else a < b
        self.add(s0 + m.start(2), s0 + m.end(2), "auc", ok,
                 f"deletion AUC {self.f.deletion_auc:.4g}, insertion AUC {self.f.insertion_auc:.4g}",
                 subject=f"{m.group(1).lower()} AUC", fact=f"deletion_auc = {self.f.deletion_auc:.4g}; "
                 f"insertion_auc = {self.f.insertion_auc:.4g}")


def verify_text(text: str, facts: FactSheet, class_names: Sequence[str] | None = None) -> Verification:
    """Extract the checkable claims of `text` and mark each against `facts`.

    `class_names`: every class the model knows (a name outside its top 6 is then read unquoted);
    the default is the 1000 ImageNet names of the embedded model.
    """
    names = list(class_names) if class_names is not None else list(imagenet_class_names())
    checker = _Checker(text, facts, names)
    for s0, s1 in sentence_spans(text):
        checker.sentence(s0, s1)
    claims = sorted(checker.claims, key=lambda c: (c.start, c.end))
    return Verification(claims=claims, extractor="rules")


def class_names_for(explanation: Explanation) -> list[str]:
    """Every class name of the explaining model, when it is known without loading the model: the 1000
    ImageNet names when the explanation's classes are ImageNet's, else the ranked classes only."""
    names = imagenet_class_names()
    f = explanation.facts
    ranked = [(f.class_index, f.label), *((a.class_index, a.label) for a in f.alternatives)]
    if all(0 <= i < len(names) and names[i] == label for i, label in ranked):
        return list(names)
    return [label for _, label in ranked]


def verify(text: str, explanation: Explanation | dict[str, Any] | str | Path,
           class_names: Sequence[str] | None = None, *, extractor: str = "rules", backend: Any = None,
           prompts_dir: str | None = None) -> Verification:
    """Check `text` claim by claim against an explanation: an `Explanation`, the path of its JSON
    (``explanation.json`` as written by ``verbalize explain``) or its dict. Imports no torch.

    `extractor`: "rules" (default, offline, deterministic) or "llm": `backend` (a chat backend from
    `verbalize.adapters.llm.make_backend`) reads the claims, the same deterministic code checks them.
    The result's `extractor` says which one ran.

    >>> v = verbalize.verify("The model is 80% sure it is an Egyptian cat.", "out/cat/explanation.json")
    >>> v.fidelity, [(c.subject, c.fact, c.status) for c in v.claims]
    """
    if isinstance(explanation, str | Path):
        path = Path(explanation)
        if not path.is_file():
            raise UserError(f"{path}: file not found")
        try:
            explanation = Explanation.model_validate_json(path.read_bytes())
        except ValidationError as e:
            raise UserError(f"{path}: not an explanation.json ({e.errors()[0]['msg']})") from None
    elif isinstance(explanation, dict):
        try:
            explanation = Explanation.model_validate(explanation)
        except ValidationError as e:
            raise UserError(f"not an explanation ({e.errors()[0]['msg']})") from None
    if extractor == "llm":
        if backend is None:
            raise UserError("the llm extractor needs a backend (llm.backend)")
        from verbalize.pipeline.image.extract_llm import verify_with_llm

        return verify_with_llm(text, explanation.facts, backend, prompts_dir)
    if extractor != "rules":
        raise UserError(f"unknown extractor {extractor!r}: rules or llm")
    names = list(class_names) if class_names is not None else class_names_for(explanation)
    return verify_text(text, explanation.facts, names)

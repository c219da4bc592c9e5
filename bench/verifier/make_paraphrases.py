"""Build corpus.jsonl: the hand-written sentences (hand.py) plus template paraphrases.

Paraphrases are made from templates and the real numbers in facts/*.json and
attributions/*.json. Each one is built to be true or false, its truth is then recomputed from the
numbers with the rules below (a candidate whose recomputed truth differs, or whose deciding number
sits near a tolerance edge, is dropped), and the sentence's machine-readable check goes to
checks.jsonl so that check_corpus.py can recompute it once more with its own implementation.

Splits: within each (kind, claim, truth) group the ids are ordered by sha1(id) and dealt
alternately to dev and heldout, so every group is split ~50/50 and both splits hold both truths.

    python bench/verifier/make_paraphrases.py
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import hand  # noqa: E402  (the hand-written sentences beside this script)

SEED = 10

IMAGE_SOURCES = ["chelsea", "coffee", "astronaut", "rocket", "motorcycle", "china", "grace_hopper", "flower",
                 "chelsea_eigencam", "astronaut_eigencam", "china_eigencam", "grace_hopper_eigencam"]
TEXT_SOURCES = ["food_service", "acting_plot", "phone_battery", "hotel_breakfast", "sequel_jokes", "story_again",
                "delivery_damaged"]

# paraphrases wanted per claim kind (the corpus aims at ~60 % hand, ~40 % paraphrase)
PARA_PER_CLAIM = 11

# --------------------------------------------------------------------------- wording helpers

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def words(n: int) -> str:
    if n < 20:
        return ONES[n]
    if n == 100:
        return "one hundred"
    t, o = divmod(n, 10)
    return TENS[t] + ("" if o == 0 else "-" + ONES[o])


def article(name: str) -> str:
    return ("an " if name[0].lower() in "aeiou" else "a ") + name


def plural(name: str) -> str:
    if name.endswith(("s", "sh", "ch", "x")):
        return name + "es"
    if name.endswith("y") and name[-2] not in "aeiou":
        return name[:-1] + "ies"
    return name + "s"


def cap(s: str) -> str:
    return s[0].upper() + s[1:]


def q(name: str, rng: random.Random) -> str:
    """Quote a class name the way verbalizers do, or not."""
    return rng.choice([f'"{name}"', name, name])


# --------------------------------------------------------------------------- the rules (generator side)
# Independent of check_corpus.py; see README.md for the definitions.


def pct_str(n: int) -> str:
    return f"{n}%"


def rule(kind: str, x: float, v: float, half: float = 0.005) -> bool:
    if kind == "exact":
        return (0 if v == 0 else v - half) <= x < v + half
    if kind == "about":
        return abs(x - v) <= 0.05
    if kind == "nearly":
        return v - 0.05 <= x <= v
    if kind == "over":
        return x > v
    if kind == "under":
        return x < v
    raise ValueError(kind)


def margin(kind: str, x: float, v: float, half: float = 0.005) -> float:
    """Distance of x from the nearest edge of the rule's interval (small = borderline)."""
    if kind == "exact":
        return min(abs(x - (v - half)) if v else 1.0, abs(x - (v + half)))
    if kind == "about":
        return abs(abs(x - v) - 0.05)
    if kind == "nearly":
        return min(abs(x - (v - 0.05)), abs(x - v))
    return abs(x - v)


FRAC_RANGES = {"half": (0.45, 0.55), "third": (0.28, 0.38), "quarter": (0.20, 0.30), "two_thirds": (0.62, 0.72),
               "three_quarters": (0.70, 0.80)}
FRAC_WORDS = {
    "half": ["about half", "roughly half", "around half", "half"],
    "third": ["about a third", "roughly a third", "around one third", "a third"],
    "quarter": ["about a quarter", "roughly a quarter", "around one quarter", "a quarter"],
    "two_thirds": ["about two-thirds", "roughly two thirds", "around two-thirds"],
    "three_quarters": ["about three quarters", "roughly three-quarters", "around three quarters"],
    "most": ["most", "the majority", "the bulk"],
    "nearly_all": ["nearly all", "almost all", "virtually all"],
    "almost_none": ["almost none", "hardly any", "next to none"],
    "less_than_half": ["less than half", "under half", "fewer than half"],
}


def frac_truth(x: float, w: str) -> tuple[bool, float]:
    if w in FRAC_RANGES:
        lo, hi = FRAC_RANGES[w]
        return lo <= x <= hi, min(abs(x - lo), abs(x - hi))
    if w == "most":
        return x > 0.5, abs(x - 0.5)
    if w == "nearly_all":
        return x >= 0.85, abs(x - 0.85)
    if w == "almost_none":
        return x <= 0.10, abs(x - 0.10)
    if w == "less_than_half":
        return x < 0.5, abs(x - 0.5)
    raise ValueError(w)


def change_truth(before: float, after: float, w: str) -> tuple[bool, float]:
    """Truth and the distance of the deciding quantity from its threshold."""
    d = after - before
    if w == "barely":
        return abs(d) < 0.05, abs(abs(d) - 0.05)
    if w == "stays":
        return abs(d) < 0.10, abs(abs(d) - 0.10)
    if w == "drops":
        return d < -0.02, abs(d + 0.02)
    if w == "sharply":
        a, b = d <= -0.30, after < 0.5 * before
        da, db = abs(d + 0.30), abs(after - 0.5 * before)
        if a or b:
            return True, max(da if a else 0.0, db if b else 0.0)
        return False, min(da, db)
    if w == "rises":
        return d > 0.02, abs(d - 0.02)
    raise ValueError(w)


HEDGES = {
    "exact": [""],
    "about": ["about ", "around ", "roughly ", "approximately ", "some "],
    "nearly": ["nearly ", "almost ", "just under "],
    "over": ["over ", "more than ", "above "],
    "under": ["under ", "less than ", "below "],
}
# "just under" is a "nearly" hedge: at or below X, within 5 points


def stated_number(rng: random.Random, x: float, want: bool, pool: list[float], *, style: str = "pct",
                  kinds: tuple[str, ...] = ("exact", "exact", "about", "nearly", "over", "under"),
                  ) -> tuple[str, str, str] | None:
    """A number phrase about fact x that is true (want) or plainly false.

    Returns (phrase, check_call_template, kind) where the template has {x} for the fact expression,
    or None when no clean choice exists. style: 'pct' (percent, whole points), 'words' (spelled-out
    percent) or 'dec' (two decimals).
    """
    for _ in range(40):
        kind = rng.choice(kinds)
        if style == "dec":
            unit, half = 0.01, 0.005
        else:
            unit, half = 0.01, 0.005
        xi = x / unit  # in points
        cand: int | None = None
        if kind == "exact":
            if want:
                cand = round(xi)
            else:
                others = [round(p / unit) for p in pool if abs(p - x) >= 0.03]
                cand = rng.choice(others) if others and rng.random() < 0.6 else \
                    round(xi) + rng.choice([-1, 1]) * rng.randint(8, 30)
        elif kind == "about":
            if want:
                base = round(xi / 5) * 5 if rng.random() < 0.6 else round(xi)
                cand = base if abs(base - xi) <= 3.5 else round(xi)
            else:
                others = [round(p / unit) for p in pool if abs(p - x) >= 0.10]
                cand = rng.choice(others) if others and rng.random() < 0.5 else \
                    round(xi) + rng.choice([-1, 1]) * rng.randint(12, 35)
        elif kind == "nearly":
            if want:
                cand = math.ceil(xi + 0.6) if rng.random() < 0.5 else int(math.ceil((xi + 0.6) / 5) * 5)
                if cand - xi > 4.0:
                    cand = math.ceil(xi + 0.6)
            else:
                cand = int(math.floor((xi - 3) / 5) * 5) if rng.random() < 0.5 else int(math.ceil((xi + 8) / 5) * 5)
        elif kind == "over":
            cand = int(math.floor((xi - 1.5) / 5) * 5) if want else int(math.ceil((xi + 3) / 10) * 10)
        elif kind == "under":
            cand = int(math.ceil((xi + 1.5) / 5) * 5) if want else int(math.floor((xi - 3) / 10) * 10)
        if cand is None or cand < 0 or cand > 100 or (kind in ("over", "nearly") and cand <= 0) or \
                (kind == "under" and cand <= 0) or (kind == "over" and cand >= 100):
            continue
        v = cand * unit
        if rule(kind, x, v, half) != want or margin(kind, x, v, half) < 0.003:
            continue
        if not want and kind in ("exact", "about") and abs(x - v) < 0.03:
            continue  # false numbers must be plainly false
        if want and kind == "about" and abs(x - v) > (0.01 if x < 0.1 else 0.035):
            continue  # keep true hedges natural: "about 5%" for 0.3% is within the rule but odd
        if want and kind == "nearly" and x < 0.1:
            continue
        if style == "dec":
            num = f"{v:.2f}"
            phrase = rng.choice(HEDGES[kind]) + num
            check = f'"{num}"'
        else:
            check = f'"{cand}%"'
            if style == "words":
                phrase = rng.choice(HEDGES[kind]) + words(cand) + " percent"
            else:
                phrase = rng.choice(HEDGES[kind]) + rng.choice([f"{cand}%", f"{cand}%", f"{cand} percent"])
        return phrase, f"{kind}({{x}}, {check})", kind
    return None


# --------------------------------------------------------------------------- image generators
Cand = tuple[str, str, bool, str]  # text, check, truth, why
Gen = Callable[[str, dict, random.Random, bool], Cand | None]

FILL = {"blur": "blurred out", "mean": "filled with the mean colour", "zero": "blacked out"}
DISTRACTORS = ["golden retriever", "zebra", "pizza", "sports car", "laptop", "tennis ball", "hot dog",
               "umbrella", "school bus", "teddy bear"]
VARIANTS = {"tabby": "tabby cat", "motor scooter": "scooter"}


def style_of(rng: random.Random) -> str:
    return rng.choice(["pct", "pct", "pct", "words", "dec"])


def g_p_label(src: str, f: dict, rng: random.Random, want: bool) -> Cand | None:
    p, lab = f["probability"], f["label"]
    pool = [a["probability"] for a in f["alternatives"][:3]] + [f["p_segment_only"], f["p_segment_removed"]]
    st = style_of(rng)
    got = stated_number(rng, p, want, pool, style=st)
    if not got:
        return None
    num, chk, _ = got
    if st == "dec":
        text = rng.choice([
            f"The model predicts {q(lab, rng)} with a probability of {num}.",
            f"{cap(lab)} is the top class, with a probability of {num}.",
            f"The network's softmax gives {lab} {num}, the highest of all classes.",
        ])
    else:
        text = rng.choice([
            f"The model predicts {q(lab, rng)} with {num} probability.",
            f"The classifier is {num} confident that the image shows {article(lab)}.",
            f"{cap(lab)} is the top prediction, at {num}.",
            f"With {num} probability, the network's answer is {lab}.",
            f"The predicted class, {q(lab, rng)}, gets {num}.",
            f"The model is {num} sure this is {article(lab)}.",
        ])
    return text, chk.format(x="p"), want, f"p_label={p:.4f}"


def g_p_alternative(src: str, f: dict, rng: random.Random, want: bool) -> Cand | None:
    i = rng.choice([0, 0, 1, 2])
    a = f["alternatives"][i]
    x, name = a["probability"], a["label"]
    pool = [f["probability"]] + [b["probability"] for b in f["alternatives"][:3] if b is not a]
    st = style_of(rng)
    got = stated_number(rng, x, want, pool, style=st, kinds=("exact", "exact", "about", "nearly", "under", "over"))
    if not got:
        return None
    num, chk, _ = got
    options = [
        f"{cap(name)} receives {num} probability.",
        f"The model gives {q(name, rng)} {num}.",
        f"The model is {num} confident that the image shows {article(name)}.",
        f"Among the alternatives, {q(name, rng)} is at {num}.",
    ]
    if i == 0:
        options += [f"The runner-up, {q(name, rng)}, gets {num}.", f"The second choice is {name} at {num}."]
    if st == "dec":
        options = [f"{cap(name)} gets a probability of {num}.", f"The model assigns {name} a probability of {num}."]
    return rng.choice(options), chk.format(x=f'alt("{name}")'), want, f"p({name})={x:.4f}"


def g_label(src: str, f: dict, rng: random.Random, want: bool) -> Cand | None:
    lab = f["label"]
    alts = [a["label"] for a in f["alternatives"]]
    probs = {a["label"]: a["probability"] for a in f["alternatives"]}
    if rng.random() < 0.25:  # the runner-up claim
        wrong = [n for n in alts[1:4] if probs[n] < probs[alts[0]] - 0.01]
        if not want and not wrong:
            return None
        name = alts[0] if want else rng.choice(wrong)
        shown = VARIANTS.get(name, name) if rng.random() < 0.3 else name
        text = rng.choice([f"The runner-up is {q(shown, rng)}.", f"The second most likely class is {shown}.",
                           f"The model's second choice is {article(shown)}."])
        return text, f'runner_up("{name}")', alts[0] == name, f"alternatives[0]={alts[0]}"
    if want:
        name = lab
    else:
        wrong = [n for n in alts[:2] if probs[n] < f["probability"] - 0.01]
        name = rng.choice(wrong + [rng.choice(DISTRACTORS)] * max(1, len(wrong)))
    shown = VARIANTS.get(name, name) if rng.random() < 0.4 else name
    form = rng.choice(["article", "plain", "plural"])
    if form == "plural":
        text = rng.choice([f"The model thinks the picture shows {plural(shown)}.",
                           f"According to the classifier, these are {plural(shown)}."])
    elif form == "article":
        text = rng.choice([f"The model classifies the image as {article(shown)}.",
                           f"The network recognises {article(shown)} here.",
                           f"The classifier's answer: this is {article(shown)}."])
    else:
        text = rng.choice([f"The predicted class is {q(shown, rng)}.", f"The top label is {q(shown, rng)}.",
                           f"The network's top guess is {q(shown, rng)}."])
    return text, f'top("{name}")', name == lab, f"label={lab}"


def g_p_removed(src: str, f: dict, rng: random.Random, want: bool) -> Cand | None:
    return _p_segment(src, f, rng, want, "p_removed")


def g_p_only(src: str, f: dict, rng: random.Random, want: bool) -> Cand | None:
    return _p_segment(src, f, rng, want, "p_only")


def _p_segment(src: str, f: dict, rng: random.Random, want: bool, which: str) -> Cand | None:
    lab, fill = f["label"], FILL[f["fill"]]
    x = f["p_segment_removed"] if which == "p_removed" else f["p_segment_only"]
    other = f["p_segment_only"] if which == "p_removed" else f["p_segment_removed"]
    st = rng.choice(["pct", "pct", "words"])
    got = stated_number(rng, x, want, [f["probability"], other], style=st,
                        kinds=("exact", "exact", "about", "under", "over"))
    if not got:
        return None
    num, chk, _ = got
    if which == "p_removed":
        text = rng.choice([
            f"Removing the object leaves {q(lab, rng)} at {num}.",
            f"With the segmented object {fill}, the probability of {lab} is {num}.",
            f"Without the object, the model gives {lab} {num}.",
            f"Once the salient object is masked out, {lab} gets {num}.",
        ])
        return text, chk.format(x="p_removed"), want, f"p_segment_removed={x:.4f}"
    text = rng.choice([
        f"Keeping only the object gives {q(lab, rng)} {num}.",
        f"The object on its own yields {num} for {lab}.",
        f"When everything but the object is {fill}, {lab} gets {num}.",
        f"Shown only the segmented object, the model gives {lab} {num}.",
    ])
    return text, chk.format(x="p_only"), want, f"p_segment_only={x:.4f}"


CHANGE_VERBS = {
    "barely": ["barely changes", "hardly changes", "only slightly changes", "barely affects"],
    "stays": ["leaves roughly unchanged", "does little to"],
    "drops": ["lowers", "reduces", "decreases"],
    "sharply": ["sharply reduces", "collapses", "drastically lowers"],
    "rises": ["raises", "increases", "boosts"],
}


def g_change(src: str, f: dict, rng: random.Random, want: bool) -> Cand | None:
    which = rng.choice(["p_removed", "p_only"])
    after = f["p_segment_removed"] if which == "p_removed" else f["p_segment_only"]
    p, lab = f["probability"], f["label"]
    if p < 0.1:
        return None  # a tiny p(label) makes absolute and relative change words disagree
    w = rng.choice(list(CHANGE_VERBS))
    truth, m = change_truth(p, after, w)
    if truth != want or m < 0.01:
        return None
    verb = rng.choice(CHANGE_VERBS[w])
    subject = "Removing the object" if which == "p_removed" else "Keeping only the object"
    subject = rng.choice([subject, "Masking out the object" if which == "p_removed" else "Showing only the object"])
    if verb == "leaves roughly unchanged":
        text = f"{subject} leaves the probability of {lab} roughly unchanged."
    elif verb == "does little to":
        text = f"{subject} does little to the probability of {lab}."
    elif verb == "collapses":
        text = f"{subject} makes the {lab} probability collapse."
    else:
        text = f"{subject} {verb} the probability of {q(lab, rng)}."
    return text, f'change(p, {which}, "{w}")', want, f"p={p:.4f} -> {which}={after:.4f}"


def g_negation(src: str, f: dict, rng: random.Random, want: bool) -> Cand | None:
    p, lab = f["probability"], f["label"]
    kind = rng.choice(["change", "change", "label", "over"])
    if kind == "change":
        if p < 0.1:
            return None
        which = rng.choice(["p_removed", "p_only"])
        after = f["p_segment_removed"] if which == "p_removed" else f["p_segment_only"]
        w, verb = rng.choice([("drops", "lower"), ("drops", "reduce"), ("rises", "raise"), ("rises", "increase"),
                              ("stays", "change much")])
        t, m = change_truth(p, after, w)
        truth = t if w == "stays" else not t
        if truth != want or m < 0.01:
            return None
        subject = "Removing the object" if which == "p_removed" else "Keeping only the object"
        text = f"{subject} does not {verb} the probability of {lab}."
        chk = f'change(p, {which}, "stays")' if w == "stays" else f'not change(p, {which}, "{w}")'
        return text, chk, want, f"p={p:.4f} -> {which}={after:.4f}"
    if kind == "label":
        name = rng.choice([f["alternatives"][0]["label"], f["alternatives"][1]["label"]]) if want else lab
        text = rng.choice([f"The model does not predict {q(name, rng)}.",
                           f"The classifier does not think this is {article(name)}.",
                           f"{cap(name)} is not the predicted class."])
        return text, f'not top("{name}")', name != lab, f"label={lab}"
    n = int(math.floor((p * 100 - 3) / 10) * 10) if not want else int(math.ceil((p * 100 + 3) / 10) * 10)
    if n <= 0 or n >= 100:
        return None
    text = rng.choice([f"The model does not give {lab} more than {n}%.",
                       f"The model is not more than {n}% confident in {lab}."])
    return text, f'not over(p, "{n}%")', not (p > n / 100), f"p_label={p:.4f}"


CELL_NAMES = ["upper left", "upper centre", "upper right", "centre left", "centre", "centre right", "lower left",
              "lower centre", "lower right"]
BAND_WORDS = {"top": ["top", "upper part", "top third"], "bottom": ["bottom", "lower part", "bottom third"],
              "left": ["left side", "left third"], "right": ["right side", "right third"]}
BAND_INDEX = {"top": ("row", 0), "bottom": ("row", 2), "left": ("col", 0), "right": ("col", 2)}


def _band(f: dict, name: str) -> float:
    g = f["saliency_grid"]
    kind, i = BAND_INDEX[name]
    return sum(g[i]) if kind == "row" else sum(g[r][i] for r in range(3))


def g_saliency_share(src: str, f: dict, rng: random.Random, want: bool) -> Cand | None:
    what = rng.choice(["seg", "seg", "seg", "cell", "band"])
    if what == "seg":
        x, expr = f["saliency_in_segment"], "in_seg"
        tail = rng.choice(["falls on the segmented object", "lies inside the segment",
                           "lands on the object", "is inside the object mask"])
        head = "of the positive saliency" if rng.random() < 0.5 else "of the saliency"
    elif what == "cell":
        r, c = CELL_NAMES.index(f["saliency_region"]) // 3, CELL_NAMES.index(f["saliency_region"]) % 3
        x, expr = f["saliency_grid"][r][c], f'cell("{f["saliency_region"]}")'
        tail = f"sits in the {f['saliency_region']} cell"
        head = "of the positive saliency"
    else:
        name = rng.choice(list(BAND_INDEX))
        x, expr = _band(f, name), f'band("{name}")'
        tail = f"is in the {rng.choice(BAND_WORDS[name])} of the image"
        head = "of the saliency"
    if rng.random() < 0.5:
        w = rng.choice(list(FRAC_WORDS))
        t, m = frac_truth(x, w)
        if t != want or m < 0.01:
            return None
        phrase = rng.choice(FRAC_WORDS[w])
        text = f"{cap(phrase)} {head} {tail}."
        return text, f'frac({expr}, "{w}")', want, f"{expr}={x:.4f}"
    got = stated_number(rng, x, want, [f["segment_area"], f["probability"]], style=rng.choice(["pct", "words"]),
                        kinds=("exact", "about", "about", "over", "under"))
    if not got:
        return None
    num, chk, _ = got
    return f"{cap(num)} {head} {tail}.", chk.format(x=expr), want, f"{expr}={x:.4f}"


def g_area(src: str, f: dict, rng: random.Random, want: bool) -> Cand | None:
    x = f["segment_area"]
    subj = rng.choice(["The segmented object", "The segment", "The object mask", "The salient object"])
    verb = rng.choice(["covers", "takes up", "occupies", "fills"])
    where = rng.choice(["the image", "the picture", "the frame"])
    if rng.random() < 0.5:
        w = rng.choice([k for k in FRAC_WORDS if k != "almost_none"])
        t, m = frac_truth(x, w)
        if t != want or m < 0.01:
            return None
        return f"{subj} {verb} {rng.choice(FRAC_WORDS[w])} of {where}.", f'frac(area, "{w}")', want, \
            f"segment_area={x:.4f}"
    got = stated_number(rng, x, want, [f["saliency_in_segment"]], style=rng.choice(["pct", "words"]),
                        kinds=("exact", "about", "about", "over", "under"))
    if not got:
        return None
    num, chk, _ = got
    return f"{subj} {verb} {num} of {where}.", chk.format(x="area"), want, f"segment_area={x:.4f}"


def g_location(src: str, f: dict, rng: random.Random, want: bool) -> Cand | None:
    g, region = f["saliency_grid"], f["saliency_region"]
    rr, rc = CELL_NAMES.index(region) // 3, CELL_NAMES.index(region) % 3
    if rng.random() < 0.6:
        if want:
            name = region
        else:
            name = rng.choice([c for c in CELL_NAMES if c != region])
            share = g[CELL_NAMES.index(name) // 3][CELL_NAMES.index(name) % 3]
            if share >= 0.6 * g[rr][rc] or share >= 0.2:
                return None  # a close second is not plainly wrong
        where = name if name == "centre" else name + rng.choice(["", " corner" if name in
                                                                 ("upper left", "upper right", "lower left",
                                                                  "lower right") else " area"])
        text = rng.choice([f"The model looked mostly at the {where} of the image.",
                           f"The saliency is strongest in the {where}.",
                           f"The most salient part of the grid is the {where}.",
                           f"The evidence comes mainly from the {where} of the picture."])
        return text, f'loc("{name}")', name == region, f"saliency_region={region}"
    name = rng.choice(list(BAND_INDEX))
    share = _band(f, name)
    kind, i = BAND_INDEX[name]
    contains = (rr if kind == "row" else rc) == i
    truth = contains or share >= 0.40
    if contains != (share >= 0.40) or (not truth and share > 0.30) or truth != want:
        return None  # only bands where both readings agree
    text = rng.choice([f"The model focused on the {rng.choice(BAND_WORDS[name])} of the image.",
                       f"Most of the attention is on the {rng.choice(BAND_WORDS[name])} of the picture."])
    return text, f'loc("{name}")', want, f"{name} band share={share:.4f}, region={region}"


def g_object_vs_background(src: str, f: dict, rng: random.Random, want: bool) -> Cand | None:
    x = f["saliency_in_segment"]
    if abs(x - 0.5) < 0.01:
        return None
    says_obj = (x > 0.5) == want
    if says_obj:
        text = rng.choice(["The model focused on the object rather than the background.",
                           "The explanation is driven by the object, not by its surroundings.",
                           "The classifier relied on the segmented object more than on the background.",
                           "Saliency falls more on the object than on the background."])
    else:
        text = rng.choice(["The model focused on the background rather than the object.",
                           "The explanation is driven by the surroundings more than by the object.",
                           "The classifier relied more on the background than on the segmented object.",
                           "Saliency falls more on the background than on the object."])
    return text, "obj()" if says_obj else "bg()", want, f"saliency_in_segment={x:.4f}"


def g_auc(src: str, f: dict, rng: random.Random, want: bool) -> Cand | None:
    d, i = f["deletion_auc"], f["insertion_auc"]
    if rng.random() < 0.3:
        if abs(d - i) < 0.01:
            return None
        says_ins_higher = (i > d) == want
        text = rng.choice(["The insertion AUC is higher than the deletion AUC.",
                           "Insertion AUC exceeds deletion AUC."] if says_ins_higher else
                          ["The deletion AUC is higher than the insertion AUC.",
                           "Deletion AUC exceeds insertion AUC."])
        return text, "ins_auc > del_auc" if says_ins_higher else "del_auc > ins_auc", want, \
            f"deletion_auc={d:.4f}, insertion_auc={i:.4f}"
    which = rng.choice(["deletion", "insertion"])
    x, other = (d, i) if which == "deletion" else (i, d)
    got = stated_number(rng, x, want, [other], style="dec", kinds=("exact", "exact", "about", "under", "over"))
    if not got:
        return None
    num, chk, _ = got
    text = rng.choice([f"The {which} AUC is {num}.", f"{cap(which)} AUC comes out at {num}.",
                       f"The area under the {which} curve is {num}."])
    return text, chk.format(x="del_auc" if which == "deletion" else "ins_auc"), want, f"{which}_auc={x:.4f}"


IMAGE_GENS: dict[str, Gen] = {
    "p_label": g_p_label, "p_alternative": g_p_alternative, "label": g_label, "p_removed": g_p_removed,
    "p_only": g_p_only, "change": g_change, "negation": g_negation, "saliency_share": g_saliency_share,
    "area": g_area, "location": g_location, "object_vs_background": g_object_vs_background, "auc": g_auc,
}

# --------------------------------------------------------------------------- text generators


def _words(a: dict) -> dict[str, float]:
    """Distinct lower-cased words with their score; words that repeat with different scores are dropped."""
    seen: dict[str, set[float]] = defaultdict(set)
    for t, s in zip(a["tokens"], a["scores"], strict=True):
        seen[t.lower()].add(s)
    return {t: next(iter(v)) for t, v in seen.items() if len(v) == 1}


def _tok(a: dict, w: str) -> str:
    """The word as written in the text (first occurrence)."""
    return next(t for t in a["tokens"] if t.lower() == w)


def wq(a: dict, w: str, rng: random.Random, *, bare: bool = True) -> str:
    """The word quoted as verbalizers do ('x', "x"), or bare where that reads well (never at a sentence start)."""
    t = _tok(a, w)
    return rng.choice([f"'{t}'", f'"{t}"', f"'{t}'"] + ([t] if bare else []))


def g_top_word(src: str, a: dict, rng: random.Random, want: bool) -> Cand | None:
    ws = _words(a)
    mx = max(ws.values())
    tops = [w for w, s in ws.items() if s == mx]
    if want:
        w = tops[0]
    else:
        cands = [w for w, s in ws.items() if s < mx - 0.01]
        w = rng.choice(cands)
    lab = a["label"]
    text = rng.choice([f"The most important word is {wq(a, w, rng)}.",
                       f"{wq(a, w, rng, bare=False)} contributes most to the {lab} prediction.",
                       f"The word that matters most is {wq(a, w, rng)}.",
                       f"Of all the words, {wq(a, w, rng)} has the largest attribution."])
    return text, f'top("{w}")', w in tops, f"{w}={ws[w]:+.4f}; max={mx:+.4f}"


def g_least_word(src: str, a: dict, rng: random.Random, want: bool) -> Cand | None:
    ws = _words(a)
    mn = min(abs(s) for s in ws.values())
    pool = [w for w, s in ws.items() if (abs(s) == mn) == want and (want or abs(s) >= 0.01)]
    if not pool:
        return None
    w = rng.choice(pool)
    text = rng.choice([f"{wq(a, w, rng, bare=False)} is one of the least important words.",
                       f"{wq(a, w, rng, bare=False)} is among the least important words.",
                       f"The least important words include {wq(a, w, rng)}."])
    return text, f'least("{w}")', abs(ws[w]) == mn, f"{w}={ws[w]:+.4f}; min |score|={mn:.4f}"


def _rank(ws: dict[str, float], w: str) -> int:
    return 1 + len([v for u, v in ws.items() if v > ws[w] and u != w])


def g_rank_word(src: str, a: dict, rng: random.Random, want: bool) -> Cand | None:
    ws = _words(a)
    k = 2
    pool = [w for w, s in ws.items() if (_rank(ws, w) == k) == want and s != 0]
    if not want:
        second = [v for w, v in ws.items() if _rank(ws, w) == k]
        pool = [w for w in pool if not second or abs(ws[w] - second[0]) >= 0.01]
    if not pool:
        return None
    w = rng.choice(pool)
    text = rng.choice([f"The second most important word is {wq(a, w, rng)}.",
                       f"{wq(a, w, rng, bare=False)} ranks second in importance.",
                       f"{wq(a, w, rng, bare=False)} is the runner-up among the words."])
    return text, f'rank("{w}", 2)', _rank(ws, w) == k, f"{w}={ws[w]:+.4f}, rank {_rank(ws, w)}"


def g_outweighs(src: str, a: dict, rng: random.Random, want: bool) -> Cand | None:
    ws = _words(a)
    nz = [w for w, s in ws.items() if s != 0]
    zs = [w for w, s in ws.items() if s == 0]
    x = rng.choice(nz)
    y = rng.choice(nz + zs)
    if x == y or abs(ws[x] - ws[y]) < 0.01:
        return None
    if (ws[x] > ws[y]) != (abs(ws[x]) > abs(ws[y])):
        return None  # signed and absolute order disagree: ambiguous
    if rng.random() < 0.5:
        x, y = y, x
    truth = ws[x] > ws[y]
    if truth != want:
        x, y = y, x
        truth = not truth
    text = rng.choice([f"{wq(a, x, rng, bare=False)} outweighs {wq(a, y, rng)}.",
                       f"{wq(a, x, rng, bare=False)} matters more than {wq(a, y, rng)}.",
                       f"{wq(a, x, rng, bare=False)} has a larger attribution than {wq(a, y, rng)}."])
    return text, f'outweighs("{x}", "{y}")', truth, f"{x}={ws[x]:+.4f}, {y}={ws[y]:+.4f}"


def g_sign(src: str, a: dict, rng: random.Random, want: bool) -> Cand | None:
    ws = _words(a)
    nz = [w for w, s in ws.items() if abs(s) >= 0.01]
    w = rng.choice(nz)
    s = ws[w]
    lab = a["label"]
    other = next(x for x in a["labels"] if x != lab)
    mode = rng.choice(["towards", "towards", "score"])
    if mode == "towards":
        target = rng.choice([lab, other])
        truth = s > 0 if target == lab else s < 0
        if truth != want:
            target = other if target == lab else lab
            truth = not truth
        text = rng.choice([f"{wq(a, w, rng, bare=False)} pushes the prediction towards {target}.",
                           f"{wq(a, w, rng, bare=False)} is evidence for {target}.",
                           f"{wq(a, w, rng, bare=False)} moves the model towards the {target} label."])
        return text, f'pushes("{w}", "{target}")', truth, f"{w}={s:+.4f} towards '{lab}'"
    sign = "positive" if (s > 0) == want else "negative"
    text = rng.choice([f"{wq(a, w, rng, bare=False)} has a {sign} attribution score.",
                       f"The score for {wq(a, w, rng)} is {sign}."])
    return text, f'score("{w}") {">" if sign == "positive" else "<"} 0', (s > 0) == (sign == "positive"), \
        f"{w}={s:+.4f}"


def g_score_value(src: str, a: dict, rng: random.Random, want: bool) -> Cand | None:
    ws = _words(a)
    nz = [w for w, s in ws.items() if abs(s) >= 0.02]
    w = rng.choice(nz)
    s = ws[w]
    hedge = rng.choice(["exact", "about"])
    if want:
        v = round(s, 2)
        if hedge == "exact" and min(abs(s - (v - 0.005)), abs(s - (v + 0.005))) < 0.0025:
            return None
    else:
        others = [u for u in ws.values() if abs(u - s) >= 0.08]
        v = round(rng.choice(others + [-s]), 2) if others else round(-s, 2)
        if abs(v - s) < (0.08 if hedge == "about" else 0.03):
            return None
    if v == 0:
        return None
    num = f"{v:.2f}"
    truth = (abs(s - v) <= 0.05) if hedge == "about" else (v - 0.005 <= s < v + 0.005)
    if hedge == "about" and abs(abs(s - v) - 0.05) < 0.003:
        return None
    h = rng.choice(HEDGES["about"]) if hedge == "about" else ""
    text = rng.choice([f"{wq(a, w, rng, bare=False)} has a score of {h}{num}.",
                       f"The attribution of {wq(a, w, rng)} is {h}{num}.",
                       f"{wq(a, w, rng, bare=False)} scores {h}{num}."])
    return text, f'{hedge}(score("{w}"), "{num}")', truth, f"{w}={s:+.4f}"


def g_score_words(src: str, a: dict, rng: random.Random, want: bool) -> Cand | None:
    ws = _words(a)
    mx = max([v for v in ws.values() if v > 0], default=0)
    w = rng.choice(list(ws))
    s = ws[w]
    kind = rng.choice(["strong", "strong", "weak", "zero"])
    if kind == "strong":
        truth = s > 0 and s >= 0.5 * mx
        if abs(s - 0.5 * mx) < 0.005:
            return None
        text = rng.choice([f"{wq(a, w, rng, bare=False)} has a strong positive score.",
                           f"{wq(a, w, rng, bare=False)} is strongly attributed towards {a['label']}."])
        chk = f'strong("{w}")'
    elif kind == "weak":
        truth = 0 < s < 0.5 * mx
        if abs(s - 0.5 * mx) < 0.005 or abs(s) < 0.005:
            return None  # a zero score is not "weak positive" in a plainly-false way
        text = rng.choice([f"{wq(a, w, rng, bare=False)} has only a weak positive score.",
                           f"{wq(a, w, rng, bare=False)} contributes a small positive amount."])
        chk = f'weak("{w}")'
    else:
        truth = abs(s) < 0.005
        if not truth and abs(s) < 0.02:
            return None
        text = rng.choice([f"{wq(a, w, rng, bare=False)} has no influence on the prediction.",
                           f"{wq(a, w, rng, bare=False)} does not affect the prediction at all.",
                           f"Removing {wq(a, w, rng, bare=False)} changes nothing."])
        chk = f'zero("{w}")'
    if truth != want:
        return None
    return text, chk, truth, f"{w}={s:+.4f}; max positive={mx:+.4f}"


def g_text_label(src: str, a: dict, rng: random.Random, want: bool) -> Cand | None:
    pred, prob = a["predicted"], a["probability"]
    other = next(x for x in a["labels"] if x != pred)
    if rng.random() < 0.4:
        lab = pred if want else other
        text = rng.choice([f"VADER classifies the review as {lab}.", f"The review is predicted to be {lab}.",
                           f"The sentiment model labels this text {lab}."])
        return text, f'predicted == "{lab}"', lab == pred, f"predicted={pred} (p={prob:.4f})"
    lab = rng.choice([pred, pred, other])
    x = prob if lab == pred else 1 - prob
    got = stated_number(rng, x, want, [1 - x], style=rng.choice(["pct", "words"]),
                        kinds=("exact", "exact", "about", "over", "under"))
    if not got:
        return None
    num, chk, _ = got
    text = rng.choice([f"The model predicts {lab} with {num} probability.",
                       f"The classifier is {num} confident that the review is {lab}.",
                       f"p({lab}) is {num}."])
    return text, chk.format(x=f'p_of("{lab}")'), want, f"predicted={pred} p={prob:.4f}; p({lab})={x:.4f}"


TEXT_GENS: dict[str, Gen] = {
    "top_word": g_top_word, "least_word": g_least_word, "rank_word": g_rank_word, "outweighs": g_outweighs,
    "sign": g_sign, "score_value": g_score_value, "score_words": g_score_words, "text_label": g_text_label,
}

# --------------------------------------------------------------------------- building


def tidy(text: str) -> str:
    """'leaves X at above 5%' -> 'leaves X above 5%' and the like."""
    for h in ("above", "over", "under", "below", "more than", "less than", "just under", "nearly", "almost"):
        text = text.replace(f" at {h} ", f" {h} ").replace(f" is at {h} ", f" is {h} ")
    more, less = {"above": "more than", "over": "more than"}, {"below": "less than", "under": "less than"}
    for word, repl in {**more, **less}.items():
        if text.startswith(cap(word) + " "):
            text = cap(repl) + text[len(word):]
        for lead in ("With", "covers", "takes up", "occupies", "fills"):
            text = text.replace(f"{lead} {word} ", f"{lead} {repl} ")
    return text


def load(kind: str, stem: str) -> dict:
    folder = "facts" if kind == "image" else "attributions"
    return json.loads((HERE / folder / f"{stem}.json").read_text())


def sha(s: str) -> int:
    return int(hashlib.sha1(s.encode()).hexdigest(), 16)


def norm(text: str) -> str:
    """Sentence identity for de-duplication: case, quotes and spacing do not count."""
    return " ".join(text.lower().replace("'", " ").replace('"', " ").split())


def paraphrases(hand_items: list[tuple[str, str, str, bool, str, str, str]]) -> list[dict]:
    seen = {(k, s, norm(t)) for k, s, _c, _tr, _ch, _w, t in hand_items}
    hand_truth = Counter((k, c, tr) for k, _s, c, tr, *_ in hand_items)
    out = []
    for kind, gens, sources in (("image", IMAGE_GENS, IMAGE_SOURCES), ("text", TEXT_GENS, TEXT_SOURCES)):
        for claim, gen in gens.items():
            rng = random.Random(f"{SEED}-{claim}")
            total = hand_truth[(kind, claim, True)] + hand_truth[(kind, claim, False)] + PARA_PER_CLAIM
            want_true = max(2, min(PARA_PER_CLAIM - 2, round(total / 2) - hand_truth[(kind, claim, True)]))
            wants = [True] * want_true + [False] * (PARA_PER_CLAIM - want_true)
            rng.shuffle(wants)
            order = sources[:]
            rng.shuffle(order)
            per_source: Counter[str] = Counter()
            for i, want in enumerate(wants):
                for attempt in range(400):
                    src = order[(i + attempt) % len(order)]
                    if per_source[src] >= 2 + attempt // 100:
                        continue
                    data = load(kind, src)
                    got = gen(src, data, rng, want)
                    if got is None:
                        continue
                    text, check, truth, why = got
                    text = tidy(text)
                    if truth != want or (kind, src, norm(text)) in seen:
                        continue
                    seen.add((kind, src, norm(text)))
                    per_source[src] += 1
                    out.append(dict(kind=kind, stem=src, claim=claim, truth=truth, check=check, why=why, text=text))
                    break
                else:
                    raise RuntimeError(f"could not make a {want} {claim} paraphrase")
    return out


def main() -> None:
    import round2  # round 2: new sentences written before round 2's rule changes (imports this module)
    import round3  # round 3: new phrasings written before round 3's rule changes
    import round4  # round 4: text only, written before round 4's rule changes
    import round5  # round 5: text ranks in position/superlative phrasings + image shares, before round 5's rules
    import round6  # round 6: text top/second/strength phrasings + superlatives that are no rank, before round 6's rules
    import round7  # round 7: text rank/strength/sign phrasings, before round 7's rules and learned fallback
    import round8  # round 8: LLM-style prose by writers blind to the verifier, before round 8's rules
    import round9  # round 9: text in assistant and report styles by a blind writer, before round 9's rules
    import round10  # round 10: text ranks and strengths in several LLMs' voices by a blind writer
    import round11  # round 11: long discursive and short technical text by two blind writers
    import round12  # round 12: friendly and structured text, and image sentences, by three blind writers
    import round13  # round 13: follow-up answers, write-ups and image audit sentences by three blind writers
    import round14  # round 14: assistants of different sizes, Feldhus-style verbalizations, open VLMs; blind writers
    import round15  # round 15: image-heavy (assistants, facts side by side) and text side by side; blind writers
    import round16  # round 16: five everyday voices, text and image; blind writers
    import round17  # round 17: report and dashboard prose, text and image; blind writers

    hand_items = [("image", *h) for h in hand.IMAGE] + [("text", *h) for h in hand.TEXT]
    records = []
    for kind, stem, claim, truth, check, why, text in hand_items:
        records.append(dict(kind=kind, stem=stem, claim=claim, truth=truth, check=check, why=why, text=text,
                            origin="hand"))
    for r in paraphrases(hand_items):
        records.append(dict(r, origin="paraphrase"))
    for r in records:
        r["round"] = 1
    # round 2 (round2.py) comes after round 1, so round 1's ids and splits stay exactly as they were
    seen = {(r["kind"], r["stem"], norm(r["text"])) for r in records}
    records += [dict(r, round=2) for r in round2.generate(seen)]
    records += [dict(r, round=3) for r in round3.generate(seen)]  # round 3: after round 2's held-out run
    records += [dict(r, round=4) for r in round4.generate(seen)]  # round 4: after round 3's held-out run
    records += [dict(r, round=5) for r in round5.generate(seen)]  # round 5: after round 4's held-out run
    records += [dict(r, round=6) for r in round6.generate(seen)]  # round 6: after round 5's held-out run
    records += [dict(r, round=7) for r in round7.generate(seen)]  # round 7: after round 6's held-out run
    records += [dict(r, round=8) for r in round8.generate(seen)]  # round 8: after round 7's held-out run
    records += [dict(r, round=9) for r in round9.generate(seen)]  # round 9: after round 8's held-out run
    records += [dict(r, round=10) for r in round10.generate(seen)]  # round 10: after round 9's held-out run
    records += [dict(r, round=11) for r in round11.generate(seen)]  # round 11: after round 10's held-out run
    records += [dict(r, round=12) for r in round12.generate(seen)]  # round 12: after round 11's held-out run
    records += [dict(r, round=13) for r in round13.generate(seen)]  # round 13: after round 12's held-out run
    records += [dict(r, round=14) for r in round14.generate(seen)]  # round 14: after round 13's held-out run
    records += [dict(r, round=15) for r in round15.generate(seen)]  # round 15: after round 14's held-out run
    records += [dict(r, round=16) for r in round16.generate(seen)]  # round 16: after round 15's held-out run
    records += [dict(r, round=17) for r in round17.generate(seen)]  # round 17: after round 16's held-out run

    counters: Counter[str] = Counter()
    for r in records:
        prefix = "img" if r["kind"] == "image" else "txt"
        counters[r["stem"]] += 1
        r["id"] = f"{prefix}-{r['stem']}-{counters[r['stem']]:03d}"
        r["source"] = f"{'facts' if r['kind'] == 'image' else 'attributions'}/{r['stem']}.json"

    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in records:
        groups[(r["round"], r["kind"], r["claim"], r["truth"])].append(r)
    for key, rs in groups.items():
        rs.sort(key=lambda r: sha(r["id"]))
        first = sha(repr(key[1:] if key[0] == 1 else key)) % 2
        for i, r in enumerate(rs):
            r["split"] = ("dev", "heldout")[(i + first) % 2]

    fields = ["id", "kind", "source", "text", "truth", "claim", "why", "origin", "split", "round"]
    with open(HERE / "corpus.jsonl", "w") as f:
        for r in records:
            f.write(json.dumps({k: r[k] for k in fields}, ensure_ascii=False) + "\n")
    with open(HERE / "checks.jsonl", "w") as f:
        for r in records:
            f.write(json.dumps({"id": r["id"], "check": r["check"]}) + "\n")
    c = Counter(r["origin"] for r in records)
    print(f"wrote {len(records)} sentences ({dict(c)}) to corpus.jsonl and checks.jsonl")


if __name__ == "__main__":
    main()

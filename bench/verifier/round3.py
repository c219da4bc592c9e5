"""Round 3 of the corpus (issue 10 follow-up): new phrasings, written after round 2's held-out run and before
any rule change of round 3.

Round 2's held-out figures (only the per-kind aggregates were read, never a sentence) left text
detection at 92.6% and image false alarms at 3.9%; the weakest kinds were text least/second/strength
words and image saliency shares, changes and labels. Round 3 adds sentences of those kinds in phrasings
that rounds 1 and 2 do not use ("sits at the very bottom of the ranking", "holds the number two spot",
"the object's removal leaves …"), plus hand-written ones. Its frames were written before the verifier
was run on any of them. Split like round 2: round 1's rule applied within round 3 alone.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from make_paraphrases import (
    IMAGE_SOURCES,
    TEXT_SOURCES,
    article,
    cap,
    stated_number,
    tidy,
)
from round2 import abs_rank, build, change_cand, other_label, rank, seg_cand, share_cand, tok, usable, wq

SEED = 30
Cand = tuple[str, str, bool, str]


def _pick(rng: random.Random, frames: list[str], **kw: str) -> str:
    return rng.choice(frames).format(**kw)


# --------------------------------------------------------------------------- text


LEAST = [
        "{Ws} sits at the very bottom of the ranking.", "Of all the tokens, {W} is the one that matters least.",
        "{Ws} is the least significant word here.", "The word with the least influence on the outcome is {W}.",
        "{Ws} contributes less than any other word.", "{Ws} ends up as the least relevant token.",
        "The lowest-ranked word in terms of importance is {W}.",
        "Among the words, {W} has the least impact on the classification.",
        "{Ws} is the token the classifier cares about least.", "The classifier gives the least importance to {W}.",
        "The least decisive word in the review is {W}.", "{Ws} has the weakest attribution in the review.",
        "{Ws} ranks at the bottom for importance.", "In terms of importance, {W} comes last.",
]


def t_least(a: dict, rng: random.Random, want: bool, frames: list[str] = LEAST) -> Cand | None:
    ws = usable(a)
    mn = min(abs(s) for s in ws.values())
    # false: a clearly important positive word (a negative one is "least important" to a signed reader)
    pool = [w for w, s in ws.items() if (abs(s) == mn if want else s > 0.02 and abs_rank(ws, w) <= 3)]
    if not pool:
        return None
    w = rng.choice(pool)
    text = _pick(rng, frames, W=wq(a, w, rng), Ws=cap(wq(a, w, rng, True)))
    return text, f'least("{w}")', abs(ws[w]) == mn, f"{w}={ws[w]:+.4f}; min |score|={mn:.4f}"


WORDS = {
    "strong": ["{Ws} stands out with a large positive attribution.",
               "{Ws} makes a major positive contribution to the {L} prediction.",
               "{Ws} carries a substantial positive score.", "{Ws} contributes strongly to the {L} label.",
               "{Ws} is heavily weighted towards {L}."],
    "weak": ["{Ws} plays only a minor positive role.", "{Ws} has a modest positive attribution.",
             "{Ws} contributes just a little positive weight to the {L} prediction."],
    "strong_neg": ["{Ws} argues strongly against {L}.", "{Ws} strongly pushes the model away from {L}."],
    "zero": ["{Ws} makes no difference to the prediction.", "{Ws} is effectively ignored by the model.",
             "{Ws} has zero influence.", "The classifier attaches no importance to {W}.",
             "{Ws} is given no weight at all.", "{Ws} does not matter at all for the {L} prediction."],
}


def t_words(a: dict, rng: random.Random, want: bool, frames: dict[str, list[str]] = WORDS) -> Cand | None:
    ws = usable(a)
    mx = max(v for v in ws.values() if v > 0)
    mn = min(ws.values())
    w = rng.choice(list(ws))
    s = ws[w]
    kw = dict(W=wq(a, w, rng), Ws=cap(wq(a, w, rng, True)), L=a["label"])
    kind = rng.choice(["strong", "strong", "weak", "zero", "zero", "strong_neg"])
    if kind == "strong":
        if abs(s - 0.5 * mx) < 0.01 or (s != 0 and abs(s) < 0.02):
            return None
        truth, chk = s > 0 and s >= 0.5 * mx, f'strong("{w}")'
    elif kind == "weak":
        if abs(s - 0.5 * mx) < 0.01 or abs(s) < 0.02:
            return None
        truth, chk = 0 < s < 0.5 * mx, f'weak("{w}")'
    elif kind == "strong_neg":
        if mn >= 0 or (s != 0 and abs(s) < 0.02) or abs(s - 0.5 * mn) < 0.01:
            return None
        truth, chk = s < 0 and s <= 0.5 * mn, f'strong_neg("{w}")'
    else:
        if s != 0 and abs(s) < 0.03:
            return None
        truth, chk = s == 0, f'zero("{w}")'
    text = _pick(rng, frames[kind], **kw)
    if truth != want:
        return None
    return text, chk, truth, f"{w}={s:+.4f}; max positive={mx:+.4f}; min={mn:+.4f}"


SECOND = ["The second-most influential word is {W}.", "{Ws} is the runner-up in importance.",
          "{Ws} comes in second.", "In second place we find {W}.", "{Ws} is the next most important word after {T}.",
          "{Ts} leads the ranking, followed by {W}.", "{Ws} is only surpassed by {T}.",
          "{Ws} holds the number two spot.", "The word ranked second is {W}."]


def t_second(a: dict, rng: random.Random, want: bool, frames: list[str] = SECOND) -> Cand | None:
    ws = usable(a)
    seconds = [w for w in ws if rank(ws, w) == 2 and abs_rank(ws, w) == 2]
    if not seconds:
        return None
    sec = seconds[0]
    top = next(w for w in ws if rank(ws, w) == 1)
    if want:
        w = sec
    else:
        pool = [u for u, s in ws.items() if u not in (sec, top) and abs(s - ws[sec]) >= 0.01 and rank(ws, u) != 2
                and abs_rank(ws, u) != 2 and s != 0]
        if not pool:
            return None
        w = rng.choice(pool)
    T = wq(a, top, rng)
    text = _pick(rng, frames, W=wq(a, w, rng), Ws=cap(wq(a, w, rng, True)), T=T, Ts=cap(T))
    chk = f'rank("{w}", 2)' + (f' and top("{top}")' if T in text or cap(T) in text else "")
    return text, chk, w == sec, f"{w}={ws[w]:+.4f} rank {rank(ws, w)}; second is {sec}={ws[sec]:+.4f}"


TOP = [
        "{Ws} is the single most decisive word.", "Nothing weighs more than {W}.", "{Ws} tops the importance ranking.",
        "{Ws} has the strongest influence on the outcome.", "The prediction is driven primarily by {W}.",
        "The most salient token is {W}.", "{Ws} is ranked first by importance.", "The explanation is dominated by {W}.",
        "{Ws} receives more weight than any other word.", "{Ws} is the word the explanation puts first.",
]


def t_top(a: dict, rng: random.Random, want: bool, frames: list[str] = TOP) -> Cand | None:
    ws = usable(a)
    mx = max(ws.values())
    top = next(w for w, s in ws.items() if s == mx)
    pool = [u for u, s in ws.items() if s < mx - 0.01 and abs(s) < abs(mx) - 0.01]
    w = top if want else rng.choice(pool)
    text = _pick(rng, frames, W=wq(a, w, rng), Ws=cap(wq(a, w, rng, True)))
    return text, f'top("{w}")', w == top, f"{w}={ws[w]:+.4f}; top {top}={mx:+.4f}"


SIGN = [("{Ws} points the model towards {L}.", True), ("{Ws} leans the classifier towards {OL}.", False),
              ("{Ws} is a cue for {OL}.", False), ("{Ws} pushes against the {L} label.", False),
              ("{Ws} adds evidence for {L}.", True), ("{Ws} tilts the decision towards {L}.", True),
              ("{Ws} has a positive effect on the {L} score.", True), ("{Ws} detracts from the {L} prediction.", False),
              ("Without {W}, the model would be more confident in {L}.", False),
              ("{Ws} helps the case for {L}.", True)]


def t_sign(a: dict, rng: random.Random, want: bool, frames: list[tuple[str, bool]] = SIGN) -> Cand | None:
    ws = usable(a)
    w = rng.choice([u for u, s in ws.items() if abs(s) >= 0.03] + [u for u, s in ws.items() if s == 0][:2])
    s = ws[w]
    L, OL = a["label"], other_label(a)
    frame, towards = rng.choice(frames)
    truth = s != 0 and (s > 0) == towards
    if truth != want:
        return None
    text = frame.format(W=wq(a, w, rng), Ws=cap(wq(a, w, rng, True)), L=L, OL=OL)
    return text, f'score("{w}") {">" if towards else "<"} 0', truth, f"{w}={s:+.4f} towards '{L}'"


MORE = [
        "{Xs} is more important than {Y}.", "{Ys} carries less weight than {X}.", "{Xs} has a stronger effect than {Y}.",
        "{Xs} contributes more than {Y} does.", "{Ys} is less influential than {X}.",
        "{Xs} matters far more to the model than {Y}.", "The model cares more about {X} than about {Y}.",
        "{Ys} ranks below {X}.", "{Xs} ranks above {Y} in importance.", "{Xs} counts for more than {Y}.",
]


def t_outweighs(a: dict, rng: random.Random, want: bool, frames: list[str] = MORE) -> Cand | None:
    ws = usable(a)
    nz = [w for w, s in ws.items() if s != 0]
    x, y = rng.choice(nz), rng.choice(list(ws))
    if x == y or abs(ws[x] - ws[y]) < 0.01 or abs(abs(ws[x]) - abs(ws[y])) < 0.01:
        return None
    if (ws[x] > ws[y]) != (abs(ws[x]) > abs(ws[y])):
        return None
    if (ws[x] > ws[y]) != want:
        x, y = y, x
    text = _pick(rng, frames, X=wq(a, x, rng), Y=wq(a, y, rng), Xs=cap(wq(a, x, rng, True)), Ys=cap(wq(a, y, rng, True)))
    return text, f'outweighs("{x}", "{y}")', ws[x] > ws[y], f"{x}={ws[x]:+.4f}, {y}={ws[y]:+.4f}"


def t_value(a: dict, rng: random.Random, want: bool) -> Cand | None:
    ws = usable(a)
    w = rng.choice([u for u, s in ws.items() if abs(s) >= 0.03])
    s = ws[w]
    hedge = rng.choice(["exact", "exact", "about"])
    if want:
        v = round(s, 2)
        if hedge == "exact" and min(abs(s - (v - 0.005)), abs(s - (v + 0.005))) < 0.0015:
            return None
    else:
        v = round(s + rng.choice([-1, 1]) * rng.uniform(0.08, 0.25), 2)
        if v == 0 or abs(v) > 1:
            return None
    num = f"{v:.2f}"
    h = rng.choice(["about ", "roughly ", "approximately "]) if hedge == "about" else ""
    text = _pick(rng, ["{Ws} comes in at {n}.", "{Ws} is scored at {n}.", "The score attached to {W} is {n}.",
                       "{Ws} registers a value of {n}.", "For {W}, the model's attribution is {n}."],
                 W=wq(a, w, rng), Ws=cap(wq(a, w, rng, True)), n=h + num)
    truth = abs(s - v) <= 0.05 if hedge == "about" else (v - 0.005 <= s < v + 0.005)
    if truth != want:
        return None
    return text, f'{hedge}(score("{w}"), "{num}")', truth, f"{w}={s:+.4f}"


def t_label(a: dict, rng: random.Random, want: bool) -> Cand | None:
    pred, prob = a["predicted"], a["probability"]
    other = next(x for x in a["labels"] if x != pred)
    if rng.random() < 0.5:
        lab = pred if want else other
        text = _pick(rng, ["The review is judged {l}.", "The model decides that the review is {l}.",
                           "The model sees this review as {l}.", "The output label is {l}.",
                           "{L} is the model's call for this review."], l=lab, L=cap(lab))
        return text, f'predicted == "{lab}"', lab == pred, f"predicted={pred}"
    lab = rng.choice([pred, pred, other])
    x = prob if lab == pred else 1 - prob
    got = stated_number(rng, x, want, [1 - x], style=rng.choice(["pct", "words"]), kinds=("exact", "about", "over", "under"))
    if not got:
        return None
    num, chk, _ = got
    text = _pick(rng, ["The model's confidence in {l} is {n}.", "It assigns the {l} label a probability of {n}.",
                       "The probability that this text is {l} comes to {n}."], l=lab, n=num)
    return tidy(text), chk.format(x=f'p_of("{lab}")'), want, f"p({lab})={x:.4f}"


TEXT_FRAMES: dict[str, tuple[Callable[[dict, random.Random, bool], Cand | None], int]] = {
    "least_word": (t_least, 40), "score_words": (t_words, 40), "rank_word": (t_second, 40), "top_word": (t_top, 30),
    "sign": (t_sign, 30), "outweighs": (t_outweighs, 30), "score_value": (t_value, 20), "text_label": (t_label, 20),
}


# --------------------------------------------------------------------------- image

FRACS = {"half": "about half", "third": "roughly a third", "quarter": "about a quarter", "two_thirds": "roughly two-thirds",
         "three_quarters": "about three quarters", "most": "the majority", "nearly_all": "almost all",
         "almost_none": "next to none", "less_than_half": "under half"}


def i_share(f: dict, rng: random.Random, want: bool) -> Cand | None:
    return share_cand(rng, want, f["saliency_in_segment"], "in_seg", [f["segment_area"], f["probability"]], FRACS,
                      ["{q} of the attribution mass lies on the segmented object.",
                       "The object holds {ql} of the saliency mass.", "The segment captures {ql} of the positive saliency."],
                      ["The segment captures {n} of the positive saliency.",
                       "{N} of the heatmap's mass falls within the object's outline.", "The mask contains {n} of the saliency."])


CHANGE3 = {
    "drops": ["sends the {lab} probability down", "cuts the confidence in {lab}"],
    "barely": ["leaves the {lab} probability almost untouched", "barely budges the model's belief in {lab}"],
    "rises": ["boosts the {lab} probability", "lifts the model's confidence in {lab}"],
    "stays": ["leaves the {lab} probability steady"],
    "sharply": ["causes a dramatic drop in the {lab} probability", "wipes out the model's confidence in {lab}"],
}


def i_change(f: dict, rng: random.Random, want: bool) -> Cand | None:
    return change_cand(f, rng, want, CHANGE3, ["Erasing the object", "Taking the object away", "Blurring the object out"],
                       ["Showing the object by itself", "Isolating the object"])


SEG3 = {"p_removed": ["After the object is erased, {lab} gets {n}.", "With the object hidden, the model gives {lab} {n}.",
                      "The object's removal leaves {lab} at {n}."],
        "p_only": ["When the model sees nothing but the object, it gives {lab} {n}.", "On the object alone, {lab} scores {n}.",
                   "Isolating the object yields a {lab} probability of {n}.", "The object by itself gets {n} for {lab}."]}


def _seg(f: dict, rng: random.Random, want: bool, which: str) -> Cand | None:
    return seg_cand(f, rng, want, which, SEG3)


def i_only(f: dict, rng: random.Random, want: bool) -> Cand | None:
    return _seg(f, rng, want, "p_only")


def i_removed(f: dict, rng: random.Random, want: bool) -> Cand | None:
    return _seg(f, rng, want, "p_removed")


def i_obj(f: dict, rng: random.Random, want: bool) -> Cand | None:
    x = f["saliency_in_segment"]
    if abs(x - 0.5) < 0.02:
        return None
    says_obj = (x > 0.5) == want
    text = rng.choice(["The saliency sits mostly on the object, not on the background.",
                       "Most of the highlighted area lies on the object itself rather than its surroundings."]
                      if says_obj else
                      ["The background, not the object, draws most of the saliency.",
                       "The model pays more attention to the background than to the object."])
    return text, "obj()" if says_obj else "bg()", want, f"saliency_in_segment={x:.4f}"


DISTRACT = ["golden retriever", "zebra", "pizza", "sports car", "laptop", "umbrella", "banana", "violin", "goldfish",
            "ambulance", "strawberry", "hammer"]


def i_label(f: dict, rng: random.Random, want: bool) -> Cand | None:
    lab = f["label"]
    name = lab if want else rng.choice(DISTRACT + [a["label"] for a in f["alternatives"][:2]
                                                   if f["probability"] - a["probability"] >= 0.03])
    text = _pick(rng, ["The network concludes that the image shows {a}.", "The model's verdict: {n}.",
                       "This photo is recognised as {a}.", "The classifier settles on {n}.",
                       "The image gets classified as {a}."], a=article(name), n=name)
    return text, f'top("{name}")', name == lab, f"label={lab}"


def i_auc(f: dict, rng: random.Random, want: bool) -> Cand | None:
    d, i = f["deletion_auc"], f["insertion_auc"]
    which = rng.choice(["deletion", "insertion"])
    x, other = (d, i) if which == "deletion" else (i, d)
    got = stated_number(rng, x, want, [other], style="dec", kinds=("exact", "exact", "about", "under", "over"))
    if not got:
        return None
    num, chk, _ = got
    text = _pick(rng, ["The {w} curve's AUC comes to {n}.", "An AUC of {n} was measured for {w}.",
                       "The AUC under {w} is {n}."], w=which, n=num)
    return tidy(text), chk.format(x="del_auc" if which == "deletion" else "ins_auc"), want, f"{which}_auc={x:.4f}"


def i_area(f: dict, rng: random.Random, want: bool) -> Cand | None:
    return share_cand(rng, want, f["segment_area"], "area", [f["saliency_in_segment"]], FRACS,
                      ["The segmented object makes up {ql} of the frame."], ["The object's mask accounts for {n} of the image."],
                      [k for k in FRACS if k != "almost_none"])


CELLS = ["upper left", "upper centre", "upper right", "centre left", "centre", "centre right", "lower left",
         "lower centre", "lower right"]


def i_location(f: dict, rng: random.Random, want: bool) -> Cand | None:
    g, region = f["saliency_grid"], f["saliency_region"]
    rr, rc = CELLS.index(region) // 3, CELLS.index(region) % 3
    if want:
        name = region
    else:
        name = rng.choice([c for c in CELLS if c != region])
        share = g[CELLS.index(name) // 3][CELLS.index(name) % 3]
        if share >= 0.6 * g[rr][rc] or share >= 0.2:
            return None
    text = _pick(rng, ["The hottest region of the heatmap is the {c}.", "Evidence is concentrated in the {c} cell.",
                       "The {c} is where most of the saliency lies."], c=name)
    return text, f'loc("{name}")', name == region, f"saliency_region={region}"


IMAGE_FRAMES: dict[str, tuple[Callable[[dict, random.Random, bool], Cand | None], int]] = {
    "saliency_share": (i_share, 30), "change": (i_change, 24), "p_only": (i_only, 20), "object_vs_background": (i_obj, 16),
    "label": (i_label, 20), "auc": (i_auc, 16), "p_removed": (i_removed, 16), "area": (i_area, 16),
    "location": (i_location, 14),
}

T, F = True, False
HAND = [
    ("text", "food_service", "least_word", T, 'least("early")', "early=0",
     "The closing words, like 'early', do not register at all and are the least important."),
    ("text", "food_service", "least_word", F, 'least("but")', "but=+0.2147",
     "Perhaps surprisingly, the conjunction 'but' is the least important token in the review."),
    ("text", "phone_battery", "least_word", F, 'least("not")', "not=+0.4914",
     "The negation 'not' turns out to matter least of all the words."),
    ("text", "phone_battery", "least_word", T, 'least("screen")', "screen=0",
     "Nouns such as 'screen' are among the least important words in this explanation."),
    ("text", "hotel_breakfast", "rank_word", T, 'top("but") and rank("terrible", 2)', "but > terrible",
     "The contrastive 'but' leads, and 'terrible' is the second most important word."),
    ("text", "hotel_breakfast", "rank_word", F, 'rank("clean", 2)', "clean=-0.1050",
     "After 'but', the word the model relies on next is 'clean'."),
    ("text", "delivery_damaged", "score_words", F, 'zero("disappointed")', "disappointed=+0.1511",
     "Even 'disappointed' has no real effect on the prediction."),
    ("text", "delivery_damaged", "score_words", T, 'strong("disappointed") and strong("damaged")', "both >= 0.0755",
     "Both 'disappointed' and 'damaged' have strong positive attributions towards negative."),
    ("text", "acting_plot", "score_words", T, 'zero("slow")', "slow=0",
     "Although 'slow' sounds negative, it has no influence on the prediction."),
    ("text", "acting_plot", "top_word", F, 'top("wonderful")', "wonderful < loved",
     "'wonderful' is the strongest positive signal in the review."),
    ("text", "sequel_jokes", "top_word", T, 'top("not")', "not=+0.2646",
     "The explanation is dominated by the negation 'not', which has the top score."),
    ("text", "story_again", "score_words", T, 'strong("happily")', "0.0396 >= 0.0234",
     "Even 'happily' has a strong positive score relative to the others."),
    ("image", "coffee", "saliency_share", T, 'frac(in_seg, "two_thirds")', "in_seg=0.6496",
     "Roughly two-thirds of the positive saliency is on the cup."),
    ("image", "rocket", "saliency_share", F, 'frac(in_seg, "most")', "in_seg=0.4461",
     "The majority of the saliency falls on the rocket itself."),
    ("image", "china_eigencam", "change", T, 'change(p, p_only, "rises")', "0.3582 -> 0.5421",
     "Cutting the building out on its own makes the model more confident in bell cote."),
    ("image", "astronaut", "label", F, 'top("dumbbell")', "label=barbell",
     "The classifier's top answer is dumbbell."),
    ("image", "motorcycle", "p_only", F, 'exact(p_only, "47%")', "p_segment_only=0.1921",
     "With only the moped visible, the probability stays at 47%."),
    ("image", "grace_hopper", "object_vs_background", T, "obj()", "in_seg=0.6789",
     "The attribution concentrates on the person rather than on the background."),
]


def generate(seen: set[tuple[str, str, str]]) -> list[dict]:
    """The hand entries, then frame sentences per claim kind (half true, half false), deterministic."""
    return build(HAND, [("text", TEXT_SOURCES, TEXT_FRAMES), ("image", IMAGE_SOURCES, IMAGE_FRAMES)], SEED, seen)


__all__ = ["generate", "tok"]

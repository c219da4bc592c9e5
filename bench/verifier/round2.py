"""Round 2 of the corpus (issue 10 follow-up): new sentences, written before any rule change of round 2.

Round 1 (hand.py, make_paraphrases.py) was tuned on by the session that wrote the verifier. Round 2
adds sentences of the kinds it found weak (text: least important, second most important, "X
outweighs Y", signs near unquoted words, scores in words; image: every kind, for the false alarms)
in phrasings LLMs use when they explain an attribution: longer clauses, "the model relies on",
"carries more weight", bold or bare words, hedges. Its frames were written from how GPT-style
verbalizations read, not from the verifier's patterns.

Round 2 is split on its own by round 1's rule (within each (kind, claim, truth) group: ids ordered by
sha1(id), dealt alternately), so round 1's splits stay exactly as they were. Each sentence has a
`check` that check_corpus.py evaluates independently. Entries: (kind, source stem, claim, truth,
check, why, text), like hand.py; `origin` is "hand" for HAND and "paraphrase" for the frames.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from make_paraphrases import (
    IMAGE_SOURCES,
    TEXT_SOURCES,
    _words,
    article,
    cap,
    load,
    stated_number,
    tidy,
    words,
)

SEED = 20
Cand = tuple[str, str, bool, str]

# --------------------------------------------------------------------------- text helpers


def tok(a: dict, w: str) -> str:
    return next(t for t in a["tokens"] if t.lower() == w)


def wq(a: dict, w: str, rng: random.Random, start: bool = False) -> str:
    """A word as LLMs quote it: single, double or curly quotes, bold, or bare (not at a sentence start)."""
    t = tok(a, w)
    styles = [f"'{t}'", f'"{t}"', f"“{t}”", f"**{t}**", f'"{t}"']
    if not start:
        styles += [t, f"the word {t}", f"the word '{t}'"]
    return rng.choice(styles)


def other_label(a: dict) -> str:
    return next(x for x in a["labels"] if x != a["label"])


def usable(a: dict) -> dict[str, float]:
    """Words with one score that occur once in the text (a claim about them is unambiguous)."""
    ws = _words(a)
    counts: dict[str, int] = {}
    for t in a["tokens"]:
        counts[t.lower()] = counts.get(t.lower(), 0) + 1
    return {w: s for w, s in ws.items() if (counts[w] == 1 or s == 0) and w not in FUNCTION_WORDS}


FUNCTION_WORDS = {"the", "a", "and", "was", "is", "as", "so", "if", "we", "this", "that", "with", "were", "will",
                  "because", "even", "too"}
"""Words an explanation rarely names; a sentence about 'the' reads as no LLM writes."""


def rank(ws: dict[str, float], w: str) -> int:
    return 1 + len([v for u, v in ws.items() if v > ws[w] and u != w])


def abs_rank(ws: dict[str, float], w: str) -> int:
    return 1 + len([v for u, v in ws.items() if abs(v) > abs(ws[w]) and u != w])


# --------------------------------------------------------------------------- text frames


def t_top(a: dict, rng: random.Random, want: bool) -> Cand | None:
    ws = usable(a)
    mx = max(ws.values())
    top = next(w for w, s in ws.items() if s == mx)
    if want:
        w = top
    else:
        pool = [u for u, s in ws.items() if s < mx - 0.01 and abs(s) < abs(mx) - 0.01]
        w = rng.choice(pool)
    L = a["label"]
    text = rng.choice([
        f"The word that contributes most to the {L} prediction is {wq(a, w, rng)}.",
        f"Of all the words in the review, {wq(a, w, rng)} carries the most weight.",
        f"The classifier's decision hinges above all on {wq(a, w, rng)}.",
        f"{cap(wq(a, w, rng, True))} stands out as the single strongest signal for {L}.",
        f"The highest attribution score goes to {wq(a, w, rng)}.",
        f"Looking at the scores, {wq(a, w, rng)} is clearly the dominant word.",
        f"The largest importance score belongs to {wq(a, w, rng)}.",
        f"{cap(wq(a, w, rng, True))} is the word the model relies on most heavily.",
        f"The key driver of this {L} prediction is {wq(a, w, rng)}.",
        f"The strongest evidence for {L} comes from {wq(a, w, rng)}.",
        f"Above all, the model attends to {wq(a, w, rng)} when it decides the review is {L}.",
        f"{cap(wq(a, w, rng, True))} receives the top importance score in this review.",
    ])
    return text, f'top("{w}")', w == top, f"{w}={ws[w]:+.4f}; top {top}={mx:+.4f}"


def t_least(a: dict, rng: random.Random, want: bool) -> Cand | None:
    ws = usable(a)
    mn = min(abs(s) for s in ws.values())
    pool = [w for w, s in ws.items() if (abs(s) == mn if want else abs(s) >= 0.03)]
    w = rng.choice(pool)
    pair = [u for u in pool if u != w]
    text = rng.choice([
        f"The word {tok(a, w)} contributes the least to the prediction.",
        f"Among all tokens, {wq(a, w, rng)} received the lowest importance.",
        f"The least influential token in the review is {wq(a, w, rng)}.",
        f"{cap(wq(a, w, rng, True))} ranks last in importance.",
        f"The model pays the least attention to {wq(a, w, rng)}.",
        f"{cap(wq(a, w, rng, True))} has the smallest attribution of any word.",
        f"At the bottom of the importance ranking sits {wq(a, w, rng)}.",
        f"{cap(wq(a, w, rng, True))} is one of the words that matter least for the {a['label']} prediction.",
        f"The least relevant word for the classifier is {wq(a, w, rng)}.",
        f"{cap(wq(a, w, rng, True))} carries the least weight of all the words.",
        f"In contrast, {wq(a, w, rng)} is among the least important tokens.",
    ])
    if want and pair and rng.random() < 0.3:
        v = rng.choice(pair)
        text = rng.choice([f"Words such as {wq(a, w, rng)} and {wq(a, v, rng)} have the lowest importance.",
                           f"Both {wq(a, w, rng)} and {wq(a, v, rng)} are among the least important words."])
        return text, f'least("{w}") and least("{v}")', True, f"{w}={ws[w]:+.4f}, {v}={ws[v]:+.4f}; min |score|={mn}"
    return text, f'least("{w}")', abs(ws[w]) == mn, f"{w}={ws[w]:+.4f}; min |score|={mn:.4f}"


def t_second(a: dict, rng: random.Random, want: bool) -> Cand | None:
    ws = usable(a)
    seconds = [w for w in ws if rank(ws, w) == 2 and abs_rank(ws, w) == 2]
    if not seconds:
        return None
    sec = seconds[0]
    top = next(w for w in ws if rank(ws, w) == 1)
    if abs(ws[top] - ws[sec]) < 0.01 and not want:
        return None
    if want:
        w = sec
    else:
        pool = [u for u, s in ws.items() if u != sec and abs(s - ws[sec]) >= 0.01 and rank(ws, u) != 2
                and abs_rank(ws, u) != 2 and s != 0]
        if not pool:
            return None
        w = rng.choice(pool)
    T = wq(a, top, rng)
    text = rng.choice([
        f"Second in importance comes {wq(a, w, rng)}.",
        f"The runner-up word is {wq(a, w, rng)}.",
        f"{cap(wq(a, w, rng, True))} is the second-highest scoring word.",
        f"The next most influential word after {T} is {wq(a, w, rng)}.",
        f"{cap(wq(a, w, rng, True))} takes second place in the ranking.",
        f"{cap(wq(a, w, rng, True))} has the second largest attribution.",
        f"Following {T}, {wq(a, w, rng)} is the second most important token.",
        f"The two most important words are {T} and {wq(a, w, rng)}, in that order.",
        f"Right behind {T} in importance is {wq(a, w, rng)}.",
        f"The second strongest contribution comes from {wq(a, w, rng)}.",
    ])
    chk = f'rank("{w}", 2)'
    if T in text:
        chk = f'top("{top}") and ' + chk
    return text, chk, w == sec, f"{w}={ws[w]:+.4f} rank {rank(ws, w)}; second is {sec}={ws[sec]:+.4f}"


def t_outweighs(a: dict, rng: random.Random, want: bool) -> Cand | None:
    ws = usable(a)
    nz = [w for w, s in ws.items() if s != 0]
    x, y = rng.choice(nz), rng.choice(list(ws))
    if x == y or abs(ws[x] - ws[y]) < 0.01 or abs(abs(ws[x]) - abs(ws[y])) < 0.01:
        return None
    if (ws[x] > ws[y]) != (abs(ws[x]) > abs(ws[y])):
        return None
    truth = ws[x] > ws[y]
    if truth != want:
        x, y = y, x
    X, Y = wq(a, x, rng), wq(a, y, rng)
    Xs = cap(wq(a, x, rng, True))
    Ys = cap(wq(a, y, rng, True))
    L = a["label"]
    text = rng.choice([
        f"{Xs} carries more weight than {Y}.",
        f"{Xs} has a bigger influence on the prediction than {Y}.",
        f"The model relies more on {X} than on {Y}.",
        f"{Xs} is more influential than {Y}.",
        f"Compared with {Y}, {X} contributes more to the {L} prediction.",
        f"{Ys} matters less than {X}.",
        f"The attribution of {X} is higher than that of {Y}.",
        f"{Xs} outweighs {Y} in the model's decision.",
        f"{Xs} scores higher than {Y}.",
        f"{Ys} is overshadowed by {X}.",
        f"{Xs} plays a larger role than {Y}.",
        f"{Ys} is less important to the classifier than {X}.",
    ])
    return text, f'outweighs("{x}", "{y}")', ws[x] > ws[y], f"{x}={ws[x]:+.4f}, {y}={ws[y]:+.4f}"


def t_sign(a: dict, rng: random.Random, want: bool) -> Cand | None:
    ws = usable(a)
    w = rng.choice([u for u, s in ws.items() if abs(s) >= 0.03] + [u for u, s in ws.items() if s == 0][:2])
    s = ws[w]
    L, OL = a["label"], other_label(a)
    W, Ws = wq(a, w, rng), cap(wq(a, w, rng, True))
    frames = [  # (text, pushes towards L?) — a frame says the word pushes towards L (True) or away from it (False)
        (f"The word {tok(a, w)} pushes the prediction towards {L}.", True),
        (f"{Ws} counts against the {L} label.", False),
        (f"{Ws} speaks in favour of {L}.", True),
        (f"{Ws} is evidence for {OL}.", False),
        (f"The classifier treats {W} as a signal for {L}.", True),
        (f"{Ws} receives a positive score.", True),
        (f"{Ws} has a negative attribution.", False),
        (f"{Ws} lowers the model's confidence in {L}.", False),
        (f"{Ws} supports the {L} prediction.", True),
        (f"{Ws} pulls the model away from {L}.", False),
        (f"Removing {W} would make the model less confident that the review is {L}.", True),
        (f"{Ws} nudges the classifier towards a {OL} reading.", False),
        (f"Here {W} contributes positively to the {L} prediction.", True),
        (f"{Ws} works against the {L} verdict.", False),
    ]
    text, towards = rng.choice(frames)
    if s == 0:
        truth = False
    else:
        truth = (s > 0) == towards
    if truth != want:
        return None
    chk = f'score("{w}") > 0' if towards else f'score("{w}") < 0'
    return text, chk, truth, f"{w}={s:+.4f} towards '{L}'"


def t_value(a: dict, rng: random.Random, want: bool) -> Cand | None:
    ws = usable(a)
    w = rng.choice([u for u, s in ws.items() if abs(s) >= 0.03])
    s = ws[w]
    hedge = rng.choice(["exact", "exact", "about"])
    if want:
        v = round(s, 2) if hedge == "exact" or rng.random() < 0.5 else round(s + rng.choice([-0.02, 0.02]), 2)
        if hedge == "exact" and min(abs(s - (v - 0.005)), abs(s - (v + 0.005))) < 0.0015:
            return None
        if hedge == "about" and abs(abs(s - v) - 0.05) < 0.003:
            return None
    else:
        others = [u for u in ws.values() if abs(u - s) >= 0.08 and u != 0]
        v = round(rng.choice(others), 2) if others and rng.random() < 0.6 else round(s + rng.choice([-1, 1]) * rng.uniform(0.08, 0.2), 2)
        if abs(v - s) < 0.08 or v == 0:
            return None
    num = f"{v:.2f}".replace("-", rng.choice(["-", "−"]))
    h = rng.choice(["about ", "roughly ", "around ", "approximately "]) if hedge == "about" else ""
    W, Ws = wq(a, w, rng), cap(wq(a, w, rng, True))
    text = rng.choice([
        f"{Ws} has an importance score of {h}{num}.",
        f"The attribution for {W} is {h}{num}.",
        f"{Ws} receives a score of {h}{num}.",
        f"{Ws} is assigned a weight of {h}{num}.",
        f"The importance score of {W} comes to {h}{num}.",
        f"{Ws} carries an attribution of {h}{num}.",
        f"With a score of {h}{num}, {W} is one of the words the model looks at.",
        f"The model gives {W} a score of {h}{num}.",
        f"{Ws} contributes {h}{num} to the {a['label']} score.",
    ])
    truth = abs(s - v) <= 0.05 if hedge == "about" else (v - 0.005 <= s < v + 0.005)
    if truth != want:
        return None
    return text, f'{hedge}(score("{w}"), "{v:.2f}")', truth, f"{w}={s:+.4f}"


def t_words(a: dict, rng: random.Random, want: bool) -> Cand | None:
    ws = usable(a)
    mx = max(v for v in ws.values() if v > 0)
    w = rng.choice(list(ws))
    s = ws[w]
    L = a["label"]
    W, Ws = wq(a, w, rng), cap(wq(a, w, rng, True))
    kind = rng.choice(["strong", "strong", "weak", "zero", "zero"])
    if kind == "strong":
        if abs(s - 0.5 * mx) < 0.01 or (s != 0 and abs(s) < 0.02):
            return None
        truth = s > 0 and s >= 0.5 * mx
        text = rng.choice([f"{Ws} has a strong positive attribution.",
                           f"{Ws} has a large positive effect on the {L} prediction.",
                           f"{Ws} strongly pushes the model towards {L}.",
                           f"{Ws} is a strong indicator of {L}.",
                           f"The model assigns {W} a high positive score."])
        chk = f'strong("{w}")'
    elif kind == "weak":
        if abs(s - 0.5 * mx) < 0.01 or abs(s) < 0.02:
            return None
        truth = 0 < s < 0.5 * mx
        text = rng.choice([f"{Ws} has only a small positive score.",
                           f"{Ws} has only a marginal positive influence.",
                           f"{Ws} adds a slight positive contribution.",
                           f"{Ws} is only weakly positive."])
        chk = f'weak("{w}")'
    else:
        if s != 0 and abs(s) < 0.03:
            return None
        truth = s == 0
        text = rng.choice([f"{Ws} plays no role at all in the prediction.",
                           f"The model essentially ignores {W}.",
                           f"{Ws} has no effect on the outcome.",
                           f"{Ws} is irrelevant to the classifier, with a score of zero.",
                           f"{Ws} gets a score of exactly zero.",
                           f"{Ws} does not influence the {L} prediction at all."])
        chk = f'zero("{w}")'
    if truth != want:
        return None
    return text, chk, truth, f"{w}={s:+.4f}; max positive={mx:+.4f}"


def t_label(a: dict, rng: random.Random, want: bool) -> Cand | None:
    pred, prob = a["predicted"], a["probability"]
    other = next(x for x in a["labels"] if x != pred)
    if rng.random() < 0.4:
        lab = pred if want else other
        text = rng.choice([f"The classifier labels this review as {lab}.",
                           f"This review is classified as {lab}.",
                           f"The sentiment model concludes that the review is {lab}.",
                           f"According to the model, the review is {lab}.",
                           f"The model's verdict for this review is {lab}."])
        return text, f'predicted == "{lab}"', lab == pred, f"predicted={pred} (p={prob:.4f})"
    lab = rng.choice([pred, pred, other])
    x = prob if lab == pred else 1 - prob
    got = stated_number(rng, x, want, [1 - x], style=rng.choice(["pct", "words", "dec"]),
                        kinds=("exact", "exact", "about", "over", "under"))
    if not got:
        return None
    num, chk, _ = got
    text = rng.choice([f"The model is {num} sure the review is {lab}.",
                       f"The classifier assigns {num} probability to {lab}.",
                       f"The predicted probability of {lab} is {num}.",
                       f"With {num} confidence, the model calls this review {lab}.",
                       f"The model puts the chance that the review is {lab} at {num}."])
    return tidy(text), chk.format(x=f'p_of("{lab}")'), want, f"predicted={pred} p={prob:.4f}; p({lab})={x:.4f}"


TEXT_FRAMES: dict[str, Callable[[dict, random.Random, bool], Cand | None]] = {
    "top_word": t_top, "least_word": t_least, "rank_word": t_second, "outweighs": t_outweighs, "sign": t_sign,
    "score_value": t_value, "score_words": t_words, "text_label": t_label,
}
TEXT_PER_CLAIM = {"top_word": 20, "least_word": 30, "rank_word": 30, "outweighs": 30, "sign": 30,
                  "score_value": 24, "score_words": 30, "text_label": 20}


# --------------------------------------------------------------------------- image frames

FILL = {"blur": "blurred", "mean": "greyed out", "zero": "blacked out"}


def i_p_label(f: dict, rng: random.Random, want: bool) -> Cand | None:
    p, lab = f["probability"], f["label"]
    pool = [a["probability"] for a in f["alternatives"][:3]] + [f["p_segment_only"], f["p_segment_removed"]]
    got = stated_number(rng, p, want, pool, style=rng.choice(["pct", "pct", "words", "dec"]))
    if not got:
        return None
    num, chk, _ = got
    text = rng.choice([f"The classifier identifies the image as {article(lab)} with a confidence of {num}.",
                       f"Its top prediction, {lab}, comes with a probability of {num}.",
                       f"The model assigns {num} probability to the class {lab}.",
                       f"With {num} confidence, the network believes it is looking at {article(lab)}.",
                       f"The prediction is {lab}, at {num}."])
    return tidy(text), chk.format(x="p"), want, f"p_label={p:.4f}"


def i_p_alt(f: dict, rng: random.Random, want: bool) -> Cand | None:
    alts = f["alternatives"][:4]
    a = rng.choice(alts)
    if abs(a["probability"] - f["probability"]) < 0.01:
        return None
    x = a["probability"]
    pool = [f["probability"]] + [b["probability"] for b in alts if b is not a]
    got = stated_number(rng, x, want, pool, style=rng.choice(["pct", "pct", "words"]),
                        kinds=("exact", "exact", "about", "under", "over"))
    if not got:
        return None
    num, chk, _ = got
    name = a["label"]
    text = rng.choice([f"The model also considers {name}, but only gives it {num}.",
                       f"{cap(name)} is another candidate, with a probability of {num}.",
                       f"A less likely option is {name} at {num}.",
                       f"The classifier puts {num} on {name}."])
    return tidy(text), chk.format(x=f'alt("{name}")'), want, f"p({name})={x:.4f}"


DISTRACT = ["golden retriever", "zebra", "pizza", "sports car", "laptop", "tennis ball", "umbrella", "teddy bear",
            "banana", "lighthouse", "violin", "goldfish"]


def i_label(f: dict, rng: random.Random, want: bool) -> Cand | None:
    lab = f["label"]
    if want:
        name = lab
    else:
        name = rng.choice(DISTRACT + [a["label"] for a in f["alternatives"][:2]
                                      if f["probability"] - a["probability"] >= 0.03])
    text = rng.choice([f"The network's best guess for this picture is {article(name)}.",
                       f"The model recognises the image as {article(name)}.",
                       f"The classifier's answer is {name}.",
                       f"According to the model, this photo most likely shows {article(name)}.",
                       f"The image is classified as {article(name)} by the model."])
    return text, f'top("{name}")', name == lab, f"label={lab}"


SEG_FRAMES = {
    "p_removed": ["When the object is {fill}, the probability for {lab} is {n}.",
                  "Masking out the object leaves the model with {n} confidence in {lab}.",
                  "If we remove the segmented region, {lab} receives {n}.", "Without the object, the confidence in {lab} is {n}."],
    "p_only": ["Shown the object alone, the model gives {lab} a probability of {n}.",
               "When only the object is visible, confidence in {lab} is {n}.",
               "The isolated object on its own is enough for {n} on {lab}.",
               "Keeping just the segmented region yields {n} for {lab}."],
}


def seg_cand(f: dict, rng: random.Random, want: bool, which: str, frames: dict[str, list[str]]) -> Cand | None:
    """p(label) with the object removed or kept alone, said as a number; frames use {lab}, {n} and {fill}."""
    x = f["p_segment_removed"] if which == "p_removed" else f["p_segment_only"]
    other = f["p_segment_only"] if which == "p_removed" else f["p_segment_removed"]
    got = stated_number(rng, x, want, [f["probability"], other], style=rng.choice(["pct", "pct", "words"]),
                        kinds=("exact", "exact", "about", "under", "over"))
    if not got:
        return None
    num, chk, _ = got
    text = rng.choice(frames[which]).format(lab=f["label"], n=num, fill=FILL[f["fill"]])
    return tidy(text), chk.format(x=which), want, f"{which}={x:.4f}"


def _seg(f: dict, rng: random.Random, want: bool, which: str) -> Cand | None:
    return seg_cand(f, rng, want, which, SEG_FRAMES)


def i_removed(f: dict, rng: random.Random, want: bool) -> Cand | None:
    return _seg(f, rng, want, "p_removed")


def i_only(f: dict, rng: random.Random, want: bool) -> Cand | None:
    return _seg(f, rng, want, "p_only")


CHANGE = {
    "barely": ["barely moves the probability of {lab}", "has almost no effect on the {lab} probability",
               "changes the confidence in {lab} only slightly"],
    "stays": ["leaves the {lab} probability more or less where it was", "keeps the model's confidence in {lab} "
              "about the same"],
    "drops": ["reduces the model's confidence in {lab}", "makes the model less sure of {lab}",
              "causes the probability of {lab} to fall"],
    "sharply": ["makes the probability of {lab} plummet", "causes the confidence in {lab} to drop sharply",
                "destroys the model's confidence in {lab}"],
    "rises": ["actually increases the probability of {lab}", "makes the model more confident in {lab}",
              "pushes the {lab} probability up"],
}


def change_cand(f: dict, rng: random.Random, want: bool, verbs: dict[str, list[str]], removed: list[str],
                only: list[str]) -> Cand | None:
    """A change word for p(label) with the object removed or kept alone; `verbs` per rule use {lab}."""
    from make_paraphrases import change_truth
    which = rng.choice(["p_removed", "p_only"])
    after = f["p_segment_removed"] if which == "p_removed" else f["p_segment_only"]
    p, lab = f["probability"], f["label"]
    if p < 0.1:
        return None
    w = rng.choice(list(verbs))
    truth, m = change_truth(p, after, w)
    if truth != want or m < 0.01:
        return None
    subj = rng.choice(removed if which == "p_removed" else only)
    return f"{subj} {rng.choice(verbs[w]).format(lab=lab)}.", f'change(p, {which}, "{w}")', want, \
        f"p={p:.4f} -> {which}={after:.4f}"


def i_change(f: dict, rng: random.Random, want: bool) -> Cand | None:
    return change_cand(f, rng, want, CHANGE, ["Removing the object", "Hiding the object"],
                       ["Keeping only the object", "Cropping the image down to the object"])


def i_negation(f: dict, rng: random.Random, want: bool) -> Cand | None:
    from make_paraphrases import change_truth
    p, lab = f["probability"], f["label"]
    if rng.random() < 0.6:
        if p < 0.1:
            return None
        which = rng.choice(["p_removed", "p_only"])
        after = f["p_segment_removed"] if which == "p_removed" else f["p_segment_only"]
        w, phrase = rng.choice([("drops", "does not make the model less confident in {lab}"),
                                ("drops", "doesn't reduce the probability of {lab}"),
                                ("rises", "does not increase the {lab} probability"),
                                ("rises", "never raises the confidence in {lab}")])
        t, m = change_truth(p, after, w)
        if (not t) != want or m < 0.01:
            return None
        subj = "Removing the object" if which == "p_removed" else "Keeping only the object"
        return f"{subj} {phrase.format(lab=lab)}.", f'not change(p, {which}, "{w}")', want, \
            f"p={p:.4f} -> {which}={after:.4f}"
    name = rng.choice([a["label"] for a in f["alternatives"][:3] if f["probability"] - a["probability"] >= 0.03]) \
        if want else lab
    text = rng.choice([f"The model does not think the image shows {article(name)}.",
                       f"The classifier does not classify the picture as {article(name)}.",
                       f"The network's prediction is not {name}."])
    return text, f'not top("{name}")', name != f["label"], f"label={f['label']}"


FRACS = {"half": "about half", "third": "roughly a third", "quarter": "about a quarter", "two_thirds": "about two-thirds",
         "three_quarters": "around three quarters", "most": "most", "nearly_all": "nearly all",
         "almost_none": "hardly any", "less_than_half": "less than half"}


def share_cand(rng: random.Random, want: bool, x: float, expr: str, pool: list[float], fracs: dict[str, str],
               frac_frames: list[str], num_frames: list[str], frac_keys: list[str] | None = None) -> Cand | None:
    """A share (of the saliency, of the image) said as a fraction word or a number; frames use {q} / {ql} (the
    fraction word, capitalised or not) and {n} / {N} (the number)."""
    from make_paraphrases import frac_truth
    if rng.random() < 0.5:
        w = rng.choice(frac_keys or list(fracs))
        t, m = frac_truth(x, w)
        if t != want or m < 0.01:
            return None
        return rng.choice(frac_frames).format(q=cap(fracs[w]), ql=fracs[w]), f'frac({expr}, "{w}")', want, f"{expr}={x:.4f}"
    got = stated_number(rng, x, want, pool, style=rng.choice(["pct", "words"]),
                        kinds=("exact", "about", "about", "over", "under"))
    if not got:
        return None
    num, chk, _ = got
    return tidy(rng.choice(num_frames).format(n=num, N=cap(num))), chk.format(x=expr), want, f"{expr}={x:.4f}"


def i_share(f: dict, rng: random.Random, want: bool) -> Cand | None:
    return share_cand(rng, want, f["saliency_in_segment"], "in_seg", [f["segment_area"], f["probability"]], FRACS,
                      ["{q} of the heatmap's positive mass falls within the object.",
                       "The object accounts for {ql} of the saliency.",
                       "Inside the segmented object we find {ql} of the attribution."],
                      ["The object accounts for {n} of the saliency.",
                       "The segmented region contains {n} of the positive attribution.",
                       "Roughly speaking, {n} of the heatmap's mass lies on the object."])


def i_area(f: dict, rng: random.Random, want: bool) -> Cand | None:
    return share_cand(rng, want, f["segment_area"], "area", [f["saliency_in_segment"]], FRACS,
                      ["The object takes up {ql} of the frame.", "The segmentation mask spans {ql} of the picture."],
                      ["The object takes up {n} of the frame.", "The segmentation mask spans {n} of the picture.",
                       "The segmented region covers {n} of the image area."],
                      [k for k in FRACS if k != "almost_none"])


def i_obj(f: dict, rng: random.Random, want: bool) -> Cand | None:
    x = f["saliency_in_segment"]
    if abs(x - 0.5) < 0.02:
        return None
    says_obj = (x > 0.5) == want
    text = rng.choice(["The heatmap concentrates on the object itself rather than on its surroundings.",
                       "The model mainly looks at the object, not at the background.",
                       "Most of the evidence comes from the object rather than the scene around it."] if says_obj else
                      ["The heatmap concentrates on the surroundings rather than on the object itself.",
                       "The model mainly looks at the background, not at the object.",
                       "Most of the evidence comes from the scene around the object rather than the object."])
    return text, "obj()" if says_obj else "bg()", want, f"saliency_in_segment={x:.4f}"


def i_auc(f: dict, rng: random.Random, want: bool) -> Cand | None:
    d, i = f["deletion_auc"], f["insertion_auc"]
    which = rng.choice(["deletion", "insertion"])
    x, other = (d, i) if which == "deletion" else (i, d)
    got = stated_number(rng, x, want, [other], style="dec", kinds=("exact", "exact", "about", "under", "over"))
    if not got:
        return None
    num, chk, _ = got
    text = rng.choice([f"The {which} curve has an AUC of {num}.", f"For the {which} test, the AUC is {num}.",
                       f"The {which} metric (AUC) comes to {num}."])
    return tidy(text), chk.format(x="del_auc" if which == "deletion" else "ins_auc"), want, f"{which}_auc={x:.4f}"


IMAGE_FRAMES: dict[str, Callable[[dict, random.Random, bool], Cand | None]] = {
    "p_label": i_p_label, "p_alternative": i_p_alt, "label": i_label, "p_removed": i_removed, "p_only": i_only,
    "change": i_change, "negation": i_negation, "saliency_share": i_share, "area": i_area,
    "object_vs_background": i_obj, "auc": i_auc,
}
IMAGE_PER_CLAIM = 10


# --------------------------------------------------------------------------- hand-written, LLM-style

T, F = True, False
HAND = [
    # text: food_service (negative 0.7073; not -0.1492, bad -0.0779, but +0.2147, total +0.0454, mess +0.3235)
    ("text", "food_service", "least_word", T, 'least("food") and least("service")', "food=0, service=0",
     "Neutral words like 'food' and 'service' receive the smallest attributions, essentially zero."),
    ("text", "food_service", "least_word", F, 'least("bad")', "bad=-0.0779; least |score| is 0",
     "Interestingly, 'bad' turns out to be the least important word in the review."),
    ("text", "food_service", "rank_word", T, 'top("mess") and rank("but", 2)', "mess=+0.3235 > but=+0.2147",
     "'mess' dominates the explanation, with 'but' a clear second."),
    ("text", "food_service", "rank_word", F, 'rank("not", 2)', "not=-0.1492; second is but=+0.2147",
     "After 'mess', the next most important word is 'not'."),
    ("text", "food_service", "outweighs", T, 'outweighs("but", "bad")', "but=+0.2147, bad=-0.0779",
     "The model weighs 'but' more heavily than 'bad'."),
    ("text", "food_service", "outweighs", F, 'outweighs("total", "but")', "total=+0.0454, but=+0.2147",
     "'total' has a larger influence on the prediction than 'but'."),
    ("text", "food_service", "sign", T, 'score("not") < 0', "not=-0.1492 towards negative",
     "Surprisingly, the word not pushes the model away from the negative label."),
    ("text", "food_service", "sign", F, 'score("bad") > 0', "bad=-0.0779 towards negative",
     "The word bad supports the negative verdict, as one would expect."),
    ("text", "food_service", "score_words", T, 'strong("mess")', "mess=+0.3235 is the top positive",
     "'mess' has a strong positive attribution towards negative."),
    ("text", "food_service", "score_words", F, 'strong("total")', "total=+0.0454 < half of 0.3235",
     "'total' receives a strong positive score."),
    ("text", "food_service", "score_value", T, 'top("mess") and exact(score("mess"), "0.32")', "mess=+0.3235",
     "'mess' has the highest score, 0.32."),
    ("text", "food_service", "score_value", F, 'about(score("but"), "0.32")', "but=+0.2147",
     "The attribution for 'but' is about 0.32, similar to 'mess'."),
    # acting_plot (positive 0.9113; loved +0.1253, wonderful +0.1115, the rest 0)
    ("text", "acting_plot", "least_word", T, 'least("acting") and least("soundtrack") and least("plot")',
     "acting, soundtrack, plot = 0", "Descriptive words such as 'acting', 'soundtrack' and 'plot' hardly matter, "
     "each scoring zero."),
    ("text", "acting_plot", "least_word", F, 'least("loved")', "loved=+0.1253 is the top",
     "'loved' is the word the model cares least about."),
    ("text", "acting_plot", "rank_word", T, 'rank("wonderful", 2)', "loved=+0.1253 > wonderful=+0.1115",
     "'wonderful' follows 'loved' as the second most important word."),
    ("text", "acting_plot", "rank_word", F, 'rank("slow", 2)', "slow=0; second is wonderful",
     "The second most influential word is 'slow'."),
    ("text", "acting_plot", "outweighs", T, 'outweighs("loved", "wonderful")', "loved=+0.1253 > wonderful=+0.1115",
     "'loved' matters slightly more than 'wonderful'."),
    ("text", "acting_plot", "outweighs", F, 'outweighs("slow", "wonderful")', "slow=0, wonderful=+0.1115",
     "'slow' outweighs 'wonderful' in this explanation."),
    ("text", "acting_plot", "sign", T, 'score("loved") > 0 and score("wonderful") > 0', "both > 0 towards positive",
     "Both 'loved' and 'wonderful' push the classifier towards positive."),
    ("text", "acting_plot", "sign", F, 'score("slow") < 0', "slow=0",
     "The word slow pulls the prediction towards negative."),
    ("text", "acting_plot", "score_words", T, 'strong("wonderful")', "wonderful=+0.1115 >= half of 0.1253",
     "'wonderful' has a strong positive score as well."),
    ("text", "acting_plot", "score_words", F, 'strong("soundtrack")', "soundtrack=0",
     "'soundtrack' has a large positive effect on the positive prediction."),
    ("text", "acting_plot", "score_value", T, 'about(score("loved"), "0.13")', "loved=+0.1253",
     "'loved' is assigned roughly 0.13."),
    ("text", "acting_plot", "score_value", F, 'exact(score("wonderful"), "0.25")', "wonderful=+0.1115",
     "'wonderful' receives a score of 0.25."),
    # delivery_damaged (negative 0.8713; damaged +0.1085, I/am -0.0097, very +0.0012, disappointed +0.1511)
    ("text", "delivery_damaged", "score_words", T, 'zero("delivery") and zero("package")', "both 0",
     "'delivery' and 'package' carry no weight at all in the decision."),
    ("text", "delivery_damaged", "least_word", F, 'least("disappointed")', "disappointed=+0.1511",
     "'disappointed' is the least influential word."),
    ("text", "delivery_damaged", "rank_word", T, 'top("disappointed") and rank("damaged", 2)',
     "disappointed=+0.1511 > damaged=+0.1085", "'damaged' is the second most important token behind 'disappointed'."),
    ("text", "delivery_damaged", "rank_word", F, 'rank("late", 2)', "late=0",
     "'late' ranks second in importance, just after 'disappointed'."),
    ("text", "delivery_damaged", "outweighs", T, 'outweighs("disappointed", "damaged")', "0.1511 > 0.1085",
     "'disappointed' carries more weight than 'damaged'."),
    ("text", "delivery_damaged", "outweighs", F, 'outweighs("late", "damaged")', "late=0, damaged=+0.1085",
     "'late' is weighted more heavily than 'damaged'."),
    ("text", "delivery_damaged", "sign", T, 'score("damaged") > 0', "damaged=+0.1085 towards negative",
     "The word damaged is a clear signal for the negative label."),
    ("text", "delivery_damaged", "sign", F, 'score("late") > 0', "late=0",
     "Late delivery matters: 'late' pushes the review towards negative."),
    ("text", "delivery_damaged", "score_words", F, 'weak("disappointed")', "disappointed=+0.1511 is the top",
     "'disappointed' has only a weak positive attribution."),
    ("text", "delivery_damaged", "score_value", T, 'exact(score("disappointed"), "0.15")', "disappointed=+0.1511",
     "The score of 'disappointed' comes out at 0.15."),
    ("text", "delivery_damaged", "score_value", F, 'exact(score("damaged"), "0.15")', "damaged=+0.1085",
     "'damaged' has an attribution of 0.15."),
    # hotel_breakfast (negative 0.5258; Honestly -0.1222, clean -0.1050, friendly -0.1333, but +0.3760, terrible +0.3288)
    ("text", "hotel_breakfast", "score_words", T, 'zero("hotel") and zero("staff") and zero("breakfast")', "all 0",
     "The words 'hotel', 'staff' and 'breakfast' have no influence on the prediction."),
    ("text", "hotel_breakfast", "least_word", F, 'least("clean")', "clean=-0.1050",
     "'clean' is the least important word in the review."),
    ("text", "hotel_breakfast", "rank_word", T, 'rank("terrible", 2)', "but=+0.3760 > terrible=+0.3288",
     "'terrible' ranks second, behind 'but'."),
    ("text", "hotel_breakfast", "rank_word", F, 'rank("honestly", 2)', "Honestly=-0.1222",
     "'Honestly' is the second most important word."),
    ("text", "hotel_breakfast", "outweighs", T, 'outweighs("terrible", "clean")', "terrible=+0.3288, clean=-0.1050",
     "'terrible' carries more weight than 'clean'."),
    ("text", "hotel_breakfast", "outweighs", F, 'outweighs("friendly", "terrible")', "friendly=-0.1333",
     "'friendly' has more influence than 'terrible'."),
    ("text", "hotel_breakfast", "sign", T, 'score("friendly") < 0 and score("clean") < 0', "both < 0",
     "'friendly' and 'clean' both count against the negative prediction."),
    ("text", "hotel_breakfast", "sign", F, 'score("honestly") > 0', "Honestly=-0.1222",
     "'Honestly' pushes the model towards negative."),
    ("text", "hotel_breakfast", "score_words", T, 'strong("terrible")', "terrible=+0.3288 >= half of 0.3760",
     "'terrible' is strongly attributed towards negative."),
    ("text", "hotel_breakfast", "score_value", F, 'exact(score("friendly"), "-0.33")', "friendly=-0.1333",
     "'friendly' has a score of -0.33."),
    # phone_battery (negative 0.6124; not +0.4914, great +0.2824, easily -0.1424)
    ("text", "phone_battery", "score_words", T, 'zero("battery")', "battery=0",
     "'battery' plays no role in the explanation."),
    ("text", "phone_battery", "least_word", F, 'least("great")', "great=+0.2824",
     "Of all the words, 'great' matters least."),
    ("text", "phone_battery", "rank_word", T, 'rank("great", 2)', "not=+0.4914 > great=+0.2824",
     "'great' is the second most important word, after 'not'."),
    ("text", "phone_battery", "rank_word", F, 'rank("easily", 2)', "easily=-0.1424",
     "'easily' is the second most important word for the negative label."),
    ("text", "phone_battery", "outweighs", T, 'outweighs("not", "great")', "0.4914 > 0.2824",
     "'not' has a clearly larger attribution than 'great'."),
    ("text", "phone_battery", "outweighs", F, 'outweighs("dies", "great")', "dies=0",
     "'dies' matters more than 'great'."),
    ("text", "phone_battery", "sign", T, 'score("great") > 0', "great=+0.2824 towards negative",
     "The word great pushes towards negative here, because it is negated by 'not'."),
    ("text", "phone_battery", "sign", F, 'score("easily") > 0', "easily=-0.1424",
     "'easily' supports the negative label."),
    ("text", "phone_battery", "score_value", T, 'about(score("not"), "0.49")', "not=+0.4914",
     "The score for 'not' is about 0.49."),
    # sequel_jokes (positive 0.7259; not +0.2646, boring +0.1009, jokes +0.1054)
    ("text", "sequel_jokes", "score_words", T, 'zero("sequel") and zero("film")', "both 0",
     "'sequel' and 'film' contribute nothing to the prediction."),
    ("text", "sequel_jokes", "least_word", F, 'least("not")', "not=+0.2646",
     "'not' is the least important word."),
    ("text", "sequel_jokes", "outweighs", T, 'outweighs("not", "jokes") and outweighs("not", "boring")',
     "not=+0.2646 > jokes=+0.1054, boring=+0.1009", "'not' outweighs both 'jokes' and 'boring'."),
    ("text", "sequel_jokes", "outweighs", F, 'outweighs("boring", "not")', "boring=+0.1009 < not=+0.2646",
     "'boring' carries more weight than 'not'."),
    ("text", "sequel_jokes", "sign", T, 'score("boring") > 0', "boring=+0.1009 towards positive",
     "Counter-intuitively, 'boring' supports the positive prediction."),
    ("text", "sequel_jokes", "sign", F, 'score("boring") < 0', "boring=+0.1009 towards positive",
     "'boring' pulls the review towards negative."),
    ("text", "sequel_jokes", "score_words", T, 'strong("not")', "not=+0.2646 is the top",
     "'not' has a strong positive attribution."),
    ("text", "sequel_jokes", "score_words", F, 'strong("jokes")', "jokes=+0.1054 < half of 0.2646",
     "'jokes' has a strong positive attribution as well."),
    # story_again (positive 0.9531; beautiful +0.0468, brilliant +0.0443, happily +0.0396)
    ("text", "story_again", "least_word", T, 'least("story") and least("performances")', "both 0",
     "'story' and 'performances' are among the least important words, with zero attribution."),
    ("text", "story_again", "least_word", F, 'least("beautiful")', "beautiful=+0.0468 is the top",
     "'beautiful' is the least important word."),
    ("text", "story_again", "rank_word", T, 'rank("brilliant", 2)', "beautiful > brilliant > happily",
     "'brilliant' is second in importance."),
    ("text", "story_again", "sign", T, 'score("beautiful") > 0 and score("brilliant") > 0 and score("happily") > 0',
     "all three > 0 towards positive",
     "All three highlighted words, 'beautiful', 'brilliant' and 'happily', push towards positive."),
    ("text", "story_again", "sign", F, 'score("moving") > 0', "moving=0",
     "'moving' pushes towards positive."),
    ("text", "story_again", "score_value", F, 'exact(score("happily"), "0.40")', "happily=+0.0396",
     "'happily' has a score of 0.40."),
    ("text", "story_again", "text_label", T, 'about(p_of("positive"), "95%")', "p(positive)=0.9531",
     "VADER labels the review positive with a probability of about 95%."),
    ("text", "hotel_breakfast", "text_label", F, 'exact(p_of("negative"), "73%")', "p(negative)=0.5258",
     "The model is 73% confident that the hotel review is negative."),
    ("text", "hotel_breakfast", "text_label", T, 'exact(p_of("negative"), "53%")', "p(negative)=0.5258",
     "The classifier is barely above chance: it gives negative a probability of 53%."),
    ("text", "phone_battery", "text_label", F, 'predicted == "positive"', "predicted=negative",
     "The phone review is classified as positive."),
    ("text", "food_service", "text_label", T, 'predicted == "negative" and exact(p_of("negative"), "71%")',
     "p(negative)=0.7073", "The model thinks the review is negative, with 71% probability."),
    ("text", "acting_plot", "text_label", F, 'exact(p_of("negative"), "20%")', "p(negative)=0.0887",
     "The model assigns the negative class 20% probability."),
    # image
    ("image", "chelsea", "p_label", T, 'about(p, "80%")', "p_label=0.7992",
     "The classifier is fairly confident (about 80%) that the photo shows an Egyptian cat."),
    ("image", "chelsea", "p_removed", F, 'about(p_removed, "40%")', "p_segment_removed=0.0030",
     "Even with the cat blurred out, the model still gives Egyptian cat about 40%."),
    ("image", "chelsea", "change", T, 'change(p, p_removed, "sharply")', "0.7992 -> 0.0030",
     "Blurring the cat makes the Egyptian cat probability collapse to almost nothing."),
    ("image", "chelsea_eigencam", "change", T, 'change(p, p_removed, "rises") and exact(p_removed, "87%")',
     "0.7992 -> 0.8681", "Oddly, removing the object raises the Egyptian cat probability slightly, from 80% to 87%."),
    ("image", "chelsea_eigencam", "saliency_share", T, 'frac(in_seg, "less_than_half")', "in_seg=0.4646",
     "Less than half of the heatmap's mass sits on the segmented cat."),
    ("image", "coffee", "p_alternative", T, 'about(alt("cup"), "10%")', "p(cup)=0.1014",
     "The runner-up class, cup, is far behind at about 10%."),
    ("image", "coffee", "p_only", F, 'exact(p_only, "50%")', "p_segment_only=0.8372",
     "Shown only the cup of espresso, the model's confidence drops to 50%."),
    ("image", "coffee", "area", T, 'nearly(area, "50%")', "segment_area=0.4727",
     "The segmented cup covers just under half the image."),
    ("image", "rocket", "label", F, 'top("space shuttle")', "label=missile",
     "The model sees a space shuttle in this image."),
    ("image", "rocket", "p_only", T, 'change(p, p_only, "rises") and exact(p_only, "47%")', "0.2576 -> 0.4732",
     "Keeping only the rocket raises the missile probability to 47%."),
    ("image", "motorcycle", "saliency_share", T, 'nearly(in_seg, "50%")', "in_seg=0.4874",
     "Just under half of the positive saliency lies on the moped."),
    ("image", "grace_hopper", "p_removed", T, 'about(p_removed, "4%")', "p_segment_removed=0.0393",
     "Without the person, the military uniform probability falls to about 4%."),
    ("image", "grace_hopper_eigencam", "negation", T, 'not change(p, p_removed, "drops")', "0.2929 -> 0.6103",
     "Removing the object does not reduce the military uniform probability; it doubles it."),
    ("image", "china", "label", T, 'top("bell cote") and rank("dome") == 2', "bell cote 0.3582, dome 0.1699",
     "The model's top answer is bell cote, ahead of dome."),
    ("image", "astronaut", "auc", F, 'exact(del_auc, "0.43")', "deletion_auc=0.0531",
     "The deletion AUC of 0.43 suggests the map is not very faithful."),
    ("image", "flower", "p_label", T, 'exact(p, "4%")', "p_label=0.0424",
     "The model is very unsure: honeycomb wins with only 4%."),
    ("image", "astronaut_eigencam", "location", T, 'loc("lower centre")', "saliency_region=lower centre",
     "The strongest saliency sits in the lower centre of the image."),
    ("image", "china_eigencam", "p_only", F, 'exact(p_only, "26%")', "p_segment_only=0.5421",
     "Keeping only the object lowers the bell cote probability to 26%."),
]


def generate(seen: set[tuple[str, str, str]]) -> list[dict]:
    """The hand entries, then frame sentences per claim kind (half true, half false), deterministic."""
    return build(HAND, [("text", TEXT_SOURCES, {c: (g, TEXT_PER_CLAIM[c]) for c, g in TEXT_FRAMES.items()}),
                        ("image", IMAGE_SOURCES, {c: (g, IMAGE_PER_CLAIM) for c, g in IMAGE_FRAMES.items()})], SEED, seen)


Frames = dict[str, tuple[Callable[[dict, random.Random, bool], Cand | None], int]]


def build(hand: list, frames: list[tuple[str, list[str], Frames]], seed: int, seen: set[tuple[str, str, str]]) -> list[dict]:
    """A round's records: its hand entries, then n sentences per claim kind from its frames, alternately true and
    false, each about the next source that gives a fresh sentence; seeded per (kind, claim)."""
    from make_paraphrases import norm
    out = []
    for kind, stem, claim, truth, check, why, text in hand:
        seen.add((kind, stem, norm(text)))
        out.append(dict(kind=kind, stem=stem, claim=claim, truth=truth, check=check, why=why, text=text, origin="hand"))
    for kind, sources, gens in frames:
        for claim, (gen, n) in gens.items():
            rng = random.Random(f"{seed}-{kind}-{claim}")
            for i in range(n):
                want = i % 2 == 0
                for attempt in range(3000):
                    stem = sources[(i + attempt) % len(sources)]
                    got = gen(load(kind, stem), rng, want)
                    if got is None:
                        continue
                    text, check, truth, why = got
                    if truth != want or (kind, stem, norm(text)) in seen:
                        continue
                    seen.add((kind, stem, norm(text)))
                    out.append(dict(kind=kind, stem=stem, claim=claim, truth=truth, check=check, why=why, text=text,
                                    origin="paraphrase"))
                    break
                else:
                    raise RuntimeError(f"no {want} {claim} sentence")
    return out


__all__ = ["generate", "words"]

"""Round 6 of the corpus (issue 10 follow-up): text only, new phrasings, written after round 5's held-out run and
before any rule change of round 6.

Round 5's held-out run (per-kind aggregates only, never a sentence) left text detection at 94.8% over all
rounds, the weakest kinds top word (87.8%, and 3/41 false alarms), second word (93.0%) and strength words
(93.3%). Round 5's rules read any superlative as a top cue, which is suspect: LLMs call a word "the most
emotional" or "the clearest case of sarcasm" without meaning its attribution rank. Round 6 adds top, second
and strength sentences in phrasings rounds 1 to 5 do not use ("pride of place goes to X", "X takes silver",
"apart from T, no word matters more than X", "X plays no role in the decision"), and a new kind,
`aside_superlative`: a sign or zero-influence claim about a word that the same sentence calls the most
something in a sense that is no rank ("X, perhaps the most emotional word in the review, pushes towards L";
"the last word of the review"). Those sentences are labelled by their sign or zero claim; a verifier that
reads the aside as "X is the top word" raises a false alarm on the true ones. Frames go through round 3's
generators; split like rounds 2 to 5 (round 1's rule within round 6 alone).
"""

from __future__ import annotations

import random
from functools import partial

from make_paraphrases import TEXT_SOURCES, cap
from round2 import build, other_label, rank, usable, wq
from round3 import Cand, t_second, t_top, t_words

SEED = 60

TOP = [
    "{Ws} is the word the model leans on above all others.", "Pride of place goes to {W}.",
    "{Ws} is the heaviest-weighted token.", "{Ws} is the one word the prediction hinges on most.",
    "{Ws} claims the top position in the attribution.", "No word matters as much as {W}.",
    "{Ws} is the number-one contributor.", "The word with the greatest pull on the prediction is {W}.",
    "{Ws} dominates the attribution.", "At the head of the ranking stands {W}.",
    "The decisive word for the model is {W}.", "{Ws} outweighs every other word.",
    "{Ws} scores higher than all the remaining words.", "The model's attention is drawn most strongly to {W}.",
    "{Ws} is the primary driver of the prediction.", "The most influential token, according to the explanation, is {W}.",
]
SECOND = [
    "{Ws} is the second-ranked word.", "{Ws} takes silver in the importance ranking.", "Only {T} outranks {W}.",
    "{Ws} is next in importance after {T}.", "Second place goes to {W}.",
    "{Ws} is the second-strongest signal in the review.", "{Ws} comes second, behind {T}.",
    "Apart from {T}, no word matters more than {W}.", "{Ws} is the most important word after {T}.",
    "The word in the number-two position is {W}.", "{Ws} is second only to {T}.",
    "Aside from {T}, the heaviest weight falls on {W}.",
]
WORDS = {
    "strong": ["{Ws} weighs in strongly for {L}.", "{Ws} gives a sizeable push towards {L}.",
               "{Ws} is a significant driver of the {L} label.", "{Ws} has a pronounced positive effect.",
               "{Ws} contributes substantially to {L}."],
    "weak": ["{Ws} has a low positive score.", "{Ws} gives only a faint push towards {L}.",
             "{Ws} makes a limited positive contribution.", "{Ws} tilts the prediction only mildly towards {L}."],
    "strong_neg": ["{Ws} pushes firmly against {L}.", "{Ws} counts heavily against the {L} label."],
    "zero": ["{Ws} has no effect on the outcome.", "{Ws} plays no role in the decision.",
             "The attribution for {W} is nil.", "{Ws} is irrelevant to the model.",
             "{Ws} leaves the prediction untouched.", "Nothing in the output depends on {W}."],
}

# a superlative that is about the word itself, not about its attribution rank
ASIDES = ["perhaps the most emotional word in the review", "arguably the clearest case of sarcasm here",
          "the most striking word for a human reader", "arguably the harshest-sounding word",
          "the most memorable word of the text", "perhaps the most obvious sentiment word",
          "the most colourful word in the sentence", "arguably the most loaded word here"]
ASIDE_FRAMES = ["{Ws}, {A}, {C}.", "Though {W} is {A}, it {C}.", "{Ws} is {A}, and it {C}.",
                "Even {W}, {A}, {C}."]
ASIDE_CLAIMS = [("pushes the prediction towards {L}", ">"), ("pushes towards {OL}", "<"),
                ("counts against {L}", "<"), ("has no influence on the prediction", "=")]


def t_aside(a: dict, rng: random.Random, want: bool) -> Cand | None:
    """A sign or zero claim about a word the sentence also calls 'the most X' in a sense that is no rank; the
    word is never the top word, so reading the aside as a rank would contradict a true sentence."""
    ws = usable(a)
    pool = [u for u, s in ws.items() if rank(ws, u) > 1 and (abs(s) >= 0.03 or s == 0)]
    w = rng.choice(pool)
    s = ws[w]
    claim, op = rng.choice(ASIDE_CLAIMS)
    truth = s > 0 if op == ">" else s < 0 if op == "<" else s == 0
    if truth != want:
        return None
    c = claim.format(L=a["label"], OL=other_label(a))
    text = rng.choice(ASIDE_FRAMES).format(W=wq(a, w, rng), Ws=cap(wq(a, w, rng, True)), A=rng.choice(ASIDES), C=c)
    check = f'zero("{w}")' if op == "=" else f'score("{w}") {op} 0'
    return text, check, truth, f"{w}={s:+.4f} towards '{a['label']}' (rank {rank(ws, w)}: the aside is no rank)"


TEXT_FRAMES = {
    "top_word": (partial(t_top, frames=TOP), 40), "rank_word": (partial(t_second, frames=SECOND), 32),
    "score_words": (partial(t_words, frames=WORDS), 36), "aside_superlative": (t_aside, 36),
}

T, F = True, False
HAND = [
    ("text", "food_service", "aside_superlative", T, 'zero("early")', "early=0",
     "'early', the last word of the review, has no influence on the prediction."),
    ("text", "acting_plot", "aside_superlative", T, 'zero("slow")', "slow=0",
     "The review's final word, 'slow', gets no attribution at all."),
    ("text", "phone_battery", "aside_superlative", T, 'score("easily") < 0', "easily=-0.1424",
     "'easily', the very last word, pushes against the negative label."),
    ("text", "hotel_breakfast", "aside_superlative", T, 'score("honestly") < 0', "Honestly=-0.1222",
     "'Honestly', the very first word, counts against negative."),
    ("text", "sequel_jokes", "aside_superlative", T, 'score("boring") > 0', "boring=+0.1009 towards positive",
     "'boring' is the most misleading word for a human reader, yet it pushes the model towards positive."),
    ("text", "hotel_breakfast", "aside_superlative", F, 'score("friendly") > 0', "friendly=-0.1333",
     "'friendly', arguably the warmest word in the review, supports the negative prediction."),
    ("text", "story_again", "top_word", T, 'top("beautiful")', "beautiful=+0.0468",
     "The first adjective, 'beautiful', is also the top-scoring word."),
    ("text", "hotel_breakfast", "rank_word", T, 'rank("terrible", 2)', "but > terrible",
     "The most damning word for a human reader, 'terrible', is only the second most important for the model."),
    ("text", "delivery_damaged", "top_word", T, 'top("disappointed")', "disappointed=+0.1511",
     "'disappointed' is the clearest expression of emotion, and it is also the word the model weighs most."),
    ("text", "food_service", "top_word", T, 'top("mess")', "mess=+0.3235",
     "The bluntest word, 'mess', also carries the highest score."),
    ("text", "sequel_jokes", "top_word", F, 'top("jokes")', "jokes=+0.1054 < not=+0.2646",
     "Above all, the model listens to 'jokes'."),
    ("text", "acting_plot", "rank_word", T, 'rank("wonderful", 2)', "loved > wonderful",
     "'wonderful' is the most enthusiastic word, but the model ranks it only second."),
    ("text", "phone_battery", "top_word", F, 'top("great")', "great=+0.2824 < not=+0.4914",
     "'great' edges ahead of 'not' as the top word."),
    ("text", "delivery_damaged", "rank_word", F, 'rank("very", 2)', "very=+0.0012; second is damaged",
     "Behind 'disappointed', the runner-up is 'very'."),
    ("text", "food_service", "score_words", F, 'strong("total")', "total=+0.0454; max=+0.3235",
     "'total' is a powerful push towards negative."),
    ("text", "story_again", "score_words", F, 'weak("happily")', "happily=+0.0396 >= 0.0234",
     "'happily' contributes only a faint positive push."),
]


def generate(seen: set[tuple[str, str, str]]) -> list[dict]:
    return build(HAND, [("text", TEXT_SOURCES, TEXT_FRAMES)], SEED, seen)

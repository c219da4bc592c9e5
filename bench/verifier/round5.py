"""Round 5 of the corpus (issue 10 follow-up): new phrasings, written after round 4's held-out run and before
any rule change of round 5.

Round 4's held-out run (per-kind aggregates only, never a sentence) left text detection at 91.7% over all
rounds, the least-important and top-word kinds weakest (79.5% / 82.8%), and false alarms on text top
words (2/28) and image saliency shares (3/19). Round 5 adds text sentences of every rank kind in yet
other phrasings: position words ("comes dead last", "is the runner-up", "trails the pack", "brings up
the rear", "leads the pack"), superlatives with other nouns ("the weakest signal", "the biggest
contribution", "the lowest weight"), and inverted or clefted order ("Last in importance is X", "If any
word dominates, it is X"), plus image saliency-share sentences to size false alarms there. Frames go
through round 3's generators; split like rounds 2 to 4 (round 1's rule within round 5 alone).
"""

from __future__ import annotations

import random
from functools import partial

from make_paraphrases import IMAGE_SOURCES, TEXT_SOURCES
from round2 import build, share_cand
from round3 import FRACS, t_least, t_outweighs, t_second, t_sign, t_top, t_words

SEED = 50

LEAST = [
    "{Ws} comes dead last in importance.", "{Ws} brings up the rear of the ranking.",
    "Last in importance is {W}.", "{Ws} is the weakest signal in the review.",
    "{Ws} gets the lowest weight from the model.", "{Ws} is at the bottom of the list of influential words.",
    "The model pays the least attention to {W}.", "{Ws} has the faintest effect on the output.",
    "Lowest on the list is {W}.", "{Ws} is the word that contributes the least to the decision.",
    "{Ws} has the smallest contribution of all tokens.", "{Ws} is ranked lowest among the words.",
    "The weakest contributor is {W}.", "{Ws} exerts the least influence on the classifier.",
    "Of every word in the text, {W} ranks last.", "{Ws} has the lowest importance score.",
]
TOP = [
    "{Ws} leads the pack in importance.", "{Ws} is the strongest signal in the review.",
    "First in importance is {W}.", "{Ws} gets the highest weight from the model.",
    "{Ws} makes the biggest contribution to the prediction.", "The strongest contributor is {W}.",
    "{Ws} is ranked highest among the words.", "The model pays the most attention to {W}.",
    "{Ws} sits at the top of the ranking.", "Highest on the list is {W}.",
    "{Ws} has the highest importance score.", "{Ws} is the leading word in the attribution.",
    "Of every word in the text, {W} ranks first.", "If any word dominates, it is {W}.",
]
SECOND = [
    "{Ws} is the runner-up.", "{Ws} finishes second in the ranking.", "{Ws} ranks second overall.",
    "The second-highest attribution belongs to {W}.", "{Ws} is the second most heavily weighted word.",
    "{Ws} is number two in importance.", "Close behind {T} is {W}.", "{Ws} sits in second position.",
    "{Ws} has the second biggest contribution.", "After {T}, the strongest signal is {W}.",
]
WORDS = {
    "strong": ["{Ws} is a powerful signal for {L}.", "{Ws} has a big positive weight.",
               "{Ws} contributes heavily to the {L} prediction.", "{Ws} has a high positive score."],
    "weak": ["{Ws} has only a slight positive weight.", "{Ws} nudges the prediction a little towards {L}.",
             "{Ws} plays a small supporting role for {L}."],
    "strong_neg": ["{Ws} pulls hard against {L}."],
    "zero": ["{Ws} carries no weight at all.", "{Ws} has no impact whatsoever.", "The model disregards {W} entirely.",
             "{Ws} does not move the prediction at all.", "{Ws} gets a score of exactly zero."],
}
MORE = [
    "{Xs} is more influential than {Y}.", "{Xs} outranks {Y}.", "{Ys} is weaker than {X} in importance.",
    "{Xs} has a bigger say than {Y}.", "{Ys} falls behind {X}.", "{Xs} is ahead of {Y} in the ranking.",
    "The model weighs {X} more heavily than {Y}.",
]
SIGN = [("{Ws} supports the {L} label.", True), ("{Ws} points towards {OL}.", False),
        ("{Ws} favours {L}.", True), ("{Ws} tips the balance towards {OL}.", False),
        ("{Ws} strengthens the case for {L}.", True), ("{Ws} weakens the {L} prediction.", False)]

TEXT_FRAMES = {
    "least_word": (partial(t_least, frames=LEAST), 48), "top_word": (partial(t_top, frames=TOP), 44),
    "rank_word": (partial(t_second, frames=SECOND), 30), "score_words": (partial(t_words, frames=WORDS), 30),
    "outweighs": (partial(t_outweighs, frames=MORE), 24), "sign": (partial(t_sign, frames=SIGN), 20),
}

FRACS5 = dict(FRACS, half="around half", third="about one third", most="most", nearly_all="nearly all",
              almost_none="hardly any")


def i_share(f: dict, rng: random.Random, want: bool) -> tuple[str, str, bool, str] | None:
    return share_cand(rng, want, f["saliency_in_segment"], "in_seg", [f["segment_area"], f["probability"]], FRACS5,
                      ["{q} of the highlighted evidence sits on the object.", "The object receives {ql} of the saliency.",
                       "The mask covers {ql} of the model's attention."],
                      ["The object receives {n} of the saliency.", "{N} of the attribution lands on the segmented object.",
                       "The segment accounts for {n} of the total saliency mass."])


IMAGE_FRAMES = {"saliency_share": (i_share, 24)}

T, F = True, False
HAND = [
    ("text", "food_service", "least_word", F, 'least("mess")', "mess=+0.3235",
     "In this review, 'mess' comes dead last among the words the model weighs."),
    ("text", "food_service", "top_word", T, 'top("mess")', "mess=+0.3235",
     "The heaviest weight by far falls on 'mess'."),
    ("text", "food_service", "top_word", F, 'top("not")', "not=-0.1492",
     "The negation 'not' is what the classifier weighs most heavily."),
    ("text", "food_service", "least_word", T, 'least("food")', "food=0",
     "The word 'food' barely matters; it is at the very bottom with a score of zero."),
    ("text", "hotel_breakfast", "top_word", T, 'top("but")', "but=+0.3760",
     "Interestingly, the single strongest cue is the conjunction 'but'."),
    ("text", "hotel_breakfast", "least_word", F, 'least("terrible")', "terrible=+0.3288",
     "'terrible' trails every other word in importance."),
    ("text", "phone_battery", "top_word", F, 'top("easily")', "easily=-0.1424",
     "'easily' leads all other tokens in importance."),
    ("text", "phone_battery", "least_word", T, 'least("battery")', "battery=0",
     "'battery' is among the weakest tokens, with no attribution at all."),
    ("text", "acting_plot", "top_word", T, 'top("loved")', "loved=+0.1253",
     "'loved' edges out 'wonderful' for the top spot."),
    ("text", "acting_plot", "least_word", F, 'least("wonderful")', "wonderful=+0.1115",
     "'wonderful' is the least impactful word in the sentence."),
    ("text", "delivery_damaged", "rank_word", T, 'rank("damaged", 2)', "disappointed > damaged",
     "'damaged' is the runner-up, behind only 'disappointed'."),
    ("text", "story_again", "least_word", T, 'least("story")', "story=0",
     "Neutral words such as 'story' sit at the bottom of the importance list."),
]


def generate(seen: set[tuple[str, str, str]]) -> list[dict]:
    return build(HAND, [("text", TEXT_SOURCES, TEXT_FRAMES), ("image", IMAGE_SOURCES, IMAGE_FRAMES)], SEED, seen)

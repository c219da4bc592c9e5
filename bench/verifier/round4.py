"""Round 4 of the corpus (issue 10 follow-up): text only, new phrasings, written after round 3's held-out run
and before any rule change of round 4.

Round 3's held-out run (per-kind aggregates only) left image at its goals and text detection at 85.9%:
least, top and strength sentences in phrasings the dev half never showed went unread. Round 4 adds text
sentences of every kind in yet other phrasings ("is at the tail end of the importance scores", "trails
only X", "has no bearing on the prediction", "has more pull than"), through round 3's generators with
new frame lists, plus hand-written ones. Split like rounds 2 and 3 (round 1's rule within round 4 alone).
"""

from __future__ import annotations

from functools import partial

from make_paraphrases import TEXT_SOURCES
from round2 import build
from round3 import t_least, t_outweighs, t_second, t_sign, t_top, t_words

SEED = 40

LEAST = [
    "Relatively speaking, {W} is the least important of the words.", "{Ws} is at the tail end of the importance scores.",
    "{Ws} has the lowest absolute attribution of any token.", "{Ws} barely registers; it is the least influential word.",
    "Of all words, {W} has the smallest impact on the model.", "{Ws} is the least weighty word in the sentence.",
    "The importance of {W} is the lowest of all the words.", "{Ws} is the least consequential word for this prediction.",
    "The model relies on {W} the least.", "Least important of all is {W}.",
    "{Ws} receives the smallest share of the attribution.", "{Ws} has the least say in the outcome.",
]
TOP = [
    "{Ws} is the word that matters the most here.", "{Ws} has the greatest importance of all the words.",
    "Most important of all is {W}.", "{Ws} is the biggest driver of the prediction.",
    "{Ws} stands out as the most influential word.", "The model relies on {W} the most.",
    "{Ws} is the word with the most weight.", "The top-ranked token is {W}.",
    "{Ws} exerts the largest influence on the classifier.", "It is {W} that drives the prediction above all.",
]
WORDS = {
    "strong": ["{Ws} is a major contributor to the {L} prediction.", "{Ws} pushes hard towards {L}.",
               "{Ws} carries a lot of weight for {L}.", "{Ws} receives a high attribution."],
    "weak": ["{Ws} contributes only marginally.", "{Ws} has a small but positive influence.",
             "{Ws} adds a little to the {L} score."],
    "strong_neg": ["{Ws} weighs heavily against {L}."],
    "zero": ["{Ws} has no bearing on the prediction.", "{Ws} contributes nothing at all.",
             "The model does not use {W} at all.", "{Ws} is completely neutral, with no attribution.",
             "{Ws} is assigned an attribution of zero."],
}
SECOND = [
    "{Ws} is the second-largest contributor.", "{Ws} ranks just below {T}.", "Next in line after {T} is {W}.",
    "{Ws} is the second biggest driver of the prediction.", "{Ws} occupies second place.",
    "{Ts} is followed by {W} in the ranking.", "{Ws} trails only {T}.", "The second strongest word is {W}.",
    "Behind {T}, the most important word is {W}.",
]
MORE = [
    "{Xs} is weightier than {Y}.", "{Xs} has more pull than {Y}.", "{Ys} lags behind {X} in importance.",
    "{Xs} beats {Y} in importance.", "{Xs} contributes a larger share than {Y}.",
    "The influence of {X} exceeds that of {Y}.", "{Ys} matters less to the classifier than {X} does.",
    "{Xs} is ranked higher than {Y}.",
]
SIGN = [("{Ws} is a signal in favour of {L}.", True), ("{Ws} argues for {OL}.", False),
        ("{Ws} drags the prediction towards {OL}.", False), ("{Ws} reinforces the {L} prediction.", True),
        ("{Ws} speaks for {L}.", True), ("{Ws} works in favour of the {OL} label.", False),
        ("{Ws} makes the review look more {L} to the model.", True), ("{Ws} cuts against the {L} label.", False)]

TEXT_FRAMES = {
    "least_word": (partial(t_least, frames=LEAST), 40), "top_word": (partial(t_top, frames=TOP), 36),
    "score_words": (partial(t_words, frames=WORDS), 40), "rank_word": (partial(t_second, frames=SECOND), 36),
    "outweighs": (partial(t_outweighs, frames=MORE), 30), "sign": (partial(t_sign, frames=SIGN), 24),
}

T, F = True, False
HAND = [
    ("text", "food_service", "least_word", F, 'least("mess")', "mess=+0.3235",
     "Oddly enough, the model seems to care least about 'mess'."),
    ("text", "food_service", "top_word", T, 'top("mess")', "mess=+0.3235",
     "The single word doing most of the work here is 'mess'."),
    ("text", "hotel_breakfast", "top_word", F, 'top("terrible")', "terrible < but",
     "As expected, 'terrible' is the word the classifier leans on hardest."),
    ("text", "hotel_breakfast", "least_word", T, 'least("breakfast")', "breakfast=0",
     "Content words like 'breakfast' end up with the least importance."),
    ("text", "phone_battery", "score_words", F, 'zero("great")', "great=+0.2824",
     "'great' has no bearing on the outcome at all."),
    ("text", "phone_battery", "rank_word", T, 'rank("great", 2)', "not > great",
     "Just behind 'not' comes 'great' in second position."),
    ("text", "acting_plot", "least_word", F, 'least("loved")', "loved is the top",
     "'loved' has the least weight of any word in the review."),
    ("text", "delivery_damaged", "outweighs", F, 'outweighs("very", "disappointed")', "0.0012 < 0.1511",
     "'very' has more pull on the prediction than 'disappointed'."),
    ("text", "sequel_jokes", "score_words", T, 'strong("not")', "not=+0.2646 is the top",
     "The negation 'not' is a major contributor to the positive prediction."),
    ("text", "story_again", "top_word", F, 'top("happily")', "happily < beautiful",
     "'happily' is the word the model relies on the most."),
]


def generate(seen: set[tuple[str, str, str]]) -> list[dict]:
    return build(HAND, [("text", TEXT_SOURCES, TEXT_FRAMES)], SEED, seen)

"""Round 7 of the corpus (issue 10 follow-up): text only, new phrasings, written after round 6's held-out run and
before any rule or model change of round 7.

Round 6's held-out run (per-kind aggregates only, never a sentence) left text detection at 92.7% over all
rounds and 82.1% on round 6's fresh half: each round's unseen wordings of top, second, least and strength
claims went unread (no claim at all), not misread. Round 7 adds sentences of every rank and strength kind,
and signs, in phrasings rounds 1 to 6 do not use ("the model's verdict rests chiefly on X", "X is the
model's main anchor", "X barely registers", "X is the silver medallist"), plus asides that are no rank
(round 6's kind, new wordings) to size false alarms of anything that reads more. Frames go through round 3's
generators; split like rounds 2 to 6 (round 1's rule within round 7 alone).
"""

from __future__ import annotations

from functools import partial

from make_paraphrases import TEXT_SOURCES
from round2 import build
from round3 import t_least, t_second, t_sign, t_top, t_words
from round6 import t_aside

SEED = 70

TOP = [
    "The model's verdict rests chiefly on {W}.", "{Ws} is the model's main anchor.",
    "{Ws} does most of the heavy lifting.", "The bulk of the decision is carried by {W}.",
    "{Ws} emerges as the star of the attribution.", "The single biggest lever on the output is {W}.",
    "{Ws} is where the model puts its chief emphasis.", "Front and centre in the explanation is {W}.",
    "{Ws} stands head and shoulders above the rest.", "The explanation singles out {W} as paramount.",
    "{Ws} is what tips the balance more than anything else.", "Chief among the words is {W}.",
    "{Ws} is, by a clear margin, the weightiest token.", "The model keys in on {W} above everything.",
    "Topping the chart is {W}.", "{Ws} has the largest say in the outcome.",
]
SECOND = [
    "{Ws} is the silver medallist of the attribution.", "{Ws} is the next heaviest after {T}.",
    "Trailing just {T}, {W} holds second.", "{Ws} occupies the second slot.",
    "{Ws} is runner-up to {T}.", "{Ws} slots in right below {T}.",
    "The second-largest share of the attribution goes to {W}.", "{Ws} sits one rung below the top.",
    "Only one word carries more weight than {W}.", "{Ws} is the model's second-favourite cue.",
    "In the number two slot sits {W}.", "{Ws} ranks just beneath {T}.",
]
LEAST = [
    "{Ws} barely registers with the model.", "{Ws} is the model's lowest priority.",
    "{Ws} is at the very tail of the ranking.", "{Ws} is the most negligible token.",
    "{Ws} counts for the least.", "{Ws} scarcely matters, less than any other word.",
    "Of all the words, {W} pulls the smallest weight.", "{Ws} is the word the explanation rates lowest.",
    "{Ws} is the least consequential token in the review.", "Bottom of the pile is {W}.",
    "{Ws} has the slimmest influence of any token.", "The model leans on {W} the least.",
    "{Ws} sits in last place.", "The feeblest contribution comes from {W}.",
]
WORDS = {
    "strong": ["{Ws} provides a hefty push towards {L}.", "{Ws} is a heavyweight signal for {L}.",
               "{Ws} weighs heavily in favour of {L}.", "{Ws} delivers a forceful positive contribution.",
               "{Ws} is a major force behind the {L} call."],
    "weak": ["{Ws} adds only a sliver of support for {L}.", "{Ws} offers marginal backing to {L}.",
             "{Ws} gives a slender positive contribution.", "{Ws} has just a touch of positive weight."],
    "strong_neg": ["{Ws} weighs heavily against {L}.", "{Ws} is a strong brake on the {L} prediction."],
    "zero": ["{Ws} is completely inert.", "{Ws} contributes nothing to the verdict.",
             "The model is indifferent to {W}.", "{Ws} has a null effect on the classification.",
             "{Ws} is a dead weight with zero attribution.", "The classifier draws nothing from {W}."],
}
SIGN = [("{Ws} lends support to {L}.", True), ("{Ws} nudges the classifier in the {OL} direction.", False),
        ("{Ws} works in favour of {L}.", True), ("{Ws} undercuts the {L} verdict.", False),
        ("{Ws} bolsters the {L} reading.", True), ("{Ws} weakens the case for {L}.", False),
        ("{Ws} sides with {OL}.", False), ("{Ws} reinforces the {L} call.", True)]

TEXT_FRAMES = {
    "top_word": (partial(t_top, frames=TOP), 32), "rank_word": (partial(t_second, frames=SECOND), 24),
    "least_word": (partial(t_least, frames=LEAST), 28), "score_words": (partial(t_words, frames=WORDS), 32),
    "sign": (partial(t_sign, frames=SIGN), 20), "aside_superlative": (t_aside, 20),
}

T, F = True, False
HAND = [
    ("text", "food_service", "top_word", T, 'top("mess")', "mess=+0.3235",
     "If one word explains the negative call, it is 'mess'."),
    ("text", "food_service", "top_word", F, 'top("total")', "total=+0.0454 < mess=+0.3235",
     "The model's decision hinges first and foremost on 'total'."),
    ("text", "phone_battery", "top_word", T, 'top("not")', "not=+0.4914",
     "It is 'not' that carries the day for the model."),
    ("text", "sequel_jokes", "least_word", F, 'least("not")', "not=+0.2646; min |score|=0",
     "'not' is practically an afterthought for the classifier."),
    ("text", "acting_plot", "rank_word", T, 'rank("wonderful", 2)', "loved > wonderful",
     "'wonderful' is the model's second pick."),
    ("text", "hotel_breakfast", "score_words", F, 'zero("terrible")', "terrible != 0",
     "'terrible' is neutral as far as the model is concerned."),
    ("text", "story_again", "aside_superlative", T, 'score("happily") > 0', "happily=+0.0396",
     "'happily', the warmest word a reader would notice, nudges the model towards positive."),
    ("text", "delivery_damaged", "aside_superlative", F, 'score("damaged") < 0', "damaged > 0 towards negative",
     "'damaged', the most concrete word of the complaint, works against the negative label."),
]


def generate(seen: set[tuple[str, str, str]]) -> list[dict]:
    return build(HAND, [("text", TEXT_SOURCES, TEXT_FRAMES)], SEED, seen)

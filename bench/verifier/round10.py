"""Round 10 of the corpus (issue 10 follow-up): rank, strength, top, least and comparison sentences as several LLMs
write them, by a writer blind to the verifier and to every earlier round.

Round 9's held-out run (per-kind aggregates only) left text detection at 94.6% over all rounds, weakest on second
places (rank_word 89.6%) and strength in words (score_words 92.0%), with most false alarms on top words. Round 10 adds
160 text sentences (`round10_text.py`: rank_word 40, score_words 40, top_word 30, least_word 30, outweighs 20, half
true) by one more LLM writer that could read only the corpus README's text rules, check_corpus.py and the
attributions. It wrote explanations in the voices of several LLMs and cut them into one-claim sentences. Every check was
validated against check_corpus.py before the commit, which comes after the rule changes made from hand-written probes
(commit a30a73d, made before this corpus was seen) and before any rule change that looks at it. Split like rounds 2
to 9. Lines carry `"round": 10`.
"""

from __future__ import annotations

from round2 import build
from round10_text import HAND

SEED = 100


def generate(seen: set[tuple[str, str, str]]) -> list[dict]:
    return build(HAND, [], SEED, seen)

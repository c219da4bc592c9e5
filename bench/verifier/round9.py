"""Round 9 of the corpus (issue 10 follow-up): text sentences as LLM assistants and reports write them, by a writer
blind to the verifier and to every earlier round.

Round 8's held-out run (per-kind aggregates only) left text detection at 94.2% over all rounds and 90.0% on round
8's fresh half. Round 9 adds 120 text sentences (`round9_text.py`) by one more LLM writer that was not allowed to
read the verifier's code, its output, the corpus or any earlier round (only the README's text rules,
check_corpus.py and the attributions): dashboard captions, notebook comments, chatty and cautious styles,
bullet points turned into sentences, leading subordinate clauses and asides; false sentences as the mistakes LLMs
make. Every check was validated against check_corpus.py before the commit, which comes before any rule change of
round 9. Split like rounds 2 to 8. Lines carry `"round": 9`. Four sentences that repeated earlier rounds word for word got "in this review" added.
"""

from __future__ import annotations

from round2 import build
from round9_text import HAND

SEED = 90


def generate(seen: set[tuple[str, str, str]]) -> list[dict]:
    return build(HAND, [], SEED, seen)

"""Round 11 of the corpus (issue 10 follow-up): text sentences in two opposite registers, by two writers blind to the
verifier and to every earlier round.

Round 10's held-out run (per-kind aggregates only) left text detection at 95.0% over rounds 1–10, with the fresh
halves of the blind rounds at 90–97%. Round 11 adds 240 text sentences by two more LLM writers under the same
blindness (the corpus README's text rules, check_corpus.py and the attributions only): `round11a_text.py`, long
discursive sentences as chatty assistants and explainer posts write them (discourse markers, hedges, asides,
relative clauses; signs and comparisons most), and `round11b_text.py`, short technical ones as notebooks,
dashboards, audit reports and small models write them (fragments, passive voice, jargon, backtick-quoted words;
strengths and ranks most). Rule changes made from hand-written probes in both registers, before these sentences
were seen, were committed first (bd5c5e9, b71e608). Every check was validated against check_corpus.py before the
commit, which comes before any rule change that looks at this round. Two short sentences that repeated earlier rounds word for word got "here" added. Split like rounds 2 to 10. Lines carry
`"round": 11`.
"""

from __future__ import annotations

from round2 import build
from round11a_text import HAND as LONG
from round11b_text import HAND as SHORT

SEED = 110


def generate(seen: set[tuple[str, str, str]]) -> list[dict]:
    return build([*LONG, *SHORT], [], SEED, seen)

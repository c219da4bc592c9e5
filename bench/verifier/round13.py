"""Round 13 of the corpus (issue 10 follow-up): text and image sentences in three more registers, by three writers
blind to the verifier and to every earlier round.

Round 12's held-out run (per-kind aggregates only) left text detection at 94.6% over rounds 1–12 and image false
alarms at 3.5% (round 12's fresh image half: 2 of 26). Rule changes made from hand-written probes (true image
sentences in natural styles, 9 of 28 of which raised false alarms; follow-up answers) were committed first (84191cb,
57d7d13). Round 13 then adds, by three more LLM writers under the same blindness: `round13a_text.py` (122 answers to
a user's follow-up questions about an attribution), `round13b_text.py` (122 explainability write-up sentences that
place a word in the context of the whole review) and `round13c_image.py` (110 model-audit sentences for data
scientists). Every check was validated against check_corpus.py before the commit, which comes before any rule
change that looks at this round. Two sentences that repeated earlier rounds word for word got "here" added. Split like
rounds 2 to 12. Lines carry `"round": 13`.
"""

from __future__ import annotations

from round2 import build
from round13a_text import HAND as ANSWERS
from round13b_text import HAND as WRITE_UPS
from round13c_image import HAND as AUDIT

SEED = 130


def generate(seen: set[tuple[str, str, str]]) -> list[dict]:
    return build([*ANSWERS, *WRITE_UPS, *AUDIT], [], SEED, seen)

"""Round 14 of the corpus (issue 10 follow-up): text and image sentences by three more writers blind to the verifier and
to every earlier round.

Round 13's held-out run (per-kind aggregates only) left text detection at 94.2% over rounds 1–13 (round 13's fresh
half 89.8%) and image at 96.7% / 2.7% / 99.6%. Rule changes made from hand-written probes (false text sentences, 9
of 44 and 5 of 42 of which had gone unread; image sentences in open-VLM style) were committed first (f5598a7,
9e8e6f2). Round 14 then adds, by three more LLM writers under the same blindness: `round14a_text.py` (122 sentences
sampled from what assistants of different sizes write when asked to explain attribution scores, a small model's
unidiomatic English among them), `round14b_text.py` (122 saliency-map verbalizations in the setting of Feldhus et al.
2023) and `round14c_image.py` (113 sentences as open VLMs explain an image prediction from its overlay and fact
sheet). Every check was validated against check_corpus.py before the commit, which comes before any rule change that
looks at this round. Five sentences that repeated earlier rounds word for word got "here" added. Split like
rounds 2 to 13. Lines carry `"round": 14`.
"""

from __future__ import annotations

from round2 import build
from round14a_text import HAND as ASSISTANTS
from round14b_text import HAND as VERBALIZERS
from round14c_image import HAND as VLMS

SEED = 140


def generate(seen: set[tuple[str, str, str]]) -> list[dict]:
    return build([*ASSISTANTS, *VERBALIZERS, *VLMS], [], SEED, seen)

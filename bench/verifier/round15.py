"""Round 15 of the corpus (issue 10 follow-up): image-heavy, by three writers blind to the verifier and to every earlier
round.

Round 14's held-out run (per-kind aggregates only) left text at 95.5% / 1.2% / 99.6% over rounds 1–14 and image
false alarms at 3.5% (10/287; 4 of them on p(label | object only)). Rule changes made from hand-written true probes of
"only the object" sentences and shares were committed first (ee23bef). Round 15 then adds, by three more LLM writers
under the same blindness: `round15a_image.py` (120 sentences as chat assistants explain an image prediction to a
curious general user), `round15b_image.py` (116 sentences that set two facts side by side: before and after, share
and area, top class and runner-up) and `round15c_text.py` (122 text sentences that set two words or facts side by
side with one checkable claim). Every check was validated against check_corpus.py before the commit, which comes
before any rule change that looks at this round. Split like rounds 2 to 14. Lines carry `"round": 15`.
"""

from __future__ import annotations

from round2 import build
from round15a_image import HAND as ASSISTANTS
from round15b_image import HAND as SIDE_BY_SIDE
from round15c_text import HAND as TEXT

SEED = 150


def generate(seen: set[tuple[str, str, str]]) -> list[dict]:
    return build([*ASSISTANTS, *SIDE_BY_SIDE, *TEXT], [], SEED, seen)

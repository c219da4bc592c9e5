"""Round 8 of the corpus (issue 10 follow-up): sentences as LLMs write them, by writers blind to the verifier.

Round 7's held-out run left text detection at 89.8% over all rounds, and each of rounds 6 and 7 had been written
to probe phrasings the rules did not yet read. Round 8 asks a different question: how the verifier does on the
prose LLMs actually produce. Two writers (LLM helpers) who never saw the verifier's code, its benchmark output
or the phrasings of rounds 2 to 7 wrote full explanations of the real attributions (`round8_text.py`, 160
sentences) and fact sheets (`round8_image.py`, 102 sentences) in the styles of several LLMs and VLMs, cut them
into one-claim sentences, and wrote the false ones as the mistakes LLMs make (a wrong word, order, sign,
number, class or direction). Every check was validated against check_corpus.py's namespaces before the
commit, which comes before any rule change of round 8. Split like rounds 2 to 7 (round 1's rule within round 8
alone). Lines carry `"round": 8`.
"""

from __future__ import annotations

from round2 import build
from round8_image import HAND as IMAGE_HAND
from round8_text import HAND as TEXT_HAND

SEED = 80


def generate(seen: set[tuple[str, str, str]]) -> list[dict]:
    return build([*TEXT_HAND, *IMAGE_HAND], [], SEED, seen)

"""Round 12 of the corpus (issue 10 follow-up): text and image sentences in three more registers, by three writers
blind to the verifier and to every earlier round.

Round 11's held-out run (per-kind aggregates only) left text detection at 94.6% over rounds 1–11 and showed 5 false
alarms on round 11's 60 fresh true sentences. Rule changes made from hand-written probes (true discursive sentences
that raised false alarms; image sentences in VLM, assistant and report styles) were committed first (b97dc3e,
569147d). Round 12 then adds, by three more LLM writers under the same blindness (the corpus README's rules,
check_corpus.py and the JSON sources only): `round12a_text.py` (110 friendly explanations for non-expert users:
second person, plain words, analogies), `round12b_text.py` (110 structured markdown explanations flattened into
sentences: bullets with bold or backticked words, numbered items, table rows, arrows, parenthetical scores) and
`round12c_image.py` (103 image sentences: a VLM describing what it sees, a friendly assistant, a terse ML report).
Every check was validated against check_corpus.py before the commit, which comes before any rule change that looks at
this round. One sentence that repeated an earlier round word for word got "here" added. Split like rounds 2 to 11.
Lines carry `"round": 12`.
"""

from __future__ import annotations

from round2 import build
from round12a_text import HAND as FRIENDLY
from round12b_text import HAND as STRUCTURED
from round12c_image import HAND as IMAGE

SEED = 120


def generate(seen: set[tuple[str, str, str]]) -> list[dict]:
    return build([*FRIENDLY, *STRUCTURED, *IMAGE], [], SEED, seen)

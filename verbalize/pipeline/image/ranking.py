"""Words about `--method best`: the sentence the template says, and the claims a verifier reads in it.

The sentence names the winner and the runner-up with their insertion and deletion AUC, e.g.
"Integrated Gradients gave the most faithful map here (insertion AUC 0.71, deletion AUC 0.20);
Grad-CAM came next (insertion AUC 0.60, deletion AUC 0.25)." Checks:

- a method named with "most faithful" / "best" / "won" must be the winner; with "came next" /
  "second" / "runner-up" the second; a method named in a sentence about faithfulness must be a
  candidate that ran;
- an AUC number belongs to the nearest method named before it in its sentence and to the curve
  named before it ("insertion" / "deletion"); it must equal that method's value at its printed
  precision (without a curve word, either of the method's two AUCs).
"""

from __future__ import annotations

import re

from verbalize.core.claims import NUMBER, Number
from verbalize.core.types import Claim
from verbalize.pipeline.image.types import FactSheet, MethodScore

_WINNER = re.compile(r"\b(most faithful|best|won|winner|most reliable|top)\b", re.I)
_SECOND = re.compile(r"\b(came next|next|second|runner-up|behind)\b", re.I)
_CURVE = re.compile(r"\b(insertion|deletion)\b", re.I)
_ABOUT = re.compile(r"\b(faithful|AUC|insertion|deletion|map)\b", re.I)


def ranking_sentence(f: FactSheet) -> str | None:
    """The template's sentence about the ranking, or None without one."""
    r = f.method_ranking
    if not r:
        return None
    first = (f"{r[0].title} gave the most faithful map here (insertion AUC {r[0].insertion_auc:.2f}, "
             f"deletion AUC {r[0].deletion_auc:.2f})")
    if len(r) == 1:
        return first + "."
    return (first + f"; {r[1].title} came next (insertion AUC {r[1].insertion_auc:.2f}, "
            f"deletion AUC {r[1].deletion_auc:.2f}).")


def _names(ranking: list[MethodScore]) -> list[tuple[str, MethodScore]]:
    """Every way a candidate may be named (title and registered name), longest first."""
    out = [(n.lower(), m) for m in ranking for n in {m.title, m.method}]
    return sorted(out, key=lambda x: -len(x[0]))


def ranking_claims(text: str, s0: int, sentence: str, f: FactSheet) -> list[Claim]:
    """The ranking claims of one sentence (offsets into `text`); none without a ranking."""
    if not f.method_ranking or not _ABOUT.search(sentence):
        return []
    claims: list[Claim] = []
    lowered = sentence.lower()
    mentions: list[tuple[int, int, MethodScore]] = []
    for name, m in _names(f.method_ranking):
        for hit in re.finditer(rf"(?<![\w-]){re.escape(name)}(?![\w+-])", lowered):
            if not any(a < hit.end() and hit.start() < b for a, b, _ in mentions):
                mentions.append((hit.start(), hit.end(), m))
    mentions.sort(key=lambda x: x[0])
    winner, second = f.method_ranking[0], f.method_ranking[1] if len(f.method_ranking) > 1 else None
    for i, (a, b, m) in enumerate(mentions):
        end = mentions[i + 1][0] if i + 1 < len(mentions) else len(sentence)
        after = sentence[b:end]
        rank = f.method_ranking.index(m)
        if _SECOND.search(after[:40]):
            ok, why = m is second, f"second by insertion − deletion AUC: {second.title if second else 'none'}"
        elif _WINNER.search(after[:60]):
            ok, why = m is winner, f"most faithful by insertion − deletion AUC: {winner.title}"
        else:
            ok, why = True, f"candidate #{rank + 1} of --method best"
        claims.append(Claim(text=text[s0 + a : s0 + b], kind="ranking", start=s0 + a, end=s0 + b,
                            status="supported" if ok else "contradicted", reason=why))
        for num in NUMBER.finditer(after):
            if num.group(2):
                continue
            n = Number.of(num.group(1))
            curve = _CURVE.findall(after[: num.start()])
            which = curve[-1].lower() if curve else None
            values = {"insertion": [m.insertion_auc], "deletion": [m.deletion_auc]}.get(
                which or "", [m.insertion_auc, m.deletion_auc])
            ok = any(n.matches(v) for v in values)
            start = s0 + b + num.start()
            claims.append(Claim(
                text=text[start : s0 + b + num.end()].strip(), kind="ranking", start=start, end=s0 + b + num.end(),
                status="supported" if ok else "contradicted",
                reason=f"{m.title}: {which or 'insertion/deletion'} AUC " + ", ".join(f"{v:.4g}" for v in values)))
    return claims

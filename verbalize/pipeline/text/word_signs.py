"""Statements of a word's direction (issue 10): "X pushes towards L", "X is evidence against L", "X supports L",
"removing X would make the model less sure it is L", "X lowers the confidence in L". Occlusion scores are towards
the explained label, so each becomes a sign of the word's score.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from verbalize.core.types import Claim
from verbalize.pipeline.text.attribution import NEGATION, Attribution
from verbalize.pipeline.text.word_patterns import CONNECTIVES, PAT_HAS, PAT_NOUN, PAT_X, PAT_X2
from verbalize.pipeline.text.word_rules import scores_of

_PUSH = re.compile(
    rf"{PAT_X}{PAT_NOUN}\s+(?:(?:clearly |strongly |also )?(?:pushes|pushed|pulls|pulled|moves|moved|nudges|nudged|drives|drove|"
    rf"steers|steered|tips|tipped|leans|leaned|points|pointed|counts|counted|speaks|spoke|argues|argued|works|worked|votes|"
    rf"voted)(?: the (?:model|prediction|classifier|decision|review|score|balance|scales|needle|outcome|output))?\s+(?P<dir>towards|toward|to|for|in favou?r of|"
    rf"against|away from)|(?:is|was) (?P<ev>evidence|a signal|a cue|a sign) (?P<dir2>for|of|against)|(?:supports|supported|favou?rs|"
    rf"favou?red|indicates|indicated|signals|signalled|suggests|suggested|reinforces|reinforced|strengthens|strengthened|"
    rf"backs|backed)(?P<sup>)|(?P<opp>weakens|weakened|undermines|undermined|hurts|opposes|opposed|contradicts|"
    rf"contradicted|counters|countered|goes against|went against))\s+(?:the\s+|a\s+)?[\"'“‘]?(?P<l>[\w-]+)", re.I)
"""'X pushes towards L', 'X is evidence for L', 'X counts against L', 'X supports L', 'X weakens the L prediction'
(X quoted or bare)."""


def push_claims(text: str, att: Attribution, labels: Sequence[str], label: str | None) -> list[Claim]:
    """Towards the explained label means score > 0; towards another label (or against it) score < 0."""
    claims: list[Claim] = []
    if label is None:
        return claims
    lowered = {lb.casefold(): lb for lb in labels}
    for m in _PUSH.finditer(text):
        target = lowered.get(m.group("l").casefold())
        xs = scores_of(att, m.group("x"))
        if target is None or not xs or m.group("x").casefold() in lowered.keys() | CONNECTIVES:
            continue
        direction = (m.group("dir") or m.group("dir2") or "for").lower()
        against = direction in ("against", "away from") or m.group("opp") is not None
        want_positive = (target.casefold() == label.casefold()) != against
        negated = bool(NEGATION.search(text[m.end("x"): m.start("l")]))
        ok = any((v > 0) if want_positive else (v < 0) for v in xs) != negated
        shown = ", ".join(f"{v:.4g}" for v in xs[:4])
        claims.append(Claim(text=text[m.start("x"): m.end("x")], kind="word_sign", start=m.start("x"), end=m.end("x"),
                            status="supported" if ok else "contradicted",
                            reason=f"score({m.group('x')}) = {shown} towards {label!r}; "
                                   f"{'against' if against else 'towards'} {target!r} means score "
                                   f"{'>' if want_positive else '<'} 0" + ("; negated" if negated else ""),
                            subject=m.group("x"), fact=f"score({m.group('x')}) = {shown}"))
    return claims



_REMOVAL = re.compile(
    rf"\b(?:removing|deleting|dropping|masking|occluding|taking out|without)\s+{PAT_X}{PAT_NOUN},?\s+(?:(?:would|will|could)\s+)?"
    rf"(?:[\w']+\s+){{0,5}}?(?P<dir>less|lower\w*|reduc\w*|decreas\w*|weaken\w*|more|rais\w*|increas\w*|boost\w*|"
    rf"strengthen\w*)\b(?P<tail>[^.;]{{0,60}})", re.I)
_AWAY = re.compile(
    rf"{PAT_X}{PAT_NOUN}\s+(?:detracts|detracted|takes away|took away|subtracts|subtracted) from\s+(?:the\s+)?(?:model's\s+)?"
    rf"(?:confidence in\s+|case for\s+)?(?P<l>[\w-]+)|{PAT_X2}{PAT_NOUN}\s+{PAT_HAS}\s+an? (?P<eff>positive|negative) (?:effect|impact|"
    rf"influence) on the\s+(?P<l2>[\w-]+)", re.I)
"""'X detracts from the L prediction' (away from L); 'X has a positive / negative effect on the L score'."""
_LOWERS = re.compile(
    rf"{PAT_X}{PAT_NOUN}\s+(?P<dir>lowers|lowered|reduces|reduced|decreases|decreased|weakens|weakened|raises|raised|increases|"
    rf"increased|boosts|boosted|strengthens|strengthened)\s+the (?:model's |classifier's )?(?:confidence|probability|score|"
    rf"belief|likelihood|odds|chances?)\s+(?:in|of|for|that the review is)\s+(?:the\s+|an?\s+)?(?P<l>[\w-]+)", re.I)


def removal_claims(text: str, att: Attribution, labels: Sequence[str], label: str | None) -> list[Claim]:
    """'Removing X would make the model less confident that the review is L' (occlusion: X pushes towards L) and
    'X lowers the model's confidence in L' (X pushes away from L)."""
    claims: list[Claim] = []
    if label is None:
        return claims
    lowered = {lb.casefold(): lb for lb in labels}
    for m in _AWAY.finditer(text):
        xg, lg = ("x", "l") if m.group("x") else ("x2", "l2")
        target = lowered.get(m.group(lg).casefold())
        xs = scores_of(att, m.group(xg))
        if target is None or not xs:
            continue
        towards = m.group("eff") is not None and m.group("eff").lower() == "positive"
        want_positive = (target.casefold() == label.casefold()) == towards
        negated = bool(NEGATION.search(text[m.end(xg): m.start(lg)]))
        ok = any((v > 0) if want_positive else (v < 0) for v in xs) != negated
        shown = ", ".join(f"{v:.4g}" for v in xs[:4])
        claims.append(Claim(text=text[m.start(xg): m.end(xg)], kind="word_sign", start=m.start(xg), end=m.end(xg),
                            status="supported" if ok else "contradicted",
                            reason=f"score({m.group(xg)}) = {shown} towards {label!r}; {'towards' if towards else 'away from'} "
                                   f"{target!r} means score {'>' if want_positive else '<'} 0" + ("; negated" if negated else ""),
                            subject=m.group(xg), fact=f"score({m.group(xg)}) = {shown}"))
    for pattern, removal in ((_REMOVAL, True), (_LOWERS, False)):
        for m in pattern.finditer(text):
            if removal:  # the first label named after the change word
                named = next((w for w in re.findall(r"[\w-]+", m.group("tail")) if w.casefold() in lowered), None)
                target, l_start = (lowered[named.casefold()], m.end("dir")) if named else (None, 0)
            else:
                target, l_start = lowered.get(m.group("l").casefold()), m.start("l")
            xs = scores_of(att, m.group("x"))
            if target is None or not xs or m.group("x").casefold() in lowered:
                continue
            down = m.group("dir").lower().startswith(("less", "lower", "reduc", "decreas", "weaken"))
            towards = down == removal  # removing a word that pushes towards L lowers p(L)
            want_positive = (target.casefold() == label.casefold()) == towards
            negated = bool(NEGATION.search(text[m.end("x"): max(l_start, m.start("dir"))]))
            ok = any((v > 0) if want_positive else (v < 0) for v in xs) != negated
            shown = ", ".join(f"{v:.4g}" for v in xs[:4])
            claims.append(Claim(text=text[m.start("x"): m.end("x")], kind="word_sign", start=m.start("x"),
                                end=m.end("x"), status="supported" if ok else "contradicted",
                                reason=f"score({m.group('x')}) = {shown} towards {label!r} (occlusion: the drop in "
                                       f"p({label}) without the word); so the claim needs score "
                                       f"{'>' if want_positive else '<'} 0" + ("; negated" if negated else ""),
                                subject=m.group("x"), fact=f"score({m.group('x')}) = {shown}"))
    return claims


"""Statements about words of the text, quoted or bare (issue 10): rank ("the most / second most /
least important word is mess"), comparison ("X outweighs Y"), sign and direction ("X pushes towards
negative"), strength in words ("a strong positive score", "no influence"), a score stated for a
word, and a probability bound to the label named with it.

LLMs write these in many shapes, so each statement is a small family of patterns around the word it
is about (`word_patterns`), with a cue-word fallback for unseen phrasings (`word_cues`); a list of cited
words ("'food', 'service' and 'plot' hardly matter") puts each member in the list's place in turn. The
rules and thresholds: `word_rules` and bench/verifier/README.md, "Text (token attributions)". A pattern
that finds no token of the text for its word gives no claim.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from verbalize.core.claims import sentence_spans
from verbalize.core.types import Claim
from verbalize.pipeline.text.asides import appositive_variants, as_people_see_it, pronoun_positions
from verbalize.pipeline.text.attribution import NEGATION, Attribution, core
from verbalize.pipeline.text.word_cues import bare_subjects, cue_claims
from verbalize.pipeline.text.word_numbers import probability_claims, word_value_claims, zero_claims
from verbalize.pipeline.text.word_patterns import (
    COMPARATIVE,
    CONNECTIVES,
    FRAMES,
    MORE_WORDS,
    QUOTED,
    SUBSET,
    cited_lists,
)
from verbalize.pipeline.text.word_rules import Stats, judge, scores_of, word_claim
from verbalize.pipeline.text.word_signs import push_claims, removal_claims

__all__ = ["probability_claims", "word_frame_claims", "word_value_claims"]


def word_frame_claims(text: str, att: Attribution, labels: Sequence[str], label: str | None,
                      cited: Sequence[tuple[int, int]] = ()) -> list[Claim]:
    """Rank, comparison, strength and sign statements about words of the text, quoted or bare.

    A list of cited words (`cited`: their spans) stands for each of its members: the text is read once
    with each member in the list's place, and that member's claims are placed on its own span.
    """
    claims = _frame_claims(text, att, labels, label) + zero_claims(text, att, cited)
    for group in cited_lists(text, cited):
        a, b = group[0][0], group[-1][1]
        for ms, me in group:
            close = b + 1 if b < len(text) and text[b] in "\"'”’«*`" else b
            variant = text[:a] + text[ms:me] + " " * (close - a - (me - ms)) + text[close:]
            for c in _frame_claims(variant, att, labels, label):
                if c.start == a:
                    claims.append(c.model_copy(update={"start": ms, "end": me, "text": text[ms:me]}))
    claims += _aside_claims(text, att, labels, label, cited)
    claims += cue_claims(text, att, labels, label, cited, [(c.start, c.end) for c in claims])
    seen: set[tuple[str, int, int]] = set()
    out = []
    for c in claims:
        if (c.kind, c.start, c.end) not in seen:
            seen.add((c.kind, c.start, c.end))
            out.append(c)
    return out


_SET_OFF = re.compile(r"(?<=, )[A-Za-z][\w'-]*(?=, (?:the|a|an|one of|which|who|that)\b)")
"""A bare word set off by commas before an aside ("In this phone review, battery, the very component …, is …")."""
_MODEL_FIRST = re.compile(r"\b(?:model|classifier|network|system|explanation|attribution)\b", re.I)
"""A sentence whose subject is the model before it names the word: its 'it' is the model ("The model relies on
'mess', and it …")."""


def _aside_claims(text: str, att: Attribution, labels: Sequence[str], label: str | None,
                  cited: Sequence[tuple[int, int]]) -> list[Claim]:
    """Statements read past an aside about a word ("'early', the last word of the review, has no influence") and
    about the word an 'it' refers back to ("'quickly' is the most loaded word here, and it has no influence"; "…,
    but the model ranks it only second"); see `asides`. Each claim sits on the word's own span."""
    claims = []
    set_off = [(m.start(), m.end()) for m in _SET_OFF.finditer(text)
               if scores_of(att, m.group(0)) and m.group(0).casefold() not in CONNECTIVES | {"the", "a", "an", "this"}]
    for variant, a in appositive_variants(text, [*cited, *set_off]):
        found = _frame_claims(variant, att, labels, label)
        kept = [(x, y) for x, y in cited if variant[x:y].strip()]  # the cited words of the aside are blanked with it
        found += cue_claims(variant, att, labels, label, kept, [(c.start, c.end) for c in found])
        claims += [c for c in found if c.start == a]
    for s0, s1 in sentence_spans(text):
        for p in pronoun_positions(text, s0, s1):
            before = [(a, b) for a, b in cited if s0 <= a < p and scores_of(att, text[a:b])]
            named = before or bare_subjects(text, s0, p, att, {lb.casefold() for lb in labels})
            if len({core(text[a:b]) for a, b in named}) != 1 or _MODEL_FIRST.search(text, s0, named[0][0]):
                continue  # 'it' stands for one word named before it, or is left unread
            a, b = named[-1]
            word = core(text[a:b])
            size, said = (4, word + " is") if text[p: p + 4].lower() in ("it's", "it’s") else (2, word)
            variant = text[:p] + said + text[p + size:]
            delta = len(said) - size
            shifted = [(x, y) if y <= p else (x + delta, y + delta) for x, y in cited if not x <= p < y]
            found = _frame_claims(variant, att, labels, label) + cue_claims(variant, att, labels, label, shifted, [])
            claims += [c.model_copy(update={"start": a, "end": b, "text": text[a:b]}) for c in found if c.start == p]
    return claims


def _matches(text: str) -> list[tuple[str, re.Match[str]]]:
    """Every (statement kind, match) of the frames and of the free comparative."""
    found = [(kind, m) for kind, pattern in FRAMES for m in pattern.finditer(text)]
    for m in COMPARATIVE.finditer(text):
        if re.search(r"\b(?:no|nothing|none)\b", m.group("mid"), re.I):
            continue  # "apart from 'but', no word matters more than 'terrible'": 'but' is set aside, not compared
        if not re.search(r"\b(?:than (?:any|all|every|the rest|other)|of (?:all|any))\b", text[m.start("cmp"): m.end()], re.I):
            found.append(("more" if m.group("cmp").lower() in MORE_WORDS else "less", m))
    return found



_NOT_FIRST = re.compile(r"\b(?:behind|after|apart from|besides|other than|except(?: for)?)\b[^.;!?]*$", re.I)


_NO_WORD = ("the", "a", "an", "this", "that", "its")
"""Determiners a frame's second word can catch ("'terrible' dominates the prediction"): no word is compared or set aside."""


def _unquoted(cited: str) -> str:
    """A quoted, bold or code-marked word without its marks."""
    return cited.strip("\"'“”‘’»«`*")


def _frame_claims(text: str, att: Attribution, labels: Sequence[str], label: str | None) -> list[Claim]:
    claims: list[Claim] = push_claims(text, att, labels, label) + removal_claims(text, att, labels, label)
    st = Stats(att)
    found = _matches(text)
    # the words the statements are about are no negation of them ("Not leads the ranking, followed by 'easily'")
    masked = list(text)
    for _, m in found:
        for g in ("x", "y"):
            if g in m.re.groupindex and m.group(g):
                masked[m.start(g): m.end(g)] = " " * (m.end(g) - m.start(g))
    plain = "".join(masked)
    sentences = sentence_spans(text)
    quotes = [(q.start(), q.end()) for q in QUOTED.finditer(text)]
    for kind, m in found:
        x = m.group("x")
        s0, s1 = next(((a, b) for a, b in sentences if a <= m.start("x") < b), (0, len(text)))
        inside = [(a, b) for a, b in quotes if a <= m.start("x") < b]
        if inside and len(text[inside[0][0]:inside[0][1]].split()) > 1:
            continue  # a word inside a cited phrase ("the adjective great inside 'not great'") is no claim's subject
        if not inside and text[m.start("x") - 1: m.start("x")] not in "\"'“‘»`*" and any(
                s0 <= a < s1 and not m.start() <= a < m.end() and scores_of(att, _unquoted(text[a:b]))
                for a, b in quotes):
            continue  # a sentence that quotes the words it is about elsewhere: a bare word in it is no claim's subject
        if x.casefold() in ("the", "a", "an", "this") and re.match(r"\s+(?:word|token)\b", text[m.end("x"):], re.I):
            continue  # "The word ranked second is X": the article is no claim's subject
        if "y" in m.re.groupindex and m.group("y") and m.group("y").casefold() in _NO_WORD:
            continue  # "the most important token behind the negative prediction": no word is set aside
        if x.casefold() in CONNECTIVES:
            continue  # "'first' is a position word and carries no weight": a bare connective is the grammar, not X
        xs = scores_of(att, x)
        if not xs or core(x) in {lb.casefold() for lb in labels}:
            continue
        negated = bool(NEGATION.search(QUOTED.sub(" ", plain[max(0, m.start() - 30): m.start()])))
        if kind in ("top", "second", "least") and any(s0 <= m.start() < s1 and SUBSET.search(text, s0, s1)
                                                      for s0, s1 in sentences):
            continue  # a rank among some of the words only
        if kind in ("top", "least") and as_people_see_it(text, m.start(), m.end()):
            continue  # "the strongest word for a human reader": how the word reads, not its attribution
        if kind == "top" and _NOT_FIRST.search(text[max(0, m.start() - 50): m.start()]):
            continue  # "behind 'mess', the most important word is 'but'": a second place, read by its own pattern
        if kind in ("more", "less"):
            y = m.group("y")
            if y.casefold() in ("it", "them"):  # "Whereas 'but' only joins the clauses, 'terrible' outweighs it"
                others = [_unquoted(text[a:b]) for a, b in quotes if s0 <= a and b <= m.start("x")
                          and scores_of(att, _unquoted(text[a:b]))]
                y = others[-1] if len(others) == 1 else y
            ys = scores_of(att, y)
            if not ys or m.group("y").casefold() == "their":
                continue  # "… outweighs their …" compares with no word (the other determiners are skipped above)
            ok = max(xs) > max(ys) if kind == "more" else max(xs) < max(ys)
            rule = f"score({y}) = {max(ys):.4g}"
        elif kind == "strong_to":
            target = m.group("l").casefold()
            if label is None or target not in {lb.casefold() for lb in labels}:
                continue
            if target == label.casefold():
                ok, rule = judge("strong_pos", x, xs, st)
            else:
                ok, rule = (any(v < 0 and v <= 0.5 * st.min_neg for v in xs),
                            f"strongly towards the other label: ≤ half the most negative {st.min_neg:.4g}")
        else:
            ok, rule = judge(kind, x, xs, st)
        claims.append(word_claim(text, m.start("x"), m.end("x"), x, kind, xs, ok != negated, rule, negated))
    return claims



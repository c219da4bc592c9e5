"""Claim-by-claim verification of a text verbalization against the token attribution it describes.

Feldhus et al. 2023 found that GPT verbalizations of saliency maps read better than templates
but are less faithful to the numbers; this module makes "less faithful" countable. A text is
split into claims that can be checked mechanically against (tokens, scores, label):

- **word**: every cited unit (a phrase in ``»…«`` or in quotes, or a ``word (0.12)`` as the
  instruction prompt writes them) must occur in the text: *supported* when all its words are
  tokens of the text (case and surrounding punctuation ignored), *contradicted* otherwise. A
  phrase with a gap (``»not … bad«``) is read as its parts.
- **number**: a decimal near a cited unit (``"great" (0.85)``, ``"great" with a score of 0.85``)
  must equal that unit's score at the printed precision (0.85 matches 0.845..0.855; any
  occurrence of the word counts). A decimal in a sentence that cites nothing must equal some
  token's score. A percentage is checked against `probability` when one is given; bare integers
  and other numbers are *unverifiable*.
- **comparison** ("most important", "most salient", "strongest", "highest score"): the cited
  unit must hold the top-scoring token, or, for a phrase, at least as much positive attribution
  as any single token outside it (a phrase of three good words may outweigh one strong word).
- **salience** ("is also salient", "important for the prediction"): the unit must have some
  positive attribution.
- **sign** ("positive" / "negative" near a cited unit): the unit's score must have that sign.
  When the labels themselves are "positive" and "negative", a word pushing towards the label
  being explained has a positive score, so "points to negative" while explaining "negative"
  means score > 0. Negated statements ("not positive") are *unverifiable*.
- **label**: a label named in a prediction clause ("predicted … as 'positive'") must be the
  predicted label.

What it cannot check: why a word matters ("because it expresses joy"), claims about words it
does not cite in quotes, and anything about the model's training. Those are not extracted, so a
vague text can reach fidelity 1.0 on few claims: read `fidelity` next to the number of claims.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

from verbalize.core.claims import (
    NUM,
    NUMBER,
    Number,
    decimals,
    printed_match,
    quantities,
    sentence_spans,
    span_at,
    split_spans,
)
from verbalize.core.types import Claim, Verification
from verbalize.pipeline.text.attribution import (
    NEGATION,
    STRIP,
    Attribution,
    Citation,
    Unit,
    cited_words,
    core,
    extract_citations,
    norm_word,
)
from verbalize.pipeline.text.word_claims import probability_claims, word_frame_claims, word_value_claims
from verbalize.pipeline.text.word_patterns import QUOTED

__all__ = ["cited_words", "core", "extract_citations", "verify_text_attribution", "verify_text_verbalization"]

_CLAUSE_SPLIT = re.compile(r";|\s(?:but|while|whereas|although|however)\s|,\s(?:and|but)\s", re.I)

# Citations, in the order they are tried; spans already taken by one pattern are not re-read.
_MOST = re.compile(
    r"(?<!second )(?<!second-)(?<!third )(?<!one of the )(?<!among the )\b(most important|most salient|most influential|most relevant|most significant|strongest|"
    r"highest (?:score|attribution|importance)|largest (?:score|attribution))\b", re.I)
_SALIENT = re.compile(r"\b(salient|important for the prediction|drives? the prediction|key (?:word|phrase)s?)\b", re.I)
_SIGN = re.compile(r"\b(positive(?:ly)?|negative(?:ly)?|(?:speaks?|points?|counts?|works?|argues?) against)\b"
                   r"(?!-(?:sounding|looking|seeming))",
                   re.I)
_SCORE_NOUN = re.compile(r"\s*(score|scores|value|values|attribution|attributions|importance|weight|weights|"
                         r"contribution|contributions|impact|influence|effect)\b", re.I)
_PREDICTION = re.compile(r"\b((?:took|takes|treat(?:s|ed)?|view(?:s|ed)?|interpret(?:s|ed)?|flag(?:s|ged)?|mark(?:s|ed)?|saw|"
                         r"pegs|pegged|sorts|sorted)\b(?=[^.;]{0,40}\bas\b)|according to the (?:model|classifier)|decides?|conclud\w*|predict\w*|classif\w*|labell?ed|labels|calls|rates|rated|judges|judged|reads|verdict|deems|considers|says|finds|thinks|sees|categori[sz]\w*|the label|the prediction|"
                         r"the output|decided|decision)\b", re.I)

def _clauses(text: str, a: int, b: int) -> list[tuple[int, int]]:
    return split_spans(text, _CLAUSE_SPLIT, a, b) or [(a, b)]


def _label_in(citation: Citation, labels: Sequence[str]) -> str | None:
    lowered = {lb.casefold(): lb for lb in labels}
    return lowered.get(norm_word(citation.text).strip(STRIP))


_ANSWER = re.compile(r"(?:^|(?<=[.!?]\s))\s*(?:no|nope|not quite|not really|not exactly|not at all|yes|yeah|yep|indeed|correct|"
                     r"right|exactly|short answer|in short)\s*(?:[,:;!]|[—–]|-{1,2})", re.I)
"""Words that answer a question before the statement: "No, 'total' is actually the second most important word"."""
_DIRECTED = ("word_sign", "word_pos", "word_neg", "word_strong_to", "word_strong_pos", "word_weak_pos", "word_strong_neg")
"""Framed claims that state a word's direction: they replace a sign word read on its own in their clause."""


def verify_text_verbalization(
    text: str,
    tokens: Sequence[str],
    scores: Sequence[float] | np.ndarray,
    label: str | None = None,
    *,
    predicted: str | None = None,
    labels: Sequence[str] | None = None,
    probability: float | None = None,
) -> Verification:
    """Check every extractable claim of `text` against the attribution (tokens, scores) of `label`.

    `scores` must be the numbers the verbalizer saw (for the LLM verbalizer: the rescaled scores
    it was shown), positive = evidence for `label`. Label claims are checked against `predicted`
    (default: `label`, the usual case of scores that explain the prediction). `labels` (all class
    names) lets a quoted class name be read as a label rather than a word; `probability` (of
    `label`) lets a percentage be checked. Never raises on the text; raises ValueError when scores
    and tokens differ in length.
    """
    att = Attribution(tokens, scores)
    text = _ANSWER.sub(lambda m: " " * len(m.group(0)), text)  # "No, 'total' is …": the answer word negates nothing
    all_labels = list(dict.fromkeys([*(labels or []), *([label] if label else []), *([predicted] if predicted else [])]))
    decision = predicted or label
    citations = extract_citations(text)
    sentences = sentence_spans(text)
    claims: list[Claim] = []
    units: list[Unit] = []  # cited units that are words of the text, with their possible places

    for c in citations:
        name = _label_in(c, all_labels)
        places, missing = att.occurrences(c)
        s0, s1 = span_at(c.start, sentences)
        c0 = span_at(c.start, _clauses(text, s0, s1))[0]
        # A quoted class name is the prediction when the text lacks it as a word, or when it follows
        # a prediction verb ("predicted this review as 'positive'"); else it is a cited word.
        predicts = bool(_PREDICTION.search(text, max(c0, c.start - 50), c.start))
        if name is not None and missing and c.inline_score is not None and not predicts:
            continue  # "pushes towards positive (-0.14)": the score is the word's, the label names a direction
        if name is not None and (missing or predicts):
            claims.append(_label_claim(c.start, c.end, text[c.start : c.end], name, decision))
            continue
        if missing:
            claims.append(Claim(text=c.text, kind="word", start=c.start, end=c.end, status="contradicted",
                                reason=f"not in the text: {', '.join(repr(w) for w in missing)}"))
            continue
        claims.append(Claim(text=c.text, kind="word", start=c.start, end=c.end, status="supported",
                            reason="occurs in the text"))
        units.append((c, places))

    claims += _number_claims(text, sentences, citations, units, att)
    claims += _statement_claims(_masked(text, citations), sentences, units, citations, att, all_labels, label)
    claims += _uncited_label_claims(text, sentences, citations, all_labels, decision)
    framed = (word_frame_claims(text, att, all_labels, label, [(c.start, c.end) for c in citations])
              + word_value_claims(text, att)
              + probability_claims(text, sentences, all_labels, decision, probability))
    taken = [(c.start, c.end) for c in framed]
    ranked = [span_at(c.start, sentences) for c in framed if c.kind in ("word_top", "word_second", "word_least")]
    directed = [span_at(c.start, _clauses(text, *span_at(c.start, sentences))) for c in framed if c.kind in _DIRECTED]
    # a framed claim binds its number or word to the word it is about: it replaces an unbound reading (a sign
    # word read on its own, in "masking 'not' would make the model more negative", is the removal's direction)
    claims = [c for c in claims if not (c.kind == "number" and any(a < c.end and c.start < b for a, b in taken))
              and not (c.kind == "comparison" and any(a <= c.start < b for a, b in ranked))
              and not (c.kind == "sign" and any(a <= c.start < b for a, b in directed))]
    claims += framed
    claims.sort(key=lambda c: (c.start, c.end))
    return Verification(claims=claims, extractor="rules")


def _masked(text: str, citations: Sequence[Citation]) -> str:
    """The text with every cited unit replaced by filler of the same length, so that the words a
    verbalization quotes ("not", "positive", "most important") are not read as its own statements."""
    chars = list(text)
    for c in citations:
        chars[c.start : c.end] = "x" * (c.end - c.start)
    return "".join(chars)


def _label_claim(start: int, end: int, shown: str, name: str, label: str | None) -> Claim:
    if label is None:
        return Claim(text=shown, kind="label", start=start, end=end, status="unverifiable",
                     reason="no predicted label given")
    ok = name.casefold() == label.casefold()
    return Claim(text=shown, kind="label", start=start, end=end, status="supported" if ok else "contradicted",
                 reason="the predicted label" if ok else f"the prediction is {label!r}")


def _uncited_label_claims(text: str, sentences: list[tuple[int, int]], citations: list[Citation],
                          labels: Sequence[str], label: str | None) -> list[Claim]:
    """An unquoted label name shortly after a prediction verb ("the model predicted positive",
    "classified this review as negative"). A clause whose prediction is quoted is handled with the
    citations; later label words in the clause ("… positive scores") are not predictions."""
    if not labels:
        return []
    alt = "|".join(re.escape(lb) for lb in sorted(labels, key=len, reverse=True))
    label_re = re.compile(rf"(?<![\w'\"»“])({alt})(?![\w'\"«”])", re.I)
    claims = []
    for s0, s1 in sentences:
        for a, b in _clauses(text, s0, s1):
            pred = _PREDICTION.search(text, a, b)
            if not pred or re.search(r"\b(?:push|pull|mov|nudg|driv|steer|tip|shift|sway|drag|draw|tilt|lean|swing)\w*\s+(?:the\s+)?$",
                                     text[max(a, pred.start() - 20): pred.start()], re.I):
                continue  # "'great' pushes the prediction towards positive" is about a word, not the prediction
            window_end = min(b, pred.end() + 40)
            m = label_re.search(text, pred.end(), window_end)
            if m is None or any(pred.end() <= c.start < m.start() or c.start <= m.start() < c.end
                                for c in citations):
                continue
            if re.search(r"\b(?:towards?|away from|against|in favou?r of)\s+(?:the\s+)?$", text[max(a, m.start() - 20): m.start()],
                         re.I):
                continue  # "… drags the prediction away from negative" names a direction, not the prediction
            name = next(lb for lb in labels if lb.casefold() == m.group(1).casefold())
            claim = _label_claim(m.start(1), m.end(1), m.group(1), name, label)
            unquoted = QUOTED.sub(lambda q: " " * len(q.group(0)), text[a: pred.start()])  # the word 'not' negates nothing
            if claim.status != "unverifiable" and re.search(r"\b(?:not|never|no longer)\b|n't\b", unquoted, re.I):
                # "does not predict positive", "is not classified as negative"
                flipped = "contradicted" if claim.status == "supported" else "supported"
                claim = claim.model_copy(update={"status": flipped, "reason": claim.reason + "; negated"})
            claims.append(claim)
        for m in re.finditer(rf"(?<![\w'\"])({alt})(?![\w'\"])\s+(?:is|was)\s+(not\s+)?the\s+(?:predicted|model's|"
                             rf"classifier's|final)\s+(?:label|class|prediction|answer|verdict)", text[s0:s1], re.I):
            name = next(lb for lb in labels if lb.casefold() == m.group(1).casefold())
            claim = _label_claim(s0 + m.start(1), s0 + m.end(1), m.group(1), name, label)
            if m.group(2) and claim.status != "unverifiable":
                claim = claim.model_copy(update={"status": "contradicted" if claim.status == "supported" else "supported",
                                                 "reason": claim.reason + "; negated"})
            claims.append(claim)
    return claims


def _number_claims(text: str, sentences: list[tuple[int, int]], citations: list[Citation],
                   units: list[Unit], att: Attribution) -> list[Claim]:
    claims = []
    cited_spans = [(c.start, c.end) for c in citations]
    for s0, s1 in sentences:
        in_sentence = [u for u in units if s0 <= u[0].start < s1]
        for m in NUMBER.finditer(text, s0, s1):
            start, end = m.start(), m.end()
            if any(a <= start < b for a, b in cited_spans):
                continue  # a number inside a citation is a cited word ("1955"), not a claim
            raw, unit = m.group(1), m.group(2)
            shown = text[start:end].strip()
            value, places = Number.of(raw).value, decimals(raw)
            if unit:
                continue  # a percentage is a probability: see probability_claims
            if (cite := _FACT_ID.match(text, end)) is not None:
                claims.append(_cited_score(shown, start, end, int(cite.group(1)), value, places, att))
                continue
            if places == 0 or abs(value) > 1:
                claims.append(Claim(text=shown, kind="number", start=start, end=end, status="unverifiable",
                                    reason="not a score (scores are decimals in [-1, 1])"))
                continue
            before = [u for u in in_sentence if u[0].end <= start]
            after = [u for u in in_sentence if u[0].start >= end]
            owner = before[-1] if before else (after[0] if after else None)
            pair = next((p for p in _PAIR.finditer(text, s0, s1) if p.start(1) <= start < p.end(2)), None)
            if pair is not None and len(before) >= 2:  # "'a' outweighs 'b' (0.15 vs 0.11)": each number in its word's order
                first = [u for u in before if u[0].end <= pair.start()]
                if len(first) >= 2:
                    owner = first[-2] if start < pair.end(1) else first[-1]
            if owner is not None:
                values = list(dict.fromkeys(float(att.scores[i]) for place in owner[1] for i in place))
                hedged = next((q for q in quantities(text, max(s0, start - 20), end) if q.end == end and q.relation != "exact"),
                              None)  # "a score of around 0.09": the hedge's tolerance, not the printed precision
                ok = any(hedged.holds(v) if hedged else printed_match(v, value, places) for v in values)
                shown_values = ", ".join(f"{v:.{max(places, 2)}f}" for v in values[:6])
                claims.append(Claim(text=shown, kind="number", start=start, end=end,
                                    status="supported" if ok else "contradicted",
                                    reason=f"score of {owner[0].text!r}: {shown_values}"))
            else:
                ok = any(printed_match(float(v), value, places) for v in att.scores)
                claims.append(Claim(text=shown, kind="number", start=start, end=end,
                                    status="supported" if ok else "contradicted",
                                    reason="matches a token's score" if ok else "matches no token's score"))
    return claims


_PAIR = re.compile(rf"\(\s*({NUM})\s*(?:vs\.?|versus|v\.|and|/|,|to|against|over)\s*({NUM})\s*\)", re.I)
"""Two scores in brackets after two named words: "(0.15 vs 0.11)"."""
_FACT_ID = re.compile(r"\s*\)?\s*\[\s*s(\d{1,6})\s*\]")
"""The fact id the feldhus_instruct prompt (v2) asks for after a quoted score: "'mess' (0.32) [s12]"."""


def _cited_score(shown: str, start: int, end: int, k: int, value: float, places: int, att: Attribution) -> Claim:
    """A score cited with its fact id [sK] is checked against exactly the K-th token's score; an id that names no
    token is a wrong citation."""
    if not 1 <= k <= len(att.tokens):
        return Claim(text=shown, kind="citation", start=start, end=end, status="contradicted",
                     reason=f"cites [s{k}], which is no token of this text (s1 … s{len(att.tokens)})", fact=f"s{k}")
    token, v = att.tokens[k - 1], float(att.scores[k - 1])
    ok = printed_match(v, value, places)
    return Claim(text=shown, kind="citation", start=start, end=end, status="supported" if ok else "contradicted",
                 reason=f"cites [s{k}] = score({token}) = {v:.{max(places, 2)}f}; it holds when the score rounds to "
                        f"{shown} at {places} decimals", subject=token, fact=f"s{k} = {v:.4g}")


def _statement_claims(text: str, sentences: list[tuple[int, int]], units: list[Unit],
                      citations: list[Citation], att: Attribution, labels: Sequence[str],
                      label: str | None) -> list[Claim]:
    """'most important', 'salient' and sign statements about the cited units of their clause.

    `text` has its citations masked (see `_masked`). A statement about a unit holds when it holds
    for one of the unit's places in the text.
    """
    claims: list[Claim] = []
    top = float(att.scores.max()) if att.scores.size else math.nan
    for s0, s1 in sentences:
        for a, b in _clauses(text, s0, s1):
            clause_units = [u for u in units if a <= u[0].start < b]
            if not clause_units:
                continue
            most = _MOST.search(text, a, b)
            if most and re.match(r"-(?:sounding|looking|seeming)", text[most.end():]):
                most = None  # "the strongest-sounding word": how it reads to a person
            if most and not _negated(text, most.start()):
                c, places = clause_units[0]
                ok, reason = _is_most_important(c, places, att, top)
                claims.append(Claim(text=text[most.start() : most.end()], kind="comparison", start=most.start(),
                                    end=most.end(), status="supported" if ok else "contradicted",
                                    reason=f"{c.text!r}: {reason}"))
            elif (sal := _SALIENT.search(text, a, b)) and not _negated(text, sal.start()):
                for c, places in clause_units:
                    mass = max(float(att.positive[place].sum()) for place in places)
                    claims.append(Claim(text=c.text, kind="salience", start=c.start, end=c.end,
                                        status="supported" if mass > 0 else "contradicted",
                                        reason=f"positive attribution {mass:.3f}"))
            for m in _SIGN.finditer(text, a, b):
                claims += _sign_claims(text, m, clause_units, att, labels, label)
    return claims


def _is_most_important(c: Citation, places: list[list[int]], att: Attribution, top: float) -> tuple[bool, str]:
    """A word: it holds the top score. A phrase: it holds the top-scoring token, or at least as much
    positive attribution as any single token outside it."""
    best_reason = ""
    for place in places:
        unit_max = float(att.scores[place].max())
        if len(place) == 1:
            ok, reason = unit_max >= top - 1e-12, f"its score {unit_max:.3f}; the top score is {top:.3f}"
        else:
            inside = set(place)
            strongest = max((float(att.positive[i]) for i in range(len(att.tokens)) if i not in inside), default=0.0)
            mass = float(att.positive[place].sum())
            ok = unit_max >= top - 1e-12 or mass >= strongest - 1e-12
            reason = f"positive mass {mass:.3f} (max {unit_max:.3f}); the strongest other token has {strongest:.3f}"
        if ok:
            return True, reason
        best_reason = best_reason or reason
    return False, best_reason


def _negated(text: str, pos: int) -> bool:
    return bool(NEGATION.search(text[max(0, pos - 30) : pos]))


_READS_AS = re.compile(r"\s+(?:connotations?|overtones?|undertones?|meaning|tone|ring|flavou?r|sense|feel)\b|"
                       r"\s+in (?:meaning|tone|sense|isolation|everyday use|general|itself)\b", re.I)
"""'a negative connotation', 'negative in meaning': how a word reads, not its score."""
_SEEN_AS = re.compile(r"\b(?:readers?|people|humans?|a person|most of us|you|one)\b[^.;,]{0,30}\b(?:call|consider|see|regard|read|"
                      r"describe|think of|perceive)\w*\b[^.;,]{0,25}$|\b(?:though|although|while|despite being|albeit|if)\s+"
                      r"(?:\w+\s+)?$", re.I)
"""A sign word after 'readers would call X …' or a concession ('though …'): how people see the word."""


def _sign_claims(text: str, m: re.Match[str], clause_units: list[Unit], att: Attribution,
                 labels: Sequence[str], label: str | None) -> list[Claim]:
    """One claim per sign word: every cited unit of its clause must score with that sign (in one of
    its places). `text` has its citations masked, so a quoted "positive" is no sign word."""
    word = m.group(1).lower()
    shown = text[m.start() : m.end()]
    if re.match(r"\s+(?:prediction|label|class|verdict|review|sentiment|call|decision|outcome|output|result|"
                r"classification|judge?ment|rating)\b", text[m.end():]) or (
            re.search(r"\bthe\s+$", text[max(0, m.start() - 6): m.start()], re.I)
            and re.match(r"\s+(?:score|probability|confidence|side|reading)\b", text[m.end():])):
        return []  # "the negative prediction", "on the negative score" name the label, not a word's sign
    if re.search(r"\b(?:sounds?|sounding|looks?|seems?|feels?)\s+(?!more\b|less\b)(?:\w+\s+)?$", text[max(0, m.start() - 20): m.start()],
                 re.I) or _READS_AS.match(text, m.end()):
        return []  # "'food' hardly sounds negative": how the word reads to a person, not its score ("makes the
        # review look more positive" is the word's effect)
    if re.match(r"\s+(?:contributors?|words?|tokens?|terms?|ones|adjectives?|adverbs?|nouns?|descriptors?|expressions?|phrases?|"
                r"sentiments?)\b", text[m.end():], re.I):
        return []  # "the strongest negative contributor", "the three positive words": a sign or a label, it is unclear
    if _SEEN_AS.search(text[max(0, m.start() - 60): m.start()]) or re.search(
            r"\b(?:most|least)\s+$", text[max(0, m.start() - 6): m.start()], re.I):
        return []  # "most readers would call 'bad' negative", "though negative in meaning": how a person reads the
        # word; "the most negative word": an order of signed scores (the cue reader's)
    if _negated(text, m.start()):
        return [Claim(text=shown, kind="sign", start=m.start(), end=m.end(), status="unverifiable",
                      reason="a negated statement")]
    if "against" in word:
        want_positive = False
    else:
        want_positive = word.startswith("positive")
        stem = "positive" if want_positive else "negative"
        about_score = bool(_SCORE_NOUN.match(text, m.end()))
        if not about_score and label is not None and stem in {lb.casefold() for lb in labels}:
            # the sign word names a label: evidence towards the explained label scores > 0
            want_positive = stem == label.casefold()
            if re.search(r"\b(?:away from|against)\s+(?:the\s+)?$", text[max(0, m.start() - 20): m.start()], re.I):
                want_positive = not want_positive  # "pushes away from negative"

    def signed(values: np.ndarray) -> bool:
        return bool(np.all(values > 0)) if want_positive else bool(np.all(values < 0))

    ok = all(any(signed(att.scores[place]) for place in places) for _, places in clause_units)
    values = [(c.text, float(v)) for c, places in clause_units for v in att.scores[places[0]]]
    direction = "> 0" if want_positive else "< 0"
    return [Claim(text=shown, kind="sign", start=m.start(), end=m.end(),
                  status="supported" if ok else "contradicted",
                  reason=f"should score {direction}: " + ", ".join(f"{w!r} {v:.3f}" for w, v in values[:6]))]


def verify_text_attribution(
    text: str,
    tokens: Sequence[str],
    scores: Sequence[float] | np.ndarray,
    *,
    label: str | None = None,
    labels: Sequence[str] | None = None,
    predicted: str | None = None,
    probability: float | None = None,
) -> Verification:
    """Check `text` claim by claim against a token attribution: `scores[i]` is the attribution of
    `tokens[i]` towards `label` (positive = evidence for it). `labels` are all class names,
    `predicted` the predicted label (default `label`) and `probability` its probability. Words are
    read quoted or bare ("the most important word is mess"). Raises ValueError when the lengths differ.
    """
    return verify_text_verbalization(text, tokens, scores, label, predicted=predicted, labels=labels,
                                     probability=probability)

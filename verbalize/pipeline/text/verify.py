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
import string
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

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

_CLAUSE_SPLIT = re.compile(r";|\s(?:but|while|whereas|although|however)\s|,\s(?:and|but)\s", re.I)
_GAP = re.compile(r"\s*…\s*")  # "..." is left alone: it is a token of many texts

# Citations, in the order they are tried; spans already taken by one pattern are not re-read.
_CITATIONS = [
    re.compile(r"»([^«»\n]{1,200})«"),
    re.compile(r"“([^”\n]{1,200})”"),
    re.compile(r"\"([^\"\n]{1,200})\""),
    re.compile(r"(?<![\w'])'([^\n]{1,200}?)'(?![\w'])"),
    re.compile(rf"(?<![\w\"'»])([^\s\"'«»()]+)\s\(\s*({NUM})\s*\)"),  # word (0.12), as the prompt writes them
]
MAX_CITED_WORDS = 12
"""A longer quote is not a citation of words (a quoted sentence of the model's own, say)."""
MAX_OCCURRENCES = 64
"""Where a cited unit may be: enough for any real text, bounded against pathological repetition."""

_MOST = re.compile(
    r"(?<!second )(?<!second-)(?<!third )\b(most important|most salient|most influential|most relevant|most significant|strongest|"
    r"highest (?:score|attribution|importance)|largest (?:score|attribution))\b", re.I)
_SALIENT = re.compile(r"\b(salient|important for the prediction|drives? the prediction|key (?:word|phrase)s?)\b", re.I)
_SIGN = re.compile(r"\b(positive(?:ly)?|negative(?:ly)?|(?:speaks?|points?|counts?|works?|argues?) against)\b",
                   re.I)
_SCORE_NOUN = re.compile(r"\s*(score|scores|value|values|attribution|attributions|importance|weight|weights|"
                         r"contribution|contributions|impact|influence|effect)\b", re.I)
_NEGATION = re.compile(r"\b(not|no|n't|never|neither|nor|without)\W+(?:\w+\W+)?$", re.I)
_PREDICTION = re.compile(r"\b(predict\w*|classif\w*|labell?ed|labels|calls|rates|rated|judges|judged|reads|verdict|deems|considers|says|finds|thinks|sees|categori[sz]\w*|the label|the prediction|"
                         r"the output|decided|decision)\b", re.I)

_STRIP = string.punctuation + "«»…–—“”‘’"


def _norm(s: str) -> str:
    return unicodedata.normalize("NFKC", s).casefold().replace("’", "'")


def core(s: str) -> str:
    """A word as compared with tokens: case-folded, surrounding punctuation removed ("Great," → "great")."""
    n = _norm(s)
    stripped = n.strip(_STRIP)
    return stripped or n


@dataclass(frozen=True)
class Citation:
    """One cited unit of a verbalization: its text, where it is, and its words (gaps split)."""

    text: str
    start: int
    end: int
    words: tuple[str, ...]
    inline_score: str | None = None  # the number of a `word (0.12)` citation


def extract_citations(text: str) -> list[Citation]:
    """Every cited unit, in text order: ``»…«``, quotes of either kind, and ``word (0.12)``.

    Quotes holding more than `MAX_CITED_WORDS` words are not citations of words.
    """
    taken: list[tuple[int, int]] = []
    out: list[Citation] = []
    for pattern in _CITATIONS:
        for m in pattern.finditer(text):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            inner = m.group(1).strip()
            words = tuple(w for part in _GAP.split(inner) for w in part.split() if w)
            if not words or len(words) > MAX_CITED_WORDS:
                continue
            taken.append((m.start(), m.end()))
            score = m.group(2) if pattern.groups >= 2 else None
            out.append(Citation(inner, m.start(1), m.start(1) + len(m.group(1)), words, score))
    out.sort(key=lambda c: c.start)
    return out


def cited_words(text: str) -> set[str]:
    """The words a verbalization cites (core forms), plus punctuation marks when it mentions
    "punctuation" (as Feldhus et al.'s coverage evaluation did)."""
    words = {core(w) for c in extract_citations(text) for w in c.words}
    if "punctuation" in text.lower():
        words |= set(".,:;-!?")
    return words


Unit = tuple[Citation, list[list[int]]]
"""A cited unit and every set of token positions it may refer to."""


class _Attribution:
    """Tokens and scores, with lookups by core form."""

    def __init__(self, tokens: Sequence[str], scores: Sequence[float] | np.ndarray) -> None:
        self.tokens = list(tokens)
        self.scores = np.asarray(scores, dtype=float).reshape(-1)
        if self.scores.size != len(self.tokens):
            raise ValueError(f"{self.scores.size} scores for {len(self.tokens)} tokens")
        self.cores = [core(t) for t in self.tokens]
        self.positive = np.clip(self.scores, 0, None)

    def runs(self, words: Sequence[str]) -> list[list[int]]:
        """Every place the words occur as consecutive tokens."""
        want = [core(w) for w in words]
        n = len(want)
        return [list(range(i, i + n)) for i in range(len(self.cores) - n + 1) if self.cores[i : i + n] == want]

    def occurrences(self, citation: Citation) -> tuple[list[list[int]], list[str]]:
        """Where a cited unit may be in the text, and its words that are nowhere.

        Each part of the unit (parts are split at a gap "…") is a run of consecutive tokens; a unit
        is every in-order combination of its parts' runs. A unit that is not consecutive in the
        text is read word by word. A word that occurs several times (with different scores) gives
        several occurrences: a claim about it holds when it holds for one of them, since the text
        cannot say which one it meant. At most `MAX_OCCURRENCES` are kept.
        """
        parts = [p.split() for p in _GAP.split(citation.text) if p.split()]
        runs = [self.runs(part) for part in parts]
        if any(not r for r in runs):  # not consecutive as cited: word by word
            parts = [[w] for w in citation.words]
            runs = [self.runs(part) for part in parts]
        missing = [w for part, r in zip(parts, runs, strict=True) if not r for w in part]
        if missing:
            return [], missing
        combos: list[list[int]] = [[]]
        for r in runs:
            combos = [c + run for c in combos for run in r if not c or run[0] > c[-1]][:MAX_OCCURRENCES]
        if not combos:  # the parts occur, but not in the cited order
            combos = [sorted({i for r in runs for i in r[0]})]
        return combos, []

    def word_scores(self, words: Sequence[str]) -> list[float]:
        """Every score any occurrence of any of the words has (a repeated word has several)."""
        want = {core(w) for w in words}
        return [float(s) for t, s in zip(self.cores, self.scores, strict=True) if t in want]


def _clauses(text: str, a: int, b: int) -> list[tuple[int, int]]:
    return split_spans(text, _CLAUSE_SPLIT, a, b) or [(a, b)]


def _label_in(citation: Citation, labels: Sequence[str]) -> str | None:
    lowered = {lb.casefold(): lb for lb in labels}
    return lowered.get(_norm(citation.text).strip(_STRIP))


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
    att = _Attribution(tokens, scores)
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
        if name is not None and (missing or _PREDICTION.search(text, max(c0, c.start - 50), c.start)):
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
    framed = (word_frame_claims(text, att, all_labels, label) + word_value_claims(text, att)
              + probability_claims(text, sentences, all_labels, decision, probability))
    taken = [(c.start, c.end) for c in framed]
    ranked = [span_at(c.start, sentences) for c in framed if c.kind in ("word_top", "word_second", "word_least")]
    # a framed claim binds its number or word to the word it is about: it replaces an unbound reading
    claims = [c for c in claims if not (c.kind == "number" and any(a < c.end and c.start < b for a, b in taken))
              and not (c.kind == "comparison" and any(a <= c.start < b for a, b in ranked))]
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
            if not pred or re.search(r"\b(?:push|pull|mov|nudg|driv|steer|tip|shift|sway)\w*\s+(?:the\s+)?$",
                                     text[max(a, pred.start() - 20): pred.start()], re.I):
                continue  # "'great' pushes the prediction towards positive" is about a word, not the prediction
            window_end = min(b, pred.end() + 40)
            m = label_re.search(text, pred.end(), window_end)
            if m is None or any(pred.end() <= c.start < m.start() or c.start <= m.start() < c.end
                                for c in citations):
                continue
            name = next(lb for lb in labels if lb.casefold() == m.group(1).casefold())
            claim = _label_claim(m.start(1), m.end(1), m.group(1), name, label)
            if claim.status != "unverifiable" and re.search(r"\b(?:not|never|no longer)\b|n't\b", text[a: pred.start()], re.I):
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
                   units: list[Unit], att: _Attribution) -> list[Claim]:
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
            if places == 0 or abs(value) > 1:
                claims.append(Claim(text=shown, kind="number", start=start, end=end, status="unverifiable",
                                    reason="not a score (scores are decimals in [-1, 1])"))
                continue
            before = [u for u in in_sentence if u[0].end <= start]
            after = [u for u in in_sentence if u[0].start >= end]
            owner = before[-1] if before else (after[0] if after else None)
            if owner is not None:
                values = list(dict.fromkeys(float(att.scores[i]) for place in owner[1] for i in place))
                ok = any(printed_match(v, value, places) for v in values)
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


def _statement_claims(text: str, sentences: list[tuple[int, int]], units: list[Unit],
                      citations: list[Citation], att: _Attribution, labels: Sequence[str],
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


def _is_most_important(c: Citation, places: list[list[int]], att: _Attribution, top: float) -> tuple[bool, str]:
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
    return bool(_NEGATION.search(text[max(0, pos - 30) : pos]))


def _sign_claims(text: str, m: re.Match[str], clause_units: list[Unit], att: _Attribution,
                 labels: Sequence[str], label: str | None) -> list[Claim]:
    """One claim per sign word: every cited unit of its clause must score with that sign (in one of
    its places). `text` has its citations masked, so a quoted "positive" is no sign word."""
    word = m.group(1).lower()
    shown = text[m.start() : m.end()]
    if re.match(r"\s+(?:prediction|label|class|verdict|review|sentiment)\b", text[m.end():]):
        return []  # "the negative prediction" names the label, it says nothing about a word's sign
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


# --- statements about words, quoted or not (issue 10) ---------------------------------------------
# Rules and thresholds: bench/verifier/README.md, "Text (token attributions)".

_W = r"[\"'“‘»]?(?P<{n}>[^\s\"'“”‘’»«,.;:!?()]+)[\"'”’«]?"
_X, _Y = _W.format(n="x"), _W.format(n="y")
_WORD = r"(?:\s+(?:word|token))?"
_SCORE = r"(?:score|attribution|importance|weight|contribution|value|impact|influence|effect)"

_IMP = r"(?:important|influential|relevant|salient|decisive|significant)"
_HAS = r"(?:has|had|gets|got|receives|received|carries|carried|shows|holds)"
_BIG = r"(?:highest|largest|biggest|greatest|strongest|top)"
_SMALL = r"(?:lowest|smallest|weakest|least)"
_FRAMES: list[tuple[str, re.Pattern[str]]] = [(kind, re.compile(p, re.I)) for kind, p in [
    ("second", rf"\bsecond[- ](?:most {_IMP}|{_BIG}(?:[- ]scoring)?|strongest){_WORD}\s+(?:is|was)\s+{_X}"),
    ("second", rf"{_X}{_WORD}\s+(?:is|was|ranks|ranked|comes|came|places|placed|follows)\s+(?:ranked\s+)?(?:in\s+)?(?:the\s+)?"
               rf"(?:second[- ]most {_IMP}|second(?:[- ]{_BIG}(?:[- ]scoring)?)?|runner-up|next most {_IMP})\b"),
    ("second", rf"{_X}{_WORD}\s+{_HAS} the second[- ]{_BIG} {_SCORE}"),
    ("second", rf"{_X}{_WORD}\s+(?:takes|took|is in|was in|holds|comes in) second place"),
    ("second", rf"\bsecond[- ](?:{_BIG}|most {_IMP})(?:[- ]scoring)? (?:word|token)\s+(?:is|was)\s+{_X}"),
    ("second", rf"\b(?:runner-up among the words|second place among the words) (?:is|was)\s+{_X}"),
    ("least", rf"\bleast {_IMP}{_WORD}\s+(?:is|was)\s+{_X}"),
    ("least", rf"{_X}{_WORD}\s+(?:is|was|ranks?)\s+(?:the|one of the|among the)\s+least {_IMP}"),
    ("least", rf"{_X}{_WORD}\s+(?:matters?|counts?|contributes?) (?:the )?least\b"),
    ("least", rf"{_X}{_WORD}\s+(?:is|was)\s+(?:the|one of the|among the)\s+(?:least (?!{_IMP})\w+|weakest|"
              rf"lowest-ranked|lowest-ranking)\b"),
    ("least", rf"\b(?:least (?!{_IMP})\w+|weakest|lowest-ranked)(?:\s+(?:word|token))?\s+(?:is|was)\s+{_X}"),
    ("least", rf"{_X}{_WORD}\s+(?:ranks|ranked|comes|came|is|was)(?: ranked)? last\b"),
    ("least", rf"{_X}{_WORD}\s+{_HAS} (?:the|one of the) {_SMALL} (?:absolute )?(?:{_SCORE}|influence|impact|effect)s?"),
    ("least", rf"\b(?:word|token) with the {_SMALL} (?:absolute )?{_SCORE} (?:is|was)\s+{_X}"),
    ("top", rf"(?<!second )(?<!second-)(?<!least )\b(?:most {_IMP}|strongest|highest-scoring|top|key|decisive)"
            rf"{_WORD}\s+(?:is|was)\s+{_X}"),
    ("top", rf"\bthe (?:word|token) that (?:matters|counts|contributes) most (?:is|was)\s+{_X}"),
    ("top", rf"\b(?:word|token) with the {_BIG} {_SCORE} (?:is|was)\s+{_X}"),
    ("top", rf"{_X}{_WORD}\s+(?:is|was)\s+the\s+(?:single\s+)?(?:most {_IMP}|strongest|highest-scoring|top|key)\b"
            rf"(?! (?:\w+ )?(?:than|after|behind))"),
    ("top", rf"{_X}{_WORD}\s+(?:is|was)\s+the (?:word|token) that [^.;]{{0,40}}?\bmost\b"),
    ("top", rf"{_X}{_WORD}\s+(?:matters?|counts?|contributes?|weighs?) (?:the )?most\b"),
    ("top", rf"{_X}{_WORD}\s+{_HAS} the {_BIG} (?:{_SCORE}|influence|impact|effect)\b(?! (?:\w+ )?than)"),
    ("top", rf"{_X}{_WORD}\s+(?:ranks|ranked|comes|came|is|was)(?: ranked)? first\b"),
    ("top", rf"{_X}{_WORD}\s+(?:drives|drove|influences|influenced|affects|affected|shapes|moves|sways|changes)(?: the "
            rf"(?:prediction|model|decision|output|classifier|score))? (?:the )?most\b"),
    ("top", rf"\bremoving {_X}{_WORD}\s+(?:changes|changed|affects|moves|shifts|lowers)(?: the (?:prediction|output|"
            rf"score|probability))? (?:the )?most\b"),
    ("more", rf"{_X}{_WORD}\s+(?:outweighs|outweighed|outranks|outranked|beats|dominates|"
             rf"(?:matters|mattered|counts|counted|weighs|weighed|contributes|contributed) more than|"
             rf"(?:is|was) (?:more {_IMP}|weightier|stronger) than|{_HAS} (?:an? )?(?:larger|higher|bigger|greater|stronger)"
             rf" {_SCORE} than|{_HAS} more (?:influence|weight|impact) than|scores? (?:higher than|above)|"
             rf"ranks? (?:higher than|above)|(?:is|was) ahead of|carries more weight than|counts for more than|"
             rf"(?:is|was) weighted more (?:heavily )?than|{_HAS} more (?:influence|weight|impact) than)\s+"
             rf"(?:the (?:word|token)\s+)?{_Y}"),
    ("more", rf"{_X}'s {_SCORE} (?:is|was) (?:higher|larger|bigger|greater|stronger) than (?:that of |the {_SCORE} of )?"
             rf"{_Y}"),
    ("less", rf"{_X}'s {_SCORE} (?:is|was) (?:lower|smaller|weaker) than (?:that of |the {_SCORE} of )?{_Y}"),
    ("less", rf"{_X}{_WORD}\s+(?:(?:matters|mattered|counts|counted|weighs|weighed|contributes|contributed) less than|"
             rf"(?:is|was) less {_IMP} than|{_HAS} (?:an? )?(?:smaller|lower|weaker) {_SCORE} than|"
             rf"{_HAS} less (?:influence|weight|impact) than|scores? (?:lower than|below)|ranks? (?:lower than|below)|"
             rf"(?:is|was) (?:outweighed|outranked) by|(?:is|was) behind)\s+(?:the (?:word|token)\s+)?{_Y}"),
    ("strong_pos", rf"{_X}{_WORD}\s+{_HAS} an? (?:very )?(?:strong|strongly|large|high|big|substantial|sizable)"
                   rf"(?:ly)? positive {_SCORE}"),
    ("strong_pos", rf"{_X}{_WORD}\s+(?:is|was) (?:very |strongly )positive"),
    ("strong_to", rf"{_X}{_WORD}\s+(?:is|was) strongly attributed (?:towards|to)\s+(?:the\s+)?(?P<l>[\w-]+)"),
    ("strong_to", rf"{_X}{_WORD}\s+(?:(?:pushes|pulls|contributes|points) strongly|strongly (?:pushes|pulls|points))"
                  rf"(?: the (?:prediction|model|classifier))? (?:towards|toward|to)\s+(?:the\s+)?(?P<l>[\w-]+)"),
    ("weak_pos", rf"{_X}{_WORD}\s+(?:only\s+)?{_HAS} (?:only )?an? (?:weak|weakly|small|slight|slightly|low|modest|minor)"
                 rf" positive {_SCORE}"),
    ("weak_pos", rf"{_X}{_WORD}\s+(?:is|was) (?:only )?(?:weakly|slightly|mildly) (?:positive|attributed)"),
    ("strong_neg", rf"{_X}{_WORD}\s+(?:strongly (?:pushes|pulls|speaks|argues|counts|works) against|{_HAS} an? "
                   rf"(?:strong|large|high|big|substantial)(?:ly)? negative {_SCORE}|(?:is|was) strongly negative)"),
    ("none", rf"{_X}{_WORD}\s+(?:has|had) no (?:influence|effect|impact|weight|role|attribution)"),
    ("none", rf"{_X}{_WORD}\s+(?:has|had|gets|got) (?:a )?(?:zero|null) (?:{_SCORE}|attribution)"),
    ("none", rf"{_X}{_WORD}\s+(?:does|did) not (?:affect|influence|change|matter|move)\b"),
    ("none", rf"{_X}{_WORD}\s+(?:plays|played) no (?:role|part)"),
    ("none", rf"{_X}{_WORD}\s+(?:is|was) neutral\b"),
    ("none", rf"{_X}{_WORD}\s+{_HAS} an? neutral {_SCORE}"),
    ("none", rf"{_X}{_WORD}\s+(?:is|was) irrelevant"),
    ("none", rf"{_X}{_WORD}\s+contributes nothing"),
    ("none", rf"\bremoving {_X}{_WORD}\s+(?:changes|changed) nothing"),
    ("pos", rf"\b{_SCORE} (?:for|of) {_X}{_WORD}\s+is positive"),
    ("neg", rf"\b{_SCORE} (?:for|of) {_X}{_WORD}\s+is negative"),
    ("pos", rf"{_X}(?:'s)?{_WORD}\s+{_SCORE} is positive"),
    ("pos", rf"{_X}{_WORD}\s+{_HAS} an? positive {_SCORE}"),
    ("pos", rf"{_X}{_WORD}\s+(?:scores|scored) positive(?:ly)?"),
    ("pos", rf"{_X}{_WORD}\s+(?:is|was) positively (?:attributed|weighted|scored)"),
    ("pos", rf"{_X}{_WORD}\s+contributes positively"),
    ("neg", rf"{_X}(?:'s)?{_WORD}\s+{_SCORE} is negative"),
    ("neg", rf"{_X}{_WORD}\s+{_HAS} an? negative {_SCORE}"),
    ("neg", rf"{_X}{_WORD}\s+(?:scores|scored) negative(?:ly)?"),
    ("neg", rf"{_X}{_WORD}\s+(?:is|was) negatively (?:attributed|weighted|scored)"),
    ("neg", rf"{_X}{_WORD}\s+contributes negatively"),
]]
_VALUE_FRAMES = [re.compile(p, re.I) for p in [
    rf"\b{_SCORE} (?:for|of) {_X}{_WORD}\s+(?:is|was|comes to|equals|of)\s+(?:about |around |roughly )?$",
    rf"{_X}(?:'s){_WORD}\s+{_SCORE} (?:is|was|comes to|equals|of)\s+(?:about |around |roughly )?$",
    rf"{_X}{_WORD}\s+(?:has|gets|receives|carries) (?:a {_SCORE} of\s+)?(?:about |around |roughly )?$",
    rf"{_X}{_WORD}\s+(?:has|gets|receives|carries) an? {_SCORE} of\s+(?:about |around |roughly )?$",
    rf"{_X}{_WORD}\s+(?:scores|scored)\s+(?:about |around |roughly )?$",
    rf"{_X}{_WORD}\s+(?:is|was|sits|comes in|stands|scores) at\s+(?:about |around |roughly )?$",
    rf"{_X}{_WORD}\s+(?:contributes|contributed|adds|added)\s+(?:about |around |roughly )?$",
]]
_LABEL_P = re.compile(r"\bp\((?P<l>[^)]+)\)|\b(?:that|as) (?:the (?:review|text|sentence) (?:is|was) )?(?P<m>\w+)\b",
                      re.I)


def _word_scores(att: _Attribution, word: str) -> list[float]:
    return att.word_scores([word])


_PUSH = re.compile(
    rf"{_X}{_WORD}\s+(?:(?:clearly |strongly |also )?(?:pushes|pushed|pulls|pulled|moves|moved|nudges|nudged|drives|drove|"
    rf"steers|steered|tips|tipped|leans|leaned|points|pointed|counts|counted|speaks|spoke|argues|argued|works|worked|votes|"
    rf"voted)(?: the (?:model|prediction|classifier|decision|review|score))?\s+(?P<dir>towards|toward|to|for|in favou?r of|"
    rf"against|away from)|(?:is|was) (?P<ev>evidence|a signal|a cue|a sign) (?P<dir2>for|of|against)|(?:supports|supported|favou?rs|"
    rf"favou?red|indicates|indicated|signals|signalled|suggests|suggested)(?P<sup>))\s+(?:the\s+|a\s+)?[\"'“‘]?(?P<l>[\w-]+)", re.I)
"""'X pushes towards L', 'X is evidence for L', 'X counts against L', 'X supports L' (X quoted or bare)."""


def push_claims(text: str, att: _Attribution, labels: Sequence[str], label: str | None) -> list[Claim]:
    """Towards the explained label means score > 0; towards another label (or against it) score < 0."""
    claims: list[Claim] = []
    if label is None:
        return claims
    lowered = {lb.casefold(): lb for lb in labels}
    for m in _PUSH.finditer(text):
        target = lowered.get(m.group("l").casefold())
        xs = _word_scores(att, m.group("x"))
        if target is None or not xs or m.group("x").casefold() in lowered:
            continue
        direction = (m.group("dir") or m.group("dir2") or "for").lower()
        against = direction in ("against", "away from")
        want_positive = (target.casefold() == label.casefold()) != against
        negated = bool(_NEGATION.search(text[m.end("x"): m.start("l")]))
        ok = any((v > 0) if want_positive else (v < 0) for v in xs) != negated
        shown = ", ".join(f"{v:.4g}" for v in xs[:4])
        claims.append(Claim(text=text[m.start("x"): m.end("x")], kind="word_sign", start=m.start("x"), end=m.end("x"),
                            status="supported" if ok else "contradicted",
                            reason=f"score({m.group('x')}) = {shown} towards {label!r}; "
                                   f"{'against' if against else 'towards'} {target!r} means score "
                                   f"{'>' if want_positive else '<'} 0" + ("; negated" if negated else ""),
                            subject=m.group("x"), fact=f"score({m.group('x')}) = {shown}"))
    return claims


def word_frame_claims(text: str, att: _Attribution, labels: Sequence[str], label: str | None) -> list[Claim]:
    """Rank, comparison, strength and sign statements about words of the text, quoted or bare."""
    claims: list[Claim] = push_claims(text, att, labels, label)
    scores = att.scores
    top = float(scores.max()) if scores.size else 0.0
    bottom = float(np.abs(scores).min()) if scores.size else 0.0
    max_pos = float(att.positive.max()) if scores.size else 0.0
    min_neg = float(scores.min()) if scores.size else 0.0
    distinct = {c: float(max(s for t, s in zip(att.cores, scores, strict=True) if t == c)) for c in att.cores}
    for kind, pattern in _FRAMES:
        for m in pattern.finditer(text):
            x = m.group("x")
            xs = _word_scores(att, x)
            if not xs or core(x) in {lb.casefold() for lb in labels}:
                continue
            negated = bool(_NEGATION.search(text[max(0, m.start() - 30): m.start()])) and kind not in ("none",)
            if kind == "top":
                ok, rule = any(v >= top - 1e-12 for v in xs), f"the top score is {top:.4g}"
            elif kind == "least":
                ok, rule = any(abs(v) <= bottom + 1e-12 for v in xs), f"the smallest |score| is {bottom:.4g}"
            elif kind == "second":
                ok = any(sum(1 for w, s in distinct.items() if s > v + 1e-12 and w != core(x)) == 1 for v in xs)
                rule = "exactly one distinct word must score higher"
            elif kind in ("more", "less"):
                ys = _word_scores(att, m.group("y"))
                if not ys:
                    continue
                ok = max(xs) > max(ys) if kind == "more" else max(xs) < max(ys)
                rule = f"score({m.group('y')}) = {max(ys):.4g}"
            elif kind == "strong_to":
                target = m.group("l").casefold()
                if label is None or target not in {lb.casefold() for lb in labels}:
                    continue
                if target == label.casefold():
                    ok, rule = any(v > 0 and v >= 0.5 * max_pos for v in xs), f"strong: ≥ half the top positive {max_pos:.4g}"
                else:
                    ok, rule = (any(v < 0 and v <= 0.5 * min_neg for v in xs),
                                f"strongly towards the other label: ≤ half the most negative {min_neg:.4g}")
            elif kind == "strong_pos":
                ok, rule = any(v > 0 and v >= 0.5 * max_pos for v in xs), f"strong: ≥ half the top positive {max_pos:.4g}"
            elif kind == "weak_pos":
                ok, rule = any(0 < v < 0.5 * max_pos for v in xs), f"weak: below half the top positive {max_pos:.4g}"
            elif kind == "strong_neg":
                ok, rule = any(v < 0 and v <= 0.5 * min_neg for v in xs), f"strong: ≤ half the most negative {min_neg:.4g}"
            elif kind == "none":
                ok, rule = any(abs(v) < 0.005 for v in xs), "no influence: |score| < 0.005"
            else:
                ok, rule = any((v > 0) if kind == "pos" else (v < 0) for v in xs), f"should score {'>' if kind == 'pos' else '<'} 0"
            ok = ok != negated
            shown = ", ".join(f"{v:.4g}" for v in xs[:4])
            claims.append(Claim(text=text[m.start("x"): m.end("x")], kind=f"word_{kind}", start=m.start("x"),
                                end=m.end("x"), status="supported" if ok else "contradicted",
                                reason=f"score({x}) = {shown}; {rule}" + ("; negated" if negated else ""),
                                subject=x, fact=f"score({x}) = {shown}"))
    return claims


def word_value_claims(text: str, att: _Attribution) -> list[Claim]:
    """A score stated for a named word ("the attribution of not is -0.14"), quoted or bare."""
    claims = []
    for q in quantities(text):
        if q.bare or q.fraction or (q.percent and not q.text.lower().endswith("zero")):
            continue
        after = re.match(rf"\s+(?:for|to)\s+{_X}", text[q.end: q.end + 60], re.I)
        if after and re.search(rf"\b{_SCORE}\s+of\s+(?:about |around |roughly )?$", text[max(0, q.start - 40): q.start], re.I):
            xs = _word_scores(att, after.group("x"))
            if xs:
                ok = any(q.holds(v) for v in xs)
                shown = ", ".join(f"{v:.4g}" for v in xs[:4])
                claims.append(Claim(text=q.text, kind="number", start=q.start, end=q.end,
                                    status="supported" if ok else "contradicted",
                                    reason=f"score({after.group('x')}) = {shown}; {q.tolerance()}",
                                    subject=after.group("x"), fact=f"score({after.group('x')}) = {shown}"))
                continue
        before = text[max(0, q.start - 80): q.start]
        for pattern in _VALUE_FRAMES:
            m = pattern.search(before)
            if m is None:
                continue
            x = m.group("x")
            xs = _word_scores(att, x)
            if not xs:
                break
            ok = any(q.holds(v) for v in xs)
            shown = ", ".join(f"{v:.4g}" for v in xs[:4])
            claims.append(Claim(text=q.text, kind="number", start=q.start, end=q.end,
                                status="supported" if ok else "contradicted",
                                reason=f"score({x}) = {shown}; {q.tolerance()}", subject=x, fact=f"score({x}) = {shown}"))
            break
    return claims


def probability_claims(text: str, sentences: list[tuple[int, int]], labels: Sequence[str], predicted: str | None,
                       probability: float | None) -> list[Claim]:
    """A percentage (digits or words) bound to the label named in its sentence: p(predicted) is
    `probability`; with two labels, p(other) = 1 − `probability`."""
    claims = []
    lowered = {lb.casefold(): lb for lb in labels}
    for s0, s1 in sentences:
        sentence = text[s0:s1]
        about_p = bool(re.search(r"\b(probab\w*|confiden\w*|sure|certain|likel\w*|p\()", sentence, re.I)) and not \
            re.search(r"\b(score|attribution|weight|importance)\b", sentence, re.I)
        for q in quantities(text, s0, s1):
            if not q.percent and not (about_p and not q.bare and not q.fraction and q.value >= 0):
                continue
            if probability is None or predicted is None:
                claims.append(Claim(text=q.text, kind="number", start=q.start, end=q.end, status="unverifiable",
                                    reason="a percentage, and no probability was given"))
                continue
            named = [(m.start(), lowered[w.casefold()]) for m in re.finditer(r"[\w-]+", text[s0:s1])
                     if (w := m.group(0)).casefold() in lowered]
            subject = predicted
            if named:
                subject = min(named, key=lambda n: abs(s0 + n[0] - q.start))[1]
            if subject.casefold() == predicted.casefold():
                value = probability
            elif len(labels) == 2:
                value = 1 - probability
            else:
                claims.append(Claim(text=q.text, kind="number", start=q.start, end=q.end, status="unverifiable",
                                    reason=f"p({subject}) is not known", subject=subject))
                continue
            ok = q.holds(value)
            claims.append(Claim(text=q.text, kind="number", start=q.start, end=q.end,
                                status="supported" if ok else "contradicted",
                                reason=f"p({subject}) = {value:.4g}; {q.tolerance()}", subject=subject,
                                fact=f"p({subject}) = {value:.4g}"))
    return claims


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

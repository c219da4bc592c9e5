"""Parse what an LLM says about its own prediction into a label, a confidence and one score per token.

Huang et al. 2023 asked gpt-3.5 for Python literals (``(1, 0.9)`` then ``[('word', 0.5), ...]``)
and read them with ``ast.literal_eval``; any deviation zeroed the explanation. Real models deviate
all the time: smaller ones answer in JSON, markdown lists or prose, swap the order, drop closing
brackets, run out of tokens mid-list, quote with the "wrong" quote (``('don't', 0.5)``), write
``.5``, merge or skip tokens. So parsing here is layered, and each layer proposes candidates:

1. a tolerant literal reader (Python tuples/lists/dicts and JSON in one grammar; strings end at a
   quote followed by a delimiter, so apostrophes survive; either closing bracket closes any open
   one; an unfinished list at the end of the output is kept as far as it got);
2. regular expressions for quoted pairs anywhere, ``word: score`` pairs and markdown list lines;
3. regular expressions for the prediction: keyed (``Sentiment: positive``, ``"label": 1``), bare
   ``1, 0.8`` lines, ``Positive (0.92)``, a lone label word.

The attribution candidate that matches the most tokens wins; the prediction candidate with the
most explicit form wins. Alignment follows Huang et al.: each cited score goes to the first
unused occurrence of its token (exact match, then case-/quote-insensitive, then ignoring
surrounding punctuation, then a run of consecutive tokens for a cited phrase or merged tokens);
tokens never cited get 0. Nothing here raises on model output: a failure is a
``SelfExplanation`` with ``parse_ok=False``, the reason and the raw text.
"""

from __future__ import annotations

import bisect
import math
import re
import string
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field

from verbalize.types import SelfExplanation

STRATEGIES: tuple[str, ...] = ("pe", "ep", "pe-topk", "ep-topk", "predict-only")
"""pe: predict then explain; ep: explain then predict; -topk: only the k most important words."""

DEFAULT_LABELS: tuple[str, ...] = ("negative", "positive")
"""Binary sentiment, in the order of Huang et al.'s 0/1 classes."""

TokenizeMode = Literal["whitespace", "punct"]

MAX_OUTPUT_CHARS = 100_000
"""Longer outputs (runaway generations) are cut before parsing, to bound the work per answer."""


class ParsedSelfExplanation(SelfExplanation):
    """A `SelfExplanation` plus notes on what the parser had to repair (clipping, rescaling, …)."""

    notes: list[str] = Field(
        default_factory=list, description="repairs and oddities, e.g. 'clipped 2 scores to [-1, 1]'"
    )
    clipped: int = Field(default=0, description="number of token scores clipped into [-1, 1]")


def topk_count(n: int) -> int:
    """k = max(1, int(0.2 * n)) words for the top-k strategies (Huang et al.)."""
    return max(1, int(0.2 * n))


_PUNCT_TOKENS = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]")


def tokenize(text: str, mode: TokenizeMode = "whitespace") -> list[str]:
    """Split a text into the tokens the model is asked to score.

    ``whitespace`` (default, as in Huang et al.): ``text.split()``, so "great," is one token.
    ``punct``: words and single punctuation marks, so "great," is "great" and ","; apostrophes
    inside words stay ("don't" is one token).
    """
    if mode == "whitespace":
        return text.split()
    if mode == "punct":
        return _PUNCT_TOKENS.findall(text)
    raise ValueError(f"tokenize mode must be 'whitespace' or 'punct', got {mode!r}")


# --------------------------------------------------------------------------- tolerant literal reader

_QUOTE_MAP = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"'})
_NUM = r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?"
_NUM_FULL = re.compile(rf"\s*({_NUM})\s*(%?)\s*")
_CLOSE_QUOTE = {q: re.compile(rf"(?<!\\){q}(?=[ \t]*(?:[,)\]}}:]|$))", re.MULTILINE) for q in "'\""}
_BARE = re.compile(r"""(?:[^,()\[\]{}:\n'"]|(?<=\w)['"](?=\w))+""")


class _Fail(Exception):
    """Not a literal here; the scanner moves on."""


class _Num(float):
    """A number with the text it was written as (so a cited token "1955" keeps its spelling)."""

    text: str
    percent: bool

    def __new__(cls, text: str, percent: bool = False) -> _Num:
        obj = super().__new__(cls, float(text))
        obj.text, obj.percent = text, percent
        return obj


class _Seq(list):
    """A tuple or list; `bracket` is the opening character."""

    bracket: str = "["


class _Map(list):
    """A dict as (key, value) items: keeps order and duplicate keys (models repeat words)."""


class _Reader:
    """Reads one literal. Readers of one answer share `failed` (positions where no value starts)
    and `closers` (where a quote can end a string), so a scan that starts a reader at every
    bracket stays near-linear even on garbage such as thousands of "('" in a row.
    """

    MAX_DEPTH = 8  # real answers nest 3 deep; deeper is treated as not a literal

    def __init__(self, s: str, failed: set[int], closers: dict[str, list[int]]) -> None:
        self.s = s
        self.truncated = False
        self.depth = 0
        self.failed = failed
        self.closers = closers

    def _ws(self, i: int) -> int:
        while i < len(self.s) and self.s[i].isspace():
            i += 1
        return i

    def value(self, i: int) -> tuple[Any, int]:
        i = self._ws(i)
        if i >= len(self.s):
            self.truncated = True
            raise _Fail
        if i in self.failed:
            raise _Fail
        try:
            return self._value(i)
        except _Fail:
            if not self.truncated:  # a failure caused by the end of the output is not final
                self.failed.add(i)
            raise

    def _value(self, i: int) -> tuple[Any, int]:
        c = self.s[i]
        if c in "([{":
            if self.depth >= self.MAX_DEPTH:
                raise _Fail
            self.depth += 1
            try:
                return self._seq(i) if c != "{" else self._map(i)
            finally:
                self.depth -= 1
        if c in "'\"":
            return self._string(i)
        return self._bare(i)

    def _seq(self, i: int) -> tuple[_Seq, int]:
        out = _Seq()
        out.bracket = self.s[i]
        i += 1
        while True:
            i = self._ws(i)
            if i >= len(self.s):
                self.truncated = True
                return out, i
            c = self.s[i]
            if c in ")]}":
                return out, i + 1
            if c == ",":
                i += 1
                continue
            try:
                v, i = self.value(i)
            except _Fail:
                if self.truncated:  # the output stops inside this item: keep the items before it
                    return out, len(self.s)
                raise
            out.append(v)
            j = self._ws(i)
            # a missing comma is tolerated only before something that clearly starts a new item
            if j < len(self.s) and self.s[j] not in ",)]}([{'\"":
                raise _Fail

    def _map(self, i: int) -> tuple[_Map, int]:
        out = _Map()
        i += 1
        while True:
            i = self._ws(i)
            if i >= len(self.s):
                self.truncated = True
                return out, i
            c = self.s[i]
            if c in "}])":
                return out, i + 1
            if c == ",":
                i += 1
                continue
            key, i = self.value(i)
            if isinstance(key, list):
                raise _Fail
            i = self._ws(i)
            if i >= len(self.s) or self.s[i] not in ":=":
                raise _Fail
            v, i = self.value(i + 1)
            out.append((key.text if isinstance(key, _Num) else str(key), v))

    def _string(self, i: int) -> tuple[str, int]:
        """A quoted string on one line; it ends at its quote followed by a delimiter ("don't" survives).

        The search runs in the regex engine: answers with thousands of brackets and quotes on one
        line would make a character loop per opening bracket quadratic in Python.
        """
        s, q = self.s, self.s[i]
        line_end = s.find("\n", i + 1)
        stop = len(s) if line_end < 0 else line_end
        ends = self.closers[q]
        k = bisect.bisect_right(ends, i)
        if k == len(ends) or ends[k] >= stop:
            self.truncated = self.truncated or line_end < 0
            raise _Fail
        body = s[i + 1 : ends[k]]
        if "\\" in body:
            body = re.sub(r"\\(.)", lambda e: {"n": "\n", "t": "\t"}.get(e.group(1), e.group(1)), body)
        return body, ends[k] + 1

    def _bare(self, i: int) -> tuple[Any, int]:
        """An unquoted item: a number, or words up to a delimiter (apostrophes inside words kept)."""
        s = self.s
        m = _BARE.match(s, i)
        j = m.end() if m else i
        text = s[i:j].strip()
        if not text:
            raise _Fail
        num = _NUM_FULL.fullmatch(text)
        if num:
            return _Num(num.group(1), bool(num.group(2))), j
        return text, j


# --------------------------------------------------------------------------- candidates

_LABEL_KEYS = {
    "label",
    "prediction",
    "predicted_label",
    "predicted_class",
    "sentiment",
    "class",
    "classification",
    "answer",
    "verdict",
    "output",
    "result",
    "pred",
}
_CONF_KEYS = {"confidence", "probability", "prob", "certainty", "likelihood", "confidence_score"}
_WORD_KEYS = {"word", "token", "text", "feature", "term", "phrase"}
_SCORE_KEYS = {
    "score",
    "importance",
    "weight",
    "value",
    "attribution",
    "saliency",
    "contribution",
    "impact",
    "sentiment_score",
    "importance_score",
}
_WORD_LIST_KEYS = {"tokens", "words"}
_SCORE_LIST_KEYS = {"scores", "importances", "attributions", "weights", "values", "saliency"}


def _key(k: str) -> str:
    return re.sub(r"[\s\-]+", "_", k.strip().lower())


@dataclass
class _Prediction:
    priority: int  # lower = more explicit form
    label: Any
    confidence: Any = None


@dataclass
class _Candidates:
    predictions: list[_Prediction] = field(default_factory=list)
    groups: list[list[tuple[str, float]]] = field(default_factory=list)
    word_lists: list[list[str]] = field(default_factory=list)
    loose: list[tuple[str, float]] = field(default_factory=list)


class _Classifier:
    """Turns literals into prediction / attribution candidates."""

    def __init__(self, labels: Sequence[str], tokens: Sequence[str]) -> None:
        self.labels = labels
        self.token_set = set(tokens)
        self.found = _Candidates()

    def _label_index_like(self, v: Any) -> bool:
        """A number that names a class (an index, or a label such as "5" among star ratings)."""
        return isinstance(v, _Num) and _label_from(v, self.labels) is not None

    def _label_name_like(self, v: Any) -> bool:
        return isinstance(v, str) and _label_from(v, self.labels) is not None

    def visit(self, v: Any, top: bool = True) -> int:
        """Record what `v` holds; returns how many candidates it added."""
        if isinstance(v, _Map):
            return self._map(v, top)
        if isinstance(v, _Seq):
            return self._seq(v, top)
        return 0

    def _pair(self, v: Any) -> tuple[str, float] | None:
        """(word, score) from ('word', 0.5) / ['word', 0.5] / {"word": .., "score": ..} / {"word": 0.5}."""
        if isinstance(v, _Seq) and len(v) >= 2 and isinstance(v[1], _Num):
            if isinstance(v[0], _Num):
                return (v[0].text, float(v[1])) if v[0].text in self.token_set else None
            if isinstance(v[0], str):
                return v[0], float(v[1])
        if isinstance(v, _Map):
            keys = {_key(k): val for k, val in v}
            if any(k in _LABEL_KEYS for k in keys):  # {"text": …, "label": …, "score": …} is a prediction
                return None
            w = next((keys[k] for k in _WORD_KEYS if isinstance(keys.get(k), (str, _Num))), None)
            sc = next((keys[k] for k in _SCORE_KEYS if isinstance(keys.get(k), _Num)), None)
            if w is not None and sc is not None:
                return (w.text if isinstance(w, _Num) else w), float(sc)
            if len(v) == 1 and isinstance(v[0][1], _Num) and _key(v[0][0]) not in _LABEL_KEYS | _CONF_KEYS:
                return v[0][0], float(v[0][1])
        return None

    def _seq(self, v: _Seq, top: bool) -> int:
        if (
            len(v) == 2
            and isinstance(v[1], _Num)
            and (self._label_index_like(v[0]) or (top and self._label_name_like(v[0])))
        ):
            prio = 1 if isinstance(v[0], _Num) else 2
            self.found.predictions.append(_Prediction(prio, v[0], v[1]))
            return 1
        if top:
            pair = self._pair(v)
            if pair is not None and len(v) == 2:
                self.found.loose.append(pair)
                return 1
        added = 0
        group: list[tuple[str, float]] = []
        words: list[str] = []
        for el in v:
            pair = self._pair(el)
            swallowed = (
                isinstance(el, _Seq)
                and len(el) == 2
                and isinstance(el[1], _Num)
                and self._label_index_like(el[0])
            )
            if pair is None and swallowed:  # "(1, 0.9)" after a list that was never closed
                self.found.predictions.append(_Prediction(1, el[0], el[1]))
                added += 1
            elif pair is not None:
                group.append(pair)
                for rest in el[2:] if isinstance(el, _Seq) else ():
                    added += self.visit(rest, top=False)
            elif isinstance(el, (_Seq, _Map)):
                added += self.visit(el, top=False)
            elif isinstance(el, str):
                words.append(el)
        if group:
            self.found.groups.append(group)
            added += 1
        if words and not group and (v.bracket == "[" or not top):
            self.found.word_lists.append(words)
            added += 1
        return added

    def _map(self, v: _Map, top: bool) -> int:
        pair = self._pair(v)
        if pair is not None:  # {"word": "great", "score": 0.9} or {"great": 0.9}
            if top:
                self.found.loose.append(pair)
            else:
                self.found.groups.append([pair])
            return 1
        keys = [_key(k) for k, _ in v]
        has_label = any(k in _LABEL_KEYS for k in keys)
        conf_keys = _CONF_KEYS | ({"score"} if has_label else set())
        label: Any = None
        conf: Any = None
        added = 0
        group: list[tuple[str, float]] = []
        word_list: list[str] | None = None
        score_list: list[float] | None = None
        for (raw_key, val), k in zip(v, keys, strict=True):
            if k in _LABEL_KEYS and not isinstance(val, (_Seq, _Map)):
                label = val
            elif (
                k in _LABEL_KEYS
                and isinstance(val, _Seq)
                and len(val) == 2
                and isinstance(val[1], _Num)
                and (self._label_index_like(val[0]) or self._label_name_like(val[0]))
            ):
                label, conf = val  # {"prediction": ["positive", 0.9]}
            elif k in conf_keys and isinstance(val, (_Num, str)):
                conf = val
            elif k in _WORD_LIST_KEYS and isinstance(val, _Seq) and all(isinstance(x, str) for x in val):
                word_list = list(val)
            elif (
                k in _SCORE_LIST_KEYS
                and isinstance(val, _Seq)
                and val
                and all(isinstance(x, _Num) for x in val)
            ):
                score_list = [float(x) for x in val]
            elif isinstance(val, (_Seq, _Map)):
                added += self.visit(val, top=False)
            elif isinstance(val, _Num) and not has_label:
                group.append((raw_key, float(val)))
        if word_list is not None and score_list is not None and len(word_list) == len(score_list):
            self.found.groups.append(list(zip(word_list, score_list, strict=True)))
            added += 1
        elif word_list is not None:
            self.found.word_lists.append(word_list)
            added += 1
        if label is not None or conf is not None:
            self.found.predictions.append(_Prediction(0, label, conf))
            added += 1
        if group:
            self.found.groups.append(group)
            added += 1
        return added


def _scan_literals(s: str, cls: _Classifier) -> tuple[list[tuple[int, int]], list[tuple[int, int]], bool]:
    """Read every top-level literal.

    Returns the spans that yielded attributions, the spans that yielded predictions (a JSON object
    may do both) and whether some literal ran into the end of the output.
    """
    attr_spans: list[tuple[int, int]] = []
    pred_spans: list[tuple[int, int]] = []
    truncated = False
    found = cls.found
    failed: set[int] = set()
    closers = {q: [m.start() for m in rx.finditer(s)] for q, rx in _CLOSE_QUOTE.items()}
    i = 0
    while i < len(s):
        if s[i] not in "([{":
            i += 1
            continue
        reader = _Reader(s, failed, closers)
        try:
            v, end = reader.value(i)
        except _Fail:
            i += 1
            continue
        n_pred = len(found.predictions)
        n_attr = len(found.groups) + len(found.word_lists) + len(found.loose)
        if cls.visit(v):
            if len(found.predictions) > n_pred:
                pred_spans.append((i, end))
            if len(found.groups) + len(found.word_lists) + len(found.loose) > n_attr:
                attr_spans.append((i, end))
            truncated |= reader.truncated
            i = end
        else:
            i += 1  # e.g. "(see below)": look inside instead
    return attr_spans, pred_spans, truncated


def _blank(s: str, spans: Sequence[tuple[int, int]]) -> str:
    """`s` with each span replaced by one space (plus the line breaks it held, keeping lines apart)."""
    out: list[str] = []
    pos = 0
    for a, b in sorted(spans):
        if a < pos:  # nested in a span already removed
            a = pos
        out.append(s[pos:a])
        out.append(" " + "\n" * s.count("\n", a, b))
        pos = max(pos, b)
    out.append(s[pos:])
    return "".join(out)


_QUOTED_PAIR = re.compile(rf"""[(\[{{]\s*(['"])(?P<w>[^\n]{{1,60}}?)\1\s*[,:]\s*(?P<s>{_NUM})""")
_COLON_PAIR = re.compile(
    rf"""(?<![\w'"])(?P<w>[^\s,;:()\[\]{{}}"*`]{{1,60}})\s*[:=]\s*(?P<s>{_NUM})(?![\w.])"""
)
_LINE_PAIR = re.compile(
    rf"""^[ \t]*(?:(?:[-*•+]|\d+[.)])[ \t]+)?(?:\*\*|__|`)?(['"]?)(?P<w>[^\s"()\[\]{{}}:=*`][^\n"()\[\]{{}}:=*`]{{0,59}}?)\1(?:\*\*|__|`)?"""
    rf"""[ \t]*(?::|=|->|→|–|—|-|\(|,)[ \t]*\(?[ \t]*(?P<s>{_NUM})[ \t]*\)?""",
    re.MULTILINE,
)
_BULLET = re.compile(r"^[ \t]*(?:[-*•+]|\d+[.)])[ \t]+(?P<item>.+?)[ \t]*$", re.MULTILINE)


def _is_prediction_key(w: str) -> bool:
    k = _key(w.strip("*_` "))
    return k in _LABEL_KEYS | _CONF_KEYS or k.startswith(
        ("confidence", "predict", "label", "sentiment", "classif")
    )


def _regex_groups(s: str) -> list[list[tuple[str, float]]]:
    """Attribution candidates from regular expressions: quoted pairs, word: score, markdown lines."""
    groups = []
    for rx in (_QUOTED_PAIR, _LINE_PAIR, _COLON_PAIR):
        g = [
            (m.group("w").strip(), float(m.group("s")))
            for m in rx.finditer(s)
            if not _is_prediction_key(m.group("w"))
        ]
        g = [(w, sc) for w, sc in g if w and len(w.split()) <= 4]
        if g:
            groups.append(g)
    return groups


def _clean_item(item: str) -> str:
    item = item.strip().strip("*_`").strip()
    item = re.split(r"\s+[-–—:]\s+|:\s", item, maxsplit=1)[0]  # "great - shows joy" -> "great"
    return item.strip().strip("\"'*_`").strip()


def _regex_word_lists(s: str) -> list[list[str]]:
    """Word-only candidates for the top-k strategies: bullet lists and comma-separated lines."""
    lists: list[list[str]] = []
    bullets = [_clean_item(m.group("item")) for m in _BULLET.finditer(s)]
    bullets = [b for b in bullets if b and len(b.split()) <= 3]
    if bullets:
        lists.append(bullets)
    for line in s.splitlines():
        line = line.strip().strip("*_`").strip()
        if not line:
            continue
        head, sep, tail = line.partition(":")
        if sep and len(head.split()) <= 4:
            if _is_prediction_key(head):
                continue
            line = tail
        items = [_clean_item(x) for x in re.split(r"[,;]", line)]
        items = [x.strip(".") if len(x) > 1 else x for x in items if x]
        if items and all(len(x.split()) <= 3 for x in items):
            lists.append(items)
    return lists


# --------------------------------------------------------------------------- labels and confidence


def _label_alternation(labels: Sequence[str]) -> str:
    return "|".join(re.escape(lb) for lb in sorted(labels, key=len, reverse=True))


_LABEL_STRIP = string.whitespace + string.punctuation.replace("-", "").replace("+", "")


def _label_from(v: Any, labels: Sequence[str]) -> str | None:
    """A label from "Positive" / "positive sentiment" / "pos" / 1 / "1"; None if absent or ambiguous.

    A number is a label's name when the labels are numbers themselves (star ratings "1".."5"),
    otherwise an index into `labels` (Huang et al.'s 0 = negative, 1 = positive).
    """
    if isinstance(v, bool) or not isinstance(v, (str, int, float)):
        return None
    if isinstance(v, _Num):
        v = v.text
    elif isinstance(v, (int, float)):
        v = f"{v:g}"
    t = _norm(v).strip(_LABEL_STRIP)  # keeps a minus sign: -1 is no class index
    lowered = [lb.casefold() for lb in labels]
    if t in lowered:
        return labels[lowered.index(t)]
    if re.fullmatch(r"\d+(?:\.0*)?", t):
        i = int(float(t))
        return labels[i] if i < len(labels) else None
    hits = [
        lb for lb, low in zip(labels, lowered, strict=True) if re.search(rf"(?<!\w){re.escape(low)}(?!\w)", t)
    ]
    if len(hits) == 1:
        return hits[0]
    prefix = [lb for lb, low in zip(labels, lowered, strict=True) if len(t) >= 3 and low.startswith(t)]
    return prefix[0] if len(prefix) == 1 else None


def _confidence(v: Any, notes: list[str]) -> float | None:
    """A probability from 0.9 / "0.9" / "90%" / 90 (a percent scale, noted); clipped into [0, 1]."""
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, _Num):
        value, percent = float(v), v.percent
    elif isinstance(v, (int, float)):
        value, percent = float(v), False
    elif isinstance(v, str):
        m = _NUM_FULL.fullmatch(v.strip())
        if not m:
            return None
        value, percent = float(m.group(1)), bool(m.group(2))
    else:
        return None
    if not math.isfinite(value):
        return None
    if percent or 1 < value <= 100:
        shown = f"{v.text}{'%' if percent else ''}" if isinstance(v, _Num) else str(v)
        notes.append(f"confidence {shown} read as {value / 100:g}")
        value /= 100
    if not 0 <= value <= 1:
        notes.append(f"confidence {value:g} clipped to [0, 1]")
        value = min(max(value, 0.0), 1.0)
    return value


def _regex_predictions(s: str, labels: Sequence[str]) -> list[_Prediction]:
    """Prediction candidates written as text, most explicit first (priorities after the literals'
    0 = JSON keys, 1 = ``(1, 0.9)``, 2 = ``('positive', 0.9)``):

    3 a bare ``1, 0.8`` line; 4 a keyed verdict (``Sentiment: positive``, ``the review is
    negative``); 5 ``Positive (0.92)``; 6 a line holding only a class index; 7 the only label
    word the answer mentions. Each rule contributes its first match that names a valid label.
    """
    alt = _label_alternation(labels)
    lab = rf"(?P<label>{alt}|\d+)"
    found: list[_Prediction] = []
    rules = [
        (
            3,
            rf"(?im)^[ \t*_`>]*(?:\([ \t]*)?(?P<label>\d|{alt})[ \t]*[,;][ \t]*(?P<num>{_NUM}%?)[ \t)*_`.]*$",
        ),
        (
            4,
            rf"(?i)\b(?:predicted label|predicted class|prediction|label|sentiment|classification|classif\w*|class|"
            rf"answer|verdict|rating|category|topic|review)\b[^\n.]{{0,40}}?(?:\bis\b|\bas\b|:|=|-)\s*[*_`'\"(\[]*\s*{lab}\b",
        ),
        (
            5,
            rf"(?i)(?<!\w)(?P<label>{alt})(?!\w)\W{{0,3}}\(?\s*(?:confidence|probability)?\s*[:=]?\s*(?P<num>{_NUM}%?)",
        ),
        (6, r"(?m)^[ \t*_`]*(?P<label>\d)[ \t*_`.]*$"),
    ]
    for prio, rx in rules:
        for m in re.finditer(rx, s):
            if _label_from(m.group("label"), labels) is not None:
                num = m.groupdict().get("num")
                found.append(_Prediction(prio, m.group("label"), num))
                break
    words = {lb for lb in labels if re.search(rf"(?i)(?<!\w){re.escape(lb)}(?!\w)", s)}
    if len(words) == 1:
        found.append(_Prediction(7, words.pop()))
    return found


_CONFIDENCE = re.compile(
    rf"(?i)\b(?:confidence|probability|certainty|likelihood)\b(?:\s+(?:score|level|of|is|value))*"
    rf"[\s*_`'\":=\-(]*(?:about\s+|around\s+|approximately\s+|~\s*)?(?P<num>{_NUM}%?)"
)


# --------------------------------------------------------------------------- alignment


def _norm(s: str) -> str:
    return unicodedata.normalize("NFKC", s).translate(_QUOTE_MAP).replace("\\", "").casefold()


_STRIP = string.punctuation + "«»…–—"


def _core(s: str) -> str:
    return _norm(s).strip(_STRIP)


@dataclass
class _Alignment:
    scores: list[float]
    unmatched: list[str]
    matched: int


class _Occurrences:
    """Token positions by a key (exact, normalised or core form); hands out the first unused one."""

    def __init__(self, keys: Sequence[str], used: list[bool]) -> None:
        self.used = used
        self.where: dict[str, list[int]] = {}
        for i, k in enumerate(keys):
            self.where.setdefault(k, []).append(i)
        self.next: dict[str, int] = {}

    def first_unused(self, key: str) -> int | None:
        positions = self.where.get(key)
        if not positions:
            return None
        j = self.next.get(key, 0)
        while j < len(positions) and self.used[positions[j]]:  # `used` only grows: amortised O(1)
            j += 1
        self.next[key] = j
        return positions[j] if j < len(positions) else None


def _align(tokens: Sequence[str], pairs: Sequence[tuple[str, float]]) -> _Alignment:
    """Each cited (word, score) goes to the first unused occurrence of its token; see module doc."""
    n = len(tokens)
    scores = [0.0] * n
    used = [False] * n
    norm = [_norm(t) for t in tokens]
    levels = [
        (lambda w: w, _Occurrences(tokens, used)),  # exact
        (_norm, _Occurrences(norm, used)),  # case, quote style, escapes
        (_core, _Occurrences([_core(t) for t in tokens], used)),  # surrounding punctuation
    ]
    unmatched: list[str] = []
    matched = 0

    def run(word: str) -> list[int]:
        """A cited phrase over consecutive tokens, or one cited word glued from 2-4 tokens."""
        parts = _norm(word).split()
        if len(parts) > 1:
            want = [_core(p) or p for p in parts]
            for i in range(n - len(parts) + 1):
                if all(
                    not used[i + t] and (norm[i + t] == parts[t] or _core(norm[i + t]) == want[t])
                    for t in range(len(parts))
                ):
                    return list(range(i, i + len(parts)))
            return []
        glued = _norm(word)
        for length in range(2, min(4, n) + 1):
            for i in range(n - length + 1):
                if not any(used[i : i + length]) and "".join(norm[i : i + length]) == glued:
                    return list(range(i, i + length))
        return []

    for word, score in pairs:
        w = word.strip()
        hit: list[int] = []
        for key, occurrences in levels:
            k = key(w)
            i = occurrences.first_unused(k) if k else None
            if i is not None:
                hit = [i]
                break
        hit = hit or run(w)
        if not hit:
            unmatched.append(word)
            continue
        matched += 1
        for i in hit:
            used[i] = True
            scores[i] = score
    return _Alignment(scores, unmatched, matched)


# --------------------------------------------------------------------------- public entry point


def parse_self_explanation(
    text: str,
    tokens: list[str],
    strategy: str,
    *,
    labels: Sequence[str] = DEFAULT_LABELS,
) -> ParsedSelfExplanation:
    """Read a model's answer for one text into a label, a confidence and a score per token.

    `tokens` are the words the model was asked about (see `tokenize`); `labels` the class names,
    in the order their indices mean (a model answering ``1`` means ``labels[1]``). The result has
    ``scores`` aligned to `tokens` (empty for ``predict-only``), cited words not found in the text
    in ``unmatched``, scores clipped into [-1, 1] (counted in ``clipped``), and for the top-k
    strategies the cited words' scores, or 1.0 for words listed without one.
    ``parse_ok`` is False, with ``error`` saying why, when the label is missing, or (explaining
    strategies) when no cited word could be placed on a token. Never raises on model output; an
    unknown `strategy` or empty `labels` is a programming error and raises ValueError.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; expected one of {', '.join(STRATEGIES)}")
    if not labels:
        raise ValueError("labels must not be empty")
    raw = text if isinstance(text, str) else str(text)
    try:
        return _parse(raw, list(tokens), strategy, tuple(labels))
    except Exception as exc:  # a parser bug must not end a study: record it like a bad answer
        explains = strategy != "predict-only"
        return ParsedSelfExplanation(
            strategy=strategy,
            raw=raw,
            parse_ok=False,
            error=f"parser error: {exc!r}",
            scores=[0.0] * len(tokens) if explains else [],
        )


def _parse(raw: str, tokens: list[str], strategy: str, labels: tuple[str, ...]) -> ParsedSelfExplanation:
    notes: list[str] = []
    errors: list[str] = []
    s = raw[:MAX_OUTPUT_CHARS].translate(_QUOTE_MAP)
    s = re.sub(r"```[A-Za-z]*", "\n", s)
    # Collapse runs of blanks and of empty lines: tokens hold no whitespace, and short runs keep
    # every regular expression below linear.
    s = re.sub(r"[^\S\n]+", " ", s)
    s = re.sub(r"\n[ \n]*\n", "\n\n", s)
    if len(raw) > MAX_OUTPUT_CHARS:
        notes.append(f"output cut to {MAX_OUTPUT_CHARS} characters")

    cls = _Classifier(labels, tokens)
    attr_spans, pred_spans, truncated = _scan_literals(s, cls)
    if truncated:
        notes.append("output ends inside a bracket (truncated?)")
    without_attr = _blank(s, attr_spans)  # where the prediction regexes look
    without_pred = _blank(s, pred_spans)  # where the attribution regexes look

    explains = strategy != "predict-only"
    scores: list[float] = []
    unmatched: list[str] = []
    clipped = 0
    if explains:
        candidates = [
            *cls.found.groups,
            *([cls.found.loose] if cls.found.loose else []),
            *_regex_groups(without_pred),
        ]
        word_lists: list[list[str]] = []
        if strategy.endswith("-topk"):
            word_lists = [*cls.found.word_lists, *_regex_word_lists(_blank(without_attr, pred_spans))]
        scores, unmatched, clipped = _attribution(tokens, candidates, word_lists, strategy, notes, errors)

    label, confidence = _prediction(
        [*cls.found.predictions, *_regex_predictions(without_attr, labels)], without_attr, labels, notes
    )
    if label is None:
        errors.append(f"no label found (expected one of {', '.join(labels)} or 0..{len(labels) - 1})")
    elif confidence is None:
        notes.append("no confidence given")

    return ParsedSelfExplanation(
        strategy=strategy,
        label=label,
        confidence=confidence,
        scores=scores,
        unmatched=unmatched,
        raw=raw,
        parse_ok=not errors,
        error="; ".join(errors) or None,
        notes=notes,
        clipped=clipped,
    )


def _attribution(
    tokens: list[str],
    candidates: Sequence[Sequence[tuple[str, float]]],
    word_lists: Sequence[Sequence[str]],
    strategy: str,
    notes: list[str],
    errors: list[str],
) -> tuple[list[float], list[str], int]:
    """Align every candidate; keep the one that places the most words (then the fewest strays).

    Word-only lists (top-k answers without scores) are tried only when no scored candidate places
    a word; their words score 1.0. Returns (scores, unmatched, number of token scores clipped).
    """
    best: tuple[_Alignment, int] | None = None
    for g in dict.fromkeys(map(tuple, candidates)):  # identical candidates are aligned once
        a = _align(tokens, g)
        if best is None or (a.matched, -len(a.unmatched)) > (best[0].matched, -len(best[0].unmatched)):
            best = (a, len(g))
    if best is None or best[0].matched == 0:
        for words in word_lists:
            a = _align(tokens, [(w, 1.0) for w in words])
            if best is None or a.matched > best[0].matched:
                best = (a, len(words))
    if best is None:
        if tokens:
            errors.append("no attribution found")
        return [0.0] * len(tokens), [], 0
    alignment, cited = best
    clipped = sum(1 for x in alignment.scores if not -1.0 <= x <= 1.0)
    if clipped:
        notes.append(f"clipped {clipped} score{'s' if clipped > 1 else ''} to [-1, 1]")
    if alignment.unmatched:
        n = len(alignment.unmatched)
        notes.append(f"{n} cited word{'s' if n > 1 else ''} not in the text")
    if tokens and alignment.matched == 0:
        errors.append(f"none of the {cited} cited words occur in the text")
    if strategy.endswith("-topk") and cited != topk_count(len(tokens)):
        notes.append(f"asked for {topk_count(len(tokens))} words, got {cited}")
    scores = [min(max(x, -1.0), 1.0) for x in alignment.scores]
    return scores, alignment.unmatched, clipped


def _prediction(
    preds: list[_Prediction], text: str, labels: Sequence[str], notes: list[str]
) -> tuple[str | None, float | None]:
    """The most explicit candidate that names a valid label, and its confidence.

    The confidence comes from the same candidate when it has one, else from a candidate that only
    gave a confidence (``{"confidence": 0.9}``), else from a "confidence: 0.9" phrase.
    """
    ranked = sorted(preds, key=lambda p: p.priority)  # stable: the first occurrence wins a tie
    chosen = next((p for p in ranked if p.label is not None and _label_from(p.label, labels)), None)
    label = _label_from(chosen.label, labels) if chosen is not None else None
    conf_raw = chosen.confidence if chosen is not None else None
    if conf_raw is None:
        conf_raw = next((p.confidence for p in ranked if p.label is None and p.confidence is not None), None)
    if conf_raw is None:
        m = _CONFIDENCE.search(text)
        conf_raw = m.group("num") if m else None
    return label, _confidence(conf_raw, notes)

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

import math
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field

from verbalize.pipeline.text.parse.align import Alignment, align, normalize
from verbalize.pipeline.text.parse.literals import (
    CLOSE_QUOTE,
    NUM,
    NUM_FULL,
    QUOTE_MAP,
    Map,
    NotALiteral,
    Num,
    Reader,
    Seq,
)
from verbalize.pipeline.text.tokens import DEFAULT_LABELS, MAX_OUTPUT_CHARS, STRATEGIES, topk_count
from verbalize.pipeline.text.types import SelfExplanation


class ParsedSelfExplanation(SelfExplanation):
    """A `SelfExplanation` plus notes on what the parser had to repair (clipping, rescaling, …)."""

    notes: list[str] = Field(
        default_factory=list, description="repairs and oddities, e.g. 'clipped 2 scores to [-1, 1]'"
    )
    clipped: int = Field(default=0, description="number of token scores clipped into [-1, 1]")
    attribution_ok: bool | None = Field(
        default=None, description="the word scores parsed (None for predict-only, which asks for none)"
    )


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
        return isinstance(v, Num) and _label_from(v, self.labels) is not None

    def _label_name_like(self, v: Any) -> bool:
        return isinstance(v, str) and _label_from(v, self.labels) is not None

    def visit(self, v: Any, top: bool = True) -> int:
        """Record what `v` holds; returns how many candidates it added."""
        if isinstance(v, Map):
            return self._map(v, top)
        if isinstance(v, Seq):
            return self._seq(v, top)
        return 0

    def _pair(self, v: Any) -> tuple[str, float] | None:
        """(word, score) from ('word', 0.5) / ['word', 0.5] / {"word": .., "score": ..} / {"word": 0.5}."""
        if isinstance(v, Seq) and len(v) >= 2 and isinstance(v[1], Num):
            if isinstance(v[0], Num):
                return (v[0].text, float(v[1])) if v[0].text in self.token_set else None
            if isinstance(v[0], str):
                return v[0], float(v[1])
        if isinstance(v, Map):
            keys = {_key(k): val for k, val in v}
            if any(k in _LABEL_KEYS for k in keys):  # {"text": …, "label": …, "score": …} is a prediction
                return None
            w = next((keys[k] for k in _WORD_KEYS if isinstance(keys.get(k), (str, Num))), None)
            sc = next((keys[k] for k in _SCORE_KEYS if isinstance(keys.get(k), Num)), None)
            if w is not None and sc is not None:
                return (w.text if isinstance(w, Num) else w), float(sc)
            if len(v) == 1 and isinstance(v[0][1], Num) and _key(v[0][0]) not in _LABEL_KEYS | _CONF_KEYS:
                return v[0][0], float(v[0][1])
        return None

    def _seq(self, v: Seq, top: bool) -> int:
        if (
            len(v) == 2
            and isinstance(v[1], Num)
            and (self._label_index_like(v[0]) or (top and self._label_name_like(v[0])))
        ):
            prio = 1 if isinstance(v[0], Num) else 2
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
        for n_el, el in enumerate(v):
            pair = self._pair(el)
            prediction_like = isinstance(el, Seq) and len(el) == 2 and isinstance(el[1], Num)
            if (
                prediction_like
                and pair is None
                and not group
                and isinstance(el[0], Num)
                and n_el + 1 < len(v)
                and self._pair(v[n_el + 1]) is not None
            ):
                # "[(0.0, 0.0), ('stars', -0.2), ...]": a number cited like a word (the token "0"
                # written as a float) opens the list; it is a citation, not the prediction
                group.append((el[0].text, float(el[1])))
                continue
            # "(1, 0.9)" after a list that was never closed (an E-P answer); "(positive, 0.95)" too
            # when it is the last item of a list that the output never closes
            swallowed = prediction_like and (
                (pair is None and self._label_index_like(el[0]))
                or (not v.closed and n_el == len(v) - 1 and bool(group) and self._label_name_like(el[0]))
            )
            if swallowed:
                self.found.predictions.append(_Prediction(1 if pair is None else 2, el[0], el[1]))
                added += 1
            elif pair is not None:
                group.append(pair)
                for rest in el[2:] if isinstance(el, Seq) else ():
                    added += self.visit(rest, top=False)
            elif isinstance(el, (Seq, Map)):
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

    def _map(self, v: Map, top: bool) -> int:
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
            if k in _LABEL_KEYS and not isinstance(val, (Seq, Map)):
                label = val
            elif (
                k in _LABEL_KEYS
                and isinstance(val, Seq)
                and len(val) == 2
                and isinstance(val[1], Num)
                and (self._label_index_like(val[0]) or self._label_name_like(val[0]))
            ):
                label, conf = val  # {"prediction": ["positive", 0.9]}
            elif k in conf_keys and isinstance(val, (Num, str)):
                conf = val
            elif k in _WORD_LIST_KEYS and isinstance(val, Seq) and all(isinstance(x, str) for x in val):
                word_list = list(val)
            elif (
                k in _SCORE_LIST_KEYS
                and isinstance(val, Seq)
                and val
                and all(isinstance(x, Num) for x in val)
            ):
                score_list = [float(x) for x in val]
            elif isinstance(val, (Seq, Map)):
                added += self.visit(val, top=False)
            elif isinstance(val, Num) and not has_label:
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
    closers = {q: [m.start() for m in rx.finditer(s)] for q, rx in CLOSE_QUOTE.items()}
    i = 0
    while i < len(s):
        if s[i] not in "([{":
            i += 1
            continue
        reader = Reader(s, failed, closers)
        try:
            v, end = reader.value(i)
        except NotALiteral:
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


_QUOTED_PAIR = re.compile(rf"""[(\[{{]\s*(['"])(?P<w>[^\n]{{1,60}}?)\1\s*[,:]\s*(?P<s>{NUM})""")
_COLON_PAIR = re.compile(
    rf"""(?<![\w'"])(?P<w>[^\s,;:()\[\]{{}}"*`]{{1,60}})\s*[:=]\s*(?P<s>{NUM})(?![\w.])"""
)
_LINE_PAIR = re.compile(
    rf"""^[ \t]*(?:(?:[-*•+]|\d+[.)])[ \t]+)?(?:\*\*|__|`)?(['"]?)(?P<w>[^\s"()\[\]{{}}:=*`][^\n"()\[\]{{}}:=*`]{{0,59}}?)\1(?:\*\*|__|`)?"""
    rf"""[ \t]*(?::|=|->|→|–|—|-|\(|,)[ \t]*\(?[ \t]*(?P<s>{NUM})[ \t]*\)?""",
    re.MULTILINE,
)
_BULLET = re.compile(r"^[ \t]*(?:[-*•+]|\d+[.)])[ \t]+(?P<item>.+?)[ \t]*$", re.MULTILINE)


_PREDICTION_KEY = re.compile(
    r"(?:confidence|predict(?:ed|ion)?|label|sentiment|classif(?:ication|ied)?)(?:_\w+)?"
)


def _is_prediction_key(w: str) -> bool:
    """A key that introduces the prediction ("Predicted sentiment", "Confidence score"), not a word
    that merely starts like one ("predictable", "labelled", "sentimental")."""
    k = _key(w.strip("*_` "))
    return k in _LABEL_KEYS | _CONF_KEYS or _PREDICTION_KEY.fullmatch(k) is not None


_TABLE_ROW = re.compile(r"^[ \t]*\|(?P<cells>.*)\|[ \t]*$", re.MULTILINE)
_NUM_CELL = re.compile(rf"[*_`]*(?P<s>{NUM})[*_`]*")


def _table_group(s: str) -> list[tuple[str, float]]:
    """(word, score) rows of a markdown table: the last numeric cell is the score, the cell before
    it the word (``| gorgeous | 0.8 |``, ``| 2 | **gorgeous** | 0.8 |``); header and rule rows
    hold no number and are skipped."""
    out = []
    for m in _TABLE_ROW.finditer(s):
        cells = [c.strip() for c in m.group("cells").split("|")]
        nums = [j for j, c in enumerate(cells) if j > 0 and _NUM_CELL.fullmatch(c)]
        if not nums:
            continue
        j = nums[-1]
        word = cells[j - 1].strip("*_`").strip()
        if len(word) > 2 and word[0] == word[-1] and word[0] in "'\"":
            word = word[1:-1]
        if word and not _is_prediction_key(word):
            out.append((word, float(_NUM_CELL.fullmatch(cells[j]).group("s"))))  # type: ignore[union-attr]
    return out


def _regex_groups(s: str) -> list[list[tuple[str, float]]]:
    """Attribution candidates from regular expressions: quoted pairs, word: score, markdown lines
    and markdown tables."""
    groups = []
    table = _table_group(s)
    if table:
        groups.append(table)
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
    if isinstance(v, Num):
        v = v.text
    elif isinstance(v, (int, float)):
        v = f"{v:g}"
    t = normalize(v).strip(_LABEL_STRIP)  # keeps a minus sign: -1 is no class index
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
    if isinstance(v, Num):
        value, percent = float(v), v.percent
    elif isinstance(v, (int, float)):
        value, percent = float(v), False
    elif isinstance(v, str):
        m = NUM_FULL.fullmatch(v.strip())
        if not m:
            return None
        value, percent = float(m.group(1)), bool(m.group(2))
    else:
        return None
    if not math.isfinite(value):
        return None
    if percent or 1 < value <= 100:
        shown = f"{v.text}{'%' if percent else ''}" if isinstance(v, Num) else str(v)
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
            rf"(?im)^[ \t*_`>]*(?:\([ \t]*)?(?P<label>\d|{alt})[ \t]*[,;][ \t]*(?P<num>{NUM}%?)[ \t)*_`.]*$",
        ),
        (
            4,
            rf"(?i)\b(?:predicted label|predicted class|prediction|label|sentiment|classification|classif\w*|class|"
            rf"answer|verdict|rating|category|topic|review)\b[^\n.]{{0,40}}?(?:\bis\b|\bas\b|:|=|-)\s*[*_`'\"(\[]*\s*{lab}\b",
        ),
        (
            5,
            rf"(?i)(?<!\w)(?P<label>{alt})(?!\w)\W{{0,3}}\(?\s*(?:confidence|probability)?\s*[:=]?\s*(?P<num>{NUM}%?)",
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
    rf"[\s*_`'\":=\-(]*(?:about\s+|around\s+|approximately\s+|~\s*)?(?P<num>{NUM}%?)"
)


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
    s = raw[:MAX_OUTPUT_CHARS].translate(QUOTE_MAP)
    s = re.sub(r"```[A-Za-z]*", "\n", s)
    # Collapse runs of blanks and of empty lines: tokens hold no whitespace, and short runs keep
    # every regular expression below linear.
    s = re.sub(r"[^\S\n]+", " ", s)
    s = re.sub(r"\n[ \n]*\n", "\n\n", s)
    if len(raw) > MAX_OUTPUT_CHARS:
        notes.append(f"output cut to {MAX_OUTPUT_CHARS} characters")
    s = _repair(s, notes)

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
        n_errors = len(errors)
        scores, unmatched, clipped = _attribution(tokens, candidates, word_lists, strategy, notes, errors)
        attribution_ok: bool | None = len(errors) == n_errors
    else:
        attribution_ok = None

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
        attribution_ok=attribution_ok,
    )


_ANGLE = re.compile(r"(?<=[(\[,])([ \t]*)<[ \t]*([^<>|\n]{1,80}?)[ \t]*>(?=[ \t]*[,)\]])")
_PY2_STRING = re.compile(r"(?<=[(\[{,:\s])[uU](?=['\"])")
_QUOTED_NUMBER = re.compile(
    rf"""(["'](?:{"|".join(sorted(_SCORE_KEYS | _CONF_KEYS))})["'][ \t]*:[ \t]*)(["'])({NUM}%?)\2"""
)


def _repair(s: str, notes: list[str]) -> str:
    """Undo form slips that are unambiguous, each recorded in `notes`.

    - the prompt template's angle brackets kept: ``(<1, 0.9>)``, ``(<'great'>, <0.8>)``;
    - Python-2 string literals ``u'word'``;
    - JSON numbers written as strings under a score or confidence key: ``"score": "-0.9"``.
    """
    for rx, repl, note in (
        (_ANGLE, r"\1\2", "removed the template's angle brackets"),
        (_PY2_STRING, "", "read Python-2 u'…' strings"),
        (_QUOTED_NUMBER, r"\1\3", "read quoted numbers as numbers"),
    ):
        s, n = rx.subn(repl, s)
        if n:
            notes.append(f"{note} ({n}×)")
    return s


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
    best: tuple[Alignment, int] | None = None
    for g in dict.fromkeys(map(tuple, candidates)):  # identical candidates are aligned once
        a = align(tokens, g)
        if best is None or (a.matched, -len(a.unmatched)) > (best[0].matched, -len(best[0].unmatched)):
            best = (a, len(g))
    if best is None or best[0].matched == 0:
        for words in word_lists:
            a = align(tokens, [(w, 1.0) for w in words])
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
    if conf_raw is None and label is not None:
        # "Sentiment: Negative (0.90 confidence)": the keyed form names the label, a later form
        # of the same label carries the number
        conf_raw = next(
            (
                p.confidence
                for p in ranked
                if p.confidence is not None and p.label is not None and _label_from(p.label, labels) == label
            ),
            None,
        )
    if conf_raw is None:
        conf_raw = next((p.confidence for p in ranked if p.label is None and p.confidence is not None), None)
    if conf_raw is None:
        m = _CONFIDENCE.search(text)
        conf_raw = m.group("num") if m else None
    return label, _confidence(conf_raw, notes)

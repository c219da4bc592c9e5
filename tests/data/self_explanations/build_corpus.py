"""Writes answers.jsonl: chat-model answers to the self_explain_* prompts, with the expected parse.

Run from anywhere:  python tests/data/self_explanations/build_corpus.py
Each answer is rendered from the citations the model "wrote" (so answer and expectation cannot
drift apart); `expect.scores` comes from `corpus_lib.expected_scores` (see README.md).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus_lib import (  # noqa: E402
    LABELS,
    TEXTS,
    Cite,
    expected_scores,
    full,
    jmap,
    jobjs,
    jpairs,
    lines,
    py,
    py_cut,
    tokens,
    top,
    tuple_lines,
)

NUM_DQ_TUPLE = '{i}. ("{w}", {s})'
DASH_DQ_COLON = '- "{w}": {s}'
NUM_DQ_COLON = '{i}. "{w}": {s}'

ROWS: list[dict] = []
_COUNTERS: dict[tuple[str, str], int] = {}
CONFLICTS: list[str] = []


def add(
    family: str,
    strategy: str,
    shape: str,
    tid: str,
    answer: str,
    label: str | None,
    confidence: float | None,
    cites: list[Cite] | None,
    *,
    conflict_ok: bool = False,
) -> None:
    """One answer. `cites`: the (word, score) citations the parser should recover (None: no usable
    attribution). `conflict_ok`: the case deliberately depends on exact-before-lenient precedence."""
    key = (family, strategy)
    _COUNTERS[key] = _COUNTERS.get(key, 0) + 1
    rid = f"{family}-{strategy}-{_COUNTERS[key]:03d}"
    toks = tokens(tid)
    scores: dict[int, float] = {}
    if cites is not None:
        pairs = [(w, float(s)) for w, s in cites]
        scores = expected_scores(toks, pairs)
        assert scores, f"{rid}: an attribution case needs some non-zero expected score"
        for mode in ("cascade", "lenient1"):
            other = expected_scores(toks, pairs, mode)
            if other != scores:
                if not conflict_ok:
                    raise AssertionError(
                        f"{rid}: expectation depends on the alignment variant ({mode}): {scores} vs {other}"
                    )
                CONFLICTS.append(f"{rid} ({mode}: {other})")
    assert label is None or label in LABELS
    ROWS.append(
        {
            "id": rid,
            "family": family,
            "strategy": strategy,
            "labels": LABELS,
            "text": TEXTS[tid][0],
            "answer": answer,
            "expect": {
                "label": label,
                "confidence": confidence,
                "scores": {str(i): s for i, s in scores.items()},
                "attribution": cites is not None,
            },
            "shape": shape,
        }
    )


def swap_first(rendered: str, quoted: str, bare: str) -> str:
    """Write the first citation's token as a bare number: ('0', 0.0) -> (0, 0.0)."""
    assert quoted in rendered
    return rendered.replace(quoted, bare, 1)


# The answers below are data; keep them one per line where they fit.
# fmt: off

# =========================================================================== llama-3.x-instruct
F = "llama"

# --- pe
c = full("charming")
add(F, "pe", "paper", "charming", f"(positive, 0.9)\n{py(c)}", "positive", 0.9, c)
c = full("loud")
add(F, "pe", "preamble+naive-apostrophe-quotes", "loud", f"Here is the output:\n\n(negative, 0.9)\n{py(c, qs=chr(39))}", "negative", 0.9, c)
c = full("slow", "3")
add(F, "pe", "index-label+repeated-tokens", "slow", f"(0, 0.950)\n{py(c, qs=chr(39))}", "negative", 0.95, c)
c = full("gorgeous")
add(F, "pe", "angle-brackets-index", "gorgeous", f"(<1, 0.9>)\n{py(c, qs=chr(39), angle=True)}", "positive", 0.9, c)
c = [("you", "0.0"), ("re", "0.0"), ("'re", "-0.1"), ("not", "-0.6"), ("going", "0.0"), ("to", "0.0"), ("like", "0.2"),
     ("it", "0.0"), (",", "0.0"), ("watch", "0.1"), ("the", "0.0"), ("original", "0.3"), ("instead", "-0.4"), (".", "0.0")]
add(F, "pe", "exact-after-lenient-candidate('re/re)", "rewatch", f"(negative, 0.85)\n{py(c, qs=chr(34))}", "negative", 0.85, c)
c = full("coen")
add(F, "pe", "markdown-bold-sections+one-per-line", "coen",
    f"**Classification:** (positive, 0.95)\n\n**Importance Analysis:**\n\n{py(c, nl=True)}", "positive", 0.95, c)
c = full("terrific", "2")
add(F, "pe", "prose-label+list", "terrific",
    f"The sentiment of this text is positive with a confidence of 0.85.\n\nHere is the list of tuples:\n\n{py(c)}",
    "positive", 0.85, c)
c = full("admission", "3")
add(F, "pe", "truncated-mid-list", "admission", f"(positive, 0.95)\n{py_cut(c, 14, 4)}", "positive", 0.95, c[:14])
c = full("excellent")
add(F, "pe", "eot-leftover", "excellent", f"(positive, 0.9)\n{py(c)}<|eot_id|>", "positive", 0.9, c)
c = full("hours", rename={0: "the", 1: "hours"})
add(F, "pe", "lowercased-citations+one-per-line", "hours", f"(positive, 0.95)\n{py(c, nl=True)}", "positive", 0.95, c)
c = full("one")
add(F, "pe", "numeric-first-item", "one", f"(positive, 0.95)\n{swap_first(py(c), chr(40) + repr('1'), '(1')}", "positive", 0.95, c)
c = full("clunky")
add(F, "pe", "one-per-line+trailing-comma", "clunky", f"(negative, 0.8)\n{py(c, nl=True, ind='  ', trail=True)}", "negative", 0.8, c)
add(F, "pe", "garbled:template-echo", "loud",
    "(<label>, <confidence>)\n[(<word or punctuation>, <importance>), (<word or punctuation>, <importance>), ...]",
    None, None, None)

# --- ep
c = full("masterpiece")
add(F, "ep", "paper", "masterpiece", f"{py(c)}\n(positive, 0.9)", "positive", 0.9, c)
c = full("cantsave", "3")
add(F, "ep", "index-label+naive-apostrophe-quotes", "cantsave", f"{py(c, qs=chr(39))}\n\n(0, 0.800)", "negative", 0.8, c)
c = full("watches")
add(F, "ep", "preamble+epilogue", "watches",
    f"Here is the list of tuples:\n\n{py(c)}\n\nAnd here is the classification:\n\n(negative, 0.9)", "negative", 0.9, c)
c = full("zero")
add(F, "ep", "numeric-first-item", "zero", f"{swap_first(py(c), chr(40) + repr('0'), '(0')}\n(0, 0.95)", "negative", 0.95, c)
c = full("sloppy")
add(F, "ep", "truncated-before-prediction", "sloppy", py_cut(c, 18, 3), None, None, c[:18])
c = full("grownups", "dot")
add(F, "ep", "dot-numbers", "grownups", f"{py(c)}\n(positive, .9)", "positive", 0.9, c)
c = full("loved", rename={2: "it", 3: "honestly", 9: "years"})
add(F, "ep", "punct-stripped-citations", "loved", f"{py(c)}\n(positive, 0.95)", "positive", 0.95, c)
c = full("nothingworks")
add(F, "ep", "capitalised-label+repeated-tokens", "nothingworks", f"{py(c)}\n(Negative, 0.9)", "negative", 0.9, c)
c = full("love")
add(F, "ep", "prose-label+tuple", "love",
    f"{py(c)}\n\nBased on the analysis, the text is classified as positive with a confidence of 0.92.\n\n(positive, 0.92)",
    "positive", 0.92, c)
c = full("genius")
add(F, "ep", "one-per-line+keyed-prediction", "genius", f"{py(c, nl=True)}\n\nPrediction: (1, 0.9)", "positive", 0.9, c)

# --- pe-topk
c = top("charming")
add(F, "pe-topk", "paper", "charming", f"(positive, 0.9)\n{py(c)}", "positive", 0.9, c)
c = top("stale")
add(F, "pe-topk", "index-label", "stale", f"(0, 0.9)\n{py(c)}", "negative", 0.9, c)
add(F, "pe-topk", "bare-word-list", "waste", "(negative, 0.85)\n['waste', 'good']", "negative", 0.85,
    [("waste", "1.0"), ("good", "1.0")])
c = top("masterpiece")
add(F, "pe-topk", "preamble+numbered-tuples", "masterpiece",
    f"Here is the output:\n\n(positive, 0.95)\n\n{lines(c, '{i}. ({w!r}, {s})')}", "positive", 0.95, c)
c = top("terrific")
add(F, "pe-topk", "angle-brackets-name", "terrific", f"(<positive>, <0.9>)\n{py(c, qs=chr(39), angle=True)}", "positive", 0.9, c)
c = top("watches")
add(F, "pe-topk", "prose-label+list", "watches",
    f"The sentiment is negative with a confidence of 0.8.\n\nThe 2 most important words are:\n{py(c)}", "negative", 0.8, c)
c = top("delight")
add(F, "pe-topk", "epilogue-note", "delight",
    f"(positive, 0.9)\n{py(c)}\n\nNote: The word 'delight!' is the strongest indicator of the positive sentiment in the text.",
    "positive", 0.9, c)
c = top("both", 5)
add(F, "pe-topk", "wrong-k", "both", f"(negative, 0.9)\n{py(c)}", "negative", 0.9, c)
c = top("family")
add(F, "pe-topk", "eot-leftover", "family", f"(positive, 0.85)\n{py(c)}<|eot_id|>", "positive", 0.85, c)

# --- ep-topk
c = top("cantsave")
add(F, "ep-topk", "index-label+naive-apostrophe-quotes", "cantsave", f"{py(c, qs=chr(39))}\n(0, 0.85)", "negative", 0.85, c)
c = top("tenmin")
add(F, "ep-topk", "index-label", "tenmin", f"{py(c)}\n(1, 0.95)", "positive", 0.95, c)
c = top("stale")
add(F, "ep-topk", "preamble+keyed-prediction", "stale",
    f"Here are the 3 most important words:\n\n{py(c)}\n\nClassification: (negative, 0.9)", "negative", 0.9, c)
add(F, "ep-topk", "case-and-punct-insensitive", "boring", "[('boring', -0.8)]\n(negative, 0.95)", "negative", 0.95,
    [("boring", "-0.8")])
c = [("nothing", "-0.6"), ("works", "-0.5"), ("not", "-0.3"), ("not", "-0.2"), ("not", "-0.1")]
add(F, "ep-topk", "repeated-tokens+wrong-k", "nothingworks", f"{py(c)}\n(negative, 0.95)", "negative", 0.95, c)
c = top("gorgeous")
add(F, "ep-topk", "prose-label+eot-leftover", "gorgeous",
    f"{py(c)}\n\nThe sentiment of the text is positive, with a confidence of 0.9.<|eot_id|>", "positive", 0.9, c)
c = top("sayswell")
add(F, "ep-topk", "one-per-line", "sayswell", f"{py(c, nl=True)}\n(positive, 0.8)", "positive", 0.8, c)
c = top("commercial")
add(F, "ep-topk", "preamble", "commercial", f"Here is the output:\n\n{py(c)}\n(negative, 0.9)", "negative", 0.9, c)
add(F, "ep-topk", "garbled:asks-for-text", "sayswell",
    "I'd be happy to help you analyze the text! However, I don't see any text provided. Please provide the text "
    "enclosed in <text> tags, and I'll be happy to assist you.",
    None, None, None)

# =========================================================================== mistral-instruct
F = "mistral"

# --- pe
c = full("script")
add(F, "pe", "leading-space+epilogue", "script",
    f" (negative, 0.9)\n\n{py(c, qs=chr(34))}\n\nExplanation: The words \"mess\" and \"finish\" carry the most negative "
    "weight, while \"solid\" is slightly positive. The word \"but\" signals a shift towards the negative.",
    "negative", 0.9, c)
c = full("gorgeous", "2")
add(F, "pe", "unquoted-words", "gorgeous", f"(positive, 0.95)\n{py(c, qs='none')}", "positive", 0.95, c)
c = full("nothingworks")
add(F, "pe", "percent-confidence", "nothingworks", f"(negative, 95%)\n{py(c, qs=chr(34))}", "negative", 0.95, c)
c = full("money")
add(F, "pe", "prose-label+tuple", "money",
    f"Based on the given text, I would classify it as negative with a confidence of 0.95.\n\n(negative, 0.95)\n\n{py(c, qs=chr(34))}",
    "negative", 0.95, c)
c = full("excellent")
add(F, "pe", "numbered-tuples", "excellent", f"(positive, 0.9)\n\n{lines(c, NUM_DQ_TUPLE)}", "positive", 0.9, c)
c = full("walkout")
add(F, "pe", "tuples-one-per-line-no-list", "walkout", f"(negative, 0.85)\n\n{tuple_lines(c, qs=chr(34))}", "negative", 0.85, c)
c = full("family", "+")
add(F, "pe", "plus-signed-scores", "family", f"(positive, 0.8)\n{py(c, qs=chr(39))}", "positive", 0.8, c)
c = full("thinks")
add(F, "pe", "json-trailing-comma", "thinks",
    f"{{\n  \"label\": \"negative\",\n  \"confidence\": 0.85\n}}\n\n{jobjs(c, 'word', 'importance', trail=True)}",
    "negative", 0.85, c)
c = full("notperfect")
add(F, "pe", "eos-leftover", "notperfect", f"(positive, 0.8)\n{py(c, qs=chr(34))}</s>", "positive", 0.8, c)
c = full("stale", rename={0: "The"}, rescore={0: 0.1})
add(F, "pe", "capitalised-first-citation(exact-precedence)", "stale", f"(negative, 0.9)\n{py(c, qs=chr(34))}",
    "negative", 0.9, c, conflict_ok=True)
add(F, "pe", "prose-only-no-list", "slow",
    "The sentiment of the text is negative. The reviewer finds the movie too slow and too long, and complains that "
    "too little happens.\n\nConfidence: 0.9",
    "negative", 0.9, None)
c = full("boring")
add(F, "pe", "word-colon-score-lines", "boring", f"(negative, 0.9)\n\n{lines(c, '{w}: {s}')}", "negative", 0.9, c)
add(F, "pe", "garbled:echo", "slow", "The text you provided is: too slow , too long and too little happens .", None, None, None)

# --- ep
c = full("dreary")
add(F, "ep", "paper-double-quotes+ellipsis-token", "dreary", f"{py(c, qs=chr(34))}\n\n(negative, 0.9)", "negative", 0.9, c)
c = full("coen")
add(F, "ep", "unclosed-list", "coen", f"{py(c)[:-1]}\n(positive, 0.95)", "positive", 0.95, c)
c = full("fan")
add(F, "ep", "keyed-sections", "fan", f"Importance list:\n{py(c, qs=chr(34))}\n\nClassification: (negative, 0.7)", "negative", 0.7, c)
c = full("marshall")
add(F, "ep", "numbered-word-colon-score", "marshall", f"{lines(c, NUM_DQ_COLON)}\n\n(positive, 0.85)", "positive", 0.85, c)
c = full("both", "2")
add(F, "ep", "confidence-word-after-number", "both",
    f"{py(c, qs=chr(39))}\n\nSentiment: Negative (0.90 confidence)", "negative", 0.9, c)
c = full("rewatch")
add(F, "ep", "escaped-apostrophe", "rewatch", f"{py(c, qs='esc')}\n(negative, 0.8)", "negative", 0.8, c)
c = full("clunky")
add(F, "ep", "percent-confidence", "clunky", f"{py(c, qs=chr(34))}\n\n(negative, 85%)", "negative", 0.85, c)
c = full("genius")
add(F, "ep", "epilogue-mentions-both-labels", "genius",
    f"{py(c, qs=chr(34))}\n\n(positive, 0.75)\n\nThe review contains both negative (\"flawed\") and positive "
    "(\"fascinating\") aspects, but the overall sentiment is positive.",
    "positive", 0.75, c)
c = full("dog", "3")
add(F, "ep", "three-decimals+eos-leftover", "dog", f"{py(c, qs=chr(34))}\n(negative, 0.700)</s>", "negative", 0.7, c)

# --- pe-topk
c = top("loud")
add(F, "pe-topk", "paper-double-quotes", "loud", f"(negative, 0.9)\n{py(c, qs=chr(34))}", "negative", 0.9, c)
c = top("excellent")
add(F, "pe-topk", "numbered-word-paren-score", "excellent", f"(positive, 0.95)\n\n{lines(c, '{i}. {w} ({s})')}", "positive", 0.95, c)
c = top("clunky")
add(F, "pe-topk", "bullets-quoted-word-colon", "clunky", f"(negative, 0.9)\n\n{lines(c, DASH_DQ_COLON)}", "negative", 0.9, c)
c = top("waste")
add(F, "pe-topk", "json-objects", "waste",
    f"{{\"label\": \"negative\", \"confidence\": 0.9}}\n{jobjs(c, 'word', 'importance', inline=True)}", "negative", 0.9, c)
c = top("dog")
add(F, "pe-topk", "epilogue", "dog",
    f"(negative, 0.7)\n{py(c, qs=chr(34))}\n\nThe word \"scattered\" has the strongest negative impact, while "
    "\"well-made\" pushes towards positive.",
    "negative", 0.7, c)
c = top("love")
add(F, "pe-topk", "percent-confidence", "love", f"(positive, 95%)\n{py(c, qs=chr(39))}", "positive", 0.95, c)
c = top("commercial")
add(F, "pe-topk", "unquoted-words", "commercial", f"(negative, 0.9)\n{py(c, qs='none')}", "negative", 0.9, c)
c = top("mama")
add(F, "pe-topk", "confidence-word-after-number", "mama",
    f"Prediction: positive (0.90 confidence)\n\nTop words: {py(c, qs=chr(34))}", "positive", 0.9, c)
c = top("grownups")
add(F, "pe-topk", "sure-preamble", "grownups", f"Sure! Here is my analysis:\n\n(positive, 0.9)\n{py(c, qs=chr(34))}", "positive", 0.9, c)
c = top("masterpiece")
add(F, "pe-topk", "eos-leftover", "masterpiece", f"(positive, 0.95)\n{py(c, qs=chr(34))} </s>", "positive", 0.95, c)

# --- ep-topk
c = top("genius")
add(F, "ep-topk", "paper-double-quotes", "genius", f"{py(c, qs=chr(34))}\n(positive, 0.85)", "positive", 0.85, c)
c = top("laughcry")
add(F, "ep-topk", "numbered-tuples", "laughcry", f"{lines(c, NUM_DQ_TUPLE)}\n\n(positive, 0.9)", "positive", 0.9, c)
add(F, "ep-topk", "python-dict", "slow", "{'slow': -0.7, 'long': -0.6}\n(negative, 0.9)", "negative", 0.9,
    [("slow", "-0.7"), ("long", "-0.6")])
c = top("nothingnew")
add(F, "ep-topk", "keyed-label-and-confidence-lines", "nothingnew",
    f"{py(c, qs=chr(34))}\n\nClassification: negative\nConfidence: 0.8", "negative", 0.8, c)
c = top("grownups")
add(F, "ep-topk", "bullets-bold-words", "grownups", f"{lines(c, '- **{w}**: {s}')}\n\n(positive, 0.9)", "positive", 0.9, c)
c = top("tenmin")
add(F, "ep-topk", "index-label", "tenmin", f"{py(c, qs=chr(34))}\n(1, 0.9)", "positive", 0.9, c)
c = top("family", style="+")
add(F, "ep-topk", "plus-signed-scores", "family", f"{py(c, qs=chr(39))}\n(positive, 0.8)", "positive", 0.8, c)
c = top("drags")
add(F, "ep-topk", "raw-text-tokens", "drags", f"{py(c, qs=chr(34))}\n(negative, 0.85)", "negative", 0.85, c)
add(F, "ep-topk", "garbled:prompt-template-echo", "watches",
    "[INST] <text> the kids will be bored and the parents will be checking their watches . </text> [/INST]",
    None, None, None)

# =========================================================================== qwen2.5-instruct
F = "qwen"

# --- pe
c = full("sayswell")
add(F, "pe", "fenced-python+quoted-label", "sayswell", f"```python\n('positive', 0.85)\n{py(c)}\n```", "positive", 0.85, c)
c = full("terrific")
add(F, "pe", "fenced-plain", "terrific", f"```\n(positive, 0.9)\n{py(c)}\n```", "positive", 0.9, c)
c = full("excellent")
add(F, "pe", "json-single-object", "excellent",
    f"```json\n{{\n  \"label\": \"positive\",\n  \"confidence\": 0.95,\n  \"importance\": {jpairs(c, nl=True)}\n}}\n```",
    "positive", 0.95, c)
c = full("loud")
add(F, "pe", "fenced-python-comments", "loud",
    "```python\n(negative, 0.9)\n"
    + py(c, nl=True, comments={4: "'funny' is negated by \"n't\"", 9: "strongly negative", 11: "strongest negative word"})
    + "\n```",
    "negative", 0.9, c)
c = full("gorgeous")
add(F, "pe", "markdown-table", "gorgeous",
    f"(positive, 0.95)\n\n| Token | Importance |\n|-------|------------|\n{lines(c, '| {w} | {s} |')}", "positive", 0.95, c)
c = full("walkout")
add(F, "pe", "py2-unicode-strings", "walkout", f"(0, 0.9)\n{py(c, qs='u')}", "negative", 0.9, c)
c = full("notperfect")
add(F, "pe", "im_end-leftover", "notperfect", f"('positive', 0.8)\n{py(c)}<|im_end|>", "positive", 0.8, c)
c = full("masterpiece")
add(F, "pe", "epilogue-in-chinese", "masterpiece",
    f"(positive, 0.95)\n{py(c)}\n\n解释：\"masterpiece\" 和 \"beautifully\" 是最重要的正面词。", "positive", 0.95, c)
c = full("zero")
add(F, "pe", "numeric-first-item(quoted)", "zero", f"(negative, 0.95)\n{py(c)}", "negative", 0.95, c)
c = full("filmfunny")
add(F, "pe", "json-map-duplicate-keys", "filmfunny",
    f"```json\n{{\"label\": \"positive\", \"confidence\": 0.9}}\n```\n\n```json\n{jmap(c, nl=True)}\n```",
    "positive", 0.9, c)
add(F, "pe", "garbled:degenerate-brackets", "charming", "(" * 40 + "\n" + "(" * 40, None, None, None)

# --- ep
c = full("dreary")
add(F, "ep", "fenced-one-per-line", "dreary", f"```python\n{py(c, nl=True)}\n(negative, 0.9)\n```", "negative", 0.9, c)
c = full("marshall")
add(F, "ep", "json-objects+json-prediction", "marshall",
    f"```json\n{jobjs(c)}\n```\n\n```json\n{{\"label\": \"positive\", \"confidence\": 0.85}}\n```", "positive", 0.85, c)
c = full("cantsave")
add(F, "ep", "json-trailing-commas", "cantsave",
    f"```json\n{jobjs(c, trail=True)}\n```\n\n```json\n{{\n  \"label\": \"negative\",\n  \"confidence\": 0.9,\n}}\n```",
    "negative", 0.9, c)
c = full("both")
add(F, "ep", "python-comments", "both",
    py(c, nl=True, comments={4: "negation", 5: "confusion", 18: "strongly negative"}) + "\n('negative', 0.85)",
    "negative", 0.85, c)
c = full("admission", "3")
add(F, "ep", "truncated-before-prediction", "admission", f"```python\n{py_cut(c, 20, 2, nl=True)}", None, None, c[:20])
c = full("watches")
add(F, "ep", "index-label+im_end-leftover", "watches", f"{py(c)}\n(0, 0.88)<|im_end|>", "negative", 0.88, c)
c = full("mama")
add(F, "ep", "quote-tokens+double-quoted-label", "mama", f"{py(c)}\n(\"positive\", 0.95)", "positive", 0.95, c)
c = full("thinks")
add(F, "ep", "markdown-table+bold-prediction", "thinks",
    f"| Token | Importance |\n|---|---|\n{lines(c, '| {w} | {s} |')}\n\n**Prediction:** (negative, 0.8)", "negative", 0.8, c)
c = full("rewatch", rename={1: "re"}, rescore={8: 0.1})
add(F, "ep", "dropped-apostrophe(re/'re)", "rewatch", f"{py(c)}\n('negative', 0.85)", "negative", 0.85, c)
c = full("filmsbest", rename={7: "cast", 10: "script"})
add(F, "ep", "naive-apostrophe-quotes+punct-stripped", "filmsbest", f"{py(c, qs=chr(39))}\n('positive', 0.7)", "positive", 0.7, c)
add(F, "ep", "garbled:refusal-in-chinese", "love", "抱歉，我无法处理这个请求。", None, None, None)

# --- pe-topk
add(F, "pe-topk", "fenced-python+quoted-label", "slow",
    "```python\n('negative', 0.9)\n[('slow', -0.7), ('long', -0.6)]\n```", "negative", 0.9, [("slow", "-0.7"), ("long", "-0.6")])
add(F, "pe-topk", "json-single-object", "charming",
    "```json\n{\n  \"label\": \"positive\",\n  \"confidence\": 0.92,\n  \"top_words\": [\n"
    "    {\"word\": \"charming\", \"importance\": 0.8}\n  ]\n}\n```",
    "positive", 0.92, [("charming", "0.8")])
c = top("money")
add(F, "pe-topk", "markdown-table", "money",
    f"(negative, 0.95)\n\n| Word | Importance |\n|------|------------|\n{lines(c, '| {w} | {s} |')}", "negative", 0.95, c)
c = top("original")
add(F, "pe-topk", "fenced-python-comments", "original",
    "```python\n(positive, 0.9)\n" + py(c, nl=True, trail=True, comments={0: "key positive descriptor"}) + "\n```",
    "positive", 0.9, c)
c = top("coen")
add(F, "pe-topk", "im_end-leftover", "coen", f"(positive, 0.95)\n{py(c)}<|im_end|>", "positive", 0.95, c)
c = top("commercial")
add(F, "pe-topk", "index-label", "commercial", f"(0, 0.85)\n{py(c)}", "negative", 0.85, c)
c = top("sloppy")
add(F, "pe-topk", "json-pairs+quoted-label", "sloppy", f"('negative', 0.95)\n{jpairs(c)}", "negative", 0.95, c)
c = top("dog")
add(F, "pe-topk", "confidence-word-after-number", "dog",
    f"Classification: negative (0.90 confidence)\n{py(c)}", "negative", 0.9, c)
c = top("fan", style="dot")
add(F, "pe-topk", "dot-numbers", "fan", f"(negative, .75)\n{py(c)}", "negative", 0.75, c)

# --- ep-topk
c = top("nothingnew")
add(F, "ep-topk", "fenced-python+quoted-label", "nothingnew", f"```python\n{py(c)}\n('negative', 0.85)\n```", "negative", 0.85, c)
add(F, "ep-topk", "json-single-object", "hours",
    "```json\n{\n  \"top_words\": [[\"best\", 0.9], [\"hands\", 0.3]],\n  \"label\": \"positive\",\n  \"confidence\": 0.95\n}\n```",
    "positive", 0.95, [("best", "0.9"), ("hands", "0.3")])
c = top("stale")
add(F, "ep-topk", "markdown-table", "stale",
    f"| Word | Importance |\n|------|------------|\n{lines(c, '| {w} | {s} |')}\n\n(negative, 0.92)", "negative", 0.92, c)
add(F, "ep-topk", "python-comment", "delight", "[('delight!', 0.9)]  # strongest positive cue\n('positive', 0.97)",
    "positive", 0.97, [("delight!", "0.9")])
add(F, "ep-topk", "index-label+im_end-leftover", "drags", "[('drags', -0.8)]\n(0, 0.85)<|im_end|>", "negative", 0.85,
    [("drags", "-0.8")])
add(F, "ep-topk", "case-insensitive", "loved", "[('loved', 0.9), ('best', 0.8)]\n('positive', 0.98)", "positive", 0.98,
    [("loved", "0.9"), ("best", "0.8")])
add(F, "ep-topk", "bare-word-list", "genius", "['fascinating', 'genius', 'flawed']\n('positive', 0.8)", "positive", 0.8,
    [("fascinating", "1.0"), ("genius", "1.0"), ("flawed", "1.0")])
c = top("sayswell")
add(F, "ep-topk", "keyed-bold-label-confidence-in-parens", "sayswell",
    f"{py(c)}\n\nSentiment: **Positive** (confidence: 0.9)", "positive", 0.9, c)
c = top("laughcry")
add(F, "ep-topk", "fenced-plain", "laughcry", f"```\n{py(c)}\n(positive, 0.9)\n```", "positive", 0.9, c)

# =========================================================================== gemma-2-it
F = "gemma"

# --- pe
c = full("charming")
add(F, "pe", "markdown-bold+fenced+end_of_turn", "charming",
    f"**Prediction:** (positive, 0.92)\n\n**Explanation:**\n\n```python\n{py(c)}\n```\n<end_of_turn>", "positive", 0.92, c)
c = full("script")
add(F, "pe", "markdown-headings+bullet-explanations", "script",
    f"## Classification\n\n(negative, 0.85)\n\n## Token Importance\n\n{py(c)}\n\n**Explanation:**\n\n"
    "* **mess**: The most negative word, it sums up the reviewer's opinion of the script.\n"
    "* **solid**: Slightly positive, but it is outweighed by the criticism that follows.",
    "negative", 0.85, c)
c = full("excellent")
add(F, "pe", "bullets-quoted-word-colon", "excellent", f"(positive, 0.95)\n\n{lines(c, DASH_DQ_COLON)}", "positive", 0.95, c)
c = full("love")
add(F, "pe", "numbered-word-paren-score", "love", f"(positive, 0.9)\n\n{lines(c, '{i}. {w} ({s})')}", "positive", 0.9, c)
c = full("laughcry")
add(F, "pe", "angle-brackets-name+naive-apostrophe-quotes", "laughcry",
    f"(<positive>, <0.95>)\n\n{py(c, qs=chr(39), angle=True)}", "positive", 0.95, c)
c = full("hours")
add(F, "pe", "two-fences+end_of_turn", "hours",
    f"```python\n(positive, 0.95)\n```\n\n```python\n{py(c)}\n```\n<end_of_turn>", "positive", 0.95, c)
c = full("thinks")
add(F, "pe", "percent-in-parens-bold-key", "thinks",
    f"**Classification:** Negative (85% confidence)\n\n**Importance Scores:**\n\n{py(c)}", "negative", 0.85, c)
c = full("dog")
add(F, "pe", "json-single-object", "dog",
    f"```json\n{{\n  \"label\": \"negative\",\n  \"confidence\": 0.9,\n  \"importance\": {jobjs(c, inline=True)}\n}}\n```",
    "negative", 0.9, c)
c = full("waste")
add(F, "pe", "json-quoted-numbers", "waste",
    f"{{\"label\": \"negative\", \"confidence\": \"0.9\"}}\n{jobjs(c, 'word', 'score', inline=True, quote_scores=True)}",
    "negative", 0.9, c)
c = full("fan")
add(F, "pe", "epilogue+end_of_turn", "fan",
    f"(negative, 0.7)\n{py(c)}\n\nLet me know if you have any other text you'd like me to analyze! <end_of_turn>",
    "negative", 0.7, c)
add(F, "pe", "prose-only-bold", "genius",
    "The sentiment of this review is **positive** with a confidence of **0.8**.\n\nThe reviewer calls the film "
    "\"fascinating\", which outweighs the mention of it being \"flawed\".<end_of_turn>",
    "positive", 0.8, None)
c = full("filmsbest")
add(F, "pe", "bold-keyed-label-and-confidence-lines", "filmsbest",
    f"**Sentiment:** Positive\n**Confidence:** 0.7\n\n**Word Importance:**\n\n{py(c, qs=chr(34))}", "positive", 0.7, c)
add(F, "pe", "garbled:end_of_turn-only", "charming", "<end_of_turn>", None, None, None)

# --- ep
c = full("watches")
add(F, "ep", "markdown-step-headings", "watches",
    f"### Step 1: Token Importance\n\n{py(c)}\n\n### Step 2: Classification\n\n(negative, 0.9)", "negative", 0.9, c)
c = full("grownups")
add(F, "ep", "bullets-bold-words+bold-keyed-prediction", "grownups",
    f"**Token Importance:**\n\n{lines(c, '* **{w}**: {s}')}\n\n**Classification:** (positive, 0.95)", "positive", 0.95, c)
c = full("zerozero")
add(F, "ep", "numeric-first-item(0.0,0.0)", "zerozero",
    f"{swap_first(py(c), chr(40) + repr('0.0'), '(0.0')}\n\n(negative, 0.98)", "negative", 0.98, c)
c = full("boring")
add(F, "ep", "numbered-word-paren-score", "boring", f"{lines(c, '{i}. {w} ({s})')}\n\n(negative, 0.95)", "negative", 0.95, c)
c = full("money")
add(F, "ep", "two-fences+end_of_turn", "money",
    f"```python\n{py(c, qs=chr(34))}\n```\n\n```python\n(negative, 0.95)\n```<end_of_turn>", "negative", 0.95, c)
c = full("original")
add(F, "ep", "truncated-before-prediction", "original",
    f"**Token Importance:**\n\n```python\n{py_cut(c, 15, 3, nl=True)}", None, None, c[:15])
c = full("commercial")
add(F, "ep", "markdown-table+bold-prediction", "commercial",
    f"| Token | Importance |\n|---|---|\n{lines(c, '| {w} | {s} |')}\n\n**Prediction:** (negative, 0.9)", "negative", 0.9, c)
c = full("tenmin")
add(F, "ep", "angle-brackets-everywhere", "tenmin", f"{py(c, qs=chr(39), angle=True)}\n(<1>, <0.95>)", "positive", 0.95, c)
c = full("delight", rename={2: "delight", 3: "Funny", 8: "heart"})
add(F, "ep", "punct-stripped-citations", "delight", f"{py(c)}\n(positive, 0.98)", "positive", 0.98, c)
c = full("walkout")
add(F, "ep", "sure-preamble+bold-keyed-prediction", "walkout",
    f"Sure, here is the analysis of the text:\n\n**Token Importance:**\n{py(c)}\n\n**Prediction:** (negative, 0.9)",
    "negative", 0.9, c)
c = full("sayswell")
add(F, "ep", "capitalised-label+repeated-tokens", "sayswell", f"{py(c)}\n\n(Positive, 0.85)\n<end_of_turn>", "positive", 0.85, c)

# --- pe-topk
c = top("cantsave")
add(F, "pe-topk", "bold-keyed+numbered-word-paren-score", "cantsave",
    f"**Prediction:** (negative, 0.9)\n\n**Top 3 words:**\n\n{lines(c, '{i}. {w} ({s})')}", "negative", 0.9, c)
c = top("gorgeous")
add(F, "pe-topk", "bullets-quoted-word-colon", "gorgeous", f"(positive, 0.9)\n\n{lines(c, DASH_DQ_COLON)}", "positive", 0.9, c)
c = top("one")
add(F, "pe-topk", "angle-brackets-name", "one", f"(<positive>, <0.95>)\n{py(c, qs=chr(39), angle=True)}", "positive", 0.95, c)
add(F, "pe-topk", "json-trailing-comma", "notperfect",
    "```json\n{\n  \"label\": \"positive\",\n  \"confidence\": 0.85,\n  \"top_words\": [\n"
    "    {\"word\": \"fun\", \"importance\": 0.8},\n    {\"word\": \"not\", \"importance\": -0.3},\n  ]\n}\n```",
    "positive", 0.85, [("fun", "0.8"), ("not", "-0.3")])
c = top("excellent")
add(F, "pe-topk", "end_of_turn-leftover", "excellent", f"(positive, 0.95)\n{py(c)}\n<end_of_turn>", "positive", 0.95, c)
c = top("both")
add(F, "pe-topk", "markdown-headings", "both",
    f"## Prediction\n(negative, 0.9)\n\n## Most Important Words\n{py(c)}", "negative", 0.9, c)
c = top("admission")
add(F, "pe-topk", "percent-in-parens-bold-key", "admission", f"**Classification:** Positive (90%)\n\n{py(c)}", "positive", 0.9, c)
c = top("coen")
add(F, "pe-topk", "numbered-bold-word-paren-score", "coen",
    f"**Prediction:** (positive, 0.9)\n\n**Most important words:**\n\n{lines(c, '{i}. **{w}** ({s})')}", "positive", 0.9, c)
c = top("walkout")
add(F, "pe-topk", "numeric-token-cited", "walkout", f"(negative, 0.9)\n{py(c)}", "negative", 0.9, c)

# --- ep-topk
c = top("sloppy")
add(F, "ep-topk", "bullets-bold-words+bold-keyed-prediction", "sloppy",
    f"**Most Important Words:**\n\n{lines(c, '* **{w}**: {s}')}\n\n**Classification:** (negative, 0.95)", "negative", 0.95, c)
c = top("walkout")
add(F, "ep-topk", "two-fences+end_of_turn", "walkout",
    f"```python\n{py(c)}\n```\n```python\n(negative, 0.9)\n```\n<end_of_turn>", "negative", 0.9, c)
c = top("mama")
add(F, "ep-topk", "markdown-table", "mama",
    f"| Word | Importance |\n|---|---|\n{lines(c, '| {w} | {s} |')}\n\n(positive, 0.95)", "positive", 0.95, c)
c = top("masterpiece")
add(F, "ep-topk", "prose-label+end_of_turn", "masterpiece",
    f"{py(c)}\n\nThe sentiment is positive with a confidence of 0.95.<end_of_turn>", "positive", 0.95, c)
add(F, "ep-topk", "capitalised-label", "slow", "[('slow', -0.7), ('long', -0.6)]\n(Negative, 0.9)", "negative", 0.9,
    [("slow", "-0.7"), ("long", "-0.6")])
c = top("fan")
add(F, "ep-topk", "markdown-headings", "fan",
    f"### Important words\n{py(c)}\n\n### Label\n(negative, 0.65)", "negative", 0.65, c)
c = top("filmfunny")
add(F, "ep-topk", "paper", "filmfunny", f"{py(c)}\n(positive, 0.9)", "positive", 0.9, c)
c = top("clunky")
add(F, "ep-topk", "bullets-bold-words", "clunky", f"{lines(c, '* **{w}**: {s}')}\n\n(negative, 0.92)", "negative", 0.92, c)
add(F, "ep-topk", "garbled:empty", "delight", "", None, None, None)


# fmt: on


def main() -> None:
    out = HERE / "answers.jsonl"
    with out.open("w", encoding="utf-8") as fh:
        for row in ROWS:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(ROWS)} answers to {out}")
    for rid in CONFLICTS:
        print("depends on exact-before-lenient precedence:", rid)


if __name__ == "__main__":
    main()

"""Shared pieces for building the self-explanation answer corpus (see README.md).

`TEXTS` are the review texts with the scores "the model had in mind" (one per whitespace token),
the renderers write (word, score) citations the way chat models print them, and `expected_scores`
is the reference alignment that defines `expect.scores` in answers.jsonl.
"""

from __future__ import annotations

import json
import string
import unicodedata

LABELS = ["negative", "positive"]

# id: (text, scores aligned with text.split(), gold label). SST-style tokenisation except the few
# "raw" reviews (loved, boring, drags, delight, filmsbest), whose punctuation sticks to the words.
TEXTS: dict[str, tuple[str, str, str]] = {
    "charming": ("it 's a charming and often affecting journey .", "0 0 0 0.8 0.1 0.2 0.7 0.3 0", "positive"),
    "loud": (
        "the movie is n't funny , it 's just loud and obnoxious .",
        "0 0 0 -0.4 -0.3 0 0 0 -0.1 -0.6 0 -0.8 0",
        "negative",
    ),
    "gorgeous": (
        "a gorgeous , witty , seductive movie that never lets up .",
        "0 0.8 0 0.7 0 0.6 0.1 0 0.2 0.1 0.1 0",
        "positive",
    ),
    "rewatch": (
        "you 're not going to like it , re watch the original instead .",
        "0 -0.1 -0.6 0 0 0.2 0 0 0 0.1 0 0.3 -0.4 0",
        "negative",
    ),
    "script": (
        "the acting is solid but the script is a mess from start to finish .",
        "0 0.1 0 0.4 -0.2 0 0 0 0 -0.8 0 0 0 -0.1 0",
        "negative",
    ),
    "original": (
        "one of the most original american productions this year , you 'll find yourself remembering it long after .",
        "0 0 0 0.2 0.8 0 0.1 0 0 0 0 0 0 0 0.6 0 0.3 0 0",
        "positive",
    ),
    "slow": (
        "too slow , too long and too little happens .",
        "-0.3 -0.7 0 -0.2 -0.6 0 -0.1 -0.4 -0.2 0",
        "negative",
    ),
    "coen": (
        "an utterly charming and hilarious film that reminded me of the best of the coen brothers .",
        "0 0.3 0.8 0 0.8 0.1 0 0.1 0 0 0 0.6 0 0 0.2 0.1 0",
        "positive",
    ),
    "zero": (
        "0 stars : the worst thing i 've seen all year .",
        "0 -0.2 0 0 -0.9 0 0 0 0 -0.1 0 0",
        "negative",
    ),
    "one": (
        "1 of the year 's best films , and a joy to watch .",
        "0 0 0 0 0 0.8 0.1 0 0 0 0.7 0 0.2 0",
        "positive",
    ),
    "terrific": (
        "the film 's plot may be predictable , but the performances are terrific .",
        "0 0 0 0 0 0 -0.4 0 0.2 0 0.3 0 0.9 0",
        "positive",
    ),
    "money": (
        "don't waste your money on this dull , lifeless remake .",
        "-0.2 -0.7 0 -0.1 0 0 -0.6 0 -0.7 -0.2 0",
        "negative",
    ),
    "sayswell": (
        "it does n't have much to say , but it says it well .",
        "0 0 -0.3 0 -0.1 0 0 0 0.3 0 0.1 0 0.7 0",
        "positive",
    ),
    "hours": (
        "The Hours is the best film of the year , hands down .",
        "0.1 0.1 0 0 0.9 0.1 0 0 0 0 0.3 0.2 0",
        "positive",
    ),
    "dreary": (
        "a dreary , humorless soap opera ... the actors can do nothing with it .",
        "0 -0.7 0 -0.7 -0.2 -0.1 0 0 0 0 0 -0.5 0 0 0",
        "negative",
    ),
    "marshall": (
        "director rob marshall went out gunning to make a great one -- and he did .",
        "0 0 0 0 0 0.1 0 0 0 0.6 0 0 0 0 0.4 0",
        "positive",
    ),
    "stale": (
        "the characters , the dialogue , the pacing -- everything about it feels stale .",
        "0 0 0 0 -0.1 0 0 -0.1 0 -0.2 0 0 -0.1 -0.9 0",
        "negative",
    ),
    "loved": (
        "I loved it, honestly. Best movie I've seen in years!",
        "0 0.9 0 0.1 0.8 0 0 0 0 0.2",
        "positive",
    ),
    "boring": (
        "Boring, predictable and way too long. Skip it.",
        "-0.8 -0.6 0 -0.1 -0.2 -0.4 -0.7 0",
        "negative",
    ),
    "dog": (
        "a well-made but emotionally scattered film whose hero gives his heart only to the dog .",
        "0 0.4 -0.2 0 -0.6 0 0 0 0 0 0.1 0 0 0 0 0",
        "negative",
    ),
    "excellent": (
        "the performances are uniformly excellent , and the cinematography is breathtaking .",
        "0 0.1 0 0.2 0.9 0 0 0 0.1 0 0.8 0",
        "positive",
    ),
    "walkout": (
        "it 's the kind of movie that makes you want to walk out after 20 minutes .",
        "0 0 0 0 0 0 0 0 0 -0.1 0 -0.7 -0.6 0 -0.2 -0.1 0",
        "negative",
    ),
    "grownups": (
        "funny , touching and smart , this is a movie for grown-ups .",
        "0.7 0 0.6 0 0.6 0 0 0 0 0.1 0 0.2 0",
        "positive",
    ),
    "nothingnew": (
        "there 's nothing here that has n't been done better before .",
        "0 0 -0.5 0 0 0 -0.2 0 -0.3 -0.3 -0.2 0",
        "negative",
    ),
    "masterpiece": (
        "a masterpiece -- moving , smart and beautifully acted .",
        "0 0.9 0 0.6 0 0.5 0 0.7 0.2 0",
        "positive",
    ),
    "cantsave": (
        "the script is so bad that even the talented cast ca n't save it .",
        "0 -0.1 0 -0.2 -0.8 0 0 0 0.3 0 0 -0.3 -0.2 0 0",
        "negative",
    ),
    "filmfunny": (
        "The film is funny . The film is also sad , and the ending is perfect .",
        "0 0 0 0.7 0 0 0 0 0 -0.2 0 0 0 0.1 0 0.9 0",
        "positive",
    ),
    "waste": (
        "what a waste of a good premise and a great cast .",
        "0 0 -0.9 0 0 0.2 0 0 0 0.2 0 0",
        "negative",
    ),
    "laughcry": (
        "you 'll laugh , you 'll cry , you 'll want to see it again .",
        "0 0 0.6 0 0 0 0.4 0 0 0 0.2 0 0.1 0 0.5 0",
        "positive",
    ),
    "both": (
        "a movie that does n't know if it wants to be a comedy or a thriller , and fails at both .",
        "0 0 0 0 -0.2 -0.3 0 0 0 0 0 0 0.1 0 0 0 0 0 -0.8 0 -0.2 0",
        "negative",
    ),
    "family": (
        "solid , if unspectacular , entertainment for the whole family .",
        "0.6 0 0 -0.3 0 0.4 0 0 0 0.2 0",
        "positive",
    ),
    "clunky": (
        "the dialogue is clunky , the effects are cheap and the story makes no sense .",
        "0 0 0 -0.7 0 0 0 0 -0.6 0 0 0 0 -0.4 -0.5 0",
        "negative",
    ),
    "notperfect": (
        "it 's not perfect , but it 's a lot of fun .",
        "0 0 -0.3 0.2 0 0.2 0 0 0 0.1 0 0.8 0",
        "positive",
    ),
    "genius": (
        "a fascinating , if flawed , look at the life of a troubled genius .",
        "0 0.8 0 0 -0.3 0 0 0 0 0 0 0 -0.1 0.3 0",
        "positive",
    ),
    "watches": (
        "the kids will be bored and the parents will be checking their watches .",
        "0 0 0 0 -0.8 0 0 0 0 0 -0.4 0 -0.5 0",
        "negative",
    ),
    "mama": (
        "smart , sexy and surprisingly moving , `` Y Tu Mamá También '' is a must-see .",
        "0.6 0 0.4 0 0.2 0.6 0 0 0 0 0 0 0 0 0 0.9 0",
        "positive",
    ),
    "nothingworks": (
        "nothing about this movie works : not the story , not the jokes , not the acting .",
        "-0.6 0 0 0 -0.5 0 -0.3 0 -0.1 0 -0.2 0 -0.1 0 -0.1 0 0 0",
        "negative",
    ),
    "fan": (
        "if you 're a fan of the series , you 'll enjoy it ; everyone else should stay away .",
        "0 0 0 0 0.2 0 0 0 0 0 0 0.4 0 0 0 0 0 -0.5 -0.6 0",
        "negative",
    ),
    "love": (
        "an intelligent , moving and invigorating film about the power of love .",
        "0 0.7 0 0.6 0 0.8 0.1 0 0 0.1 0 0.3 0",
        "positive",
    ),
    "thinks": (
        "the movie 's biggest problem is that it 's never as funny as it thinks it is .",
        "0 0 0 -0.2 -0.6 0 0 0 0 -0.4 0 0.3 0 0 -0.1 0 0 0",
        "negative",
    ),
    "filmsbest": (
        "The film's best moments come from its cast, not its script.",
        "0 0.1 0.5 0.2 0 0 0 0.3 -0.3 0 -0.2",
        "positive",
    ),
    "drags": (
        "Well-acted, but the story just drags on and on...",
        "0.4 -0.1 0 0 0 -0.8 0 0 -0.3",
        "negative",
    ),
    "commercial": (
        "a 90-minute commercial for toys , dressed up as a movie .",
        "0 -0.1 -0.7 0 -0.2 0 -0.2 0 0 0 0 0",
        "negative",
    ),
    "delight": (
        "What a delight! Funny, warm and full of heart.",
        "0.1 0 0.9 0.6 0.5 0 0.2 0 0.4",
        "positive",
    ),
    "zerozero": (
        "0.0 / 10 -- a total misfire from start to finish .",
        "0 0 0 0 0 -0.3 -0.9 0 0 0 -0.1 0",
        "negative",
    ),
    "tenmin": (
        "10 minutes in , i knew i was going to love this film .",
        "0 0 0 0 0 0.1 0 0 0 0 0.9 0 0.1 0",
        "positive",
    ),
    "admission": (
        "though it runs a bit long , the film 's warmth , humor and terrific performances by the entire cast make it well worth the price of admission .",
        "-0.1 0 0 0 0 -0.3 0 0 0 0 0.6 0 0.5 0 0.8 0.3 0 0 0 0.1 0 0 0.2 0.6 0 0 0 0 0",
        "positive",
    ),
    "sloppy": (
        "the premise is promising , but the execution is so sloppy , so lazy and so boring that you 'll wish you had stayed home .",
        "0 0 0 0.3 0 -0.2 0 0 0 -0.1 -0.7 0 -0.1 -0.7 0 -0.1 -0.8 0 0 0 -0.3 0 0 -0.2 0 0",
        "negative",
    ),
}

for _tid, (_text, _scores, _gold) in TEXTS.items():
    assert len(_text.split()) == len(_scores.split()), (_tid, len(_text.split()), len(_scores.split()))
    assert _gold in LABELS


def tokens(tid: str) -> list[str]:
    return TEXTS[tid][0].split()


def base_scores(tid: str) -> list[float]:
    return [float(x) for x in TEXTS[tid][1].split()]


def topk_count(n: int) -> int:
    return max(1, int(0.2 * n))


# --------------------------------------------------------------------------- numbers


def fmt(x: float, style: str = "1") -> str:
    """A score as a model writes it: "1"/"2"/"3" decimals, "dot" (.8, -.25, 0), "g" (0, 0.8)."""
    if style in ("1", "2", "3"):
        s = f"{x:.{style}f}"
        return "0." + "0" * int(style) if s.startswith("-0.") and float(s) == 0 else s
    if style == "dot":
        if x == 0:
            return "0"
        s = f"{x:g}"
        return s.replace("0.", ".", 1)
    if style == "g":
        return f"{x:g}"
    if style == "+":
        return f"{x:+.1f}" if x != 0 else "0.0"
    raise ValueError(style)


# --------------------------------------------------------------------------- citations


Cite = tuple[str, str]  # (word as written, score as written)


def full(
    tid: str,
    style: str = "1",
    *,
    skip: tuple[int, ...] = (),
    drop_punct: bool = False,
    rename: dict[int, str] | None = None,
    rescore: dict[int, float] | None = None,
    insert: dict[int, list[tuple[str, float]]] | None = None,
) -> list[Cite]:
    """One citation per token, in text order, with the model's quirks applied.

    skip: token indices the model left out; drop_punct: leave out punctuation-only tokens;
    rename: write token i differently (case, stripped punctuation...); rescore: other score for
    token i; insert: extra citations (word, score) written before token i.
    """
    out: list[Cite] = []
    toks, sc = tokens(tid), base_scores(tid)
    for i, (t, s) in enumerate(zip(toks, sc, strict=True)):
        for w, x in (insert or {}).get(i, []):
            out.append((w, fmt(x, style)))
        if i in skip or (drop_punct and all(c in string.punctuation for c in t)):
            continue
        s = (rescore or {}).get(i, s)
        out.append(((rename or {}).get(i, t), fmt(s, style)))
    return out


def top(tid: str, k: int | None = None, style: str = "1", rename: dict[str, str] | None = None) -> list[Cite]:
    """The k tokens with the largest |score| (text order breaks ties), most important first."""
    toks, sc = tokens(tid), base_scores(tid)
    k = topk_count(len(toks)) if k is None else k
    order = sorted(range(len(toks)), key=lambda i: (-abs(sc[i]), i))[:k]
    return [((rename or {}).get(toks[i], toks[i]), fmt(sc[i], style)) for i in order]


# --------------------------------------------------------------------------- renderers


def q(w: str, style: str) -> str:
    if style == "'":
        return f"'{w}'"
    if style == '"':
        return f'"{w}"'
    if style == "repr":
        return repr(w)
    if style == "none":
        return w
    if style == "u":
        return "u" + repr(w)
    if style == "esc":
        return "'" + w.replace("'", "\\'") + "'"
    raise ValueError(style)


def _item(w: str, s: str, qs: str, angle: bool) -> str:
    return f"(<{q(w, qs)}>, <{s}>)" if angle else f"({q(w, qs)}, {s})"


def py(
    cites: list[Cite],
    qs: str = "repr",
    *,
    nl: bool = False,
    ind: str = "    ",
    angle: bool = False,
    comments: dict[int, str] | None = None,
    sp: str = ", ",
    brackets: str = "[]",
    trail: bool = False,
) -> str:
    """A Python list of tuples: inline, or one tuple per line (optionally with # comments)."""
    items = [_item(w, s, qs, angle) for w, s in cites]
    if nl:
        lines = []
        for i, it in enumerate(items):
            line = ind + it + ("," if i < len(items) - 1 or trail else "")
            if comments and i in comments:
                line += "  # " + comments[i]
            lines.append(line)
        return brackets[0] + "\n" + "\n".join(lines) + "\n" + brackets[1]
    return brackets[0] + sp.join(items) + ("," if trail else "") + brackets[1]


def py_cut(cites: list[Cite], j: int, keep: int, **kw) -> str:
    """`py(cites)` cut `keep` characters into item j (the token limit hit mid-list)."""
    rendered = py(cites[: j + 1], **kw)
    last = _item(*cites[j], kw.get("qs", "repr"), kw.get("angle", False))
    pos = rendered.rfind(last)
    return rendered[: pos + keep]


def tuple_lines(cites: list[Cite], qs: str = "repr", sep: str = "\n") -> str:
    """Tuples one per line, no enclosing list."""
    return sep.join(_item(w, s, qs, False) for w, s in cites)


def jstr(w: str) -> str:
    return json.dumps(w, ensure_ascii=False)


def jobjs(
    cites: list[Cite],
    wk: str = "token",
    sk: str = "importance",
    *,
    ind: str = "  ",
    trail: bool = False,
    inline: bool = False,
    quote_scores: bool = False,
) -> str:
    objs = [f'{{"{wk}": {jstr(w)}, "{sk}": {jstr(s) if quote_scores else s}}}' for w, s in cites]
    if inline:
        return "[" + ", ".join(objs) + "]"
    body = ",\n".join(ind + o for o in objs) + ("," if trail else "")
    return "[\n" + body + "\n]"


def jpairs(cites: list[Cite], *, nl: bool = False, ind: str = "    ") -> str:
    items = [f"[{jstr(w)}, {s}]" for w, s in cites]
    if nl:
        return "[\n" + ",\n".join(ind + it for it in items) + "\n  ]"
    return "[" + ", ".join(items) + "]"


def jmap(cites: list[Cite], *, nl: bool = False, ind: str = "  ", trail: bool = False) -> str:
    items = [f"{jstr(w)}: {s}" for w, s in cites]
    if nl:
        return "{\n" + ",\n".join(ind + it for it in items) + ("," if trail else "") + "\n}"
    return "{" + ", ".join(items) + "}"


def lines(cites: list[Cite], tpl: str, start: int = 1) -> str:
    """Markdown-ish lines, e.g. '- "{w}": {s}', '{i}. {w} ({s})', '| {w} | {s} |'."""
    return "\n".join(tpl.format(i=i + start, w=w, s=s) for i, (w, s) in enumerate(cites))


# --------------------------------------------------------------------------- reference alignment

_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"'})
_PUNCT = string.punctuation + "«»…–—"


def _norm(w: str) -> str:
    return unicodedata.normalize("NFKC", w).translate(_QUOTES).casefold()


def _core(w: str) -> str:
    return _norm(w).strip(_PUNCT)


def expected_scores(toks: list[str], cites: list[tuple[str, float]], mode: str = "rule") -> dict[int, float]:
    """Non-zero score per token index (the definition of `expect.scores`).

    mode "rule" (the corpus's definition): pass 1 gives every citation that matches a token
    exactly its first unused exact occurrence; pass 2 the remaining ones a case-/quote-insensitive
    occurrence; pass 3 one equal after stripping surrounding punctuation; pass 4 a run of 2-4
    consecutive unused tokens that glue into the cited word. Each pass walks the citations in
    order; a token takes at most one citation; citations matching nothing are dropped.
    mode "cascade" (for the builder's ambiguity check): each citation in turn tries all levels.
    mode "lenient1": like "rule" but passes 2 and 3 merged into one lenient pass.
    """
    n = len(toks)
    used = [False] * n
    out: dict[int, float] = {}
    keyfns = {
        "exact": lambda w: w,
        "norm": _norm,
        "core": _core,
        "lenient": lambda w: _core(w) or _norm(w),
    }
    levels = ["exact", "lenient"] if mode == "lenient1" else ["exact", "norm", "core"]

    def find(level: str, w: str) -> int | None:
        key = keyfns[level]
        k = key(w)
        if not k:
            return None
        return next((i for i in range(n) if not used[i] and key(toks[i]) == k), None)

    def glue(w: str) -> list[int]:
        g = _norm(w)
        for length in range(2, min(4, n) + 1):
            for i in range(n - length + 1):
                if not any(used[i : i + length]) and "".join(_norm(t) for t in toks[i : i + length]) == g:
                    return list(range(i, i + length))
        return []

    pending = list(range(len(cites)))
    if mode == "cascade":
        for ci in pending:
            w, s = cites[ci][0].strip(), cites[ci][1]
            hit = next((h for lv in levels if (h := find(lv, w)) is not None), None)
            hits = [hit] if hit is not None else glue(w)
            for i in hits:
                used[i] = True
                out[i] = s
    else:
        for lv in levels:
            rest = []
            for ci in pending:
                w, s = cites[ci][0].strip(), cites[ci][1]
                i = find(lv, w)
                if i is None:
                    rest.append(ci)
                    continue
                used[i] = True
                out[i] = s
            pending = rest
        for ci in pending:
            w, s = cites[ci][0].strip(), cites[ci][1]
            for i in glue(w):
                used[i] = True
                out[i] = s
    return {i: s for i, s in sorted(out.items()) if s != 0.0}

"""Recompute every truth label in corpus.jsonl from the JSON numbers and print count tables.

Each corpus line has a machine-readable check in checks.jsonl (same id): a small Python
expression over the fact sheet or token attribution, evaluated here with an implementation of
the rules in README.md that is independent of make_paraphrases.py. The script fails (exit 1) when
a check disagrees with the recorded truth, when a check sits within a hair of a tolerance edge
(`near_edge`), or when the corpus breaks its shape rules (kinds, splits, one sentence per line).

    python bench/verifier/check_corpus.py [--verbose]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent

IMAGE_CLAIMS = ["p_label", "p_alternative", "label", "p_removed", "p_only", "change", "negation", "saliency_share",
                "area", "location", "object_vs_background", "auc"]
TEXT_CLAIMS = ["top_word", "least_word", "rank_word", "outweighs", "sign", "score_value", "score_words", "text_label",
               "aside_superlative"]

EDGE = 0.001  # a check whose deciding number is this close to a tolerance edge counts as borderline
# (for exact numbers: within a tenth of the printed precision's half-unit, e.g. 0.0005 for "47%")

# --------------------------------------------------------------------------- numbers


class Edge(Exception):
    pass


_edges: list[str] = []


def _near(x: float, bound: float, what: str, tol: float = EDGE) -> None:
    if abs(x - bound) < tol:
        _edges.append(f"{what}: {x} vs edge {bound}")


def parse(s: str) -> tuple[float, float]:
    """'80%' -> (0.80, 0.005); '0.8' -> (0.8, 0.05); '0.053' -> (0.053, 0.0005); '8.4%' -> (0.084, 0.0005)."""
    s = s.strip()
    pct = s.endswith("%")
    body = s[:-1] if pct else s
    dec = len(body.split(".")[1]) if "." in body else 0
    v = float(body)
    half = 0.5 * 10 ** (-dec)
    if pct:
        return v / 100, half / 100
    return v, half


def exact(x: float, s: str) -> bool:
    v, h = parse(s)
    lo, hi = v - h, v + h
    if v == 0:
        lo = 0.0
    tol = 0.1 * h
    if v != 0:
        _near(x, lo, f"exact {s} lower", tol)
    _near(x, hi, f"exact {s} upper", tol)
    return lo - 1e-12 <= x < hi


def about(x: float, s: str) -> bool:
    v, _ = parse(s)
    _near(abs(x - v), 0.05, f"about {s}")
    return abs(x - v) <= 0.05 + 1e-12


def nearly(x: float, s: str) -> bool:
    v, _ = parse(s)
    _near(x, v - 0.05, f"nearly {s}")
    _near(x, v, f"nearly {s} top")
    return v - 0.05 - 1e-12 <= x <= v + 1e-12


def over(x: float, s: str) -> bool:
    v, _ = parse(s)
    _near(x, v, f"over {s}")
    return x > v


def under(x: float, s: str) -> bool:
    v, _ = parse(s)
    _near(x, v, f"under {s}")
    return x < v


FRACTIONS = {
    "half": (0.45, 0.55), "third": (0.28, 0.38), "quarter": (0.20, 0.30), "two_thirds": (0.62, 0.72),
    "three_quarters": (0.70, 0.80),
}


def frac(x: float, word: str) -> bool:
    if word in FRACTIONS:
        lo, hi = FRACTIONS[word]
        _near(x, lo, word)
        _near(x, hi, word)
        return lo <= x <= hi
    if word == "most":
        _near(x, 0.5, word)
        return x > 0.5
    if word == "nearly_all":
        _near(x, 0.85, word)
        return x >= 0.85
    if word == "almost_none":
        _near(x, 0.10, word)
        return x <= 0.10
    if word == "less_than_half":
        _near(x, 0.5, word)
        return x < 0.5
    raise ValueError(word)


def change(before: float, after: float, word: str) -> bool:
    d = after - before
    if word == "barely":
        _near(abs(d), 0.05, word)
        return abs(d) < 0.05
    if word == "stays":
        _near(abs(d), 0.10, word)
        return abs(d) < 0.10
    if word == "drops":
        _near(d, -0.02, word)
        return d < -0.02
    if word == "sharply":
        a, b = d <= -0.30, after < 0.5 * before
        if a != b:  # the deciding half must not be on an edge
            _near(d, -0.30, word) if a else _near(after, 0.5 * before, word)
        else:
            _near(d, -0.30, word)
            _near(after, 0.5 * before, word)
        return a or b
    if word == "rises":
        _near(d, 0.02, word)
        return d > 0.02
    raise ValueError(word)


# --------------------------------------------------------------------------- image namespace

CELLS = {
    "upper left": (0, 0), "upper centre": (0, 1), "upper right": (0, 2),
    "centre left": (1, 0), "centre": (1, 1), "centre right": (1, 2),
    "lower left": (2, 0), "lower centre": (2, 1), "lower right": (2, 2),
}
BANDS = {"top": ("row", 0), "middle_row": ("row", 1), "bottom": ("row", 2),
         "left": ("col", 0), "middle_column": ("col", 1), "right": ("col", 2)}


def image_namespace(f: dict) -> dict:
    grid = f["saliency_grid"]
    alts = {a["label"]: a["probability"] for a in f["alternatives"]}
    ranking = [f["label"]] + [a["label"] for a in f["alternatives"]]
    region_rc = CELLS[f["saliency_region"]]

    def cell(name: str) -> float:
        r, c = CELLS[name]
        return grid[r][c]

    def band(name: str) -> float:
        kind, i = BANDS[name]
        return sum(grid[i]) if kind == "row" else sum(grid[r][i] for r in range(3))

    def loc(name: str) -> bool:
        """A cell: it is the saliency_region or holds >= 40 %. A band: it holds >= 40 % or contains the region."""
        if name in CELLS:
            share = cell(name)
            _near(share, 0.40, f"cell {name}")
            return name == f["saliency_region"] or share >= 0.40
        kind, i = BANDS[name]
        share = band(name)
        contains = (region_rc[0] if kind == "row" else region_rc[1]) == i
        if not contains:
            _near(share, 0.40, f"band {name}")
        return contains or share >= 0.40

    def alt(name: str) -> float:
        return alts[name]

    def top(name: str) -> bool:
        return name == f["label"]

    def runner_up(name: str) -> bool:
        return bool(f["alternatives"]) and f["alternatives"][0]["label"] == name

    def rank(name: str) -> int:
        return ranking.index(name) + 1 if name in ranking else 99

    return dict(p=f["probability"], label=f["label"], p_only=f["p_segment_only"], p_removed=f["p_segment_removed"],
                in_seg=f["saliency_in_segment"], area=f["segment_area"], region=f["saliency_region"],
                del_auc=f["deletion_auc"], ins_auc=f["insertion_auc"], cell=cell, band=band, loc=loc, alt=alt,
                top=top, runner_up=runner_up, rank=rank, obj=lambda: f["saliency_in_segment"] > 0.5,
                bg=lambda: f["saliency_in_segment"] < 0.5)


# --------------------------------------------------------------------------- text namespace


def text_namespace(a: dict) -> dict:
    toks = [t.lower() for t in a["tokens"]]
    sc = a["scores"]

    def score(w: str) -> float:
        vals = {s for t, s in zip(toks, sc, strict=True) if t == w.lower()}
        if not vals:
            raise KeyError(f"no token {w!r}")
        if len(vals) > 1:
            raise ValueError(f"token {w!r} repeats with different scores")
        return vals.pop()

    def greater(w: str) -> int:
        """How many distinct words score strictly higher than w."""
        s = score(w)
        return len({t for t, v in zip(toks, sc, strict=True) if v > s and t != w.lower()})

    def top(w: str) -> bool:
        return score(w) == max(sc)

    def rank(w: str, k: int) -> bool:
        return greater(w) == k - 1

    def least(w: str) -> bool:
        return abs(score(w)) == min(abs(v) for v in sc)

    def outweighs(a_: str, b: str) -> bool:
        return score(a_) > score(b)

    maxpos = max([v for v in sc if v > 0], default=0.0)
    minneg = min([v for v in sc if v < 0], default=0.0)

    def strong(w: str) -> bool:
        s = score(w)
        _near(s, 0.5 * maxpos, "strong")
        return s > 0 and s >= 0.5 * maxpos

    def weak(w: str) -> bool:
        s = score(w)
        _near(s, 0.5 * maxpos, "weak")
        return 0 < s < 0.5 * maxpos

    def strong_neg(w: str) -> bool:
        s = score(w)
        return s < 0 and s <= 0.5 * minneg

    def zero(w: str) -> bool:
        return abs(score(w)) < 0.005

    labels = a["labels"]
    other = next(lab for lab in labels if lab != a["label"])

    def pushes(w: str, lab: str) -> bool:
        """Towards the explained label: score > 0; towards the other label: score < 0."""
        s = score(w)
        return s > 0 if lab == a["label"] else s < 0 if lab == other else False

    def p_of(lab: str) -> float:
        """Probability of a label: the predicted one's, or 1 - it for the other of the two labels."""
        return a["probability"] if lab == a["predicted"] else 1 - a["probability"]

    return dict(p_of=p_of, score=score, top=top, rank=rank, least=least, outweighs=outweighs, strong=strong, weak=weak,
                strong_neg=strong_neg, zero=zero, pushes=pushes, predicted=a["predicted"], prob=a["probability"],
                explained=a["label"])


# --------------------------------------------------------------------------- main

HELPERS = dict(exact=exact, about=about, nearly=nearly, over=over, under=under, frac=frac, change=change,
               abs=abs, all=all, any=any, max=max, min=min)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    corpus = [json.loads(line) for line in (HERE / "corpus.jsonl").read_text().splitlines() if line.strip()]
    checks = {c["id"]: c["check"] for c in map(json.loads, (HERE / "checks.jsonl").read_text().splitlines())}
    problems: list[str] = []
    ids = Counter(r["id"] for r in corpus)
    problems += [f"duplicate id {i}" for i, n in ids.items() if n > 1]
    texts = Counter((r["source"], " ".join(r["text"].lower().replace("'", " ").replace('"', " ").split()))
                    for r in corpus)
    problems += [f"duplicate sentence {t!r}" for t, n in texts.items() if n > 1]
    sources: dict[str, dict] = {}
    for r in corpus:
        for key in ("id", "kind", "source", "text", "truth", "claim", "why", "origin", "split"):
            if key not in r:
                problems.append(f"{r.get('id')}: missing {key}")
        if r["kind"] not in ("image", "text") or r["origin"] not in ("hand", "paraphrase") or \
                r["split"] not in ("dev", "heldout") or not isinstance(r["truth"], bool):
            problems.append(f"{r['id']}: bad enum value")
        allowed = IMAGE_CLAIMS if r["kind"] == "image" else TEXT_CLAIMS
        if r["claim"] not in allowed:
            problems.append(f"{r['id']}: claim {r['claim']} not allowed for {r['kind']}")
        if len(re.findall(r"[.!?](\s|$)", r["text"].strip())) != 1 or r["text"].strip()[-1] not in ".!?":
            problems.append(f"{r['id']}: not exactly one sentence: {r['text']!r}")
        if r["id"] not in checks:
            problems.append(f"{r['id']}: no check")
            continue
        if r["source"] not in sources:
            sources[r["source"]] = json.loads((HERE / r["source"]).read_text())
        data = sources[r["source"]]
        ns = dict(HELPERS, **(image_namespace(data) if r["kind"] == "image" else text_namespace(data)))
        _edges.clear()
        try:
            got = eval(checks[r["id"]], {"__builtins__": {}, **ns})  # noqa: S307 - our own expressions
        except Exception as e:  # noqa: BLE001
            problems.append(f"{r['id']}: check {checks[r['id']]!r} failed: {e}")
            continue
        if bool(got) != r["truth"]:
            problems.append(f"{r['id']}: truth {r['truth']} but check says {bool(got)}: {checks[r['id']]} :: {r['text']}")
        if _edges:
            problems.append(f"{r['id']}: borderline ({'; '.join(_edges)}) :: {r['text']}")
        if args.verbose:
            print(f"{r['id']:32s} {str(r['truth']):5s} {checks[r['id']]}")

    # ---- tables
    by = Counter((r["kind"], r["claim"], r["split"], r["truth"]) for r in corpus)
    print(f"{len(corpus)} sentences; origin: {dict(Counter(r['origin'] for r in corpus))}; "
          f"truth: {dict(Counter(r['truth'] for r in corpus))}; split: {dict(Counter(r['split'] for r in corpus))}")
    print(f"\n{'kind':6s} {'claim':22s} {'dev/T':>6s} {'dev/F':>6s} {'held/T':>7s} {'held/F':>7s} {'total':>6s}"
          f" {'hand':>5s} {'para':>5s}")
    origin = Counter((r["kind"], r["claim"], r["origin"]) for r in corpus)
    totals: dict[str, Counter] = defaultdict(Counter)
    for kind, claims in (("image", IMAGE_CLAIMS), ("text", TEXT_CLAIMS)):
        for c in claims:
            cells = [by[(kind, c, s, t)] for s in ("dev", "heldout") for t in (True, False)]
            n = sum(cells)
            print(f"{kind:6s} {c:22s} {cells[0]:6d} {cells[1]:6d} {cells[2]:7d} {cells[3]:7d} {n:6d}"
                  f" {origin[(kind, c, 'hand')]:5d} {origin[(kind, c, 'paraphrase')]:5d}")
            if n < 20:
                problems.append(f"{kind}/{c}: only {n} sentences")
            if min(cells) == 0:
                problems.append(f"{kind}/{c}: an empty split/truth cell {cells}")
            for s, t, v in zip(("dev", "dev", "heldout", "heldout"), (True, False, True, False), cells, strict=True):
                totals[kind][(s, t)] += v
    for kind in ("image", "text"):
        t = totals[kind]
        print(f"{kind:6s} {'ALL':22s} {t[('dev', True)]:6d} {t[('dev', False)]:6d} {t[('heldout', True)]:7d} "
              f"{t[('heldout', False)]:7d} {sum(t.values()):6d}")
    if problems:
        print(f"\n{len(problems)} problem(s):")
        for p in problems:
            print("  " + p)
        return 1
    print("\nall truth labels agree with the numbers; no borderline checks")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Run the self-explanation parser over answers.jsonl and report what it gets right, per model family.

    cd /tmp/stable && PYTHONPATH=/tmp/stable /work/main/.venv/bin/python \
        /work/main/tests/data/self_explanations/check_corpus.py [--by-strategy] [--by-shape] [--show ID ...] [--strict]

An answer counts as
  label ok        the parsed label equals expect.label (None when the answer names none);
  confidence ok   |parsed - expect.confidence| <= 1e-6, or both None;
  attribution ok  every index in expect.scores carries that score (within 1e-6) and no other token
                  has a non-zero score (for attribution: false, expect.scores is empty, so the
                  parser must leave every score at 0);
  success         all three.
--strict exits with status 1 when any answer fails.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

try:
    from verbalize.pipeline.text.parse import parse_self_explanation
except ImportError:
    from verbalize.pipeline.self_explanation import parse_self_explanation

CORPUS = Path(__file__).resolve().parent / "answers.jsonl"
TOL = 1e-6
FAMILIES = ("llama", "mistral", "qwen", "gemma")


def load(path: Path = CORPUS) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise SystemExit(f"{path}:{n}: not JSON: {exc}") from exc
    return rows


def _fmt(x: float | None) -> str:
    return "None" if x is None else f"{x:g}"


def check(row: dict) -> dict:
    """Parse one answer; returns the verdicts and a one-line reason for each failed part."""
    toks = row["text"].split()
    exp = row["expect"]
    try:
        r = parse_self_explanation(row["answer"], toks, row["strategy"], labels=row["labels"])
    except Exception as exc:  # the parser promises not to raise on model output
        reason = f"raised {exc!r}"
        return {
            "label": False,
            "confidence": False,
            "attribution": False,
            "reasons": [reason],
            "result": None,
        }

    reasons = []
    label_ok = r.label == exp["label"]
    if not label_ok:
        reasons.append(f"label {r.label!r}, want {exp['label']!r}")

    want_c, got_c = exp["confidence"], r.confidence
    conf_ok = (want_c is None and got_c is None) or (
        want_c is not None and got_c is not None and abs(got_c - want_c) <= TOL
    )
    if not conf_ok:
        reasons.append(f"confidence {_fmt(got_c)}, want {_fmt(want_c)}")

    want = {int(i): s for i, s in exp["scores"].items()}
    scores = list(r.scores) if r.scores else [0.0] * len(toks)
    problems = []
    if len(scores) != len(toks):
        problems.append(f"{len(scores)} scores for {len(toks)} tokens")
        scores = (scores + [0.0] * len(toks))[: len(toks)]
    got = {i: s for i, s in enumerate(scores) if abs(s) > TOL}
    missing = [i for i in want if i not in got]
    wrong = [i for i in want if i in got and abs(got[i] - want[i]) > TOL]
    extra = [i for i in got if i not in want]
    if missing:
        problems.append(
            "missing "
            + ", ".join(f"{i}:{toks[i]}={_fmt(want[i])}" for i in missing[:4])
            + (f" (+{len(missing) - 4})" if len(missing) > 4 else "")
        )
    if wrong:
        problems.append(
            "wrong "
            + ", ".join(f"{i}:{toks[i]}={_fmt(got[i])}≠{_fmt(want[i])}" for i in wrong[:4])
            + (f" (+{len(wrong) - 4})" if len(wrong) > 4 else "")
        )
    if extra:
        problems.append(
            "extra "
            + ", ".join(f"{i}:{toks[i]}={_fmt(got[i])}" for i in extra[:4])
            + (f" (+{len(extra) - 4})" if len(extra) > 4 else "")
        )
    attr_ok = not problems
    if not attr_ok:
        what = "attribution" if exp["attribution"] else "no attribution expected, but"
        reasons.append(f"{what}: " + "; ".join(problems))
    return {"label": label_ok, "confidence": conf_ok, "attribution": attr_ok, "reasons": reasons, "result": r}


def _table(title: str, groups: dict[str, list[tuple[dict, dict]]], order: list[str]) -> None:
    print(f"{title:<14} {'answers':>7} {'label':>11} {'confidence':>11} {'attribution':>12} {'success':>14}")
    tot = defaultdict(int)
    for key in order:
        items = groups.get(key, [])
        if not items:
            continue
        n = len(items)
        lab = sum(v["label"] for _, v in items)
        con = sum(v["confidence"] for _, v in items)
        att = sum(v["attribution"] for _, v in items)
        ok = sum(v["label"] and v["confidence"] and v["attribution"] for _, v in items)
        for k, x in (("n", n), ("lab", lab), ("con", con), ("att", att), ("ok", ok)):
            tot[k] += x
        print(
            f"{key:<14} {n:>7} {lab:>5}/{n:<5} {con:>5}/{n:<5} {att:>6}/{n:<5} {ok:>5}/{n:<3} {100 * ok / n:5.1f}%"
        )
    n = tot["n"]
    if n:
        print(
            f"{'all':<14} {n:>7} {tot['lab']:>5}/{n:<5} {tot['con']:>5}/{n:<5} {tot['att']:>6}/{n:<5} "
            f"{tot['ok']:>5}/{n:<3} {100 * tot['ok'] / n:5.1f}%"
        )
    print()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--by-strategy", action="store_true", help="also tabulate per strategy")
    ap.add_argument("--by-shape", action="store_true", help="also list the failing shapes")
    ap.add_argument("--show", nargs="*", default=[], metavar="ID", help="print answer, expectation and parse")
    ap.add_argument("--strict", action="store_true", help="exit 1 if any answer fails")
    args = ap.parse_args(argv)

    rows = load(args.corpus)
    ids = [r["id"] for r in rows]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise SystemExit(f"duplicate ids: {sorted(dup)}")

    verdicts = [(row, check(row)) for row in rows]
    by_family: dict[str, list] = defaultdict(list)
    by_strategy: dict[str, list] = defaultdict(list)
    for row, v in verdicts:
        by_family[row["family"]].append((row, v))
        by_strategy[row["strategy"]].append((row, v))

    print(f"parser: {parse_self_explanation.__module__}.{parse_self_explanation.__qualname__}")
    print(f"corpus: {args.corpus} ({len(rows)} answers)\n")
    _table("family", by_family, [*FAMILIES, *sorted(set(by_family) - set(FAMILIES))])
    if args.by_strategy:
        _table("strategy", by_strategy, ["pe", "ep", "pe-topk", "ep-topk"])

    failing = [(row, v) for row, v in verdicts if v["reasons"]]
    if failing:
        print(f"failing ({len(failing)}):")
        for row, v in failing:
            print(f"  {row['id']:<20} [{row['shape']}] " + " | ".join(v["reasons"]))
        print()
    if args.by_shape and failing:
        shapes: dict[str, list[str]] = defaultdict(list)
        for row, _ in failing:
            shapes[row["shape"]].append(row["id"])
        print("failing shapes:")
        for shape, rids in sorted(shapes.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            print(f"  {shape:<50} {len(rids):>2}  e.g. {rids[0]}")
        print()

    for rid in args.show:
        match = [(row, v) for row, v in verdicts if row["id"] == rid]
        if not match:
            print(f"--show: no answer {rid!r}")
            continue
        row, v = match[0]
        toks = row["text"].split()
        print(f"=== {rid} [{row['shape']}] strategy={row['strategy']}")
        print("text:   ", row["text"])
        print("answer: ", row["answer"].replace("\n", "\n         "))
        print("expect: ", json.dumps(row["expect"], ensure_ascii=False))
        r = v["result"]
        if r is not None:
            nz = {f"{i}:{toks[i]}": s for i, s in enumerate(r.scores) if s}
            print(
                f"parsed:  label={r.label!r} confidence={r.confidence!r} parse_ok={r.parse_ok} error={r.error!r}"
            )
            print(f"         scores={nz} unmatched={r.unmatched}")
        print("verdict:", "ok" if not v["reasons"] else " | ".join(v["reasons"]))
        print()

    return 1 if (args.strict and failing) else 0


if __name__ == "__main__":
    sys.exit(main())
